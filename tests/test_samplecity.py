"""Sample City: deterministic, ingestible, and true to the figures in its profile."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import statistics
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from altresponse.errors import ConfigError, InputError
from altresponse.samplecity import SampleSummary, generate
from altresponse.samplecity.profile import WEEKDAYS, SampleProfile, data_dir, load_profile
from altresponse.samplecity.timeline import WallClock, hourly_weights

GOLDEN = Path(__file__).parent / "golden" / "samplecity_2000.json"
MIX_CALLS = 30_000
TIME_FORMAT = "%m/%d/%Y %H:%M:%S"
Rows = list[dict[str, str]]


def read_rows(path: Path) -> Rows:
    """The export as dicts of text."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def profile() -> SampleProfile:
    """The shipped profile."""
    return load_profile()


@pytest.fixture(scope="module")
def mix(tmp_path_factory: pytest.TempPathFactory) -> Rows:
    """A 30,000-call year, large enough to compare shares with the profile."""
    path = tmp_path_factory.mktemp("mix") / "sample_city.csv"
    generate(path, seed=7, calls=MIX_CALLS)
    return read_rows(path)


def tolerance(p: float, n: int) -> float:
    """Allowed gap between a drawn share and its target: 4.5 standard errors plus 0.2 points."""
    return 4.5 * math.sqrt(p * (1 - p) / n) + 0.002


# --- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a.csv", seed=11, calls=2_000)
    generate(tmp_path / "b.csv", seed=11, calls=2_000)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_different_seed_gives_a_different_file(tmp_path: Path) -> None:
    generate(tmp_path / "a.csv", seed=11, calls=2_000)
    generate(tmp_path / "b.csv", seed=12, calls=2_000)
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "b.csv").read_bytes()


def test_summary_describes_the_file(tmp_path: Path) -> None:
    summary = generate(tmp_path / "s.csv", seed=3, calls=500, year=2024)
    rows = read_rows(tmp_path / "s.csv")
    assert isinstance(summary, SampleSummary)
    assert summary.rows == len(rows) == 500
    assert summary.first_received.tzinfo is not None
    assert summary.first_received.year == summary.last_received.year == 2024
    assert summary.first_received <= summary.last_received
    assert "500 Sample City calls" in str(summary)
    first = datetime.strptime(rows[0]["CALL_RECEIVED"], TIME_FORMAT)
    assert summary.first_received.replace(tzinfo=None) == first


@pytest.mark.parametrize("kwargs", [{"calls": 0}, {"year": 1800}])
def test_bad_arguments_are_input_errors(tmp_path: Path, kwargs: dict[str, int]) -> None:
    with pytest.raises(InputError):
        generate(tmp_path / "x.csv", **kwargs)  # type: ignore[arg-type]


# --- the real pipeline --------------------------------------------------------------------------


def test_export_ingests_cleanly_with_the_sample_city_adapter(tmp_path: Path) -> None:
    from altresponse.calls.adapter import find_adapter
    from altresponse.calls.ingest import ingest

    generate(tmp_path / "calls.csv", seed=5, calls=3_000, year=2025)
    result = ingest(tmp_path / "calls.csv", find_adapter("sample_city"), tmp_path / "calls.parquet")
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (3_000, 3_000, 0)
    assert result.typed_share >= 0.99
    parquet = tmp_path / "calls.parquet"
    assert pq.read_schema(parquet).field("received_at").type.tz == "UTC"
    row = (
        duckdb.connect()
        .execute(
            f"""SELECT
          min(received_at) >= TIMESTAMPTZ '2025-01-01 00:00:00-08:00'
            AND max(received_at) < TIMESTAMPTZ '2026-01-01 00:00:00-08:00',
          count(*) FILTER (WHERE dispatched_at < received_at OR arrived_at < dispatched_at
                           OR cleared_at < coalesce(arrived_at, dispatched_at)),
          count(DISTINCT source), count(*) FILTER (WHERE disposition = 'other'),
          count(*) FILTER (WHERE screening.weapon IS NOT NULL
                           OR screening.suicide_risk IS NOT NULL),
          count(*) FILTER (WHERE type_source <> 'crosswalk')
        FROM read_parquet('{parquet}')"""
        )
        .fetchone()
    )
    assert row == (True, 0, 5, 0, 0, 0)


