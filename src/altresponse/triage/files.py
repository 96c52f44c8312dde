"""Triage at the edge: read calls (JSON lines, CSV, Parquet), write decisions (JSON lines, Parquet).

Parquet and CSV go through the batch engine; JSON lines are decided call by call as they arrive.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from altresponse.calls.record import CallRecord, CallSource, Disposition, SuicideRisk, call_schema
from altresponse.errors import InputError
from altresponse.programs.model import Mode, Program
from altresponse.triage.decision import Decision
from altresponse.triage.live import decide

BATCH_COLUMNS = (
    "call_id",
    "received_at",
    "source",
    "local_type",
    "incident_type",
    "category",
    "disposition",
    "zone",
    "narrative",
    "screening",
)
REASON_ARROW = pa.struct([("id", pa.string()), ("says", pa.string())])
DECISION_SCHEMA = pa.schema(
    [
        ("call_id", pa.string()),
        ("track", pa.string()),
        ("also", pa.list_(pa.string())),
        ("eligible", pa.bool_()),
        ("priority", pa.int32()),
        ("reasons", pa.list_(REASON_ARROW)),
        ("program", pa.string()),
        ("protocol_version", pa.string()),
        ("response", pa.string()),
        ("unserved_reason", pa.string()),
        ("mode", pa.string()),
    ]
)


@dataclass
class TriageCounts:
    """What a triage run decided, for the summary line."""

    calls: int = 0
    eligible: int = 0
    unserved: int = 0
    tracks: Counter[str] = field(default_factory=Counter)

    def add(self, row: dict[str, Any]) -> None:
        """Count one decision (as a JSON dict)."""
        self.calls += 1
        self.eligible += bool(row["eligible"])
        self.unserved += row["unserved_reason"] is not None
        self.tracks[row["track"]] += 1


def call_from_json(data: Any, where: str) -> CallRecord:
    """A canonical call from one JSON object; raw_* keys are kept as raw columns."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object with the canonical call fields")
    raw = {k[4:]: v for k, v in data.items() if isinstance(k, str) and k.startswith("raw_")}
    fields = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("raw_"))}
    try:
        return CallRecord.model_validate({**fields, "raw": {**fields.get("raw", {}), **raw}})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "(call)"
        raise InputError(f"{where}: {name}: {first['msg']}") from exc


def read_json_lines(lines: Iterable[str], source: str) -> Iterator[CallRecord]:
    """Calls from JSON lines (blank lines skipped); an error names the source and line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}:{number}: not valid JSON: {exc.msg}") from exc
        yield call_from_json(data, f"{source}:{number}")


def decide_all(calls: Iterable[CallRecord], program: Program, mode: Mode) -> Iterator[Decision]:
    """Live-engine decisions for a stream of calls."""
    for call in calls:
        yield decide(call, program, mode=mode)


def write_json_lines(rows: Iterable[dict[str, Any]], stream: IO[str], counts: TriageCounts) -> None:
    """One JSON decision per line."""
    for row in rows:
        counts.add(row)
        stream.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_parquet_rows(rows: Iterable[dict[str, Any]], output: Path, counts: TriageCounts) -> None:
    """Decisions to Parquet, written beside OUTPUT and moved into place when complete."""
    with staged(output) as path, pq.ParquetWriter(path, DECISION_SCHEMA) as writer:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            counts.add(row)
            chunk.append(row)
            if len(chunk) >= 50_000:
                writer.write_table(pa.Table.from_pylist(chunk, DECISION_SCHEMA))
                chunk = []
        writer.write_table(pa.Table.from_pylist(chunk, DECISION_SCHEMA))


@contextmanager
def staged(output: Path) -> Iterator[Path]:
    """A temporary path beside OUTPUT that replaces OUTPUT only if the block succeeds."""
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    os.close(handle)
    path = Path(name)
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    path.replace(output)


def _compatible(actual: pa.DataType, expected: pa.DataType) -> bool:
    """Whether a column of type ACTUAL can stand for the canonical type EXPECTED."""
    if pa.types.is_timestamp(expected):
        return bool(pa.types.is_timestamp(actual) and actual.tz is not None)
    if pa.types.is_string(expected):
        return bool(pa.types.is_string(actual) or pa.types.is_large_string(actual))
    if pa.types.is_struct(expected):
        if not pa.types.is_struct(actual):
            return False
        fields = {f.name: f.type for f in actual}
        return all(f.name in fields and _compatible(fields[f.name], f.type) for f in expected)
    same: bool = actual == expected
    return same


def check_batch_columns(path: Path, columns: Iterable[str] = BATCH_COLUMNS) -> None:
    """A Parquet input must have the canonical COLUMNS (those batch triage reads), typed right."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"{path}: cannot read as Parquet: {exc}") from exc
    columns = list(dict.fromkeys(columns))
    missing = [name for name in columns if name not in schema.names]
    if missing:
        raise InputError(
            f"{path}: not a canonical calls table, missing column(s) {', '.join(missing)} "
            "(ingest the file first: altresponse ingest)"
        )
    expected = call_schema()
    for name in columns:
        actual, wanted = schema.field(name).type, expected.field(name).type
        if not _compatible(actual, wanted):
            raise InputError(
                f"{path}: column {name} is {actual}, the canonical type is {wanted} "
                "(ingest the file first: altresponse ingest)"
            )


