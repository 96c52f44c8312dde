"""Benchmark: ingest of N canonical rows from CSV to Parquet, against pandas in the same run.

Baseline: `pandas.read_csv` + `DataFrame.to_parquet` (pyarrow engine) on the same file, which does
far less (no parsing of timestamps into UTC, no validation, no quarantine, no type mapping).
Target (issue 2): 10 million rows in under 60 s on the 2-core machine.

    .venv/bin/python bench/ingest_bench.py [--rows 10000000] [--no-baseline]
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import time
from pathlib import Path

import duckdb

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import ingest

HERE = Path(__file__).resolve().parent
LOCAL_TYPES = [
    "WELFARE CHECK",
    "DISTURBANCE",
    "SUSPICIOUS PERSON",
    "TRAFFIC STOP",
    "ALARM RESIDENTIAL",
    "MENTAL SUBJ",
    "INTOX SUBJ",
    "TRESPASS",
    "THEFT",
    "ASSAULT",
    "NOISE COMPLAINT",
    "MVA NO INJURY",
    "BURGLARY",
    "SUICIDAL SUBJ",
    "ABANDONED 911",
    "CITIZEN ASSIST",
    "PARKING",
    "DOMESTIC DISTURBANCE",
    "FOUND PROPERTY",
    "OVERDOSE",
]


def make_csv(path: Path, rows: int) -> None:
    """Write `rows` canonical rows as CSV with DuckDB (not timed)."""
    types = "[" + ", ".join(f"'{t}'" for t in LOCAL_TYPES) + "]"
    con = duckdb.connect()
    con.execute(
        f"""COPY (
        SELECT 'C' || lpad(CAST(i AS VARCHAR), 9, '0') AS call_id,
          'SAMPLE' AS agency,
          strftime(TIMESTAMP '2024-01-01' + to_seconds(i * 3), '%Y-%m-%dT%H:%M:%S') || '-07:00'
            AS received_at,
          strftime(TIMESTAMP '2024-01-01' + to_seconds(i * 3 + 90), '%Y-%m-%dT%H:%M:%S')
            || '-07:00' AS dispatched_at,
          strftime(TIMESTAMP '2024-01-01' + to_seconds(i * 3 + 600), '%Y-%m-%dT%H:%M:%S')
            || '-07:00' AS arrived_at,
          strftime(TIMESTAMP '2024-01-01' + to_seconds(i * 3 + 2400), '%Y-%m-%dT%H:%M:%S')
            || '-07:00' AS cleared_at,
          CASE WHEN i % 5 = 0 THEN 'officer' ELSE '911' END AS source,
          {types}[1 + CAST(hash(i) % {len(LOCAL_TYPES)} AS INTEGER)] AS local_type,
          NULL AS incident_type,
          1 + CAST(hash(i + 1) % 4 AS INTEGER) AS priority,
          'resolved' AS disposition,
          'ADVISED' AS local_disposition,
          'Z' || CAST(hash(i + 2) % 12 AS VARCHAR) AS zone,
          round(44.0 + (hash(i + 3) % 10000) / 100000.0, 5) AS lat,
          round(-123.1 + (hash(i + 4) % 10000) / 100000.0, 5) AS lon,
          CASE WHEN i % 7 = 0 THEN 'RP REPORTS SUBJ YELLING, NO WEAPONS SEEN' END AS narrative,
          CASE WHEN i % 11 = 0 THEN 'false' END AS "screening.weapon"
        FROM range({rows}) t(i)) TO '{path}' (FORMAT csv, HEADER)"""
    )
    con.close()


def time_ingest(csv: Path, out: Path) -> tuple[float, int]:
    """Seconds for altresponse's ingest, and rows written."""
    adapter = find_adapter("canonical")
    start = time.perf_counter()
    result = ingest(csv, adapter, out)
    return time.perf_counter() - start, result.rows_written


def time_pandas(csv: Path, out: Path) -> float:
    """Seconds for the baseline: pandas.read_csv + to_parquet."""
    import pandas as pd

    start = time.perf_counter()
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    frame.to_parquet(out, engine="pyarrow", index=False)
    seconds = time.perf_counter() - start
    del frame
    gc.collect()
    return seconds


def main() -> None:
    """Run the benchmark and print rates and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    work = HERE / "out"
    work.mkdir(exist_ok=True)
    csv = work / f"canonical_{args.rows}.csv"
    if not csv.exists():
        print(f"generating {args.rows:,} canonical rows in {csv} ...", flush=True)
        make_csv(csv, args.rows)
    size = csv.stat().st_size / 1e9
    print(f"input: {csv} ({size:.2f} GB), {os.cpu_count()} cores", flush=True)
    seconds, written = time_ingest(csv, work / "ingest.parquet")
    assert written == args.rows, f"wrote {written:,} of {args.rows:,} rows"
    print(f"altresponse ingest      : {seconds:7.1f} s  {args.rows / seconds:12,.0f} rows/s")
    if not args.no_baseline:
        base = time_pandas(csv, work / "pandas.parquet")
        print(f"pandas read_csv+parquet : {base:7.1f} s  {args.rows / base:12,.0f} rows/s")
        print(f"ratio (pandas / altresponse time): {base / seconds:.2f}x")
    verdict = "MET" if seconds < 60 * args.rows / 10_000_000 else "NOT MET"
    print(f"target: 10M rows in < 60 s (scaled to {args.rows:,} rows): {verdict}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
