"""Helpers for tests that ingest the real files in ../shared/data."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import IngestResult, ingest


@dataclass(frozen=True)
class Ingested:
    """One ingest run: its summary, the written table and the quarantined rows."""

    result: IngestResult
    table: pa.Table
    quarantine: list[dict[str, str]]

    def call(self, call_id: str) -> dict[str, Any]:
        """The written row of one call."""
        found: list[dict[str, Any]] = self.table.filter(
            pc.equal(self.table["call_id"], call_id)
        ).to_pylist()
        assert len(found) == 1, f"{call_id}: {len(found)} rows"
        return found[0]

    def count(self, where: str) -> int:
        """How many written calls satisfy a SQL condition."""
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.register("calls", self.table)
        row = con.execute(f"SELECT count(*) FROM calls WHERE {where}").fetchone()
        con.close()
        assert row is not None
        return int(row[0])


def ingest_real(shared: Path, relative: str, source: str, out: Path) -> Ingested:
    """Ingest one real file with a built-in adapter into `out`."""
    result = ingest(shared / relative, find_adapter(source), out / f"{source}.parquet")
    quarantine: list[dict[str, str]] = []
    if result.quarantine is not None:
        with Path(result.quarantine).open(encoding="utf-8", newline="") as handle:
            quarantine = list(csv.DictReader(handle))
    return Ingested(result, pq.read_table(result.output), quarantine)
