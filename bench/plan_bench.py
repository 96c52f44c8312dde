"""Benchmark: the whole plan (`altresponse plan`) for a 10-million-call year, time and peak memory.

Data: Sample City's year (generated, then ingested: real types, zones, coordinates, times and
notes), scaled to N calls within the same year: copy k of the year is shifted by k minutes (mod
an hour) and gets its own call ids, so the calendar, the hour-of-week profile and the zones stay
Sample City's, only the volume grows. Built once in bench/.cache and reused; the ingest stamp
(time zone, counts) is kept so the plan reads the file as it would a real ingest.

Each command runs in its own process, so its peak resident memory (ru_maxrss of the child,
including DuckDB's) is its own. Baseline, in the same run: `altresponse triage --planning` of the
same file to Parquet, the one step the plan cannot skip. Targets (issue): under 60 s and under
4 GB peak memory on this 2-core machine.

    .venv/bin/python bench/plan_bench.py [--rows 10000000] [--program star_denver] [--repeat 1]

or `make bench-plan`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from altresponse.calls.ingest import METADATA_PREFIX, ingest_stamp
from samplecity_cache import sample_city_year

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RECIPE = "v1"  # bump when the data recipe below changes, so a stale cache is not reused
TARGET_SECONDS = 60.0
TARGET_GB = 4.0
BIN = Path(sys.executable).parent / "altresponse"


def make_year(rows: int) -> Path:
    """ROWS calls in Sample City's year (cached)."""
    path = CACHE / f"plan_year_{rows}_{RECIPE}.parquet"
    if path.exists():
        return path
    base = sample_city_year(CACHE)
    stamp = ingest_stamp(base) | {"rows_read": str(rows)}
    con = duckdb.connect()
    per_copy = con.execute(f"SELECT count(*) FROM '{base}'").fetchone()[0]  # type: ignore[index]
    copies = -(-rows // per_copy)
    shifted = ", ".join(
        f"b.{c} + to_minutes(CAST(k.copy % 60 AS INTEGER)) AS {c}"
        for c in ("received_at", "dispatched_at", "arrived_at", "cleared_at")
    )
    metadata = ", ".join(f"'{METADATA_PREFIX}{k}': '{v}'" for k, v in stamp.items())
    tmp = path.with_name(f".{path.name}.tmp")
    print(f"building {rows:,} calls from {copies} copies of {base.name} ...", flush=True)
    con.execute(
        f"""COPY (
        SELECT * FROM (SELECT b.* REPLACE (
            b.call_id || '-' || lpad(CAST(k.copy AS VARCHAR), 3, '0') AS call_id, {shifted})
          FROM range({copies}) k(copy) CROSS JOIN '{base}' b)
        ORDER BY received_at, call_id
        LIMIT {rows}) TO '{tmp}' (FORMAT parquet, COMPRESSION zstd, KV_METADATA {{{metadata}}})"""
    )
    con.close()
    tmp.replace(path)
    return path


def timed(args: list[str]) -> tuple[float, float]:
    """Run a command in a child process: (wall seconds, the child's peak resident GB).

    Linux keeps a process's peak across exec, so a child starts from its parent's resident size:
    main() builds the data in a separate process to keep this one small.
    """
    start = time.perf_counter()
    pid = os.posix_spawn(args[0], args, os.environ)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed with status {status}")
    return seconds, usage.ru_maxrss / 1024 / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--program", default="star_denver")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        make_year(args.rows)
        return
    build = [sys.executable, __file__, "--build-only", "--rows", str(args.rows)]
    if os.spawnv(os.P_WAIT, sys.executable, build) != 0:
        raise SystemExit("building the calls file failed")
    calls = make_year(args.rows)
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    n = pq.ParquetFile(calls).metadata.num_rows
    print(f"calls: {calls} ({n:,} rows, {calls.stat().st_size / 1e6:,.0f} MB)")
    print(f"cores: {os.cpu_count()}, load now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="plan-bench-") as work:
        report = Path(work) / "plan"
        plan_cmd = [str(BIN), "plan", str(calls), "-p", args.program, "-o", str(report), "--json"]
        triage_cmd = [
            str(BIN), "triage", "--planning", "-p", args.program,
            "--in", str(calls), "--out", str(Path(work) / "decisions.parquet"),
        ]  # fmt: skip
        with Path(os.devnull).open("w") as quiet:
            sys.stdout.flush()
            saved = os.dup(1), os.dup(2)
            os.dup2(quiet.fileno(), 1)
            os.dup2(quiet.fileno(), 2)
            try:
                plans = [timed(plan_cmd) for _ in range(args.repeat)]
                triages = [timed(triage_cmd) for _ in range(args.repeat)]
            finally:
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
        summary = json.loads((report / "summary.json").read_text())
    plan_s, plan_gb = min(plans)
    triage_s, triage_gb = min(triages)
    assert summary["total_calls"] == n, summary["total_calls"]
    print(
        f"\nplan ({args.program}): {plan_s:7.1f} s, peak {plan_gb:5.2f} GB "
        f"({n / plan_s:,.0f} calls/s)"
    )
    print(f"baseline: triage --planning to Parquet: {triage_s:7.1f} s  peak {triage_gb:5.2f} GB")
    print(f"ratio plan / triage: {plan_s / triage_s:.2f}x time, {plan_gb / triage_gb:.2f}x memory")
    print(
        f"eligible {summary['eligible_calls']:,} ({summary['eligible_share']:.1%}); pilot "
        f"{', '.join(summary['pilot']['zones'])} {summary['pilot']['window_start']}-"
        f"{summary['pilot']['window_end']}, {summary['pilot']['teams_estimate']} teams"
    )
    scaled = TARGET_SECONDS * n / 10_000_000
    print(
        f"target: 10M calls in < {TARGET_SECONDS:g} s ({scaled:.1f} s here): "
        f"{'MET' if plan_s < scaled else 'NOT MET'}"
    )
    print(f"target: peak memory < {TARGET_GB:g} GB: {'MET' if plan_gb < TARGET_GB else 'NOT MET'}")
    print(f"(a child's peak starts from this process's own, {floor:.2f} GB)")


if __name__ == "__main__":
    main()
