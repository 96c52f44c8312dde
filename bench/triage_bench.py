"""Benchmark: triage of N canonical calls, batch (Parquet to Parquet) against `decide` per row.

Data: a year of Sample City (generated, then ingested: real types, zones and notes) copied to
N rows with DuckDB, each copy a whole number of weeks later with its own call ids, and about 30%
of the calls given screening answers (mostly "no", some "yes", a few left blank), so the red-flag,
unknown-answer and notes paths all run. Built once in bench/.cache and reused.

Baseline, measured in the same run: read the same Parquet with pyarrow in batches, build a
CallRecord per row (`model_validate`), call `decide`, keep the decisions; timed on a slice and
extrapolated to N rows. Targets (issue): live `decide` p99 under 1 ms; 10 million rows in under
10 s on the 2-core machine and at least 50 times faster than the baseline.

    .venv/bin/python bench/triage_bench.py [--rows 10000000] [--baseline-rows 200000]
        [--live-calls 20000] [--presets star_denver,cahoots_eugene] [--repeat 1] [--no-baseline]

or `make bench-triage` (`make bench` runs this and the ingest benchmark). Timings are wall-clock on
a machine that may be shared: the load average is printed with each batch figure, and the CPU
seconds show what the run would take on free cores (about CPU / 2 here).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from altresponse.calls.record import CALL_COLUMNS, SCREENING_DUCKDB, CallRecord
from altresponse.programs import Mode, Program, load_program, preset_names
from altresponse.triage import Decision, decide
from altresponse.triage.files import triage_parquet
from samplecity_cache import sample_city_year

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RECIPE = "v1"  # bump when the data recipe below changes, so a stale cache is not reused
PRESETS = ("star_denver", "cahoots_eugene")
TARGET_SECONDS = 10.0
TARGET_RATIO = 50.0
TARGET_P99_MS = 1.0

# Screening answers: share of calls answered (never officer-initiated ones), then per question
# the share answered "yes" (or each value) and the share left blank among answered calls.
ANSWERED = 0.46  # of calls not officer-initiated (about 65% of Sample City): ~30% of all
YES = {
    "weapon": 0.02,
    "violence": 0.04,
    "injury": 0.03,
    "medical_emergency": 0.03,
    "crime_in_progress": 0.03,
    "immediate_danger": 0.02,
    "caller_requests_alternative": 0.15,
    "willing_to_wait": 0.75,
}
SUICIDE_RISK = {"none": 0.85, "ideation": 0.08, "plan": 0.02, "attempt": 0.01}
BLANK = 0.04


def _uniform(key: str) -> str:
    """SQL for a deterministic draw in [0, 1) per call and KEY."""
    return f"(hash(b.call_id, k.copy, '{key}') % 1000000) / 1000000.0"


def _answers_sql() -> str:
    """SQL for the screening struct of an answered call."""
    parts = []
    for question, yes in YES.items():
        u = _uniform(question)
        parts.append(
            f"{question} := CASE WHEN {u} < {BLANK} THEN NULL ELSE {u} < {BLANK + yes} END"
        )
    u, edge = _uniform("suicide_risk"), BLANK
    cases = [f"WHEN {u} < {BLANK} THEN NULL"]
    for value, share in SUICIDE_RISK.items():
        edge += share * (1 - BLANK)
        cases.append(f"WHEN {u} < {edge:.6f} THEN '{value}'")
    parts.append(f"suicide_risk := CASE {' '.join(cases)} ELSE 'none' END")
    return f"CAST(struct_pack({', '.join(parts)}) AS {SCREENING_DUCKDB})"


def make_calls(path: Path, rows: int, cache: Path) -> None:
    """Write ROWS canonical calls: Sample City copied week by week, with screening answers."""
    base = sample_city_year(cache)
    con = duckdb.connect()
    per_copy = con.execute(f"SELECT count(*) FROM '{base}'").fetchone()[0]  # type: ignore[index]
    copies = -(-rows // per_copy)
    shifted = ", ".join(
        f"b.{c} + to_weeks(CAST(k.copy AS INTEGER)) AS {c}"
        for c in ("received_at", "dispatched_at", "arrived_at", "cleared_at")
    )
    answered = f"b.source IS DISTINCT FROM 'officer' AND {_uniform('answered')} < {ANSWERED}"
    tmp = path.with_name(f".{path.name}.tmp")
    con.execute(
        f"""COPY (
        SELECT * FROM (SELECT b.* REPLACE (
            b.call_id || '-' || lpad(CAST(k.copy AS VARCHAR), 3, '0') AS call_id, {shifted},
            CASE WHEN {answered} THEN {_answers_sql()} ELSE b.screening END AS screening)
          FROM range({copies}) k(copy) CROSS JOIN '{base}' b)
        ORDER BY received_at, call_id
        LIMIT {rows}) TO '{tmp}' (FORMAT parquet)"""
    )
    con.close()
    tmp.replace(path)


def describe_calls(path: Path) -> str:
    """One line on what the calls hold: notes, answers, red-flag answers."""
    answered = "screening.weapon IS NOT NULL OR screening.suicide_risk IS NOT NULL"
    flagged = """coalesce(screening.weapon OR screening.violence OR screening.injury
        OR screening.medical_emergency OR screening.crime_in_progress OR screening.immediate_danger
        OR screening.suicide_risk IN ('plan', 'attempt'), false)"""
    con = duckdb.connect()
    row = con.execute(
        f"""SELECT count(*), avg(CAST(narrative IS NOT NULL AS DOUBLE)),
          avg(CAST({answered} AS DOUBLE)), avg(CAST({flagged} AS DOUBLE))
        FROM '{path}'"""
    ).fetchone()
    con.close()
    assert row is not None
    return (
        f"{row[0]:,} calls: {row[1]:.0%} with notes, {row[2]:.0%} with screening answers, "
        f"{row[3]:.1%} with a red-flag answer"
    )


def time_batch(calls: Path, program: Program, mode: Mode, out: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds to triage the whole file, Parquet to decisions Parquet; rows written.

    Through `triage_parquet`, as `altresponse triage --in calls.parquet --out d.parquet` runs it:
    the input checks, the compiled query and the ordered Parquet write.
    """
    start, cpu = time.perf_counter(), time.process_time()
    triage_parquet(calls, program, mode, out, sys.stdout)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = pq.ParquetFile(out).metadata.num_rows
    return seconds, cpu, rows


