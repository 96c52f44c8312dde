"""Small-count suppression and the public dashboard: nothing hidden can be worked back out, and
no output holds text, ids or coordinates from a call."""

from __future__ import annotations

import csv
import json
import random
import re
import string
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from altresponse.errors import InputError
from altresponse.evaluation.privacy import (
    CountTable,
    SafeTable,
    Suppression,
    suppress,
    suppress_linked,
    suppress_list,
)
from altresponse.evaluation.publish import PublishResult, publish

Position = tuple[str, str, str]
"""(table, row label, column label); "total" names a total row or column."""

# --- an attacker's audit, written apart from the code under test ------------------------------


def recoverable(
    tables: dict[str, list[list[int | None]]], links: Iterable[tuple[Position, Position]] = ()
) -> list[tuple[str, int, int]]:
    """Suppressed positions an attacker can pin to one value from everything published.

    Each grid is cells with a total column and a total row last; rows and columns sum to their
    totals; LINKS say two tables publish the same number. A suppressed number is at least 1
    (zeros are published) and has no upper bound but the equations: the attacker's best LP.
    """
    index: dict[tuple[str, int, int], int] = {}
    for name, grid in tables.items():
        for i, row in enumerate(grid):
            for j in range(len(row)):
                index[(name, i, j)] = len(index)
    equations: list[dict[int, float]] = []
    for name, grid in tables.items():
        m, n = len(grid) - 1, len(grid[0]) - 1
        for i in range(m + 1):
            line = {index[(name, i, j)]: 1.0 for j in range(n)}
            equations.append({**line, index[(name, i, n)]: -1.0})
        for j in range(n + 1):
            line = {index[(name, i, j)]: 1.0 for i in range(m)}
            equations.append({**line, index[(name, m, j)]: -1.0})
    for a, b in links:
        equations.append({index[_locate(tables, a)]: 1.0, index[_locate(tables, b)]: -1.0})
    a_eq = np.zeros((len(equations), len(index)))
    for r, equation in enumerate(equations):
        for k, coef in equation.items():
            a_eq[r, k] += coef
    bounds = []
    for (name, i, j), _ in sorted(index.items(), key=lambda kv: kv[1]):
        value = tables[name][i][j]
        bounds.append((1, None) if value is None else (value, value))
    pinned = []
    for (name, i, j), k in index.items():
        if tables[name][i][j] is not None:
            continue
        objective = np.zeros(len(index))
        objective[k] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=np.zeros(len(equations)), bounds=bounds)
        high = linprog(-objective, A_eq=a_eq, b_eq=np.zeros(len(equations)), bounds=bounds)
        assert low.status == 0, low.message
        if high.status == 3:  # unbounded above: certainly not pinned
            continue
        assert high.status == 0, high.message
        if -high.fun - low.fun < 1 - 1e-7:
            pinned.append((name, i, j))
    return pinned


def _locate(tables: dict[str, Any], position: Position) -> tuple[str, int, int]:
    name, row, col = position
    rows, cols = LABELS[name]
    return name, rows.index(row), cols.index(col)


LABELS: dict[str, tuple[list[str], list[str]]] = {}
"""Row and column labels of tables read back from CSV (filled by read_site)."""


def published_grid(t: SafeTable) -> list[list[int | None]]:
    return [list(row) for row in t.grid]


def true_grid(counts: list[list[int]]) -> list[list[int]]:
    grid = [[*row, sum(row)] for row in counts]
    grid.append([sum(col) for col in zip(*grid, strict=True)])
    return grid


# --- suppression of hand-made tables ---------------------------------------------------------


def test_a_small_cell_hides_with_the_smallest_cells_that_would_give_it_away() -> None:
    t = suppress([[20, 5, 30], [40, 50, 60], [25, 35, 45]])
    assert {pos for pos, _ in t.reasons.items()} == {(0, 0), (0, 1), (2, 0), (2, 1)}
    assert t.reasons[(0, 1)] is Suppression.PRIMARY
    assert t.reasons[(0, 0)] is Suppression.COMPLEMENTARY
    assert t.grid[3] == (85, 90, 135, 310)  # every total is still published
    assert [row[3] for row in t.grid] == [55, 150, 105, 310]
    assert recoverable({"t": published_grid(t)}) == []


