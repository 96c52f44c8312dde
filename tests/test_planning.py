"""`altresponse plan`: a plan's numbers on a hand-built table, its report and its command."""

from __future__ import annotations

import csv
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import ingest, quarantine_path
from altresponse.calls.record import CallRecord, call_schema
from altresponse.cli import app
from altresponse.errors import InputError
from altresponse.planning.analysis import Plan, PlanOptions, make_plan
from altresponse.planning.report import write_plan
from altresponse.programs import Mode, Program, load_program
from altresponse.samplecity import generate
from altresponse.taxonomy import Taxonomy
from altresponse.triage.files import triage_parquet
from altresponse.triage.reasons import OUTSIDE_HOURS
from altresponse.triage.report import summarize_decisions
from callgen import calls_table, random_calls

runner = CliRunner()
DENVER = "America/Denver"
SCRIPT_ZONE = "<script>alert(1)</script>"
ZONE_COORDS = {
    "Z1": (39.74, -104.99),
    "Z2": (39.70, -104.95),
    "Z3": (39.78, -104.90),
    SCRIPT_ZONE: (39.72, -105.02),
}

# The hand-built table. Times are local to Denver (MST, UTC-7, in January and February 2024).
# (id, source, incident type, zone, (month, day, hour, minute),
#  minutes from receipt to dispatch, arrival and clear; None = missing)
# 2024-01-08 and 2024-02-05 are Mondays. Under star_denver (planning mode) the eligible calls are
# h01-h06, h13, h17, h19 and h22: welfare, mental health and intoxication go to STAR (star-only),
# a suicide threat goes to STAR by the planning rule (h04).
CALLS: tuple[tuple[Any, ...], ...] = (
    ("h01", "911", "WELFARE", "Z1", (1, 8, 10, 15), (5, 15, 45)),  # Mon 10h
    ("h02", "911", "WELFARE", "Z1", (1, 9, 10, 30), (5, 10, 70)),  # Tue 10h
    ("h03", "311", "EDP", "Z1", (1, 10, 14, 0), (2, 12, 52)),  # Wed 14h
    ("h04", "988", "SUICTHRT", "Z2", (1, 11, 23, 30), (3, 20, 80)),  # Thu 23h, outside hours
    ("h05", "text", "INTOX", "Z2", (1, 12, 2, 0), (None, None, None)),  # Fri 2h, outside hours
    ("h06", "other", "EDP", "Z2", (1, 13, 18, 45), (1, 9, None)),  # Sat 18h
    ("h07", "911", "ASSAULT", "Z1", (1, 14, 21, 0), (2, 6, 96)),
    ("h08", "911", "ASSAULT", "Z3", (1, 15, 1, 10), (1, 5, 35)),
    ("h09", "officer", "TSTOP", "Z3", (1, 16, 9, 0), (0, 0, 15)),
    ("h10", "officer", "TSTOP", "Z3", (1, 17, 12, 0), (0, 0, 20)),
    ("h11", "officer", "WELFARE", "Z1", (1, 18, 8, 0), (0, 0, 10)),
    ("h12", "alarm", "ALRPANA", "Z3", (1, 19, 3, 0), (2, 10, 25)),
    ("h13", None, "WELFARE", "Z2", (1, 20, 11, 0), (5, 10, 40)),  # Sat 11h
    ("h14", "911", None, "Z3", (1, 21, 16, 0), (2, 10, 5)),  # cleared before arrival
    ("h15", "911", "WELFARE", "Z1", (2, 5, 10, 20), (2, 8, 38)),  # a knife in the notes
    ("h16", "911", "WELFARE", "Z1", (2, 6, 15, 0), (1, 6, 66)),  # ended in an arrest
    ("h17", "911", "EDP", SCRIPT_ZONE, (2, 7, 10, 5), (4, 14, 44)),  # Wed 10h
    ("h18", "311", "NOISE", "Z2", (2, 8, 22, 30), (10, 30, 40)),
    ("h19", "911", "WELFARE", None, (2, 9, 7, 0), (3, 13, 43)),  # Fri 7h, no zone, no coords
    ("h20", "911", "DISORD", "Z1", (2, 10, 20, 0), (2, None, 30)),  # coordinates 0, 0
    ("h21", "911", "TRESPASS", "Z2", (2, 11, 13, 0), (5, 15, 35)),
    ("h22", "911", "WELFARE", "Z1", (2, 12, 10, 40), (5, 15, 46)),  # Mon 10h
)
EXTRA: dict[str, dict[str, Any]] = {
    "h13": {"type_source": "suggested", "type_confidence": 0.5},
    "h14": {"local_type": "QQXZ ZORBLE", "type_source": "unmapped", "type_confidence": None},
    "h15": {"narrative": "has a knife"},
    "h16": {"disposition": "arrest"},
    "h20": {"lat": 0.0, "lon": 0.0},
}
ELIGIBLE = {"h01", "h02", "h03", "h04", "h05", "h06", "h13", "h17", "h19", "h22"}


