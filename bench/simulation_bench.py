"""Benchmark: a simulated year of 100,000 eligible calls, and a staffing search over 30 fleet sizes.

Data: Sample City's year (generated and ingested once into bench/.cache), triaged with CAHOOTS'
protocol (24/7, so no call is cut by the program's hours), and its eligible calls replaced by a
synthetic year of N calls (default 100,000) with the same hour-of-week profile and mix. Times are
the Lane County fit (simulation/times.py).

1. One run of that year with 10 teams on duty around the clock. Target (issue): under 10 s.
2. The staffing search: 1 to 30 teams around the clock, 5 replications each (150 runs), on both
   cores (`workers=2`), against the same runs as a plain single-process loop in the same run.
   Target: under 3 minutes on the 2-core machine.

    .venv/bin/python bench/simulation_bench.py [--calls-per-year 100000] [--sizes 30]
        [--replications 5] [--no-baseline]

or `make bench-simulation`.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

from altresponse.programs import load_program
from altresponse.simulation.calls import load_calls, synthetic_calls
from altresponse.simulation.fleet import parse_shifts
from altresponse.simulation.model import simulate
from altresponse.simulation.replicate import Target, staffing_search
from altresponse.simulation.scenario import Choices, make_scenario
from samplecity_cache import sample_city_year

PROGRAM = "cahoots_eugene"
TARGET_YEAR_SECONDS = 10.0
TARGET_SEARCH_SECONDS = 180.0
AROUND_THE_CLOCK = "00:00-24:00"
TARGET = "served>=0.9,arrival_p90<=45"
"""The fitted travel time alone has a p90 of 35 minutes, so 45 leaves room for the queue."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls-per-year", type=float, default=100_000)
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--sizes", type=int, default=30)
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    program = load_program(PROGRAM)
    real = load_calls(sample_city_year(), program)
    calls = synthetic_calls(real, args.calls_per_year, args.seed)
    shifts = parse_shifts(AROUND_THE_CLOCK)
    print(
        f"{PROGRAM}: {len(real.calls):,} eligible calls in Sample City's year -> synthetic year "
        f"of {len(calls.calls):,}; cores {os.cpu_count()}, load {os.getloadavg()[0]:.2f}",
        flush=True,
    )

    scenario, fleet = make_scenario(program, calls, Choices(teams=args.teams, shifts=shifts))
    start = time.perf_counter()
    run = simulate(scenario, args.seed)
    seconds = time.perf_counter() - start
    print(
        f"\n1. one year, {len(fleet.teams)} teams around the clock: {seconds:.2f} s "
        f"({run.arrived:,} calls, {run.served:,} served, utilisation {run.utilisation:.0%})"
    )
    met = seconds < TARGET_YEAR_SECONDS
    print(f"   target: under {TARGET_YEAR_SECONDS:g} s: {'MET' if met else 'NOT MET'}")

    base = replace(scenario, teams=())
    target = Target.parse(TARGET)
    sizes = range(1, args.sizes + 1)
    runs = args.sizes * args.replications
    timings = {}
    for workers in (2,) if args.no_baseline else (2, 1):
        start = time.perf_counter()
        found = staffing_search(
            base, program, target, sizes, shifts=shifts, replications=args.replications,
            seed=args.seed, workers=workers,
        )  # fmt: skip
        timings[workers] = time.perf_counter() - start
        label = "both cores" if workers == 2 else "plain single-process loop (baseline)"
        print(
            f"\n2. staffing search, {args.sizes} sizes x {args.replications} replications "
            f"({runs} runs), {label}: {timings[workers]:.1f} s; least meeting {target.describe()}: "
            f"{found.best} teams"
        )
    if 1 in timings:
        print(f"   ratio single-process / both cores: {timings[1] / timings[2]:.2f}x")
    met = timings[2] < TARGET_SEARCH_SECONDS
    verdict = "MET" if met else "NOT MET"
    print(f"   target: under {TARGET_SEARCH_SECONDS:g} s on both cores: {verdict}")


if __name__ == "__main__":
    main()