def test_zeros_are_published_and_never_chosen_to_hide_a_small_cell() -> None:
    t = suppress([[0, 4, 0, 30], [0, 12, 0, 40], [0, 0, 0, 0]])
    assert [row[0] for row in t.grid] == [0, 0, 0, 0]
    assert t.grid[2] == (0, 0, 0, 0, 0)
    assert all(true_grid([[0, 4, 0, 30], [0, 12, 0, 40], [0, 0, 0, 0]])[i][j] > 0
               for i, j in t.reasons)  # fmt: skip
    assert recoverable({"t": published_grid(t)}) == []


def test_a_small_total_is_suppressed_like_any_count() -> None:
    t = suppress([[3, 4], [30, 40]])
    assert t.grid[0][2] is None and t.reasons[(0, 2)] is Suppression.PRIMARY
    assert all(v is None for v in t.grid[0])
    assert recoverable({"t": published_grid(t)}) == []


def test_ties_are_broken_by_table_order_and_the_result_is_the_same_every_time() -> None:
    counts = [[5, 20, 20], [20, 30, 40], [20, 50, 60]]
    first = suppress(counts)
    assert set(first.reasons) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert suppress(counts) == first


def test_counts_the_equations_pin_are_caught_by_the_audit() -> None:
    # Every row and column holds two suppressed 1s, yet each row sums to a published 2: since a
    # suppressed count is at least 1, all four are pinned at 1 unless the totals go too.
    t = suppress([[1, 1, 30], [1, 1, 40], [30, 40, 50]], threshold=2)
    assert Suppression.AUDIT in t.reasons.values()
    assert recoverable({"t": published_grid(t)}) == []


def test_a_list_hides_its_smallest_other_count_with_a_small_one() -> None:
    safe = suppress_list([3, 40, 50, 0], labels=["a", "b", "c", "d"])
    assert safe.values == (None, None, 50, 0) and safe.total == 93
    assert safe.reasons == {0: Suppression.PRIMARY, 1: Suppression.COMPLEMENTARY}
    lonely = suppress_list([3, 0, 0])
    assert lonely.values == (None, 0, 0) and lonely.total is None


def test_linked_tables_hide_a_shared_number_in_both() -> None:
    tracks = ("police", "fire", "community")
    by_week = CountTable("by_week", ("w1", "w2"), tracks, ((50, 3, 20), (60, 4, 25)), "week",
                         "track")  # fmt: skip
    by_zone = CountTable("by_zone", ("a", "b"), tracks, ((70, 6, 30), (40, 1, 15)), "zone",
                         "track")  # fmt: skip
    week, zone = suppress_linked([by_week, by_zone])
    assert week.grid[2][1] is None and zone.grid[2][1] is None  # fire: 7 calls in all
    for j in range(4):
        assert (week.grid[2][j] is None) == (zone.grid[2][j] is None)
    links = [(("by_week", "total", c), ("by_zone", "total", c)) for c in (*tracks, "total")]
    LABELS.update(by_week=(["w1", "w2", "total"], [*tracks, "total"]),
                  by_zone=(["a", "b", "total"], [*tracks, "total"]))  # fmt: skip
    grids = {"by_week": published_grid(week), "by_zone": published_grid(zone)}
    assert recoverable(grids, links) == []


def test_bad_input_is_one_clear_error() -> None:
    with pytest.raises(InputError, match="integers >= 0"):
        suppress([[1, -2]])
    with pytest.raises(InputError, match="2 x 2"):
        suppress([[1, 2], [3]], rows=["a", "b"], cols=["x", "y"])
    with pytest.raises(InputError, match="at least 1"):
        suppress([[1]], threshold=0)
    a = CountTable("a", ("r",), ("x",), ((5,),), "week", "track")
    b = CountTable("b", ("r",), ("x",), ((6,),), "week", "track")
    with pytest.raises(InputError, match="disagree"):
        suppress_linked([a, b])


# --- properties on random tables -------------------------------------------------------------

COUNT = st.one_of(st.just(0), st.integers(1, 12), st.integers(0, 90))


@st.composite
def tables(draw: st.DrawFn) -> list[list[int]]:
    rows, cols = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    return [[draw(COUNT) for _ in range(cols)] for _ in range(rows)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=tables(), threshold=st.sampled_from([3, 5, 11]))