def hand_call(spec: tuple[Any, ...], timezone: str = DENVER) -> CallRecord:
    """One call of CALLS as a canonical record."""
    call_id, source, code, zone, (month, day, hour, minute), offsets = spec
    received = datetime(2024, month, day, hour, minute, tzinfo=ZoneInfo(timezone))

    def later(minutes: int | None) -> datetime | None:
        return None if minutes is None else received + timedelta(minutes=minutes)

    dispatched, arrived, cleared = (later(m) for m in offsets)
    lat, lon = ZONE_COORDS.get(zone, (None, None))
    fields: dict[str, Any] = {
        "call_id": call_id,
        "received_at": received,
        "dispatched_at": dispatched,
        "arrived_at": arrived,
        "cleared_at": cleared,
        "source": source,
        "local_type": code,
        "incident_type": code,
        "category": Taxonomy.load().incident_types[code].category if code else None,
        "type_source": "source" if code else "unmapped",
        "type_confidence": 1.0 if code else None,
        "zone": zone,
        "lat": lat,
        "lon": lon,
    }
    return CallRecord.model_validate(fields | EXTRA.get(call_id, {}))


def write_table(path: Path, calls: list[CallRecord]) -> Path:
    """CALLS as a canonical Parquet table (not written by ingest: no stamp)."""
    pq.write_table(calls_table(calls), path)
    return path


@pytest.fixture(scope="module")
def star() -> Program:
    return load_program("star_denver")


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plan")
    return write_table(folder / "calls.parquet", [hand_call(spec) for spec in CALLS])


@pytest.fixture(scope="module")
def plan(table: Path, star: Program) -> Plan:
    """The hand-built table planned for STAR, in Denver time."""
    return make_plan(table, star, PlanOptions(timezone=DENVER))


# --- what the calls are about ------------------------------------------------------------------


def test_calls_counted_by_who_initiated_them(plan: Plan) -> None:
    s = plan.summary
    assert s["total_calls"] == 22
    # 911 x12, 311 x2, 988, text and other: 17; officer x3; alarm (h12) is neither; h13 has none.
    assert s["public_initiated_calls"] == 17
    assert s["officer_initiated_calls"] == 3
    assert s["source_unknown_calls"] == 1
    assert s["timezone"] == DENVER
    assert s["days"] == 22  # every call on its own local date


def test_category_shares_are_vera_categories_of_public_calls(plan: Plan) -> None:
    s = plan.summary
    assert s["category_shares_base"] == "public_initiated"
    public = {
        # Welfare checks h01 h02 h15 h16 h19 h22 (h11 is an officer's, h13 has no source).
        "Statuses": 6,
        "Behavioral Health": 4,  # EDP h03 h06 h17, suicide threat h04
        "Violent Crime": 2,  # h07 h08
        "Complaints/Environmental Conditions": 2,  # noise h18, disorder h20
        "Liquor Violations": 1,  # intoxication h05
        "Other Crimes": 1,  # trespass h21
        "unmapped": 1,  # h14
    }
    assert s["category_shares"] == {k: round(n / 17, 4) for k, n in public.items()}
    assert s["violent_crime_calls"] == 2
    assert s["violent_crime_share"] == round(2 / 17, 4)
    demand = {"health": 10, "crime": 3, "quality_of_life": 3, "unmapped": 1}
    assert s["demand_shares"] == {k: round(n / 17, 4) for k, n in demand.items()}