def test_crosswalk_covers_every_local_type_in_its_vera_category(profile: SampleProfile) -> None:
    from altresponse.calls.adapter import find_adapter
    from altresponse.taxonomy import Taxonomy, load_crosswalk
    from altresponse.taxonomy.text import normalize_local_type

    path = find_adapter("sample_city").crosswalk_path()
    assert path is not None
    crosswalk, taxonomy = load_crosswalk(path), Taxonomy.load()
    assert len(crosswalk) == len(profile.call_types)
    for call_type in profile.call_types:
        code = crosswalk[normalize_local_type(call_type.local_type)]
        assert str(taxonomy.vera_category_of(code)) == call_type.vera_category, call_type.local_type


# --- the mix matches the profile ----------------------------------------------------------------


def test_vera_category_shares_match_the_profile(mix: Rows, profile: SampleProfile) -> None:
    category = {t.local_type: t.vera_category for t in profile.call_types}
    counts = Counter(category[r["CALL_TYPE"]] for r in mix)
    for name, target in profile.share_by("vera_category").items():
        drawn = counts[name] / len(mix)
        assert abs(drawn - target) <= tolerance(target, len(mix)), (name, drawn, target)


def test_behavioral_health_and_violent_crime_shares(mix: Rows, profile: SampleProfile) -> None:
    shares = profile.share_by("vera_category")
    assert 0.025 <= shares["Behavioral Health"] <= 0.03
    assert shares["Violent Crime"] < 0.03  # "fewer than 3% of calls are about violent crime"
    bh = {t.local_type for t in profile.call_types if t.vera_category == "Behavioral Health"}
    drawn = sum(r["CALL_TYPE"] in bh for r in mix) / len(mix)
    target = shares["Behavioral Health"]
    assert abs(drawn - target) <= tolerance(target, len(mix))


def test_officer_initiated_share_matches_the_profile(mix: Rows, profile: SampleProfile) -> None:
    target = profile.officer_share()
    assert 0.33 <= target <= 0.36
    drawn = sum(r["CALL_SOURCE"] == "OFFICER" for r in mix) / len(mix)
    assert abs(drawn - target) <= tolerance(target, len(mix))


def _hour_of_week(rows: Rows) -> list[int]:
    """Calls in each of the 168 hours of the week, Monday 00:00 first."""
    counts = [0] * 168
    for r in rows:
        received = datetime.strptime(r["CALL_RECEIVED"], TIME_FORMAT)
        counts[received.weekday() * 24 + received.hour] += 1
    return counts


def test_hour_of_week_follows_the_profile(mix: Rows, profile: SampleProfile) -> None:
    drawn = _hour_of_week(mix)
    expected = [rate for day in WEEKDAYS for rate in profile.city.hour_of_week[day]]
    assert statistics.correlation(drawn, expected) > 0.95
    by_hour = [sum(drawn[d * 24 + h] for d in range(7)) for h in range(24)]
    quietest, busiest = (
        min(range(24), key=by_hour.__getitem__),
        max(range(24), key=by_hour.__getitem__),
    )
    assert 2 <= quietest <= 5
    assert 8 <= busiest <= 17


def test_month_follows_the_profile(mix: Rows, profile: SampleProfile) -> None:
    clock = WallClock(2025, profile.city.city.timezone)
    weights = hourly_weights(profile.city, clock)
    by_month = Counter((clock.start() + timedelta(hours=h)).month for h in range(len(weights)))
    expected = Counter[int]()
    for hour, weight in enumerate(weights):
        expected[(clock.start() + timedelta(hours=hour)).month] += weight
    drawn = Counter(int(r["CALL_RECEIVED"][:2]) for r in mix)
    assert len(by_month) == 12
    for month in range(1, 13):
        target = expected[month] / sum(weights)
        assert abs(drawn[month] / len(mix) - target) <= tolerance(target, len(mix)), month
    june_per_day = expected[6] / 30
    december_per_day = expected[12] / 31
    assert june_per_day > 1.05 * december_per_day  # the summer peak of the NYPD figures


