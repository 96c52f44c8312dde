"""Source adapters of group B on their real files: SLO PD, Berkeley PD, Toronto PIC, Lane MCSLC."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.compute as pc
import pytest

from altresponse.calls.record import CALL_COLUMNS, TIMESTAMP_FIELDS
from realdata import Ingested, ingest_real

pytestmark = pytest.mark.realdata

PACIFIC = ZoneInfo("America/Los_Angeles")
TORONTO = ZoneInfo("America/Toronto")
SLO_FILE = "slo_pd_call_log_narratives/slopd_call_log_2021-09_2022-03.csv.gz"
BERKELEY_FILE = "berkeley_pd_cfs/Berkeley_PD_-_Calls_for_Service.csv"
TORONTO_FILE = "toronto_persons_in_crisis/tps_persons_in_crisis_2014_partial.csv"
LANE_CSV = "lane_county_mcslc_mobile_crisis/mcslc_dispatches_2024-08_2025-12.csv"
LANE_XLSX = "lane_county_mcslc_mobile_crisis/MCSLC_original.xlsx"
LANE_ROWS_WITHOUT_REQUEST_TIME = 77


@pytest.fixture(scope="module")
def slo(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    return ingest_real(shared_data, SLO_FILE, "san_luis_obispo_pd", tmp_path_factory.mktemp("slo"))


@pytest.fixture(scope="module")
def berkeley(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    return ingest_real(shared_data, BERKELEY_FILE, "berkeley_pd", tmp_path_factory.mktemp("brk"))


@pytest.fixture(scope="module")
def toronto(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    return ingest_real(shared_data, TORONTO_FILE, "toronto_pic", tmp_path_factory.mktemp("tor"))


@pytest.fixture(scope="module")
def lane(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    return ingest_real(shared_data, LANE_CSV, "lane_county_mcslc", tmp_path_factory.mktemp("lane"))


@pytest.fixture(scope="module")
def lane_xlsx(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    return ingest_real(shared_data, LANE_XLSX, "lane_county_mcslc", tmp_path_factory.mktemp("xlsx"))


def _day(zone: ZoneInfo, year: int, month: int, day: int) -> datetime:
    """Local midnight starting a day in `zone`."""
    return datetime(year, month, day, tzinfo=zone)


def _utc(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A UTC instant, as Parquet stores every timestamp."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _assert_bar(run: Ingested, *, written_share: float = 0.99) -> None:
    """Enough rows written (duplicates merged aside) and enough of them typed."""
    r = run.result
    assert r.rows_written >= written_share * (r.rows_read - r.duplicates), r
    assert r.rows_written + r.rows_quarantined + r.duplicates == r.rows_read
    assert r.typed_share >= 0.95, r
    typed = pc.sum(pc.is_valid(run.table["category"])).as_py()
    assert typed == r.typed_calls


def _assert_times(run: Ingested, first: datetime, last: datetime, *, ordered: bool = True) -> None:
    """Timestamps are timezone-aware, received_at is in range, later times do not precede it."""
    for name in TIMESTAMP_FIELDS:
        assert run.table.schema.field(name).type.tz == "UTC"
    received = run.table["received_at"]
    assert pc.min(received).as_py() >= first
    assert pc.max(received).as_py() <= last
    for name in ("dispatched_at", "arrived_at", "cleared_at") if ordered else ():
        assert not pc.any(pc.less(run.table[name], received)).as_py(), f"{name} before received_at"


def test_canonical_columns_come_first(slo: Ingested, berkeley: Ingested) -> None:
    for run in (slo, berkeley):
        assert tuple(run.table.column_names[: len(CALL_COLUMNS)]) == CALL_COLUMNS
        raws = run.table.column_names[len(CALL_COLUMNS) :]
        assert raws and all(name.startswith("raw_") for name in raws)


# San Luis Obispo PD --------------------------------------------------------------------------


def test_slo_meets_the_bar(slo: Ingested) -> None:
    _assert_bar(slo)
    assert slo.result.rows_read == 20_076
    assert slo.result.rows_written == 19_063  # one row per case number
    assert slo.result.duplicates == 1_013


def test_slo_times_are_local_and_in_range(slo: Ingested) -> None:
    _assert_times(slo, _day(PACIFIC, 2021, 9, 14), _day(PACIFIC, 2022, 3, 16))


def test_slo_known_call(slo: Ingested) -> None:
    row = slo.call("210914012")
    assert row["local_type"] == "Suspicious"
    assert row["incident_type"] == "SUSP"
    assert row["received_at"] == _utc(2021, 9, 14, 14, 8)  # 07:08 PDT
    assert row["dispatched_at"] == _utc(2021, 9, 14, 14, 12)
    assert row["arrived_at"] == _utc(2021, 9, 14, 14, 23)
    assert (row["disposition"], row["local_disposition"]) == ("resolved", "No Report")
    assert row["zone"] == "PN9"
    assert "MACHETE" in row["narrative"]
    assert row["raw_description"].startswith("(MDC) Completed call")


def test_slo_times_after_midnight_fall_on_the_next_day(slo: Ingested) -> None:
    # Received 23:46 on 09/18/21, dispatched 00:10 and arrived 00:14: the log's date is 09/18.
    row = slo.call("210918107")
    assert row["received_at"] == _utc(2021, 9, 19, 6, 46)
    assert row["dispatched_at"] == _utc(2021, 9, 19, 7, 10)
    assert row["arrived_at"] == _utc(2021, 9, 19, 7, 14)


def test_slo_blank_clearance_falls_back_to_cad_code(slo: Ingested) -> None:
    row = slo.call("210914013")
    assert row["local_type"] == "9-1-1 ABANDON"
    assert row["incident_type"] == "911H"
    assert row["source"] == "911"
    assert (row["disposition"], row["local_disposition"]) == ("resolved", "clr:NR")
    assert row["dispatched_at"] is None  # a blank time stays blank, the row is kept


def test_slo_cad_stamps_are_not_narrative(slo: Ingested) -> None:
    row = slo.call("210914015")
    assert row["narrative"] is None
    assert row["raw_call_comments"] == "08:05:45 09/14/2021 - Behrens, J"


def test_slo_keeps_the_later_and_fuller_repeat(slo: Ingested) -> None:
    row = slo.call("211012022")  # rows 3258 and 3267; only the later has arrival and clearance
    assert row["arrived_at"] == _utc(2021, 10, 12, 16, 13)
    assert row["local_disposition"] == "Report To Follow"
    merged = [q for q in slo.quarantine if q["source_row"] == "3258"]
    assert len(merged) == 1
    assert merged[0]["reason"] == "duplicate: superseded by row 3267 (same call_id)"
    assert json.loads(merged[0]["record"])["case_number"] == "211012022"
    assert len(slo.quarantine) == slo.result.duplicates


def test_slo_crisis_types_are_crosswalked(slo: Ingested) -> None:
    for local, code in (("Welfare Check", "WELFARE"), ("MENTAL SUBJ", "EDP")):
        rows = slo.table.filter(pc.equal(slo.table["local_type"], local))
        assert set(rows["incident_type"].to_pylist()) == {code}
        assert set(rows["type_source"].to_pylist()) == {"crosswalk"}


# Berkeley PD ---------------------------------------------------------------------------------


def test_berkeley_meets_the_bar(berkeley: Ingested) -> None:
    _assert_bar(berkeley)
    assert berkeley.result.rows_written == berkeley.result.rows_read == 5_508
    assert berkeley.result.quarantine is None


def test_berkeley_times_are_local_and_in_range(berkeley: Ingested) -> None:
    _assert_times(berkeley, _day(PACIFIC, 2017, 3, 2), _day(PACIFIC, 2017, 8, 29))


def test_berkeley_known_call(berkeley: Ingested) -> None:
    row = berkeley.call("17091420")
    assert row["local_type"] == "BURGLARY AUTO"
    assert row["incident_type"] == "BURGLARY"
    assert row["received_at"] == _utc(2017, 7, 23, 13, 0)  # 06:00 PDT
    assert (row["lat"], row["lon"]) == (37.876965, -122.260544)
    assert row["raw_cvlegend"] == "BURGLARY - VEHICLE"


def test_berkeley_coordinates_where_given(berkeley: Ingested) -> None:
    lat, lon = berkeley.table["lat"], berkeley.table["lon"]
    assert pc.count(lat).as_py() == pc.count(lon).as_py() == 5_229  # the rest have no "(lat, lon)"
    assert 37.8 < pc.min(lat).as_py() < pc.max(lat).as_py() < 37.95
    assert -122.35 < pc.min(lon).as_py() < pc.max(lon).as_py() < -122.2


# Toronto persons in crisis -------------------------------------------------------------------


def test_toronto_meets_the_bar(toronto: Ingested) -> None:
    _assert_bar(toronto)
    assert toronto.result.rows_written == toronto.result.rows_read == 32_000


def test_toronto_times_are_local_and_in_range(toronto: Ingested) -> None:
    _assert_times(toronto, _day(TORONTO, 2014, 1, 1), _day(TORONTO, 2015, 6, 13))


def test_toronto_known_calls(toronto: Ingested) -> None:
    crisis = toronto.call("1254936")
    assert (crisis["local_type"], crisis["incident_type"]) == ("Person in Crisis", "EDP")
    assert crisis["received_at"] == _utc(2014, 1, 1, 14)  # 09:00 EST
    assert crisis["disposition"] == "report"
    assert crisis["zone"] == "D22"
    suicide = toronto.call("1255246")
    assert (suicide["incident_type"], suicide["category"]) == ("SUICTHRT", "suicide")
    assert suicide["disposition"] == "transported"  # Mental Health Act apprehension, not arrest
    assert suicide["local_disposition"] == "apprehension_made: Yes, occurrence_created: Yes"
    overdose = toronto.call("1254174")
    assert (overdose["incident_type"], overdose["disposition"]) == ("OD", "resolved")


def test_toronto_na_hour_is_midnight_and_flagged(toronto: Ingested) -> None:
    row = toronto.call("1253013")
    assert row["received_at"] == _utc(2014, 1, 1, 5)  # 00:00 EST
    assert row["raw_event_hour"] == "NA"
    na = pc.equal(toronto.table["raw_event_hour"], "NA")
    assert pc.sum(na).as_py() == 1_137


# Lane County mobile crisis -------------------------------------------------------------------


def test_lane_writes_every_row_with_a_request_time(lane: Ingested) -> None:
    # 77 dispatches have no request time (71 no time at all): quarantined, not given a made-up one.
    _assert_bar(lane, written_share=0.98)
    r = lane.result
    assert r.rows_quarantined == LANE_ROWS_WITHOUT_REQUEST_TIME
    assert r.rows_written == r.rows_read - LANE_ROWS_WITHOUT_REQUEST_TIME
    assert {q["reason"] for q in lane.quarantine} == {"received_at is empty"}
    ids = {json.loads(q["record"])["ID"] for q in lane.quarantine}
    assert "12519" in ids


def test_lane_times_are_local_and_in_range(lane: Ingested) -> None:
    # About 70 records have times out of order as H&HS typed them (a departure in 2005); kept.
    _assert_times(lane, _day(PACIFIC, 2024, 8, 18), _day(PACIFIC, 2025, 12, 18), ordered=False)


def test_lane_placeholder_times_become_null(lane: Ingested) -> None:
    row = lane.call("12236")  # arrival "2025-05-12 00:00:00" on a 13:29 request
    assert row["received_at"] == _utc(2025, 5, 12, 20, 29)
    assert row["dispatched_at"] == _utc(2025, 5, 12, 20, 34)
    assert row["arrived_at"] is None
    assert row["raw_arrival_on_scene_date_time"] == "2025-05-12 00:00:00"
    assert row["cleared_at"] == _utc(2025, 5, 12, 21, 3)
    assert (row["disposition"], row["local_disposition"]) == ("arrest", "Arrest / Cancelled")
    assert row["incident_type"] == "EDP"
    assert row["narrative"] == (
        "Harm/risk of harm to self/others/property; Disorganized behavior; "
        "Agitation or disruptive behavior"
    )


def test_lane_real_midnight_is_kept(lane: Ingested) -> None:
    row = lane.call("13747")  # dispatched 23:47, on scene at 00:00 the next day
    assert row["arrived_at"] == _utc(2025, 12, 6, 8, 0)
    assert (row["disposition"], row["zone"]) == ("refused", "Eugene")


def test_lane_outcomes_and_zone(lane: Ingested) -> None:
    row = lane.call("12269")
    assert row["received_at"] == _utc(2024, 8, 29, 0, 10, 51)
    assert (row["local_type"], row["incident_type"]) == ("Difficulty functioning", "WELFARE")
    assert row["disposition"] == "transported"
    assert lane.call("12574")["zone"] is None  # City "Unknown"
    suicidal = pc.equal(lane.table["local_type"], "Suicidality or suicide attempt")
    assert set(lane.table.filter(suicidal)["incident_type"].to_pylist()) == {"SUICTHRT"}


def test_lane_xlsx_reads_like_the_csv(lane: Ingested, lane_xlsx: Ingested) -> None:
    assert lane_xlsx.result.rows_read == lane.result.rows_read
    assert lane_xlsx.result.rows_written == lane.result.rows_written
    assert lane_xlsx.result.typed_share == lane.result.typed_share
    columns = [c for c in CALL_COLUMNS if c != "screening"]
    by_id = lane.table.select(columns).sort_by("call_id")
    assert lane_xlsx.table.select(columns).sort_by("call_id").equals(by_id)