def _records(path: Path, rows: int, columns: list[str] | None = None) -> list[dict[str, object]]:
    """The first ROWS rows of PATH as plain dicts (structs as nested dicts), as pyarrow gives."""
    found: list[dict[str, object]] = []
    for batch in pq.ParquetFile(path).iter_batches(10_000, columns=columns):
        found.extend(batch.to_pylist())
        if len(found) >= rows:
            break
    return found[:rows]


def time_per_row(
    calls: Path, program: Program, mode: Mode, rows: int
) -> tuple[float, list[Decision]]:
    """Seconds for the baseline on the first ROWS calls: read, validate, decide, collect."""
    gc.collect()
    start = time.perf_counter()
    decisions: list[Decision] = []
    reader = pq.ParquetFile(calls)
    for batch in reader.iter_batches(10_000, columns=list(CALL_COLUMNS)):
        for row in batch.to_pylist():
            decisions.append(decide(CallRecord.model_validate(row), program, mode=mode))
            if len(decisions) == rows:
                return time.perf_counter() - start, decisions
    return time.perf_counter() - start, decisions


def mismatches(out: Path, decisions: list[Decision]) -> int:
    """Calls of the baseline slice whose batch decision differs from the per-row one (by call)."""
    ids = pa.array([decision.call_id for decision in decisions])
    table = pq.read_table(out, filters=pc.field("call_id").isin(ids))
    batch = {row["call_id"]: row for row in table.to_pylist()}
    return sum(batch.get(d.call_id) != d.to_json_dict() for d in decisions)


def out_of_order(calls: Path, out: Path) -> int:
    """Decision rows not at their call's position in the input (the output should follow it)."""
    given = pq.read_table(calls, columns=["call_id"])["call_id"]
    got = pq.read_table(out, columns=["call_id"])["call_id"]
    return int(pc.sum(pc.not_equal(given, got)).as_py() or 0)


@dataclass(frozen=True)
class Latency:
    """Per-call latency figures, in microseconds."""

    p50: float
    p99: float
    worst: float

    @classmethod
    def of(cls, nanoseconds: list[int]) -> Latency:
        """From per-call timings."""
        cuts = statistics.quantiles(nanoseconds, n=100)
        return cls(cuts[49] / 1000, cuts[98] / 1000, max(nanoseconds) / 1000)

    def __str__(self) -> str:
        """p50, p99 and max in microseconds."""
        return f"p50 {self.p50:7.1f} us  p99 {self.p99:7.1f} us  max {self.worst:8.1f} us"


def _answered(screening: object) -> bool:
    """Whether any screening question has an answer."""
    return isinstance(screening, dict) and any(v is not None for v in screening.values())


def live_calls(calls: Path, count: int) -> list[dict[str, object]]:
    """COUNT calls from the file (every 6th of the first rows), and one line on their mix."""
    rows = _records(calls, count * 6, list(CALL_COLUMNS))[::6]
    notes = sum(row["narrative"] is not None for row in rows)
    answered = sum(_answered(row["screening"]) for row in rows)
    print(
        f"live sample: {len(rows):,} calls, {notes / len(rows):.0%} with notes, "
        f"{answered / len(rows):.0%} with screening answers"
    )
    return rows


