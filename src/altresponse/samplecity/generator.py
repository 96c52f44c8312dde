"""Generate a year of Sample City calls as a CAD export CSV, drawn from the profile's figures."""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from pathlib import Path
from typing import Generic, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from altresponse.errors import InputError
from altresponse.samplecity.narrative import NoteWriter
from altresponse.samplecity.profile import (
    CallType,
    DispositionOption,
    SampleProfile,
    Spread,
    Zone,
    load_profile,
)
from altresponse.samplecity.timeline import (
    WallClock,
    draw_minutes,
    received_seconds,
    to_elapsed,
    to_wall,
)

OFFICER_SOURCE = "OFFICER"
MIN_SCENE_SECONDS = 30
FIRST_YEAR, LAST_YEAR = 1970, 2100
T = TypeVar("T")


@dataclass(frozen=True)
class SampleSummary:
    """What generate wrote: where, how many calls, and the span of their received times."""

    path: Path
    rows: int
    seed: int
    year: int
    first_received: datetime
    last_received: datetime

    def __str__(self) -> str:
        """One line for people, e.g. for the CLI."""
        first, last = self.first_received, self.last_received
        return (
            f"{self.rows:,} Sample City calls from {first:%Y-%m-%d %H:%M} to "
            f"{last:%Y-%m-%d %H:%M} {first.tzinfo} (seed {self.seed}) in {self.path}"
        )


@dataclass(frozen=True)
class _Weighted(Generic[T]):
    """Items with cumulative weights, for repeated weighted draws."""

    items: tuple[T, ...]
    cum_weights: tuple[float, ...]

    @classmethod
    def of(cls, pairs: list[tuple[T, float]]) -> _Weighted[T]:
        """From (item, weight) pairs."""
        return cls(tuple(p[0] for p in pairs), tuple(accumulate(p[1] for p in pairs)))

    def draw(self, rng: random.Random) -> T:
        """One item."""
        return rng.choices(self.items, cum_weights=self.cum_weights)[0]

    def draw_many(self, rng: random.Random, k: int) -> list[T]:
        """`k` items."""
        return rng.choices(self.items, cum_weights=self.cum_weights, k=k)


@dataclass(frozen=True)
class _Calls:
    """The per-call draws that later columns depend on, one list entry per call."""

    types: list[CallType]
    officer: list[bool]
    priority: list[int]
    outcome: list[DispositionOption]


def _draw_calls(rng: random.Random, profile: SampleProfile, n: int) -> _Calls:
    """Call type, officer-initiated or not, priority and disposition of each call."""
    types = _Weighted.of([(t, t.share) for t in profile.call_types]).draw_many(rng, n)
    officer = [rng.random() < t.officer_share for t in types]
    jitter = profile.city.priority_jitter
    priority = [
        min(4, max(1, t.priority + rng.choice((-1, 1)))) if rng.random() < jitter else t.priority
        for t in types
    ]
    sets = {
        name: _Weighted.of([(o, o.weight) for o in options])
        for name, options in profile.city.dispositions.items()
    }
    outcome = [sets[t.disposition].draw(rng) for t in types]
    return _Calls(types, officer, priority, outcome)


def _draw_sources(rng: random.Random, profile: SampleProfile, calls: _Calls) -> list[str]:
    """How each call reached the agency, in Sample City's own words."""
    sources = profile.city.sources
    alarm = _Weighted.of(list(sources.alarm.items()))
    phone = {p: _Weighted.of(list(w.items())) for p, w in sources.phone.items()}
    return [
        OFFICER_SOURCE
        if officer
        else (alarm if t.channel == "alarm" else phone[priority]).draw(rng)
        for t, officer, priority in zip(calls.types, calls.officer, calls.priority, strict=True)
    ]


Times = tuple[list[int], list[int | None], list[int]]


def _seconds(rng: random.Random, spread: Spread, cap: float) -> int:
    """One duration, in whole seconds."""
    return round(60 * draw_minutes(rng, spread, cap))


def _draw_times(
    rng: random.Random, profile: SampleProfile, clock: WallClock, received: list[int], calls: _Calls
) -> Times:
    """Dispatched, arrived and cleared wall-clock seconds of each call."""
    spans = profile.city.durations
    cap, gaps = spans.cap_minutes, clock.gaps()
    dispatched: list[int] = []
    arrived: list[int | None] = []
    cleared: list[int] = []
    for i, wall in enumerate(received):
        officer, priority, outcome = calls.officer[i], calls.priority[i], calls.outcome[i]
        start = to_elapsed(wall, gaps)
        delay = 0 if officer else _seconds(rng, spans.dispatch_delay[priority], cap)
        there: int | None = None
        if outcome.arrives:
            travel = 0 if officer else _seconds(rng, spans.travel[priority], cap)
            there = start + delay + travel
            scene = spans.scene[outcome.scene or calls.types[i].scene]
            done = there + max(MIN_SCENE_SECONDS, _seconds(rng, scene, cap))
        else:
            done = start + delay + _seconds(rng, spans.no_arrival, cap)
        dispatched.append(to_wall(start + delay, gaps))
        arrived.append(None if there is None else to_wall(there, gaps))
        cleared.append(to_wall(done, gaps))
    return dispatched, arrived, cleared


