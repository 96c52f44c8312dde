"""Seeded replications with 95% confidence intervals, and the staffing search over fleet sizes.

A replication is one run with its own seed (`seed + k`); the same seeds give the same figures.
Each figure is reported as the mean over replications with a Student-t 95% interval. Runs are
independent, so they spread over processes (`workers`); each process receives the calls once.
"""

from __future__ import annotations

import math
import multiprocessing
import re
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from scipy import stats

from altresponse.errors import InputError
from altresponse.programs.model import Program
from altresponse.simulation.fleet import Shift, build_fleet
from altresponse.simulation.model import RunResult, Scenario, simulate

Progress = Callable[[int, int], None]
"""Called with (runs done, runs in all)."""


def _quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def metrics(run: RunResult) -> dict[str, float | None]:
    """The figures of one run that replications average."""
    served = run.served or 0
    return {
        "served_share": run.served_share,
        "dispatch_p50": _quantile(run.dispatch, 0.5),
        "dispatch_p90": _quantile(run.dispatch, 0.9),
        "arrival_p50": _quantile(run.arrival, 0.5),
        "arrival_p90": _quantile(run.arrival, 0.9),
        "mean_wait": statistics.fmean(run.dispatch) if run.dispatch else None,
        "wait_probability": (sum(1 for w in run.dispatch if w > 0) / served) if served else None,
        "utilisation": run.utilisation,
        "police_hours_displaced": run.police_minutes_displaced / 60.0,
        "cost_per_served_call": run.cost_per_served,
        "backup_rate": run.backups / served if served else None,
        "transports": float(run.transports),
        "follow_ups_done": float(run.follow_ups_done),
    }


@dataclass(frozen=True)
class Estimate:
    """A figure over replications: mean and 95% interval (equal to the mean for one run)."""

    mean: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Estimate:
        """Mean and Student-t interval of the runs that have the figure."""
        known = [v for v in values if v is not None]
        if not known:
            return cls(None, None, None)
        mean = statistics.fmean(known)
        if len(known) < 2:
            return cls(mean, mean, mean)
        half = float(stats.t.ppf(0.975, len(known) - 1)) * statistics.stdev(known)
        half /= math.sqrt(len(known))
        return cls(mean, mean - half, mean + half)

    def to_json(self, digits: int = 4) -> dict[str, float | None]:
        """Rounded for summaries."""
        return {
            k: None if v is None else round(v, digits)
            for k, v in (("mean", self.mean), ("low", self.low), ("high", self.high))
        }


@dataclass(frozen=True)
class Summary:
    """Replications of one scenario."""

    replications: int
    seed: int
    arrived: int
    served: Estimate
    unserved: dict[str, Estimate]
    queued_at_end: Estimate
    figures: dict[str, Estimate]
    runs: tuple[RunResult, ...]

    def to_json_dict(self) -> dict[str, Any]:
        """Plain data for --json and the golden file."""
        return {
            "replications": self.replications,
            "seed": self.seed,
            "eligible_calls": self.arrived,
            "served_calls": self.served.to_json(1),
            "unserved_by_reason": {k: v.to_json(1) for k, v in sorted(self.unserved.items())},
            "queued_at_end": self.queued_at_end.to_json(1),
            **{k: v.to_json() for k, v in self.figures.items()},
        }


def summarise(runs: Sequence[RunResult], seed: int) -> Summary:
    """Replications of one scenario as estimates."""
    reasons = sorted({reason for run in runs for reason in run.unserved})
    per_run = [metrics(run) for run in runs]
    return Summary(
        replications=len(runs),
        seed=seed,
        arrived=runs[0].arrived if runs else 0,
        served=Estimate.of([run.served for run in runs]),
        unserved={r: Estimate.of([run.unserved.get(r, 0) for run in runs]) for r in reasons},
        queued_at_end=Estimate.of([run.queued_at_end for run in runs]),
        figures={key: Estimate.of([m[key] for m in per_run]) for key in per_run[0]} if runs else {},
        runs=tuple(runs),
    )


# Work shared with worker processes: set once per process, then only (fleet size, seed) travels.
_shared: dict[str, Any] = {}


def _init(base: Scenario, program: Program | None, shifts: Sequence[Shift] | None) -> None:
    _shared.update(base=base, program=program, shifts=shifts)


def _scenario(teams: int | None) -> Scenario:
    base: Scenario = _shared["base"]
    program: Program | None = _shared["program"]
    if teams is None or program is None:
        return base
    fleet = build_fleet(program, base.horizon, teams=teams, shifts=_shared["shifts"])
    return replace(base, teams=fleet.teams)