def test_priorities_sources_and_zones_are_as_configured(mix: Rows, profile: SampleProfile) -> None:
    assert {r["PRIORITY"] for r in mix} == {"1", "2", "3", "4"}
    assert {r["CALL_SOURCE"] for r in mix} == {
        "911",
        "NON-EMERG",
        "OFFICER",
        "ALARM CO",
        "TEXT-911",
        "WALK-IN",
    }
    zones = Counter(r["ZONE"] for r in mix)
    total = sum(z.share for z in profile.city.zones)
    for zone in profile.city.zones:
        target = zone.share / total
        assert abs(zones[zone.name] / len(mix) - target) <= tolerance(target, len(mix))


def test_narratives_carry_red_flags_and_negations(mix: Rows) -> None:
    notes = [r["NARRATIVE"] for r in mix if r["NARRATIVE"]]
    assert 0.35 <= len(notes) / len(mix) <= 0.5
    text = "\n".join(notes)
    for phrase in ("W/ KNIFE", "NO WEAPONS SEEN", "DENIES SI", "5150", "OD", "TOOK PILLS"):
        assert re.search(rf"(^|[ ,]){re.escape(phrase)}($|[ ,])", text, re.MULTILINE), phrase


def test_screening_answers_are_blank(mix: Rows) -> None:
    assert all(not r["Q_WEAPON"] and not r["Q_INJURY"] and not r["Q_SUICIDE_RISK"] for r in mix)


def test_times_skip_the_spring_forward_gap_and_stay_in_order(tmp_path: Path) -> None:
    generate(tmp_path / "dst.csv", seed=1, calls=60_000, year=2025)
    columns = ("CALL_RECEIVED", "DISPATCHED", "ON_SCENE", "CLEARED")
    rows = read_rows(tmp_path / "dst.csv")
    stamps = [r[c] for r in rows for c in columns if r[c]]
    assert not [s for s in stamps if s.startswith("03/09/2025 02:")]
    assert any(s.startswith("11/02/2025 01:") for s in stamps)
    for r in rows:
        times = [datetime.strptime(r[c], TIME_FORMAT) for c in columns if r[c]]
        assert times == sorted(times), r["INCIDENT_NO"]


# --- golden summary -----------------------------------------------------------------------------


def golden_summary(path: Path) -> dict[str, object]:
    """What the golden file pins: row count, first and last call, counts by local type."""
    rows = read_rows(path)
    return {
        "rows": len(rows),
        "first_received": rows[0]["CALL_RECEIVED"],
        "last_received": rows[-1]["CALL_RECEIVED"],
        "by_local_type": dict(sorted(Counter(r["CALL_TYPE"] for r in rows).items())),
        "by_disposition": dict(sorted(Counter(r["DISPOSITION"] for r in rows).items())),
    }


def test_fixed_seed_run_matches_the_golden_summary(tmp_path: Path) -> None:
    generate(tmp_path / "golden.csv", seed=2026, calls=2_000, year=2025)
    got = golden_summary(tmp_path / "golden.csv")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got == want, (
        f"Sample City output changed. If that is intended, review and replace {GOLDEN} with:\n"
        + json.dumps(got, indent=2)
    )


# --- profile validation -------------------------------------------------------------------------


def _copy_profile(tmp_path: Path) -> Path:
    folder = tmp_path / "profile"
    shutil.copytree(data_dir(), folder)
    return folder


def test_call_type_shares_must_add_up(tmp_path: Path) -> None:
    folder = _copy_profile(tmp_path)
    path = folder / "call_types.csv"
    path.write_text(path.read_text().replace("AREA CHECK,7.35,", "AREA CHECK,17.35,"))
    with pytest.raises(ConfigError, match=r"call_types\.csv: shares add up to 110\.00"):
        load_profile(folder)