def test_no_suppressed_cell_of_a_random_table_can_be_recovered(
    counts: list[list[int]], threshold: int
) -> None:
    t = suppress(counts, threshold=threshold)
    truth = true_grid(counts)
    for i, row in enumerate(t.grid):
        for j, value in enumerate(row):
            if value is None:
                assert truth[i][j] > 0  # zeros are always published
            else:
                assert value == truth[i][j]
                assert value == 0 or value >= threshold
    assert recoverable({"t": published_grid(t)}) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=tables(), second=st.lists(COUNT, min_size=1, max_size=5), threshold=st.just(11))
def test_no_suppressed_cell_of_random_linked_tables_can_be_recovered(
    first: list[list[int]], second: list[int], threshold: int
) -> None:
    # The second table splits the first's column totals another way (week x track, zone x track).
    cols = [f"c{j}" for j in range(len(first[0]))]
    totals = [sum(row[j] for row in first) for j in range(len(cols))]
    rest = [[*(min(n, t) for n, t in zip(second, totals, strict=False)), *totals[len(second) :]]]
    other = [rest[0], [t - r for t, r in zip(totals, rest[0], strict=True)]]
    a = CountTable("a", tuple(f"w{i}" for i in range(len(first))), tuple(cols),
                   tuple(tuple(r) for r in first), "week", "track")  # fmt: skip
    b = CountTable("b", ("z0", "z1"), tuple(cols), tuple(tuple(r) for r in other), "zone",
                   "track")  # fmt: skip
    left, right = suppress_linked([a, b], threshold=threshold)
    LABELS.update(a=([*a.rows, "total"], [*cols, "total"]), b=(["z0", "z1", "total"],
                  [*cols, "total"]))  # fmt: skip
    links = [(("a", "total", c), ("b", "total", c)) for c in (*cols, "total")]
    grids = {"a": published_grid(left), "b": published_grid(right)}
    assert recoverable(grids, links) == []


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(COUNT, min_size=1, max_size=8), threshold=st.sampled_from([3, 11]))
def test_no_suppressed_count_of_a_random_list_can_be_recovered(
    counts: list[int], threshold: int
) -> None:
    safe = suppress_list(counts, threshold=threshold)
    published = [*safe.values, safe.total]
    assert all(v is None or v == 0 or v >= threshold for v in published)
    hidden = [k for k, v in enumerate(published) if v is None]
    assert len(hidden) != 1
    if len(hidden) >= 2:  # one equation: sum of cells = total; every hidden count is >= 1
        grid = [[v] for v in safe.values] + [[safe.total]]
        grid = [[*row, row[0]] for row in grid]
        assert recoverable({"l": grid}) == []


# --- the published site ----------------------------------------------------------------------

TRACKS = ("police", "ems", "fire", "co_response", "community", "crisis_line", "referral")
ZONES = ("NORTH", "SOUTH", "EAST", "WEST", "CENTRAL", "District 7")
FREE_TEXT_ZONE = "behind the laundromat on Elm and 5th"
RARE_ZONE = "Z99"
THRESHOLD = 11


def marker(rng: random.Random, kind: str) -> str:
    """A string no page would hold by chance: KIND, then 24 random capital letters."""
    return f"{kind}-" + "".join(rng.choice(string.ascii_uppercase) for _ in range(24))


def synthetic_contacts(n: int, *, weeks: int, seed: int) -> pa.Table:
    """Contacts as records.py makes them, with unique markers in every free-text field."""
    rng = random.Random(seed)
    start = datetime(2025, 3, 3, 7, tzinfo=UTC)  # Monday 00:00 in Denver (MST, before DST)
    span = weeks * 7 * 1440 - 60  # DST: the last local week ends an hour earlier in UTC
    rows = [_contact(rng, k, start + timedelta(minutes=rng.uniform(0, span))) for k in range(n)]
    return pa.Table.from_pylist(rows, schema=CONTACTS)