def _one(task: tuple[int | None, int]) -> RunResult:
    teams, seed = task
    return simulate(_scenario(teams), seed)


def _map(
    tasks: list[tuple[int | None, int]],
    base: Scenario,
    program: Program | None,
    shifts: Sequence[Shift] | None,
    workers: int,
    progress: Progress | None,
) -> Iterator[RunResult]:
    """Run TASKS in order, over WORKERS processes (1: in this process)."""
    if workers <= 1 or len(tasks) < 2:
        _init(base, program, shifts)
        for k, task in enumerate(tasks):
            yield _one(task)
            if progress:
                progress(k + 1, len(tasks))
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_init, initargs=(base, program, shifts)) as pool:
        for k, result in enumerate(pool.imap(_one, tasks)):
            yield result
            if progress:
                progress(k + 1, len(tasks))


def replicate(
    scenario: Scenario,
    replications: int,
    seed: int = 2026,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> Summary:
    """REPLICATIONS runs of SCENARIO with seeds SEED, SEED+1, ..."""
    if replications < 1:
        raise InputError(f"--replications must be at least 1, not {replications}")
    tasks: list[tuple[int | None, int]] = [(None, seed + k) for k in range(replications)]
    runs = list(_map(tasks, scenario, None, None, workers, progress))
    return summarise(runs, seed)


_TARGET = re.compile(r"^\s*([a-z_0-9]+)\s*(<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*$")
ALIASES = {"served": "served_share", "utilization": "utilisation"}


@dataclass(frozen=True)
class Target:
    """Conditions on figures (their mean over replications), e.g. served>=0.9,arrival_p90<=20."""

    conditions: tuple[tuple[str, str, float], ...]

    @classmethod
    def parse(cls, text: str) -> Target:
        """Parse 'FIGURE OP VALUE, ...'; an unknown figure is an InputError naming it."""
        known = set(metrics(RunResult()))
        conditions = []
        for part in text.split(","):
            found = _TARGET.match(part)
            if not found:
                raise InputError(
                    f"--target: {part.strip()!r} is not FIGURE<=VALUE or FIGURE>=VALUE"
                )
            name = ALIASES.get(found[1], found[1])
            if name not in known:
                raise InputError(
                    f"--target: unknown figure {found[1]!r} (one of {', '.join(sorted(known))})"
                )
            conditions.append((name, found[2], float(found[3])))
        return cls(tuple(conditions))

    def met(self, summary: Summary) -> bool:
        """Whether every condition holds for the mean."""
        for name, op, value in self.conditions:
            mean = summary.figures[name].mean
            if mean is None:
                return False
            ok = {"<=": mean <= value, ">=": mean >= value, "<": mean < value, ">": mean > value}
            if not ok[op]:
                return False
        return True

    def describe(self) -> str:
        """As written, with full figure names."""
        return ", ".join(f"{n} {op} {v:g}" for n, op, v in self.conditions)


@dataclass(frozen=True)
class Staffing:
    """The staffing search: every fleet size tried, and the least that meets the target."""

    target: Target
    sizes: tuple[tuple[int, float, Summary], ...]
    best: int | None

    def to_json_dict(self) -> dict[str, Any]:
        """Plain data for --json."""
        return {
            "target": self.target.describe(),
            "least_teams_per_shift": self.best,
            "least_team_hours_per_day": next(
                (hours for n, hours, _ in self.sizes if n == self.best), None
            ),
            "sizes": [
                {
                    "teams_per_shift": n,
                    "team_hours_per_day": hours,
                    "meets_target": self.target.met(s),
                    **s.to_json_dict(),
                }
                for n, hours, s in self.sizes
            ],
        }


def staffing_search(
    base: Scenario,
    program: Program,
    target: Target,
    sizes: Sequence[int],
    *,
    shifts: Sequence[Shift] | None = None,
    replications: int = 5,
    seed: int = 2026,
    workers: int = 1,
    progress: Progress | None = None,
) -> Staffing:
    """Every fleet size in SIZES (teams on each shift), replicated; the least meeting TARGET."""
    if not sizes:
        raise InputError("--max-teams must be at least 1")
    tasks: list[tuple[int | None, int]] = [
        (n, seed + k) for n in sizes for k in range(replications)
    ]
    runs = list(_map(tasks, base, program, shifts, workers, progress))
    table = []
    for i, n in enumerate(sizes):
        summary = summarise(runs[i * replications : (i + 1) * replications], seed)
        hours = build_fleet(program, base.horizon, teams=n, shifts=shifts).team_hours_per_day
        table.append((n, hours, summary))
    meeting = [(hours, n) for n, hours, s in table if target.met(s)]
    return Staffing(target, tuple(table), min(meeting)[1] if meeting else None)
