"""The calls a run replays: a canonical table triaged by the program, or synthetic arrivals.

Replay takes the eligible calls of a canonical calls table, triaged in planning mode exactly as
the plan does (planning/table.py), at their own local times. Synthetic arrivals keep the table's
hour-of-week profile of eligible calls and its mix (each synthetic call copies a random real one
of the same hour of the week), at any yearly volume, as a Poisson process whose rate changes every
hour of the week.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from pathlib import Path

import ibis

from altresponse.calls.ingest import ingest_stamp
from altresponse.errors import InputError
from altresponse.planning.table import engine, local_program
from altresponse.programs.model import Mode, Program
from altresponse.simulation.model import MINUTES_PER_WEEK, SimCall
from altresponse.triage.batch import local_time, triage_table
from altresponse.triage.files import BATCH_COLUMNS, check_batch_columns, check_batch_values

MINUTES_PER_DAY = 24 * 60
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
KEEP = ("received_at", "dispatched_at", "cleared_at", "lat", "lon", "u_option")
DEFAULT_POLICE_MINUTES = 60.0
MIN_TIMED = 30


@dataclass(frozen=True)
class CallSet:
    """Eligible calls on the model's clock (minutes from a Monday 00:00 local), with context."""

    calls: tuple[SimCall, ...]
    origin: str
    horizon: float
    timezone: str
    total_calls: int
    police_minutes: float
    police_minutes_source: str

    @property
    def weeks(self) -> float:
        """How many weeks the calls span."""
        return self.horizon / MINUTES_PER_WEEK


def load_calls(path: Path, program: Program, timezone: str | None = None) -> CallSet:
    """The eligible calls of the canonical table at PATH under PROGRAM (planning mode)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    check_batch_columns(path, [*BATCH_COLUMNS, *(c for c in KEEP if c != "u_option")])
    zone = timezone or ingest_stamp(path).get("timezone") or program.timezone
    program = local_program(program, zone)
    with engine() as eng:
        raw = eng.ibis.read_parquet(path)
        check_batch_values(eng.raw, path)
        t = triage_table(raw, program, mode=Mode.PLANNING, keep=KEEP)
        total = eng.one(t.aggregate(n=t.count()))[0]
        t = t.filter(t.eligible)
        local = local_time(program.timezone, t.received_at).epoch_seconds() / 60.0
        committed = (t.cleared_at.epoch_seconds() - t.dispatched_at.epoch_seconds()) / 60.0
        usable = (committed >= 0) & (committed <= MINUTES_PER_DAY)
        rows = eng.rows(
            t.select(
                t.call_id,
                local.name("minute"),
                t.priority,
                t.u_option,
                t.unserved_reason,
                t.lat,
                t.lon,
                ibis.ifelse(usable, committed, ibis.null("float64")).name("committed"),
            ).order_by(["minute", "call_id"])
        )
    if not rows:
        raise InputError(f"{path}: no call is eligible under {program.id}: nothing to simulate")
    first = rows[0][1]
    day = math.floor(first / MINUTES_PER_DAY)
    monday = (day - (day + EPOCH_WEEKDAY) % 7) * MINUTES_PER_DAY
    skills = {o.id: frozenset(o.skills) for o in program.responses}
    calls = tuple(
        SimCall(
            call_id=str(call_id),
            arrival=float(minute - monday),
            priority=int(priority),
            skills=skills[option],
            unserved=unserved,
            lat=lat if lat else None,
            lon=lon if lon else None,
            police_minutes=committed,
        )
        for call_id, minute, priority, option, unserved, lat, lon, committed in rows
    )
    timed = [c.police_minutes for c in calls if c.police_minutes is not None]
    measured = len(timed) >= MIN_TIMED
    last = calls[-1].arrival
    horizon = (math.floor(last / MINUTES_PER_DAY) + 1) * MINUTES_PER_DAY
    return CallSet(
        calls=calls,
        origin=_iso(monday),
        horizon=float(horizon),
        timezone=program.timezone,
        total_calls=int(total),
        police_minutes=sum(timed) / len(timed) if measured else DEFAULT_POLICE_MINUTES,
        police_minutes_source="data" if measured else "assumed",
    )


def _iso(local_minutes: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(local_minutes * 60, UTC).strftime("%Y-%m-%d %H:%M (local)")


def hour_of_week_profile(calls: CallSet) -> list[float]:
    """Eligible calls per week in each hour of the week (168 rates)."""
    counts = [0] * 168
    for call in calls.calls:
        counts[int(call.arrival % MINUTES_PER_WEEK) // 60] += 1
    weeks = max(calls.weeks, 1 / 7)
    return [n / weeks for n in counts]


def synthetic_calls(calls: CallSet, per_year: float, seed: int, weeks: int = 52) -> CallSet:
    """WEEKS of Poisson arrivals with CALLS' hour-of-week profile, PER_YEAR calls a year."""
    if per_year <= 0:
        raise InputError(f"--calls-per-year must be above 0, not {per_year}")
    profile = hour_of_week_profile(calls)
    scale = per_year / 52.0 / sum(profile)
    rng = random.Random(seed)
    pools: list[list[SimCall]] = [[] for _ in range(168)]
    for call in calls.calls:  # a synthetic call copies a real one of the same hour of the week,
        pools[int(call.arrival % MINUTES_PER_WEEK) // 60].append(call)  # so hours still hold
    made: list[SimCall] = []
    for week in range(weeks):
        for hour, rate in enumerate(profile):
            if rate <= 0:
                continue
            start = week * MINUTES_PER_WEEK + hour * 60
            t = rng.expovariate(rate * scale / 60.0)
            while t < 60.0:
                pool = pools[hour]
                model = pool[rng.randrange(len(pool))]
                made.append(replace(model, call_id=f"s{len(made) + 1}", arrival=start + t))
                t += rng.expovariate(rate * scale / 60.0)
    return replace(calls, calls=tuple(made), horizon=float(weeks * MINUTES_PER_WEEK))