def _contact(rng: random.Random, k: int, received: datetime) -> dict[str, Any]:
    track = rng.choices(TRACKS, weights=[50, 8, 4, 3, 25, 6, 4])[0]
    eligible = track in {"community", "crisis_line", "referral"} or rng.random() < 0.03
    served = eligible and rng.random() < 0.75
    reasons = ["outside-hours", "outside-area", "waited-too-long", None, "no team free"]
    disposition = rng.choice(["resolved", "referred", "transported", "refused", None, "odd"])
    zone = FREE_TEXT_ZONE if k < 15 else RARE_ZONE if k < 18 else rng.choice([*ZONES, None])
    return {
        "call_id": marker(rng, "CALL"),
        "received_at": received,
        "zone": zone,
        "source": "911",
        "incident_type": "WELFARE",
        "category": "welfare_check",
        "track": track,
        "eligible": eligible,
        "served": served,
        "unserved_reason": rng.choice(reasons) if eligible and not served else None,
        "disposition": disposition,
        "transported_to": marker(rng, "DEST") if disposition == "transported" else None,
        "minutes_to_dispatch": rng.uniform(0.5, 20) if served else None,
        "minutes_travel": None,
        "minutes_to_arrival": rng.uniform(5, 60) if served else None,
        "minutes_on_scene": rng.uniform(10, 90) if served else None,
        "backup": rng.random() < 0.1 if served else None,
        "referrals": rng.randint(0, 2),
        "satisfied": None,
        "narrative": marker(rng, "NARR"),
        "lat": rng.uniform(39.6, 39.9),
        "lon": rng.uniform(-105.1, -104.8),
    }


CONTACTS = pa.schema(
    [("call_id", pa.string()), ("received_at", pa.timestamp("us", tz="UTC")),
     ("zone", pa.string()), ("source", pa.string()), ("incident_type", pa.string()),
     ("category", pa.string()), ("track", pa.string()), ("eligible", pa.bool_()),
     ("served", pa.bool_()), ("unserved_reason", pa.string()), ("disposition", pa.string()),
     ("transported_to", pa.string()), ("minutes_to_dispatch", pa.float64()),
     ("minutes_travel", pa.float64()), ("minutes_to_arrival", pa.float64()),
     ("minutes_on_scene", pa.float64()), ("backup", pa.bool_()), ("referrals", pa.int64()),
     ("satisfied", pa.float64()), ("narrative", pa.string()), ("lat", pa.float64()),
     ("lon", pa.float64())]
)  # fmt: skip
"""The contacts table's columns (records.SCHEMA), written out so the test stands alone."""


@pytest.fixture(scope="module")
def contacts() -> pa.Table:
    return synthetic_contacts(1200, weeks=10, seed=11)  # small enough to need complements


@pytest.fixture(scope="module")
def site(contacts: pa.Table, tmp_path_factory: pytest.TempPathFactory) -> PublishResult:
    folder = tmp_path_factory.mktemp("public") / "site"
    return publish(contacts, "America/Denver", folder, program_name="Test City crisis team",
                   threshold=THRESHOLD)  # fmt: skip


def read_site(folder: Path) -> dict[str, list[list[int | None]]]:
    """Every count table of the site as its CSV says: grids with totals, None where hidden."""
    meta = json.loads((folder / "metadata.json").read_text())
    grids: dict[str, list[list[int | None]]] = {}
    for entry in meta["tables"]:
        with (folder / entry["file"]).open(newline="") as handle:
            header, *rows = list(csv.reader(handle))
        LABELS[entry["name"]] = ([r[0] for r in rows], header[1:])
        grids[entry["name"]] = [[None if v == "suppressed" else int(v) for v in r[1:]]
                                for r in rows]  # fmt: skip
    return grids


def site_links(p: str = "week") -> list[tuple[Position, Position]]:
    """Numbers two published tables share, by what they mean (not by how the code keys them)."""
    periods = LABELS[f"calls_by_{p}_track"][0]  # the periods, then "total"
    links: list[tuple[Position, Position]] = []
    for c in LABELS[f"calls_by_{p}_track"][1]:  # tracks and the grand total
        links.append(((f"calls_by_{p}_track", "total", c), ("calls_by_zone_track", "total", c)))
    for w in periods:
        links.append(((f"calls_by_{p}_track", w, "total"), (f"calls_by_{p}_outcome", w, "total")))
        served = (f"calls_by_{p}_outcome", w, "served")
        links.append((served, (f"dispositions_by_{p}", w, "total")))
        links.append((served, (f"backup_by_{p}", w, "total")))
        unserved = (f"calls_by_{p}_outcome", w, "eligible_unserved")
        links.append((unserved, (f"unserved_by_{p}_reason", w, "total")))
    return links