def test_category_shares_fall_back_to_all_calls_without_sources(
    tmp_path: Path, star: Program
) -> None:
    """No source at all: shares are of all calls, and the base says so."""
    calls = [hand_call(spec).model_copy(update={"source": None}) for spec in CALLS]
    s = make_plan(write_table(tmp_path / "c.parquet", calls), star).summary
    assert s["category_shares_base"] == "all_calls"
    assert s["public_initiated_calls"] == 0 and s["source_unknown_calls"] == 22
    # 8 welfare checks (h11 and h13 now count too) of 22 calls.
    assert s["category_shares"]["Statuses"] == round(8 / 22, 4)
    assert s["violent_crime_share"] == round(2 / 22, 4)


def test_incident_types_count_every_call(plan: Plan) -> None:
    expected = {
        "WELFARE": 8,
        "EDP": 3,
        "ASSAULT": 2,
        "TSTOP": 2,
        "ALRPANA": 1,
        "DISORD": 1,
        "INTOX": 1,
        "NOISE": 1,
        "SUICTHRT": 1,
        "TRESPASS": 1,
        "unmapped": 1,
    }
    types = plan.summary["incident_types"]
    assert {t["incident_type"]: t["calls"] for t in types} == expected
    assert [t["calls"] for t in types] == sorted((t["calls"] for t in types), reverse=True)
    welfare = next(t for t in types if t["incident_type"] == "WELFARE")
    assert welfare["share"] == round(8 / 22, 4)


# --- what could go to a civilian response -----------------------------------------------------


def test_eligible_calls_tracks_and_rules(plan: Plan) -> None:
    s = plan.summary
    assert s["eligible_calls"] == len(ELIGIBLE) == 10
    assert s["eligible_share"] == round(10 / 22, 4)
    # STAR works 06:00-22:00: h04 (23:30) and h05 (02:00) are eligible but go to police.
    assert s["eligible_unserved"] == {OUTSIDE_HOURS: 2}
    assert s["by_track"] == {"community": 8, "police": 14}
    assert s["eligible_by_track"] == {"community": 10}
    rules = {r["rule"]: r["calls"] for r in s["deciding_rules"]}
    assert rules == {"star-only": 9, "star-suicide-planning": 1}
    assert sum(r["calls"] for r in s["deciding_rules"]) == s["eligible_calls"]


def test_uncertainty_brackets_the_estimate(plan: Plan) -> None:
    u = plan.summary["uncertainty"]
    assert u["unmapped_calls"] == 1  # h14
    assert u["ambiguous_type_calls"] == 1  # h13, a suggestion at 0.5
    assert u["eligible_with_ambiguous_type"] == 1
    assert u["eligible_low"] == 9
    assert u["eligible_high"] == 10 + round(1 * 10 / 21)
    assert u["eligible_low"] <= plan.summary["eligible_calls"] <= u["eligible_high"]


@pytest.mark.parametrize("name", ["star_denver", "care_chicago"])
def test_plan_agrees_with_batch_triage(tmp_path: Path, name: str) -> None:
    """The plan's eligibility equals `altresponse triage --mode planning` on the same file."""
    program = load_program(name)
    calls = [hand_call(spec) for spec in CALLS] + random_calls(seed=7, count=300)
    path = write_table(tmp_path / "calls.parquet", calls)
    s = make_plan(path, program).summary
    decisions = tmp_path / "decisions.parquet"
    triage_parquet(path, program, Mode.PLANNING, decisions, sys.stdout)
    triaged = summarize_decisions(decisions)
    assert s["total_calls"] == triaged.calls == 322
    assert s["eligible_calls"] == triaged.eligible
    assert s["by_track"] == triaged.by_track
    assert s["eligible_unserved"] == triaged.unserved
    assert {r["rule"]: r["calls"] for r in s["deciding_rules"]} == triaged.eligible_by_rule
    assert sum(r["calls"] for r in s["deciding_rules"]) == s["eligible_calls"]
    u = s["uncertainty"]
    assert u["eligible_low"] <= s["eligible_calls"] <= u["eligible_high"]
    assert 0 < triaged.eligible < triaged.calls  # the check compares something


