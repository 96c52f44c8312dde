"""KPIs (docs/metrics.md): Lane County's mobile crisis records through the KPI code against a
hand count of the same file, and the live store's KPIs worked out by hand."""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import ingest
from altresponse.calls.record import Disposition
from altresponse.evaluation.kpis import kpis
from altresponse.evaluation.records import (
    contacts_from_calls,
    contacts_from_store,
    follow_ups_from_store,
)
from altresponse.operations.lifecycle import State
from altresponse.operations.models import FollowUp
from altresponse.operations.surveys import record_survey
from altresponse.programs import load_program
from opsutil import IN_HOURS, OUT_OF_HOURS, STAR_SKILLS, migrated, operations, welfare_record

LANE = "lane_county_mcslc_mobile_crisis/mcslc_dispatches_2024-08_2025-12.csv"
PACIFIC = ZoneInfo("America/Los_Angeles")
FORMAT = "%Y-%m-%d %H:%M:%S"


# -- the hand count: the raw CSV read with the csv module, nothing of altresponse --------------
def _when(text: str, request_day: str) -> datetime | None:
    """A time as H&HS typed it; 00:00:00 on the request's own date means 'not recorded'."""
    text = text.strip()
    if not text or (text.endswith(" 00:00:00") and text[:10] == request_day):
        return None
    return datetime.strptime(text, FORMAT).replace(tzinfo=PACIFIC)


