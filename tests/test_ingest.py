"""Ingest engine: canonical output, quarantine, duplicates, malformed files, atomic writes."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from altresponse.calls.adapter import find_adapter, load_adapter
from altresponse.calls.ingest import ingest, quarantine_path
from altresponse.calls.record import CALL_COLUMNS, call_schema
from altresponse.errors import ConfigError, InputError

HEADER = "id,when,type,lat,lon,outcome,weapon,note\n"


def write_adapter(folder: Path, name: str = "town", extra: str = "") -> Path:
    """A small adapter for a made-up town's CSV export."""
    path = folder / f"{name}.yaml"
    path.write_text(
        f"""name: {name}
title: Test town
agency: TOWN
timezone: America/Denver
fields:
  call_id: {{column: id}}
  received_at: {{column: when, formats: ["%m/%d/%Y %H:%M"]}}
  local_type: {{column: type}}
  lat: {{column: lat, null_values: ["0"]}}
  lon: {{column: lon, null_values: ["0"]}}
  disposition:
    column: outcome
    map: {{ARR: arrest, "GOA*": no_contact}}
    default: other
  local_disposition: {{column: outcome}}
  screening.weapon: {{column: weapon}}
{extra}""",
        encoding="utf-8",
    )
    return path


def rows_of(path: Path) -> list[dict[str, object]]:
    """A Parquet file as a list of dicts."""
    return pq.read_table(path).to_pylist()


@pytest.fixture
def town(tmp_path: Path) -> Path:
    """The adapter file of the test town."""
    return write_adapter(tmp_path)