# --- when and where ----------------------------------------------------------------------------


def test_hour_of_week_holds_the_eligible_calls(plan: Plan) -> None:
    grid = plan.hour_of_week
    assert len(grid) == 7 and all(len(day) == 24 for day in grid)
    assert sum(map(sum, grid)) == plan.summary["eligible_calls"]
    assert grid[3][23] == 1  # h04: Thursday 23:30
    assert grid[4][2] == 1  # h05: Friday 02:00
    assert grid[0][10] == 2  # h01 and h22: Mondays around 10:30
    assert plan.summary["hour_of_week_peak"] == {"day": "Monday", "hour": 10, "eligible_calls": 2}


def test_timezone_option_shifts_the_week_and_the_program_hours(
    table: Path, star: Program, plan: Plan
) -> None:
    utc = make_plan(table, star, PlanOptions(timezone="UTC"))
    assert utc.summary["timezone"] == "UTC"
    local = [n for day in plan.hour_of_week for n in day]
    shifted = [n for day in utc.hour_of_week for n in day]
    assert shifted != local
    assert all(shifted[(i + 7) % 168] == local[i] for i in range(168))  # MST is UTC-7
    assert utc.hour_of_week[4][6] == 1  # h04 is Friday 06:30 UTC
    assert utc.summary["eligible_calls"] == plan.summary["eligible_calls"]
    # STAR's 06:00-22:00 read in UTC: only h06 (Sat 18:45 MST = Sun 01:45 UTC) is outside.
    assert utc.summary["eligible_unserved"] == {OUTSIDE_HOURS: 1}


def test_months_and_zones(plan: Plan) -> None:
    assert plan.months == [
        {"month": "2024-01", "calls": 14, "eligible": 7},
        {"month": "2024-02", "calls": 8, "eligible": 3},
    ]
    assert sum(m["calls"] for m in plan.months) == plan.summary["total_calls"]
    zones = {z["zone"]: (z["calls"], z["eligible"]) for z in plan.zones}
    assert zones == {"Z1": (9, 4), "Z2": (6, 4), "Z3": (5, 0), SCRIPT_ZONE: (1, 1)}
    z1 = next(z for z in plan.zones if z["zone"] == "Z1")
    assert (z1["lat"], z1["lon"]) == pytest.approx(ZONE_COORDS["Z1"])  # h20's 0, 0 left out


# --- workload and pilot ------------------------------------------------------------------------


def test_workload_hours(plan: Plan) -> None:
    w = plan.summary["workload"]
    # Arrival to clear: 18 calls with both times and a plausible span, 611 minutes in all
    # (h05 and h20 lack arrival, h05 and h06 lack clear, h14 clears before it arrives).
    assert w["calls_with_on_scene_time"] == 18
    assert w["on_scene_hours"] == round(611 / 60, 1) == 10.2
    # Dispatch to clear: 20 calls, 776 minutes.
    assert w["calls_with_committed_time"] == 20
    assert w["officer_hours"] == round(776 / 60, 1) == 12.9
    # Eligible: on scene 30+60+40+60+30+30+30+31 = 311; committed 40+65+50+77+35+40+40+41 = 388.
    assert w["eligible_calls_with_on_scene_time"] == 8
    assert w["eligible_on_scene_hours"] == round(311 / 60, 1)
    assert w["eligible_median_on_scene_minutes"] == 30.5
    assert w["eligible_officer_hours"] == round(388 / 60, 1)
    assert w["eligible_officer_hours_per_year"] == round(388 * 365 / 22 / 60, 1)
    # Fewer than 30 timed eligible calls: the team's time per call is assumed.
    assert (w["service_minutes"], w["service_minutes_source"]) == (60.0, "assumed")