def live_latency(calls: Path, program: Program, count: int) -> tuple[Latency, Latency]:
    """Per-call latency of `decide` (live), and of validate + decide, over COUNT real calls."""
    rows = live_calls(calls, count)
    records = [CallRecord.model_validate(row) for row in rows]
    for record in records[:200]:  # warm-up: compiled protocol, caches
        decide(record, program, mode=Mode.LIVE)
    gc.collect()
    clock = time.perf_counter_ns
    decide_ns, full_ns = [], []
    for row, record in zip(rows, records, strict=True):
        start = clock()
        decide(record, program, mode=Mode.LIVE)
        decide_ns.append(clock() - start)
        start = clock()
        decide(CallRecord.model_validate(row), program, mode=Mode.LIVE)
        full_ns.append(clock() - start)
    return Latency.of(decide_ns), Latency.of(full_ns)


def _verdict(met: bool) -> str:
    """MET or NOT MET."""
    return "MET" if met else "NOT MET"


def _load() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews the timings."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _say(line: str) -> None:
    """One indented line of a mode's figures."""
    print(f"           {line}", flush=True)


def run_mode(
    calls: Path, program: Program, mode: Mode, args: argparse.Namespace, out: Path
) -> None:
    """Batch triage of the whole file, then the per-row baseline on a slice, in one mode."""
    runs = [time_batch(calls, program, mode, out) for _ in range(args.repeat)]
    seconds, cpu, rows = min(runs)
    assert rows == args.rows, f"wrote {rows:,} of {args.rows:,} decisions"
    print(
        f"[{mode.value:8}] batch, Parquet -> Parquet : {rows:>10,} rows {seconds:7.2f} s "
        f"{rows / seconds:11,.0f} rows/s (CPU {cpu:.1f} s; load now {_load()})",
        flush=True,
    )
    if len(runs) > 1:
        _say(f"best of {len(runs)} runs: " + ", ".join(f"{run[0]:.2f} s" for run in runs))
    scaled = TARGET_SECONDS * rows / 10_000_000
    _say(
        f"target: 10M rows in < {TARGET_SECONDS:g} s ({scaled:.2f} s for {rows:,} rows): "
        f"{_verdict(seconds < scaled)}"
    )
    _say(f"decisions out of input order: {out_of_order(calls, out):,} rows")
    if args.no_baseline:
        return
    base, decisions = time_per_row(calls, program, mode, args.baseline_rows)
    rate = len(decisions) / base
    _say(f"per-row decide baseline : {len(decisions):>10,} rows {base:7.2f} s {rate:11,.0f} rows/s")
    _say(f"  extrapolated to {rows:,} rows: {rows / rate:,.0f} s")
    ratio = rows / rate / seconds
    _say(
        f"ratio (per-row / batch time): {ratio:,.1f}x; target >= {TARGET_RATIO:g}x: "
        f"{_verdict(ratio >= TARGET_RATIO)}"
    )
    wrong = mismatches(out, decisions)
    _say(f"batch == per-row on the slice: {len(decisions) - wrong:,} of {len(decisions):,} calls")


def run_preset(name: str, calls: Path, args: argparse.Namespace, work: Path) -> None:
    """Live latency, then batch and baseline in both modes, for one preset."""
    program = load_program(name)
    print(f"\n== {name} (protocol {program.protocol_version}) ==", flush=True)
    just, full = live_latency(calls, program, args.live_calls)
    print(f"live decide, {args.live_calls:,} calls   : {just}")
    print(f"live validate + decide           : {full}")
    met = just.p99 < 1000 * TARGET_P99_MS
    print(f"target: live decide p99 < {TARGET_P99_MS:g} ms: {_verdict(met)}", flush=True)
    for mode in (Mode.LIVE, Mode.PLANNING):
        out = work / f"decisions_{name}_{mode.value}.parquet"
        run_mode(calls, program, mode, args, out)
        out.unlink()


def main() -> None:
    """Build (or reuse) the calls file, then run every preset found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--baseline-rows", type=int, default=200_000)
    parser.add_argument("--live-calls", type=int, default=20_000)
    parser.add_argument("--presets", default=",".join(PRESETS), help="comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="batch runs per mode; best kept")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    calls = CACHE / f"calls_{args.rows}_{RECIPE}.parquet"
    if not calls.exists():
        print(f"generating {args.rows:,} canonical calls in {calls} ...", flush=True)
        make_calls(calls, args.rows, CACHE)
    size = calls.stat().st_size / 1e9
    print(f"input: {calls} ({size:.2f} GB), {os.cpu_count()} cores, load average {_load()}")
    print(describe_calls(calls), flush=True)
    wanted = [name for name in args.presets.split(",") if name in preset_names()]
    skipped = sorted(set(args.presets.split(",")) - set(wanted))
    if skipped:
        print(f"(no preset named {', '.join(skipped)}: skipped)")
    with tempfile.TemporaryDirectory(dir=CACHE, prefix=".out-") as work:
        for name in wanted:
            run_preset(name, calls, args, Path(work))


if __name__ == "__main__":
    main()