def test_no_published_table_lets_anyone_recover_a_suppressed_count(site: PublishResult) -> None:
    grids = read_site(site.folder)
    assert set(grids) == {
        "calls_by_week_track", "calls_by_zone_track", "calls_by_week_outcome",
        "unserved_by_week_reason", "dispositions_by_week", "backup_by_week",
    }  # fmt: skip
    hidden = sum(v is None for g in grids.values() for row in g for v in row)
    assert hidden > 20  # the data has small counts: the test would prove nothing otherwise
    for name, grid in grids.items():
        assert recoverable({name: grid}) == [], name
    assert recoverable(grids, site_links()) == []


def test_a_site_by_day_is_protected_the_same_way(tmp_path: Path) -> None:
    contacts = synthetic_contacts(400, weeks=2, seed=4)
    result = publish(contacts, "America/Denver", tmp_path, program_name="x", period="day")
    grids = read_site(tmp_path)
    assert LABELS["calls_by_day_track"][0][:2] == ["2025-03-03", "2025-03-04"]
    assert len(LABELS["calls_by_day_track"][0]) == 14 + 1
    assert result.suppressed > 50
    assert recoverable(grids, site_links("day")) == []


def test_every_published_count_is_zero_or_at_least_the_threshold(site: PublishResult) -> None:
    grids = read_site(site.folder)
    counts = [v for g in grids.values() for row in g for v in row if v is not None]
    assert counts and all(v == 0 or v >= THRESHOLD for v in counts)
    meta = json.loads((site.folder / "metadata.json").read_text())
    for entry in meta["tables"]:
        assert entry["suppressed_cells"] == sum(v is None for row in grids[entry["name"]]
                                                for v in row)  # fmt: skip
    assert meta["threshold"] == THRESHOLD and meta["period"] == "week"


def test_no_field_holds_text_from_a_call(site: PublishResult, contacts: pa.Table) -> None:
    outputs = {p: p.read_text(encoding="utf-8") for p in site.folder.rglob("*") if p.is_file()}
    assert {p.name for p in outputs} >= {"index.html", "metadata.json", "calls_by_week_track.csv"}
    grams = {text[k : k + 8] for text in outputs.values() for k in range(len(text) - 7)}
    secrets = [v for c in ("call_id", "narrative", "transported_to")
               for v in contacts.column(c).to_pylist() if v]  # fmt: skip
    assert len(secrets) > 2400
    for secret in secrets:
        assert not any(secret[k : k + 8] in grams for k in range(len(secret) - 7)), secret
    everything = "\n".join(outputs.values())
    assert FREE_TEXT_ZONE not in everything and "laundromat" not in everything
    assert RARE_ZONE not in everything  # 3 calls: merged into "(other zones)"
    plain = {p: re.sub(r"<svg.*?</svg>", "", t, flags=re.S) for p, t in outputs.items()}
    text = "\n".join(plain.values())
    for c in ("lat", "lon"):
        for v in contacts.column(c).to_pylist():
            assert repr(v) not in everything and f"{v:.4f}" not in text


def test_published_labels_come_from_closed_vocabularies(site: PublishResult) -> None:
    grids = read_site(site.folder)
    assert LABELS["calls_by_zone_track"][0] == [*sorted(ZONES), "(other zones)", "(no zone)",
                                                "total"]  # fmt: skip
    assert LABELS["calls_by_week_track"][1] == [*TRACKS, "total"]
    reasons = LABELS["unserved_by_week_reason"][1]
    assert "no team free" not in reasons and "other" in reasons
    assert grids["unserved_by_week_reason"][-1][reasons.index("not_recorded")] != 0
    assert "odd" not in LABELS["dispositions_by_week"][1]
    weeks = LABELS["calls_by_week_track"][0][:-1]
    assert weeks == [f"2025-W{w:02d}" for w in range(10, 20)]
    assert len(grids) == 6