Places = tuple[list[str], list[str], list[float | None], list[float | None]]


def _draw_places(rng: random.Random, profile: SampleProfile, n: int) -> Places:
    """Zone, primary unit and block-level lat/lon of each call (some addresses fail to geocode)."""
    city = profile.city
    zones: list[Zone] = _Weighted.of([(z, z.share) for z in city.zones]).draw_many(rng, n)
    units = [f"{z.code}{rng.randrange(11, 40)}" for z in zones]
    lats: list[float | None] = []
    lons: list[float | None] = []
    for zone in zones:
        lat = round(rng.gauss(zone.lat, city.zone_scatter.lat), 5)
        lon = round(rng.gauss(zone.lon, city.zone_scatter.lon), 5)
        missing = rng.random() < city.geocode_missing
        lats.append(None if missing else lat)
        lons.append(None if missing else lon)
    return [z.name for z in zones], units, lats, lons


def _draw_notes(rng: random.Random, profile: SampleProfile, calls: _Calls) -> list[str | None]:
    """A call-taker note for some calls, in the style of the call's narrative group."""
    writers = {name: NoteWriter.of(group) for name, group in profile.narratives.items()}
    rate = profile.city.narrative_rate
    notes: list[str | None] = []
    for t, officer in zip(calls.types, calls.officer, strict=True):
        wanted = rng.random() < (rate.officer if officer else rate.community)
        notes.append(writers[t.narrative].write(rng) if wanted else None)
    return notes


def _clock_column(clock: WallClock, seconds: list[int] | list[int | None]) -> pa.Array:
    """Wall-clock seconds as CAD-style local time text, MM/DD/YYYY HH:MM:SS."""
    base = calendar.timegm(clock.start().timetuple())
    stamps = pa.array([None if s is None else base + s for s in seconds], pa.timestamp("s"))
    iso = pc.cast(stamps, pa.string())  # YYYY-MM-DD HH:MM:SS, much faster than strftime

    def part(start: int, stop: int) -> pa.Array:
        return pc.utf8_slice_codeunits(iso, start, stop)

    day = pc.binary_join_element_wise(part(5, 7), part(8, 10), part(0, 4), "/")
    return pc.binary_join_element_wise(day, part(11, 19), " ")


def _call_ids(profile: SampleProfile, year: int, n: int) -> list[str]:
    """Incident numbers in order of receipt, e.g. P25-000123."""
    prefix = f"{profile.city.city.call_id_prefix}{year % 100:02d}-"
    return [f"{prefix}{i:06d}" for i in range(1, n + 1)]


def _table(
    rng: random.Random, profile: SampleProfile, clock: WallClock, received: list[int]
) -> pa.Table:
    """Every column of the export, drawn in a fixed order so a seed gives the same file."""
    n = len(received)
    calls = _draw_calls(rng, profile, n)
    sources = _draw_sources(rng, profile, calls)
    dispatched, arrived, cleared = _draw_times(rng, profile, clock, received, calls)
    zones, units, lats, lons = _draw_places(rng, profile, n)
    notes = _draw_notes(rng, profile, calls)
    unasked = pa.nulls(n, pa.string())
    return pa.table(
        {
            "INCIDENT_NO": _call_ids(profile, clock.year, n),
            "CALL_RECEIVED": _clock_column(clock, received),
            "DISPATCHED": _clock_column(clock, dispatched),
            "ON_SCENE": _clock_column(clock, arrived),
            "CLEARED": _clock_column(clock, cleared),
            "CALL_SOURCE": sources,
            "CALL_TYPE": [t.local_type for t in calls.types],
            "PRIORITY": pa.array(calls.priority, pa.int8()),
            "ZONE": zones,
            "PRIMARY_UNIT": units,
            "LATITUDE": pa.array(lats, pa.float64()),
            "LONGITUDE": pa.array(lons, pa.float64()),
            "DISPOSITION": [o.text for o in calls.outcome],
            "NARRATIVE": pa.array(notes, pa.string()),
            "Q_WEAPON": unasked,
            "Q_INJURY": unasked,
            "Q_SUICIDE_RISK": unasked,
        }
    )


def _write(table: pa.Table, path: Path) -> None:
    """Write the CSV next to `path`, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        pa_csv.write_csv(table, tmp, pa_csv.WriteOptions(quoting_style="needed"))
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write: {exc}") from exc


def generate(
    path: Path, *, seed: int = 2026, calls: int | None = None, year: int = 2025
) -> SampleSummary:
    """Write a year of Sample City calls to `path` as a CAD export CSV; same seed, same bytes."""
    profile = load_profile()
    n = profile.city.calls_per_year if calls is None else calls
    if n < 1:
        raise InputError(f"calls must be at least 1 (got {n})")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"year must be from {FIRST_YEAR} to {LAST_YEAR} (got {year})")
    rng = random.Random(seed)
    clock = WallClock(year, profile.city.city.timezone)
    received = received_seconds(rng, profile.city, clock, n)
    _write(_table(rng, profile, clock, received), path)
    return SampleSummary(
        path=path,
        rows=n,
        seed=seed,
        year=year,
        first_received=clock.aware(received[0]),
        last_received=clock.aware(received[-1]),
    )