def test_bad_call_type_row_names_its_line(tmp_path: Path) -> None:
    folder = _copy_profile(tmp_path)
    path = folder / "call_types.csv"
    path.write_text(
        path.read_text().replace("BUSINESS CHECK,6.0,Statuses,4,", "BUSINESS CHECK,6.0,Statuses,9,")
    )
    with pytest.raises(ConfigError, match=r"call_types\.csv:3: priority"):
        load_profile(folder)


def test_unknown_scene_is_named(tmp_path: Path) -> None:
    folder = _copy_profile(tmp_path)
    path = folder / "call_types.csv"
    path.write_text(path.read_text().replace(",check,check,officer", ",nowhere,check,officer", 1))
    with pytest.raises(ConfigError, match="AREA CHECK: unknown scene 'nowhere'"):
        load_profile(folder)


# --- the profile's figures re-derived from the shared data --------------------------------------


@pytest.mark.realdata
def test_hour_of_week_is_derived_from_san_diego_and_alexandria(
    shared_data: Path, profile: SampleProfile
) -> None:
    sd = shared_data / "san_diego_pd_cfs" / "pd_calls_for_service_2023_datasd.csv"
    ax = shared_data / "alexandria_va_decc_cad" / "decc_cad_2025_weeks35-52.csv.gz"
    con = duckdb.connect()
    con.execute(f"""CREATE VIEW sd AS SELECT TRY_CAST(date_time AS TIMESTAMP) t
        FROM read_csv('{sd}', all_varchar=true)""")
    con.execute(f"""CREATE VIEW ax AS SELECT TRY_CAST(Incident_Start_Time AS TIMESTAMP) t
        FROM read_csv('{ax}', all_varchar=true) WHERE Agency = 'POLICE'""")
    derived = [(a + b) / 2 for a, b in zip(_index(con, "sd"), _index(con, "ax"), strict=True)]
    shipped = [rate for day in WEEKDAYS for rate in profile.city.hour_of_week[day]]
    assert max(abs(a - b) for a, b in zip(derived, shipped, strict=True)) <= 0.0051


def _index(con: duckdb.DuckDBPyConnection, view: str) -> list[float]:
    """Hour-of-week call rate (per day of that weekday), relative to its mean, Monday first."""
    rows = con.execute(f"""
        WITH c AS (SELECT isodow(t) d, hour(t) h, count(*) n FROM {view} GROUP BY ALL),
        days AS (SELECT isodow(dt) d, count(*) nd FROM (SELECT DISTINCT CAST(t AS DATE) AS dt
                 FROM {view}) GROUP BY 1),
        r AS (SELECT c.d, c.h, n / nd rate FROM c JOIN days USING (d))
        SELECT rate / avg(rate) OVER () FROM r ORDER BY d, h""").fetchall()
    return [float(r[0]) for r in rows]


@pytest.mark.realdata
def test_month_is_derived_from_nypd_2024(shared_data: Path, profile: SampleProfile) -> None:
    path = shared_data / "nypd_cfs_radio_code_taxonomy_2024" / "borough_monthly_call_counts.csv"
    rows = (
        duckdb.connect()
        .execute(
            f"""SELECT sum(call_count) / day(last_day(CAST(incident_month || '-01' AS DATE)))
        FROM read_csv('{path}') GROUP BY incident_month ORDER BY incident_month"""
        )
        .fetchall()
    )
    rates = [float(r[0]) for r in rows]
    derived = [r / statistics.fmean(rates) for r in rates]
    assert max(abs(a - b) for a, b in zip(derived, profile.city.month, strict=True)) <= 0.0006


@pytest.mark.realdata
def test_officer_share_is_vera_median_city_year(shared_data: Path, profile: SampleProfile) -> None:
    folder = shared_data / "vera_twosigma_911_taxonomy"
    shares = []
    for city in ("Detroit", "New_Orleans", "Seattle"):
        with (folder / f"CityOfficerInitiatedSummary__{city}.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if 2014 <= int(row["year"]) <= 2018 and row["pecent_self_initaited"]:
                    shares.append(float(row["pecent_self_initaited"]) / 100)
    assert len(shares) == 13
    assert abs(profile.officer_share() - statistics.median(shares)) <= 0.005