def test_maps_fields_types_and_timezone(tmp_path: Path, town: Path) -> None:
    src = tmp_path / "calls.csv"
    src.write_text(
        HEADER
        + "A1,07/04/2024 14:30,WELFARE CHECK,39.7,-104.9,GOA-UTL,no,first\n"
        + "A2,01/15/2024 02:05,DISTURBANCE,0,0,ARR,YES,second\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.parquet"
    result = ingest(src, load_adapter(town), out)
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (2, 2, 0)
    first, second = rows_of(out)
    # 14:30 in Denver in July (MDT, UTC-6) is 20:30 UTC; 02:05 in January (MST, UTC-7) is 09:05.
    assert first["received_at"] == datetime(2024, 7, 4, 20, 30, tzinfo=UTC)
    assert second["received_at"] == datetime(2024, 1, 15, 9, 5, tzinfo=UTC)
    assert first["agency"] == "TOWN"
    assert (first["disposition"], second["disposition"]) == ("no_contact", "arrest")
    assert first["local_disposition"] == "GOA-UTL"
    assert (second["lat"], second["lon"]) == (None, None)
    assert first["screening"]["weapon"] is False and second["screening"]["weapon"] is True
    assert first["screening"]["suicide_risk"] is None
    assert first["raw_note"] == "first"
    assert not quarantine_path(out).exists()


def test_schema_is_the_canonical_one(tmp_path: Path, town: Path) -> None:
    src = tmp_path / "calls.csv"
    src.write_text(HEADER + "A1,07/04/2024 14:30,WELFARE CHECK,,,ARR,,x\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    ingest(src, load_adapter(town), out)
    schema = pq.read_schema(out)
    assert tuple(schema.names[: len(CALL_COLUMNS)]) == CALL_COLUMNS
    expected = call_schema(("raw_note",))
    assert [f.type for f in schema] == [f.type for f in expected]


def test_bad_rows_are_quarantined_with_row_and_reason(tmp_path: Path, town: Path) -> None:
    src = tmp_path / "calls.csv"
    good = [f"G{i},07/04/2024 14:{i:02d},WELFARE CHECK,,,ARR,,\n" for i in range(40)]
    bad = [
        ",07/04/2024 14:30,WELFARE CHECK,,,ARR,,\n",  # row 41: no call id
        "B2,31/31/2024 99:00,WELFARE CHECK,,,ARR,,\n",  # row 42: bad date
        "B3,07/04/2024 14:30,WELFARE CHECK,north,,ARR,maybe,\n",  # row 43: lat + weapon
    ]
    src.write_text(HEADER + "".join(good + bad), encoding="utf-8")
    out = tmp_path / "out.parquet"
    result = ingest(src, load_adapter(town), out, max_quarantine=0.1)
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (43, 40, 3)
    with quarantine_path(out).open(encoding="utf-8") as handle:
        found = list(csv.DictReader(handle))
    assert [r["source_row"] for r in found] == ["41", "42", "43"]
    assert found[0]["reason"] == "call_id is empty"
    assert found[1]["reason"].startswith("received_at: 31/31/2024 99:00 is not one of")
    assert "lat: north is not a number" in found[2]["reason"]
    assert "screening.weapon: maybe is not true or false" in found[2]["reason"]
    assert json.loads(found[2]["record"])["id"] == "B3"


def test_csv_lines_with_wrong_field_count_are_quarantined(tmp_path: Path, town: Path) -> None:
    src = tmp_path / "calls.csv"
    lines = [f"G{i},07/04/2024 14:{i:02d},THEFT,,,ARR,,\n" for i in range(30)]
    lines.insert(10, "X1,07/04/2024 14:30,THEFT,,,ARR,,,,extra\n")
    src.write_text(HEADER + "".join(lines), encoding="utf-8")
    out = tmp_path / "out.parquet"
    result = ingest(src, load_adapter(town), out, max_quarantine=0.1)
    assert (result.rows_read, result.rows_written, result.rows_quarantined) == (31, 30, 1)
    with quarantine_path(out).open(encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["source_line"] == "12"
    assert row["reason"].startswith("TOO MANY COLUMNS")
    assert "X1" in row["record"]


@pytest.mark.parametrize(
    ("policy", "kept_note", "written", "quarantined", "merged"),
    [("quarantine", "old", 2, 1, 0), ("keep_first", "old", 2, 0, 1), ("keep_last", "new", 2, 0, 1)],
)
def test_duplicate_call_ids_follow_the_policy(
    tmp_path: Path, policy: str, kept_note: str, written: int, quarantined: int, merged: int
) -> None:
    adapter = load_adapter(write_adapter(tmp_path, extra=f"duplicates: {policy}\n"))
    src = tmp_path / "calls.csv"
    src.write_text(
        HEADER
        + "D1,07/04/2024 14:30,THEFT,,,ARR,,old\n"
        + "D2,07/04/2024 14:31,THEFT,,,ARR,,other\n"
        + "D1,07/04/2024 14:30,THEFT,,,GOA,,new\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.parquet"
    result = ingest(src, adapter, out, max_quarantine=0.5)
    assert (result.rows_written, result.rows_quarantined, result.duplicates) == (
        written,
        quarantined,
        merged,
    )
    notes = {r["call_id"]: r["raw_note"] for r in rows_of(out)}
    assert notes["D1"] == kept_note
    assert quarantine_path(out).exists()  # nothing set aside silently


def write_bad(tmp_path: Path, kind: str) -> Path:
    """A malformed input file of the given kind."""
    path = tmp_path / f"{kind}.csv"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "header_only":
        path.write_text(HEADER, encoding="utf-8")
    elif kind == "wrong_columns":
        path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    elif kind == "bad_dates":
        path.write_text(HEADER + "A1,2024-07-04,THEFT,,,,,\nA2,yesterday,THEFT,,,,,\n")
    elif kind == "wrong_encoding":
        path.write_bytes(HEADER.encode("utf-16"))
    elif kind == "gzip_garbage":
        path = tmp_path / "broken.csv.gz"
        path.write_bytes(gzip.compress(HEADER.encode())[:20])
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("empty", "file is empty"),
        ("header_only", "no data rows"),
        ("wrong_columns", "missing column(s) id, when"),
        ("bad_dates", "2 of 2 rows (100.0%) cannot be read"),
        ("wrong_encoding", "not valid utf-8"),
        ("gzip_garbage", "cannot read"),
    ],
)
def test_malformed_files_fail_cleanly_and_keep_old_output(
    tmp_path: Path, town: Path, kind: str, message: str
) -> None:
    out = tmp_path / "out" / "calls.parquet"
    out.parent.mkdir()
    out.write_bytes(b"previous good output")
    bad = write_bad(tmp_path, kind)
    with pytest.raises(InputError) as info:
        ingest(bad, load_adapter(town), out)
    text = str(info.value)
    assert message in text and str(bad) in text and "\n" not in text
    assert out.read_bytes() == b"previous good output"
    assert sorted(p.name for p in out.parent.iterdir()) == ["calls.parquet"]


def test_latin1_source_reads_with_declared_encoding(tmp_path: Path) -> None:
    adapter = load_adapter(write_adapter(tmp_path, extra="file: {encoding: latin-1}\n"))
    src = tmp_path / "calls.csv"
    src.write_bytes((HEADER + "L1,07/04/2024 14:30,THEFT,,,ARR,,caf\xe9\n").encode("latin-1"))
    out = tmp_path / "out.parquet"
    ingest(src, adapter, out)
    assert rows_of(out)[0]["raw_note"] == "café"


def test_xlsx_and_gzip_inputs(tmp_path: Path, town: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(["X1", "07/04/2024 14:30", "THEFT", 39.7, -104.9, "ARR", "no", "n"])
    xlsx = tmp_path / "calls.xlsx"
    book.save(xlsx)
    gz = tmp_path / "calls.csv.gz"
    gz.write_bytes(gzip.compress((HEADER + "Z1,07/04/2024 14:30,THEFT,,,ARR,,\n").encode()))
    adapter = load_adapter(town)
    ingest(xlsx, adapter, tmp_path / "x.parquet")
    ingest(gz, adapter, tmp_path / "z.parquet")
    (x,) = rows_of(tmp_path / "x.parquet")
    assert (x["call_id"], x["lat"], x["screening"]["weapon"]) == ("X1", 39.7, False)
    assert rows_of(tmp_path / "z.parquet")[0]["call_id"] == "Z1"


def test_canonical_round_trip_is_idempotent(tmp_path: Path, town: Path) -> None:
    src = tmp_path / "calls.csv"
    src.write_text(
        HEADER + "A1,07/04/2024 14:30,THEFT,39.7,-104.9,ARR,yes,n1\n"
        "A2,07/05/2024 09:00,WELFARE CHECK,,,GOA,,n2\n",
        encoding="utf-8",
    )
    first, second, third = (tmp_path / f"{n}.parquet" for n in ("first", "second", "third"))
    ingest(src, load_adapter(town), first)
    canonical = find_adapter("canonical")
    ingest(first, canonical, second)
    ingest(second, canonical, third)
    before, after = rows_of(first), rows_of(second)
    keep = ("call_id", "agency", "received_at", "incident_type", "category", "screening", "lat")
    assert [{k: r[k] for k in keep} for r in before] == [{k: r[k] for k in keep} for r in after]
    assert rows_of(third) == after


def test_adapter_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = write_adapter(tmp_path)
    text = path.read_text().replace(
        "disposition:\n    column: outcome", "disposition:\n    column: outcome\n    value: x"
    )
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"town\.yaml:\d+: fields\.disposition: .*exactly one"):
        load_adapter(path)
    bad_zone = write_adapter(tmp_path, name="zoned")
    bad_zone.write_text(bad_zone.read_text().replace("America/Denver", "Mars/Olympus"))
    with pytest.raises(ConfigError, match=r"zoned\.yaml:4: timezone: .*unknown timezone"):
        load_adapter(bad_zone)
    bad_map = write_adapter(tmp_path, name="mapped")
    bad_map.write_text(bad_map.read_text().replace("ARR: arrest", "ARR: jailed"))
    with pytest.raises(ConfigError, match=r"mapped\.yaml:\d+: fields: .*jailed not one of"):
        load_adapter(bad_map)


def test_unknown_source_lists_known_ones() -> None:
    with pytest.raises(LookupError, match=r"unknown source 'atlantis'.*canonical"):
        find_adapter("atlantis")


def test_blank_time_part_leaves_timestamp_empty_not_half_read(tmp_path: Path) -> None:
    adapter_file = tmp_path / "log.yaml"
    adapter_file.write_text(
        """name: log
title: Log with date and time-only columns
agency: LOG
timezone: America/Los_Angeles
fields:
  call_id: {column: id}
  received_at: {columns: [date, received], formats: ["%m/%d/%y %H:%M"]}
  dispatched_at:
    columns: [date, dispatched]
    formats: ["%m/%d/%y %H:%M"]
    not_before: received_at
  local_type:
    sql: upper("kind")
    reads: [kind]
  narrative: {column: note, null_pattern: "Z+|[0-9: ]+"}
"""
    )
    src = tmp_path / "log.csv"
    src.write_text(
        "id,date,received,dispatched,kind,note\n"
        "1,09/14/21,23:58,00:07,welfare check,ZZZZ\n"
        "2,09/14/21,07:30,,trespass,12:01 \n"
        "3,09/14/21,08:00,08:05,noise,RP REPORTS MUSIC\n"
    )
    out = tmp_path / "log.parquet"
    result = ingest(src, load_adapter(adapter_file), out)
    assert (result.rows_written, result.rows_quarantined) == (3, 0)
    first, second, third = rows_of(out)
    # 00:07 is before 23:58, so it is the next day: 07:07 UTC on 15 September (PDT, UTC-7).
    assert first["dispatched_at"] == datetime(2021, 9, 15, 7, 7, tzinfo=UTC)
    assert second["dispatched_at"] is None
    assert (first["local_type"], second["narrative"], first["narrative"]) == (
        "WELFARE CHECK",
        None,
        None,
    )
    assert third["narrative"] == "RP REPORTS MUSIC"
    assert "raw_kind" not in first  # a column an sql field reads is not kept twice


@pytest.mark.parametrize(
    ("local_type", "fragments"),
    [
        # declared reads are checked like columns
        ("""{sql: 'upper("kind")', reads: [kind]}""", ["missing column(s) kind"]),
        # undeclared, the field that cannot bind is named
        (
            """{sql: 'upper("Tencode Suffix")'}""",
            ["field local_type of source 'sqlsrc'", "Tencode Suffix"],
        ),
    ],
)
def test_sql_field_on_a_file_without_its_column_is_one_clear_line(
    tmp_path: Path, local_type: str, fragments: list[str]
) -> None:
    adapter_file = tmp_path / "sqlsrc.yaml"
    adapter_file.write_text(
        f"""name: sqlsrc
title: t
agency: A
timezone: UTC
fields:
  call_id: {{column: id}}
  received_at: {{column: at}}
  local_type: {local_type}
"""
    )
    src = tmp_path / "x.csv"
    src.write_text("id,at\n1,2024-01-01T00:00:00Z\n")
    with pytest.raises(InputError) as info:
        ingest(src, load_adapter(adapter_file), tmp_path / "x.parquet")
    message = str(info.value)
    assert all(fragment in message for fragment in fragments), message
    assert "\n" not in message


CELL = st.one_of(
    st.just(""),
    st.sampled_from(["07/04/2024 14:30", "12/31/2023 23:59", "bad", "13/45/2024 10:00"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["", "K1", "K2", "K3", "K4", "K5"]), CELL, CELL, CELL),
        min_size=1,
        max_size=25,
    )
)
def test_every_row_is_written_or_set_aside(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str, str, str]]
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    adapter = load_adapter(write_adapter(folder))
    src = folder / "calls.csv"
    with src.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER.strip().split(","))
        for call_id, when, kind, weapon in rows:
            writer.writerow([call_id, when, kind, "", "", "ARR", weapon, "n"])
    out = folder / "out.parquet"
    result = ingest(src, adapter, out, max_quarantine=1.0)
    assert result.rows_read == len(rows)
    assert result.rows_read == result.rows_written + result.rows_quarantined + result.duplicates
    written = [r["call_id"] for r in rows_of(out)]
    assert len(written) == len(set(written)) == result.rows_written
    set_aside = 0
    if quarantine_path(out).exists():
        with quarantine_path(out).open(encoding="utf-8") as handle:
            set_aside = len(list(csv.DictReader(handle)))
    assert set_aside == result.rows_quarantined + result.duplicates


def test_rerun_without_bad_rows_removes_the_stale_quarantine(tmp_path: Path, town: Path) -> None:
    src = tmp_path / "calls.csv"
    good = "".join(f"G{i},07/04/2024 14:{i:02d},THEFT,,,ARR,,\n" for i in range(30))
    src.write_text(HEADER + good + ",07/04/2024 14:30,THEFT,,,ARR,,\n", encoding="utf-8")
    out = tmp_path / "calls.parquet"
    assert ingest(src, load_adapter(town), out).quarantine == str(quarantine_path(out))
    assert quarantine_path(out).is_file()
    src.write_text(HEADER + good, encoding="utf-8")
    assert ingest(src, load_adapter(town), out).quarantine is None
    assert not quarantine_path(out).exists()
    assert len(rows_of(out)) == 30
