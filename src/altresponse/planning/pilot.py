"""Pilot design: which K zones and which daily window of H hours cover the most eligible calls.

Cities start small: a few zones and the busiest shift. For a pilot size (K zones, H hours a day)
the best choice is exact and cheap: for each start hour, the K zones with the most eligible calls
in that window; then the start hour that covers most. The teams needed come from Erlang C at the
window's busiest hour (simulation.queueing), the cost from the program's costs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from altresponse.programs.model import Program
from altresponse.simulation.queueing import servers_needed

ZONE_OPTIONS = (1, 2, 3, 5, 10)
HOUR_OPTIONS = (4, 8, 10, 12, 16, 24)
SERVED_WITHIN_TARGET = 0.9
"""Teams are sized so that 9 in 10 calls at the busiest hour wait less than the program's limit."""
CITYWIDE = "citywide"


@dataclass(frozen=True)
class ZoneHour:
    """Eligible calls in one zone and local hour of day (civilian-only responses apart)."""

    zone: str | None
    hour: int
    civilian: bool
    calls: int
    timed: int
    minutes: float


@dataclass(frozen=True)
class Pilot:
    """One pilot: where and when, what it covers, the teams it needs and what it costs."""

    zones: tuple[str, ...]
    zones_k: int
    hours: int
    window_start: str
    window_end: str
    covered_calls: int
    covered_share: float
    calls_per_day: float
    peak_calls_per_hour: float
    service_minutes: float
    max_wait_minutes: float
    teams_estimate: int
    calls_per_team_shift: float
    annual_cost: float
    cost_per_call: float | None
    currency: str
    officer_hours_freed: float

    def to_json_dict(self) -> dict[str, object]:
        """Plain data for summary.json."""
        return asdict(self) | {"zones": list(self.zones)}


def _window(start: int, hours: int) -> list[int]:
    return [(start + i) % 24 for i in range(hours)]


def _clock(hour: int) -> str:
    return f"{hour % 24:02d}:00"


def _best(
    counts: dict[str | None, list[int]], zones_k: int, hours: int
) -> tuple[int, tuple[str | None, ...], int]:
    """(start hour, zones, covered calls) of the best window; the earliest start wins ties."""
    best: tuple[int, tuple[str | None, ...], int] = (0, (), -1)
    for start in range(24 if hours < 24 else 1):
        window = _window(start, hours)
        per_zone = sorted(
            ((sum(by_hour[h] for h in window), zone) for zone, by_hour in counts.items()),
            key=lambda nz: (-nz[0], str(nz[1])),
        )[:zones_k]
        covered = sum(n for n, _ in per_zone)
        if covered > best[2]:
            best = (start, tuple(z for _, z in per_zone), covered)
    return best


def design(
    cells: list[ZoneHour],
    days: int,
    program: Program,
    service_minutes: float,
    zones_k: int,
    hours: int,
) -> Pilot:
    """The best pilot of ZONES_K zones and HOURS a day, with its teams and costs."""
    if not 1 <= hours <= 24:
        raise ValueError(f"pilot hours must be 1 to 24, not {hours}")
    if zones_k < 1:
        raise ValueError(f"pilot zones must be at least 1, not {zones_k}")
    zoned = any(c.zone is not None for c in cells)
    counts: dict[str | None, list[int]] = defaultdict(lambda: [0] * 24)
    for c in cells:
        if c.zone is not None or not zoned:
            counts[c.zone if zoned else CITYWIDE][c.hour] += c.calls
    k = min(zones_k, len(counts)) if counts else 0
    start, chosen, covered = _best(counts, k, hours) if counts else (0, (), 0)
    window = set(_window(start, hours))
    covered = max(covered, 0)
    days = max(days, 1)
    peak = max((sum(counts[z][h] for z in chosen) for h in window), default=0) / days
    wait = program.queue.max_wait_minutes
    teams = (
        max(
            1,
            servers_needed(
                peak, service_minutes, max_wait_minutes=wait, target=SERVED_WITHIN_TARGET
            ),
        )
        if covered
        else 0
    )
    per_year = covered * 365 / days
    costs = program.costs
    annual = teams * hours * 365 * costs.team_hour + costs.per_call * per_year + costs.annual_fixed
    in_pilot = [
        c
        for c in cells
        if c.civilian and c.hour in window and ((c.zone if zoned else CITYWIDE) in chosen)
    ]
    timed = sum(c.timed for c in in_pilot)
    minutes = sum(c.minutes for c in in_pilot)
    civilian_calls = sum(c.calls for c in in_pilot)
    freed = minutes / timed * civilian_calls / 60 * 365 / days if timed else 0.0
    total = sum(c.calls for c in cells)
    return Pilot(
        zones=tuple(str(z) for z in chosen),
        zones_k=k,
        hours=hours,
        window_start=_clock(start),
        window_end=_clock(start + hours),
        covered_calls=covered,
        covered_share=round(covered / total, 4) if total else 0.0,
        calls_per_day=round(covered / days, 2),
        peak_calls_per_hour=round(peak, 3),
        service_minutes=round(service_minutes, 1),
        max_wait_minutes=wait,
        teams_estimate=teams,
        calls_per_team_shift=round(covered / days / teams, 2) if teams else 0.0,
        annual_cost=round(annual, 2),
        cost_per_call=round(annual / per_year, 2) if per_year else None,
        currency=costs.currency,
        officer_hours_freed=round(freed, 1),
    )


def pilot_grid(
    cells: list[ZoneHour], days: int, program: Program, service_minutes: float
) -> list[Pilot]:
    """The best pilot for each standard size, to show what a larger or smaller start buys."""
    zones = {c.zone for c in cells if c.zone is not None}
    sizes = sorted({k for k in ZONE_OPTIONS if k < len(zones)} | {max(len(zones), 1)})
    return [
        design(cells, days, program, service_minutes, k, h) for k in sizes for h in HOUR_OPTIONS
    ]