def test_pilot_of_the_plan(plan: Plan) -> None:
    p = plan.summary["pilot"]
    # Three zones have eligible calls; 09:00-19:00 takes Z1's four (10h x3, 14h), Z2's 11h and
    # 18h and the script zone's 10h: 7, more than any other ten-hour window.
    assert p["zones"] == ["Z1", "Z2", SCRIPT_ZONE]
    assert (p["window_start"], p["window_end"]) == ("09:00", "19:00")
    assert p["covered_calls"] == 7
    assert p["covered_share"] == 0.7
    # Civilian calls in the pilot with dispatch-to-clear times: h01 h02 h03 h22 h13 h17
    # (271 minutes); h06 has no clear time but is one of the 7 calls.
    freed = round(271 / 6 * 7 / 60 * 365 / 22, 1)
    assert p["officer_hours_freed"] == freed
    assert plan.summary["workload"]["pilot_officer_hours_freed_per_year"] == freed
    sizes = {(g["zones_k"], g["hours"]) for g in plan.grid}
    assert (3, 10) in sizes and (1, 24) in sizes


# --- data quality and ingest -------------------------------------------------------------------


def test_data_quality_counts(plan: Plan) -> None:
    q = plan.summary["data_quality"]
    assert q["missing"] == {
        "dispatched_at": 1,  # h05
        "arrived_at": 2,  # h05, h20
        "cleared_at": 2,  # h05, h06
        "zone": 1,  # h19
        "coordinates": 2,  # h19 has none, h20 has 0, 0
    }
    assert q["implausible_intervals"] == {"on_scene": 1, "dispatch_to_clear": 0}  # h14
    assert q["unmapped_types"] == [{"local_type": "QQXZ ZORBLE", "calls": 1}]
    assert q["total_calls"] == 22
    # Not written by ingest: nothing is known of what ingest read or set aside.
    assert q["rows_read_at_ingest"] is None
    assert q["rows_quarantined_at_ingest"] is None
    assert q["duplicates_merged_at_ingest"] is None
    assert q["quarantine_file"] is None and q["source"] is None


CSV_COLUMNS = ("call_id", "received_at", "source", "incident_type", "zone")


def write_canonical_csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)
    return path


def welfare_rows(count: int, when: str = "2024-03-04T15:{:02d}:00Z") -> list[tuple[str, ...]]:
    """COUNT welfare checks from 911, a minute apart, on a Monday at 15:00 UTC."""
    return [(f"w{i}", when.format(i), "911", "WELFARE", "Z1") for i in range(count)]


def test_quarantine_count_comes_from_ingest(tmp_path: Path, star: Program) -> None:
    rows = [*welfare_rows(24), ("bad", "not a time", "911", "WELFARE", "Z1")]
    source = write_canonical_csv(tmp_path / "calls.csv", rows)
    table = tmp_path / "calls.parquet"
    result = ingest(source, find_adapter("canonical"), table)
    assert result.rows_quarantined == 1
    plan = make_plan(table, star)
    s = plan.summary
    q = s["data_quality"]
    assert q["rows_quarantined_at_ingest"] == result.rows_quarantined
    assert q["rows_read_at_ingest"] == result.rows_read == 25
    assert q["duplicates_merged_at_ingest"] == 0
    assert q["source"] == "canonical"
    assert q["quarantine_file"] == str(quarantine_path(table)) == result.quarantine
    assert s["total_calls"] == 24
    # The canonical source's times are UTC, and no --timezone was given: the week is in UTC.
    assert s["timezone"] == "UTC" != star.timezone
    assert plan.hour_of_week[0][15] == plan.summary["eligible_calls"] == 24


def test_timezone_is_the_one_ingest_recorded(tmp_path: Path, star: Program) -> None:
    source = tmp_path / "sample.csv"
    generate(source, seed=2026, calls=2000)
    table = tmp_path / "sample.parquet"
    ingest(source, find_adapter("sample_city"), table)
    recorded = find_adapter("sample_city").timezone
    assert recorded != star.timezone
    s = make_plan(table, star).summary
    assert s["timezone"] == recorded
    assert s["data_quality"]["source"] == "sample_city"
    assert s["total_calls"] == 2000
    assert make_plan(table, star, PlanOptions(timezone=DENVER)).summary["timezone"] == DENVER


# --- refused inputs ----------------------------------------------------------------------------


def test_missing_file_is_an_input_error(tmp_path: Path, star: Program) -> None:
    path = tmp_path / "nowhere.parquet"
    with pytest.raises(InputError, match=re.escape(str(path))):
        make_plan(path, star)