def _span(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    minutes = (later - earlier).total_seconds() / 60  # aware: DST changes counted
    return minutes if 0 <= minutes <= 24 * 60 else None


def _disposition(where: str, end: str) -> str:
    """Where the client ended up first, then how the dispatch ended (docs of the adapter)."""
    where, end = where.strip().lower(), " ".join(end.lower().split())
    for start, name in (("arrest", "arrest"), ("emergency department", "transported"),
                        ("sobering", "transported"), ("crisis walk-in", "referred"),
                        ("respite", "referred")):  # fmt: skip
        if where.startswith(start):
            return name
    if where not in ("remained in community", "other"):
        return "other"
    for start, name in (("unable to locate", "no_contact"), ("no contact", "no_contact"),
                        ("refused", "refused"), ("client declined", "refused"),
                        ("cancel", "cancelled"), ("dispatch cancel", "cancelled")):  # fmt: skip
        if end.startswith(start):
            return name
    if where == "remained in community" and (end.startswith("engaged") or not end):
        return "resolved"
    return "other"


def _percentiles(values: list[float]) -> tuple[int, float, float]:
    """n, median and 90th percentile (linear between order statistics, 'inclusive')."""
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return len(values), statistics.median(values), deciles[8]


def hand_count(path: Path) -> dict[str, Any]:
    spans: dict[str, list[float]] = {"to_dispatch": [], "travel": [], "on_scene": []}
    outcomes: Counter[str] = Counter()
    rows = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            request = row["Dispatch Request Date & Time"].strip()
            if not request:
                continue  # no request time: no honest received_at (quarantined by ingest too)
            rows += 1
            received = datetime.strptime(request, FORMAT).replace(tzinfo=PACIFIC)
            day = request[:10]
            dispatched = _when(row["Dispatch Date & Time"], day)
            arrived = _when(row["Arrival on Scene Date & Time"], day)
            left = _when(row["MCIT Departure Date & Time"], day)
            for name, value in (("to_dispatch", _span(dispatched, received)),
                                ("travel", _span(arrived, dispatched)),
                                ("on_scene", _span(left, arrived))):  # fmt: skip
                if value is not None:
                    spans[name].append(value)
            outcomes[_disposition(row["Disposition"], row["End Point of Dispatch"])] += 1
    return {"rows": rows, "spans": {k: _percentiles(v) for k, v in spans.items()},
            "outcomes": outcomes}  # fmt: skip


def test_lane_county_kpis_equal_a_hand_count_of_the_same_file(
    shared_data: Path, tmp_path: Path
) -> None:
    raw = shared_data / LANE
    table = tmp_path / "lane.parquet"
    ingest(raw, find_adapter("lane_county_mcslc"), table)
    program = load_program("cahoots_eugene")
    found = kpis(contacts_from_calls(table, program), program, responded="all")
    hand = hand_count(raw)

    assert found.calls == hand["rows"] == 4605
    for name in ("to_dispatch", "travel", "on_scene"):
        spread = getattr(found, name)
        n, p50, p90 = hand["spans"][name]
        assert (spread.n, spread.excluded) == (n, hand["rows"] - n), name
        assert spread.p50 == pytest.approx(p50, abs=1e-9), name
        assert spread.p90 == pytest.approx(p90, abs=1e-9), name
    shares = {k: v.count for k, v in found.dispositions.items() if k != "not_recorded"}
    assert shares == dict(hand["outcomes"])
    total = sum(hand["outcomes"].values())
    for name, count in hand["outcomes"].items():
        assert found.dispositions[name].share == pytest.approx(count / total, abs=1e-6)
    # the figures the hand count gives, written down (docs/metrics.md shows them)
    assert hand["spans"]["to_dispatch"][:3] == (4360, 13.0, 55.0)
    assert hand["spans"]["travel"][:3] == (4202, 14.0, 31.0)
    assert hand["spans"]["on_scene"][:3] == (4229, 22.0, 61.0)
    assert hand["outcomes"]["arrest"] == 15 and hand["outcomes"]["transported"] == 676


# -- the live store, figures worked out by hand --------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = IN_HOURS

    def __call__(self) -> datetime:
        return self.now

    def wait(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


def test_store_kpis_are_counted_as_docs_metrics_says(tmp_path: Path) -> None:
    ops = operations(migrated(tmp_path))
    clock = Clock()
    ops.clock = clock
    team = ops.add_team("star-1", STAR_SKILLS)
    shelter = ops.add_resource("Shelter", "shelter")
    served = []
    for k, (travel, scene, end) in enumerate([(10, 30, "resolved"), (20, 50, "referred"),
                                              (30, 70, "arrest")]):  # fmt: skip
        incident, _ = ops.intake(welfare_record(f"s{k}", received_at=clock.now), "ct")
        clock.wait(2 + k)  # 2, 3 and 4 minutes to dispatch
        ops.dispatch(incident.id, team.id, "dana")
        clock.wait(travel)
        ops.set_state(incident.id, State.ON_SCENE, "rae")
        if k == 1:
            ops.refer(incident.id, shelter.id, "rae")
        if k == 2:
            ops.request_backup(incident.id, "police", "he became violent", "rae")
        ops.set_disposition(incident.id, Disposition(end), "rae")
        clock.wait(scene)
        ops.set_state(incident.id, State.CLEARED, "rae")
        served.append(incident.id)
    ops.intake(welfare_record("knife", narrative="has a knife", received_at=clock.now), "ct")
    ops.intake(welfare_record("late", received_at=OUT_OF_HOURS), "ct")  # eligible, outside hours
    ops.intake(welfare_record("wait", received_at=clock.now), "ct")
    clock.wait(31)
    ops.escalate_overdue()  # the 30-minute maximum wait: eligible-unserved, waited-too-long
    record_survey(ops, served[0], "rae", "person", 5)
    record_survey(ops, served[1], "rae", "person", 2)
    record_survey(ops, served[1], "rae", "caller", 4)  # the incident's mean: 3

    program = load_program("star_denver")
    contacts = contacts_from_store(ops.sessions.kw["bind"].url.render_as_string(False), program)
    found = kpis(contacts, program)
    assert found.calls == 6 and found.eligible == 5
    assert (found.served.count, found.served.base) == (3, 5)
    assert found.unserved_by_reason == {"outside-hours": 1, "waited-too-long": 1}
    assert found.by_track == {"community": 3, "police": 3}
    assert (found.to_dispatch.n, found.to_dispatch.p50) == (3, 3.0)
    assert found.travel.p50 == 20.0 and found.travel.p90 == pytest.approx(28.0)
    assert found.to_arrival.p50 == 23.0  # 12, 23, 34
    assert found.on_scene.p50 == 50.0 and found.on_scene.mean == pytest.approx(50.0)
    assert (found.backup.count, found.backup.base) == (1, 3)
    assert found.arrests_after_response.count == 1
    assert found.referrals.count == 1
    assert found.dispositions["resolved"].share == pytest.approx(1 / 3, abs=1e-6)
    assert found.repeat_contacts.count == 2  # the same doorway, served three times in a day
    surveyed = found.satisfaction["surveyed"]
    assert (surveyed.count, surveyed.base) == (2, 3)
    assert found.satisfaction["mean_score"] == 4.0  # contacts 5 and 3
    assert found.satisfaction["satisfied"].count == 1  # 5 is satisfied, 3 is not
    days = found.days
    per_day = 8 * 16  # STAR: 8 teams on each of two 8-hour shifts
    assert found.cost["team_hours"] == pytest.approx(per_day * days, abs=0.1)
    assert found.cost["per_call"] == pytest.approx(137 * per_day * days / 3, rel=1e-3)


def test_follow_up_completion_counts_on_time_late_due_and_overdue(tmp_path: Path) -> None:
    url = migrated(tmp_path)
    ops = operations(url)
    incident, _ = ops.intake(welfare_record("f1"), "ct")
    due = IN_HOURS + timedelta(hours=72)
    rows = [("done", due), ("late", due), ("due", IN_HOURS + timedelta(hours=1)), ("due", due)]
    with ops.sessions() as session, session.begin():
        for state, at in rows:
            session.add(FollowUp(incident_id=incident.id, policy="p", says="visit", due_at=at,
                                 state=state))  # fmt: skip
    found = follow_ups_from_store(url, now=IN_HOURS + timedelta(hours=2))
    assert found == {"owed": 4, "done_on_time": 1, "done_late": 1, "still_due": 2,
                     "overdue": 1, "completion": 0.5, "on_time": 0.25}  # fmt: skip


def test_evaluate_kpis_reads_the_services_database_and_says_json(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from altresponse.cli import app

    url = migrated(tmp_path)
    ops = operations(url)
    team = ops.add_team("star-1", STAR_SKILLS)
    incident, _ = ops.intake(welfare_record("c1"), "ct")
    ops.dispatch(incident.id, team.id, "dana")
    ops.intake(welfare_record("c2", narrative="he has a gun"), "ct")
    env = {"ALTRESPONSE_DATABASE_URL": url, "ALTRESPONSE_PROGRAM": "star_denver"}
    result = CliRunner().invoke(app, ["evaluate", "kpis", "--json"], env=env)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["calls"] == 2 and found["by_track"] == {"community": 1, "police": 1}
    assert found["served"] == {"count": 1, "base": 1, "share": 1.0}
    assert found["follow_ups"]["owed"] == 0
    missing = CliRunner().invoke(app, ["evaluate", "kpis", "--calls", str(tmp_path / "no.parquet")])
    assert missing.exit_code == 2 and "no.parquet" in missing.output