def test_a_statistic_shows_only_behind_enough_calls(site: PublishResult) -> None:
    grids = read_site(site.folder)
    served = {LABELS["calls_by_week_outcome"][0][i]: row[0]
              for i, row in enumerate(grids["calls_by_week_outcome"])}  # fmt: skip
    with (site.folder / "data" / "response_times_by_week.csv").open() as handle:
        header, *rows = list(csv.reader(handle))
    assert header == ["week", "dispatch_p50", "dispatch_p90", "arrival_p50", "arrival_p90"]
    shown = 0
    for week, *values in rows:
        if any(v != "suppressed" for v in values):
            shown += 1
            count = served["total" if week == "all" else week]
            assert count is not None and count >= THRESHOLD
    assert shown > 3


def test_the_page_links_only_to_files_beside_it(site: PublishResult) -> None:
    html = site.index.read_text()
    links = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert links and "<script" not in html
    for link in links:
        if link.startswith("#"):
            assert f'id="{link[1:]}"' in html
            continue
        assert "://" not in link and not link.startswith("/"), link
        assert (site.folder / link).is_file(), link


def test_publish_refuses_what_it_cannot_protect(contacts: pa.Table, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="time zone"):
        publish(contacts, "Mars/Olympus", tmp_path, program_name="x")
    with pytest.raises(InputError, match="at least 2"):
        publish(contacts, "UTC", tmp_path, program_name="x", threshold=1)
    with pytest.raises(InputError, match="period"):
        publish(contacts, "UTC", tmp_path, program_name="x", period="month")
    with pytest.raises(InputError, match="missing column"):
        publish(contacts.drop_columns(["track"]), "UTC", tmp_path, program_name="x")


def test_cli_publishes_a_calls_table_without_its_notes(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from altresponse.calls.adapter import find_adapter
    from altresponse.calls.ingest import ingest
    from altresponse.cli_publish import publish_cmd
    from altresponse.samplecity import generate

    export, table = tmp_path / "sample.csv", tmp_path / "calls.parquet"
    generate(export, seed=5, calls=1500)
    ingest(export, find_adapter("sample_city"), table)
    app = typer.Typer()  # the lead registers `publish` in cli.py; this drives the command itself
    app.command("publish")(publish_cmd)
    app.command("noop")(lambda: None)
    site = tmp_path / "site"
    args = ["publish", "-o", str(site), "--calls", str(table), "--program", "star_denver"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["period"] == "week" and found["suppressed_cells"] > 0
    html = (site / "index.html").read_text()
    assert "planning mode" in html
    raw = pa_csv.read_csv(export)
    secrets = {v for c in ("NARRATIVE", "INCIDENT_NO") for v in raw.column(c).to_pylist() if v}
    everything = "\n".join(p.read_text() for p in site.rglob("*") if p.is_file())
    assert not [v for v in secrets if len(str(v)) >= 12 and str(v) in everything]
    missing = CliRunner().invoke(app, ["publish", "-o", str(site), "--calls", "nope.parquet"])
    assert missing.exit_code == 2 and "nope.parquet" in missing.output


def test_cli_publishes_the_operations_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer
    from typer.testing import CliRunner

    from altresponse.cli_publish import publish_cmd
    from altresponse.clikit import State
    from altresponse.settings import Settings
    from opsutil import STAR_SKILLS, migrated, operations, welfare_record

    url = migrated(tmp_path)
    ops = operations(url)
    team = ops.add_team("star-1", STAR_SKILLS)
    secret = "QZXWV neighbour in flat 4B says the man is not eating"
    first, _ = ops.intake(welfare_record("c1", narrative=secret), "ct")
    ops.dispatch(first.id, team.id, "dana")
    ops.intake(welfare_record("c2", narrative="he has a gun QZXWV"), "ct")
    monkeypatch.setattr(State, "settings", Settings(database_url=url, program="star_denver"))
    app = typer.Typer()
    app.command("publish")(publish_cmd)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["publish", "-o", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    everything = "\n".join(p.read_text() for p in (tmp_path / "site").rglob("*") if p.is_file())
    assert "QZXWV" not in everything and "flat 4B" not in everything
    grids = read_site(tmp_path / "site")
    assert grids["calls_by_week_track"][-1][-1] is None  # 2 calls: even the grand total hides
    assert "planning mode" not in everything