def test_parquet_without_canonical_columns_is_an_input_error(tmp_path: Path, star: Program) -> None:
    path = tmp_path / "export.parquet"
    pq.write_table(pa.table({"id": ["a"], "when": ["2024-05-01"]}), path)
    with pytest.raises(InputError, match=re.escape(str(path))) as raised:
        make_plan(path, star)
    assert "received_at" in str(raised.value)


def test_parquet_missing_a_column_the_plan_reads_is_an_input_error(
    tmp_path: Path, star: Program
) -> None:
    path = tmp_path / "no-lat.parquet"
    pq.write_table(calls_table([hand_call(CALLS[0])]).drop(["lat"]), path)
    with pytest.raises(InputError, match=re.escape(str(path))):
        make_plan(path, star)


def test_unknown_time_zone_is_an_input_error(tmp_path: Path, star: Program) -> None:
    path = write_table(tmp_path / "calls.parquet", [hand_call(CALLS[0])])
    with pytest.raises(InputError, match="Mars/Base"):
        make_plan(path, star, PlanOptions(timezone="Mars/Base"))


def test_zone_names_with_dollar_signs_are_drawn_as_written(tmp_path: Path, star: Program) -> None:
    calls = [
        hand_call(CALLS[0]).model_copy(update={"zone": "$x^$"}),
        hand_call(CALLS[1]).model_copy(update={"zone": "Zone $5 to $10"}),
    ]
    plan = make_plan(write_table(tmp_path / "calls.parquet", calls), star)
    html, _ = write_plan(plan, tmp_path / "report")
    text = html.read_text(encoding="utf-8")
    assert "$x^$" in text and "Zone $5 to $10" in text


def test_category_comes_from_the_type_triage_finds_when_the_table_has_none(
    tmp_path: Path, star: Program
) -> None:
    untyped = hand_call(CALLS[0]).model_copy(
        update={"incident_type": None, "category": None, "local_type": "WELFARE CHECK"}
    )
    plan = make_plan(write_table(tmp_path / "calls.parquet", [untyped]), star)
    s = plan.summary
    assert s["eligible_calls"] == 1
    assert s["categories"][0]["category"] == "welfare_check"
    assert s["demand_shares"] == {"health": 1.0}


def test_empty_table_is_an_input_error(tmp_path: Path, star: Program) -> None:
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.Table.from_pylist([], schema=call_schema()), path)
    with pytest.raises(InputError, match=re.escape(str(path))):
        make_plan(path, star)


# --- the report --------------------------------------------------------------------------------

SUMMARY_KEYS = {
    "total_calls",
    "public_initiated_calls",
    "category_shares",
    "violent_crime_share",
    "eligible_calls",
    "eligible_share",
    "by_track",
    "pilot",
    "data_quality",
}
PILOT_KEYS = {
    "zones",
    "window_start",
    "window_end",
    "covered_calls",
    "teams_estimate",
    "cost_per_call",
}


