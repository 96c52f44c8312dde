"""Source adapters of group A on their real files: San Antonio, Nashville, San Diego, Alexandria."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.compute as pc
import pytest

from altresponse.calls.adapter import find_adapter
from altresponse.calls.record import CALL_COLUMNS, TIMESTAMP_FIELDS
from altresponse.taxonomy import load_crosswalk
from realdata import Ingested, ingest_real

pytestmark = pytest.mark.realdata

SAN_ANTONIO_FILE = "san_antonio_pd_cfs/sapd_calls_partial_months_2022-2026.csv.gz"
NASHVILLE_FILE = "nashville_mnpd_cfs/mnpd_calls_2024_sample.csv"
SAN_DIEGO_FILE = "san_diego_pd_cfs/pd_calls_for_service_2023_datasd.csv"
SAN_DIEGO_CALL_TYPES = "san_diego_pd_cfs/pd_cfs_calltypes_datasd.csv"
ALEXANDRIA_FILE = "alexandria_va_decc_cad/decc_cad_2025_weeks35-52.csv.gz"


@pytest.fixture(scope="module")
def san_antonio(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    out = tmp_path_factory.mktemp("sapd")
    return ingest_real(shared_data, SAN_ANTONIO_FILE, "san_antonio_pd", out)


@pytest.fixture(scope="module")
def nashville(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    out = tmp_path_factory.mktemp("mnpd")
    return ingest_real(shared_data, NASHVILLE_FILE, "nashville_mnpd", out)


@pytest.fixture(scope="module")
def san_diego(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    out = tmp_path_factory.mktemp("sdpd")
    return ingest_real(shared_data, SAN_DIEGO_FILE, "san_diego_pd", out)


@pytest.fixture(scope="module")
def alexandria(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    out = tmp_path_factory.mktemp("decc")
    return ingest_real(shared_data, ALEXANDRIA_FILE, "alexandria_decc", out)


def _utc(y: int, mo: int, d: int, h: int, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    """A UTC instant, as Parquet stores every timestamp."""
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def _assert_bar(run: Ingested) -> None:
    """At least 99% of rows written (merged duplicates aside), at least 95% of calls typed."""
    r = run.result
    assert r.rows_written >= 0.99 * (r.rows_read - r.duplicates), r
    assert r.rows_written + r.rows_quarantined + r.duplicates == r.rows_read
    assert r.typed_share >= 0.95, r
    assert run.count("category IS NOT NULL") == r.typed_calls


def _assert_received_between(run: Ingested, first: datetime, last: datetime) -> None:
    """Every timestamp column is timezone-aware and received_at lies in the stated range."""
    for name in TIMESTAMP_FIELDS:
        assert run.table.schema.field(name).type.tz == "UTC"
    assert run.count("received_at IS NULL") == 0
    assert pc.min(run.table["received_at"]).as_py() >= first
    assert pc.max(run.table["received_at"]).as_py() <= last


def _assert_crosswalked(run: Ingested, expected: dict[str, str]) -> None:
    """Local types the crosswalk must type (crisis types among them), with the given codes."""
    for local_type, code in expected.items():
        rows = run.table.filter(pc.equal(run.table["local_type"], local_type))
        assert rows.num_rows > 0, f"no call of type {local_type!r}"
        assert set(rows["incident_type"].to_pylist()) == {code}, local_type
        assert set(rows["type_source"].to_pylist()) == {"crosswalk"}, local_type


def test_canonical_columns_come_first(
    san_antonio: Ingested, nashville: Ingested, san_diego: Ingested, alexandria: Ingested
) -> None:
    for run in (san_antonio, nashville, san_diego, alexandria):
        names = run.table.column_names
        assert tuple(names[: len(CALL_COLUMNS)]) == CALL_COLUMNS
        assert all(n.startswith("raw_") for n in names[len(CALL_COLUMNS) :])


def test_crosswalks_use_only_known_incident_types() -> None:
    for name in ("san_antonio_pd", "nashville_mnpd", "san_diego_pd", "alexandria_decc"):
        path = find_adapter(name).crosswalk_path()
        assert path is not None and path.is_file(), name
        assert len(load_crosswalk(path)) > 50, name


# San Antonio ---------------------------------------------------------------------------------


def test_san_antonio_bar_and_quarantine(san_antonio: Ingested) -> None:
    _assert_bar(san_antonio)
    r = san_antonio.result
    assert (r.rows_read, r.rows_quarantined, r.duplicates) == (717_159, 7, 0)
    assert {q["reason"] for q in san_antonio.quarantine} == {"call_id is empty"}
    records = [json.loads(q["record"]) for q in san_antonio.quarantine]
    assert all(rec["IncidentNumber"] is None for rec in records)
    assert "1667448433000" in {rec["ResponseDate"] for rec in records}


def test_san_antonio_times(san_antonio: Ingested) -> None:
    # First call 1 Nov 2022 00:00 CDT; last 6 Aug 2026 23:59 CDT (= 7 Aug 04:59 UTC).
    _assert_received_between(san_antonio, _utc(2022, 11, 1, 5), _utc(2026, 8, 7, 5))
    assert san_antonio.count("dispatched_at IS NOT NULL OR cleared_at IS NOT NULL") == 0


def test_san_antonio_epoch_agrees_with_date_and_time(san_antonio: Ingested) -> None:
    """ResponseDate gives the same local day as Date on every row, and a clock time Time allows."""
    local = "timezone('America/Chicago', received_at)"
    assert san_antonio.count(f"strftime({local}, '%m/%d/%y') IS DISTINCT FROM raw_date") == 0
    # Time lost AM/PM for hours 1-9: either half of the day fits; ResponseDate rounds up to 1 s.
    day = "CAST(strptime(raw_date, '%m/%d/%y') AS DATE)"
    ampm = "strptime(raw_date || ' ' || trim(raw_time), '%m/%d/%y %I:%M:%S %p')"
    h12 = f"{day} + CAST(trim(raw_time) AS TIME)"
    fits = (
        f"CASE WHEN raw_time LIKE '%M' THEN abs(epoch({local}) - epoch({ampm})) <= 1 "
        f"ELSE least(abs(epoch({local}) - epoch({h12})), "
        f"abs(epoch({local}) - epoch({h12} + INTERVAL 12 HOUR))) <= 1 END"
    )
    assert san_antonio.count(f"({fits}) IS NOT TRUE") == 0


def test_san_antonio_spot_checks(san_antonio: Ingested) -> None:
    first = san_antonio.call("SAPD-2022-1438214")
    assert first["received_at"] == _utc(2022, 11, 1, 5, 0, 39)  # 00:00:39 CDT
    assert (first["local_type"], first["incident_type"]) == ("Disturbance Loud Music", "NOISE")
    assert (first["zone"], first["lat"], first["lon"]) == ("7210", 29.509685, -98.546586)
    assert first["priority"] is None and first["disposition"] is None
    # Time says " 5:02:19" (no AM/PM); the epoch says 17:02:20 CDT.
    evening = san_antonio.call("SAPD-2024-0921019")
    assert evening["received_at"] == _utc(2024, 7, 4, 22, 2, 20)
    # The one row with a quoted comma in its address keeps its columns in place.
    quoted = san_antonio.call("SAPD-2024-0019022")
    assert quoted["raw_address"].startswith("6300 Rue Marielyne, APT 504")
    assert (quoted["local_type"], quoted["incident_type"]) == ("SAPD Emergency Call", "TROUBLE")
    # Placeholder coordinates (1e-05, 1.0) are unknown, not the Gulf of Guinea.
    for call_id in ("SAPD-2023-0765302", "SAPD-2025-1684569"):
        row = san_antonio.call(call_id)
        assert (row["lat"], row["lon"]) == (None, None)
    assert "raw_color" not in san_antonio.table.column_names
    assert san_antonio.call("SAPD-2022-1438214")["raw_category"] == "Other Calls"


def test_san_antonio_crisis_types(san_antonio: Ingested) -> None:
    _assert_crosswalked(
        san_antonio,
        {
            "Welfare Check": "WELFARE",
            "Panhandler": "PHANDLE",
            "Drunk": "INTOX",
            "Disturbance Family": "DVNA",
            "Disturbance Family Knife Involved": "DVA",
            "Patrol By": "PATROL",
        },
    )


# Nashville -----------------------------------------------------------------------------------


def test_nashville_bar(nashville: Ingested) -> None:
    _assert_bar(nashville)
    r = nashville.result
    assert (r.rows_read, r.rows_written, r.rows_quarantined, r.duplicates) == (26_935,) * 2 + (0, 0)
    assert r.quarantine is None and nashville.quarantine == []


def test_nashville_times(nashville: Ingested) -> None:
    # 1 Jan 2024 00:00 CST = 06:00 UTC; 5 Aug 2024 24:00 CDT = 6 Aug 05:00 UTC.
    _assert_received_between(nashville, _utc(2024, 1, 1, 6), _utc(2024, 8, 6, 5))


def test_nashville_spot_checks(nashville: Ingested) -> None:
    summer = nashville.call("PD202400541324")  # 2024-07-06 21:14:40 CDT
    assert summer["received_at"] == _utc(2024, 7, 7, 2, 14, 40)
    assert (summer["local_type"], summer["incident_type"]) == ("87P SAFETY HAZARD", "HAZARD")
    assert (summer["disposition"], summer["local_disposition"]) == (
        "resolved",
        "4 ASSISTED CITIZEN",
    )
    assert (summer["zone"], summer["lat"]) == ("527", None)
    winter = nashville.call("PD202400154297")  # 2024-02-24 18:32:14 CST
    assert winter["received_at"] == _utc(2024, 2, 25, 0, 32, 14)
    assert (winter["local_type"], winter["incident_type"]) == ("44PJ DISORDERLY PERSON", "DISORD")
    assert (winter["lat"], winter["lon"]) == (36.277, -86.707)
    arrest = nashville.call("PD202400257440")
    assert arrest["disposition"] == "arrest"
    assert arrest["local_disposition"] == "2 ARREST CUSTODIAL OR CITATION"  # quotes dropped
    # The suffix decides the type: 71A is a burglar alarm, not a burglary.
    alarm = nashville.call("PD202400482749")
    assert (alarm["local_type"], alarm["incident_type"]) == (
        "71A BURGLARY - NON-RESIDENCE",
        "ALRBA",
    )
    suicidal = nashville.call("PD202400481040")
    assert (suicidal["incident_type"], suicidal["disposition"]) == ("SUICTHRT", "cancelled")


def test_nashville_lettered_dispositions_follow_their_number(nashville: Ingested) -> None:
    assert (
        nashville.count("local_disposition = '9T' AND disposition IS DISTINCT FROM 'resolved'") == 0
    )
    assert (
        nashville.count("local_disposition = '3T' AND disposition IS DISTINCT FROM 'citation'") == 0
    )
    assert (
        nashville.count("local_disposition LIKE '13%' AND disposition IS DISTINCT FROM 'unfounded'")
        == 0
    )
    assert nashville.count("local_disposition = '9T'") > 500


def test_nashville_crisis_types(nashville: Ingested) -> None:
    _assert_crosswalked(
        nashville,
        {
            "35P MENTALLY ILL PERSON": "EDP",
            "63P SUICIDAL PERSON": "SUICTHRT",
            "42P INTOXICATED PERSON": "INTOX",
            "62P PERSON SCREAMING": "TROUBLE",
            "3": "ADMIN",
        },
    )


# San Diego -----------------------------------------------------------------------------------


def test_san_diego_bar(san_diego: Ingested) -> None:
    _assert_bar(san_diego)
    r = san_diego.result
    assert (r.rows_read, r.rows_written, r.rows_quarantined, r.duplicates) == (28_970,) * 2 + (0, 0)
    assert r.quarantine is None
    assert san_diego.count("local_type IS NULL") == 19  # written, but untyped


def test_san_diego_times_and_priorities(san_diego: Ingested) -> None:
    # 1 Jan 2023 00:00 PST = 08:00 UTC; 22 Jan 24:00 PST = 23 Jan 08:00 UTC.
    _assert_received_between(san_diego, _utc(2023, 1, 1, 8), _utc(2023, 1, 23, 8))
    priorities = set(pc.unique(san_diego.table["priority"]).to_pylist())
    assert priorities == {1, 2, 3, 4, 5, 6}  # SDPD 0-4 and 9, moved up to start at 1


def test_san_diego_spot_checks(san_diego: Ingested) -> None:
    first = san_diego.call("E23010000001")  # 2023-01-01 00:00:05 PST, FD, CAN, beat 523, P2
    assert first["received_at"] == _utc(2023, 1, 1, 8, 0, 5)
    assert (first["local_type"], first["incident_type"]) == ("FD", "OTHER")
    assert (first["disposition"], first["local_disposition"]) == ("cancelled", "CAN")
    assert (first["priority"], first["zone"]) == (3, "523")
    info = san_diego.call("E23010000002")  # SHOPS information log, beat -1, priority 4
    assert (info["incident_type"], info["zone"], info["priority"]) == ("INFO", None, 5)
    mental = san_diego.call("E23010000078")  # 5150, K, priority 2
    assert (mental["incident_type"], mental["category"]) == ("EDP", "behavioral_health")
    assert (mental["disposition"], mental["priority"]) == ("resolved", 3)
    crisis_team = san_diego.call("E23010004478")  # OHR: other, high risk (crisis response team)
    assert (crisis_team["disposition"], crisis_team["local_disposition"]) == ("other", "OHR")


def test_san_diego_crosswalk_covers_sdpd_code_table(shared_data: Path) -> None:
    path = find_adapter("san_diego_pd").crosswalk_path()
    assert path is not None
    crosswalk = load_crosswalk(path)
    with (shared_data / SAN_DIEGO_CALL_TYPES).open(encoding="utf-8", newline="") as handle:
        codes = {row["call_type"].strip() for row in csv.DictReader(handle)}
    assert len(codes) > 280
    assert sorted(codes - set(crosswalk)) == []


def test_san_diego_crisis_types(san_diego: Ingested) -> None:
    _assert_crosswalked(
        san_diego,
        {
            "5150": "EDP",
            "5150V": "EDP",
            "CW": "WELFARE",
            "11-8": "WELFARE",
            "SLEEPER": "HOMELESS",
            "647F": "INTOX",
            "1140OD": "OD",
            "415": "DISORD",
        },
    )


# Alexandria ----------------------------------------------------------------------------------


def test_alexandria_bar_and_quarantine(alexandria: Ingested) -> None:
    _assert_bar(alexandria)
    r = alexandria.result
    assert (r.rows_read, r.rows_written, r.rows_quarantined, r.duplicates) == (
        28_751,
        28_740,
        11,
        0,
    )
    assert {q["reason"] for q in alexandria.quarantine} == {"call_id is empty"}
    records = [json.loads(q["record"]) for q in alexandria.quarantine]
    assert {rec["Agency"] for rec in records} == {"POLICE"}
    assert all(rec["Master_Incident_Number"] is None for rec in records)


def test_alexandria_times(alexandria: Ingested) -> None:
    # 24 Aug 2025 00:00 EDT = 04:00 UTC; 27 Dec 24:00 EST = 28 Dec 05:00 UTC.
    _assert_received_between(alexandria, _utc(2025, 8, 24, 4), _utc(2025, 12, 28, 5))
    assert alexandria.count("dispatched_at IS NULL") == 0
    assert alexandria.count("arrived_at IS NOT NULL") > 25_000
    # Times run forward, except in the repeated hour of 2 Nov 2025 (01:00-02:00 twice, local).
    backwards = "least(dispatched_at, arrived_at, cleared_at) < received_at"
    repeated_hour = "received_at BETWEEN '2025-11-02 05:00:00+00' AND '2025-11-02 07:00:00+00'"
    assert alexandria.count(backwards) > 0
    assert alexandria.count(f"{backwards} AND NOT ({repeated_hour})") == 0


def test_alexandria_spot_checks(alexandria: Ingested) -> None:
    alarm = alexandria.call("POLICE:25-071089")  # starts 2025-08-24 00:07:06 EDT
    assert alarm["received_at"] == _utc(2025, 8, 24, 4, 7, 6)
    assert alarm["dispatched_at"] == _utc(2025, 8, 24, 4, 9, 46, 810_000)
    assert alarm["arrived_at"] == _utc(2025, 8, 24, 4, 23, 51, 860_000)
    assert alarm["cleared_at"] == _utc(2025, 8, 24, 4, 35, 47, 190_000)
    assert (alarm["local_type"], alarm["incident_type"]) == ("ALARM COMMERCIAL", "ALRBA")
    assert (alarm["disposition"], alarm["local_disposition"]) == ("unfounded", "FALSE-False Alarm")
    assert (alarm["source"], alarm["priority"]) == ("other", 2)  # Phone
    assert alarm["raw_master_incident_number"] == "25-071089"
    ems = alexandria.call("EMS:25-020296")
    assert (ems["source"], ems["disposition"], ems["local_disposition"]) == (
        "911",
        None,
        "UNDEFINED",
    )
    winter = alexandria.call("POLICE:25-100295")  # 2025-12-01 01:16:02 EST
    assert winter["received_at"] == _utc(2025, 12, 1, 6, 16, 2)
    assert (winter["local_type"], winter["incident_type"]) == ("MENTAL HEALTH CASE", "EDP")
    assert "raw_call_taker" not in alexandria.table.column_names


def test_alexandria_sources_and_dispositions(alexandria: Ingested) -> None:
    sources = set(pc.unique(alexandria.table["source"]).to_pylist())
    assert sources == {"911", "officer", "text", "other", None}
    assert alexandria.count("source IS NULL") == 842  # 841 NOT CAPTURED and one blank
    assert (
        alexandria.count(
            "local_disposition LIKE 'CN-%' AND disposition IS DISTINCT FROM 'cancelled'"
        )
        == 0
    )
    assert (
        alexandria.count(
            "local_disposition = 'NR-No Report' AND disposition IS DISTINCT FROM 'resolved'"
        )
        == 0
    )


def test_alexandria_crisis_types(alexandria: Ingested) -> None:
    _assert_crosswalked(
        alexandria,
        {
            "MENTAL HEALTH CASE": "EDP",
            "PSYCHIATRIC EMERGENCY ALS 1": "EDP",
            "SUICIDE IN PROG NO INJ": "SUICTHRT",
            "JUMPER FROM WWB": "SUICTHRT",
            "DIP - DRUNK/INTOX PERSON": "INTOX",
            "OVERDOSE ALS": "OD",
            "TRESPASSING IN PROG": "TRESPASS",
            "WELFARE CHECK": "WELFARE",
        },
    )