def _value_checks() -> dict[str, str]:
    """SQL conditions a canonical row must not meet, each with what it means."""

    def outside(column: str, values: Iterable[str]) -> str:
        listed = ", ".join(f"'{value}'" for value in values)
        return f"{column} IS NOT NULL AND {column} NOT IN ({listed})"

    return {
        "call_id is empty": "call_id IS NULL OR call_id = ''",
        "received_at is empty": "received_at IS NULL",
        "screening.suicide_risk is not none, ideation, plan or attempt": outside(
            "screening.suicide_risk", (risk.value for risk in SuicideRisk)
        ),
        "source is not a canonical source": outside("source", (s.value for s in CallSource)),
        "disposition is not a canonical disposition": outside(
            "disposition", (d.value for d in Disposition)
        ),
    }


def check_batch_values(raw: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse rows live triage would refuse: a bad value must never pass as a clean answer."""
    checks = _value_checks()
    columns = ", ".join(
        f"min(file_row_number) FILTER ({condition}), count(*) FILTER ({condition})"
        for condition in checks.values()
    )
    found = raw.execute(
        f"SELECT {columns} FROM read_parquet({_quoted(path)}, file_row_number = true)"
    ).fetchall()[0]
    for k, problem in enumerate(checks):
        first, count = found[2 * k], found[2 * k + 1]
        if count:
            raise InputError(
                f"{path}: row {first + 1:,}: {problem} ({count:,} row{'s' if count > 1 else ''})"
            )


def triage_parquet(
    path: Path, program: Program, mode: Mode, output: Path | None, stream: IO[str]
) -> TriageCounts:
    """Batch-triage a canonical Parquet table to OUTPUT (Parquet) or to STREAM (JSON lines)."""
    import ibis

    from altresponse.triage.batch import triage_table

    check_batch_columns(path)
    con = ibis.duckdb.connect()
    raw = con.con  # the DuckDB connection: ibis 12's own fetch helpers predate DuckDB 2
    calls = con.read_parquet(path)
    check_batch_values(raw, path)
    sql = str(con.compile(triage_table(calls, program, mode=mode)))
    counts = TriageCounts()
    if output is None:
        reader = raw.sql(sql).to_arrow_reader(100_000)
        for batch in reader:
            write_json_lines(batch.to_pylist(), stream, counts)
        return counts
    with staged(output) as staged_path:
        raw.execute(f"COPY ({sql}) TO {_quoted(staged_path)} (FORMAT parquet)")
        totals = raw.execute(
            "SELECT track, count(*), count(*) FILTER (eligible), count(unserved_reason) "
            f"FROM read_parquet({_quoted(staged_path)}) GROUP BY track"
        ).fetchall()
    for track, n, eligible, unserved in totals:
        counts.calls += n
        counts.eligible += eligible
        counts.unserved += unserved
        counts.tracks[track] += n
    return counts


def _quoted(path: Path) -> str:
    """A path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def triage_csv(
    path: Path, program: Program, mode: Mode, output: Path | None, stream: IO[str]
) -> TriageCounts:
    """A canonical CSV is read by the canonical source adapter (no bad row allowed), then batch."""
    from altresponse.calls.adapter import find_adapter
    from altresponse.calls.ingest import ingest

    with tempfile.TemporaryDirectory(prefix="altresponse-triage-") as work:
        table = Path(work) / "calls.parquet"
        ingest(path, find_adapter("canonical"), table, max_quarantine=0.0)
        return triage_parquet(table, program, mode, output, stream)