@pytest.fixture(scope="module")
def report(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_plan(plan, tmp_path_factory.mktemp("report") / "plan")


def test_report_files_and_summary(report: tuple[Path, Path], plan: Plan) -> None:
    html, summary = report
    assert html.name == "index.html" and html.is_file()
    assert summary.name == "summary.json" and html.parent == summary.parent
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert set(data) >= SUMMARY_KEYS
    assert set(data["pilot"]) >= PILOT_KEYS
    assert data["total_calls"] == 22 and data["eligible_calls"] == 10
    assert data["pilot"]["covered_calls"] == 7
    assert data == json.loads(json.dumps(plan.summary))


def test_report_loads_nothing_from_the_network(report: tuple[Path, Path]) -> None:
    text = report[0].read_text(encoding="utf-8")
    assert not re.search(r"""\b(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"url\(\s*[\"']?\s*(https?:)?//", text, re.I)
    assert "<script" not in text.lower() and "<img" not in text.lower()


def test_report_draws_each_chart_as_one_inline_svg(report: tuple[Path, Path]) -> None:
    text = report[0].read_text(encoding="utf-8")
    figures = re.findall(r"<figure\b.*?</figure>", text, re.S)
    # Vera categories, demand classes, deciding rules, hour of week, zones, zone map,
    # months (two of them) and the pilot grid.
    assert len(figures) == 8
    assert all(f.count("<svg") == 1 and f.count("</svg>") == 1 for f in figures)
    assert text.count("<svg") == len(figures)


def test_report_escapes_zone_names(report: tuple[Path, Path]) -> None:
    text = report[0].read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


# --- the command -------------------------------------------------------------------------------


def error_line(result: Result) -> str:
    """The single `error:` line of a failed command (exit code 2)."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines: list[str] = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def plan_cli(*args: str) -> Result:
    return runner.invoke(app, ["plan", "-p", "star_denver", *args])


def test_cli_writes_the_report(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = plan_cli(str(table), "-o", str(out), "--timezone", DENVER)
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file()
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (data["total_calls"], data["eligible_calls"], data["timezone"]) == (22, 10, DENVER)
    assert "22 calls, 10 eligible" in result.stdout
    assert str(out / "index.html") in result.stdout


def test_cli_json(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = plan_cli(str(table), "-o", str(out), "--json", "--pilot-zones", "1")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["report"] == str(out / "index.html")
    assert data["summary"] == str(out / "summary.json")
    assert data["total_calls"] == 22 and data["eligible_calls"] == 10
    assert data["pilot"]["zones_k"] == 1 and len(data["pilot"]["zones"]) == 1


def test_cli_two_tables_need_compare(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    found = error_line(plan_cli(str(table), str(table), "-o", str(out)))
    assert "--compare" in found
    assert not out.exists()


def test_cli_compare(table: Path, tmp_path: Path) -> None:
    north = tmp_path / "north.parquet"
    north.write_bytes(table.read_bytes())
    south = write_canonical_csv(tmp_path / "south.csv", welfare_rows(6))
    out = tmp_path / "side"
    result = plan_cli("--compare", str(north), str(south), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file()
    plans = json.loads((out / "summary.json").read_text(encoding="utf-8"))["plans"]
    assert [(p["label"], p["input"], p["total_calls"]) for p in plans] == [
        ("north", str(north), 22),
        ("south", str(south), 6),
    ]
    for label in ("north", "south"):
        assert (out / label / "index.html").is_file()
        assert (out / label / "summary.json").is_file()
    assert 'href="north/index.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_cli_unknown_timezone(table: Path, tmp_path: Path) -> None:
    found = error_line(plan_cli(str(table), "-o", str(tmp_path / "r"), "--timezone", "Mars/Base"))
    assert "--timezone" in found and "Mars/Base" in found


def test_cli_refuses_other_files(tmp_path: Path) -> None:
    text = tmp_path / "calls.txt"
    text.write_text("call_id,received_at\nx,2024-01-01T00:00:00Z\n", encoding="utf-8")
    found = error_line(plan_cli(str(text), "-o", str(tmp_path / "r")))
    assert str(text) in found
    missing = tmp_path / "gone.parquet"
    assert str(missing) in error_line(plan_cli(str(missing), "-o", str(tmp_path / "r")))


def test_first_and_last_call_are_utc(plan: Plan) -> None:
    first = datetime(2024, 1, 8, 10, 15, tzinfo=ZoneInfo(DENVER)).astimezone(UTC)
    last = datetime(2024, 2, 12, 10, 40, tzinfo=ZoneInfo(DENVER)).astimezone(UTC)
    assert plan.summary["first_call"] == first.isoformat()
    assert plan.summary["last_call"] == last.isoformat()


def test_demo_writes_the_plan_report(tmp_path: Path) -> None:
    """`make run` (altresponse demo) writes Sample City's plan report before it goes live."""
    result = runner.invoke(app, ["demo", "--dir", str(tmp_path), "--no-live", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    report = Path(out["plan"])
    assert report == tmp_path / "plan" / "index.html" and report.is_file()
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text(encoding="utf-8"))
    assert summary["total_calls"] == out["summary"]["total_calls"] == 120_000
    assert "live" not in out
    assert summary["eligible_calls"] == out["triage"]["eligible"]
