"""When Sample City's calls arrive and how long each step takes, on the local wall clock."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import accumulate
from zoneinfo import ZoneInfo

from altresponse.samplecity.profile import WEEKDAYS, CityProfile, Spread

HOUR = 3600


@dataclass(frozen=True)
class WallClock:
    """Seconds since local midnight on 1 January of `year`, as a CAD's wall clock shows them."""

    year: int
    timezone: str

    def start(self) -> datetime:
        """Local midnight starting the year (naive: the wall clock)."""
        return datetime(self.year, 1, 1)

    def multiplicities(self) -> tuple[int, ...]:
        """How often each wall-clock hour happens: 0 in the spring gap, 2 in the autumn overlap."""
        return _multiplicities(self.year, self.timezone)

    def gaps(self) -> list[tuple[int, int]]:
        """Wall-clock second ranges that do not exist (clocks jump forward)."""
        return [(h * HOUR, (h + 1) * HOUR) for h, m in enumerate(self.multiplicities()) if m == 0]

    def aware(self, seconds: int) -> datetime:
        """The timezone-aware time of a wall-clock reading (the earlier one when it repeats)."""
        return (self.start() + timedelta(seconds=seconds)).replace(tzinfo=ZoneInfo(self.timezone))


@cache
def _multiplicities(year: int, timezone: str) -> tuple[int, ...]:
    """Occurrences of each wall-clock hour of `year` in `timezone` (0, 1 or 2)."""
    zone, utc = ZoneInfo(timezone), ZoneInfo("UTC")
    start = datetime(year, 1, 1)
    result = []
    for hour in range((datetime(year + 1, 1, 1) - start).days * 24):
        naive = start + timedelta(hours=hour)
        first = naive.replace(tzinfo=zone)
        if first.astimezone(utc).astimezone(zone).replace(tzinfo=None) != naive:
            result.append(0)
        else:
            second = naive.replace(tzinfo=zone, fold=1)
            result.append(2 if first.utcoffset() != second.utcoffset() else 1)
    return tuple(result)


def hourly_weights(profile: CityProfile, clock: WallClock) -> list[float]:
    """Relative call rate of every wall-clock hour of the year: month x hour of week."""
    start = clock.start()
    weights = []
    for hour, times in enumerate(clock.multiplicities()):
        moment = start + timedelta(hours=hour)
        day = WEEKDAYS[moment.weekday()]
        rate = profile.month[moment.month - 1] * profile.hour_of_week[day][moment.hour]
        weights.append(rate * times)
    return weights


def received_seconds(
    rng: random.Random, profile: CityProfile, clock: WallClock, calls: int
) -> list[int]:
    """Sorted wall-clock seconds at which `calls` calls are received."""
    weights = hourly_weights(profile, clock)
    hours = rng.choices(range(len(weights)), cum_weights=list(accumulate(weights)), k=calls)
    return sorted(h * HOUR + rng.randrange(HOUR) for h in hours)


def to_elapsed(wall: int, gaps: list[tuple[int, int]]) -> int:
    """Elapsed seconds since the year began for a wall-clock reading outside the gaps."""
    return wall - sum(end - start for start, end in gaps if wall >= end)


def to_wall(elapsed: int, gaps: list[tuple[int, int]]) -> int:
    """The wall-clock reading after `elapsed` seconds: clocks jump over each spring-forward gap."""
    wall = elapsed
    for start, end in gaps:
        if wall >= start:
            wall += end - start
    return wall


def draw_minutes(rng: random.Random, spread: Spread, cap: float) -> float:
    """One duration in minutes from a log-normal, capped."""
    return min(math.exp(spread.mu + spread.sigma * rng.gauss()), cap)
