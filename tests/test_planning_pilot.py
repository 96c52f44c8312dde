"""Pilot design: the best zones and daily window, the teams they need and what they cost."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altresponse.planning.pilot import Pilot, ZoneHour, design, pilot_grid
from altresponse.programs import Program, load_program
from altresponse.programs.model import Costs
from altresponse.simulation.queueing import servers_needed

RIVERTON = Path(__file__).parent / "programs" / "riverton.yaml"
HOUR_SIZES = (4, 8, 10, 12, 16, 24)


@functools.cache
def star() -> Program:
    return load_program("star_denver")


@functools.cache
def star_with_costs() -> Program:
    """STAR with a per-call and a fixed cost, so that every term of the cost formula counts."""
    costs = Costs(currency="USD", team_hour=137, per_call=12.5, annual_fixed=50_000)
    return star().model_copy(update={"costs": costs})


def cell(zone: str | None, hour: int, calls: int, *, civilian: bool = True) -> ZoneHour:
    """CALLS eligible calls, none timed."""
    return ZoneHour(zone, hour, civilian, calls, 0, 0.0)


def window(start: int, hours: int) -> set[int]:
    return {(start + i) % 24 for i in range(hours)}


def clock(hour: int) -> str:
    return f"{hour % 24:02d}:00"


def counts_by_zone(cells: list[ZoneHour]) -> dict[str, list[int]]:
    """Calls by zone and hour; unzoned calls drop out unless no call has a zone (citywide)."""
    zoned = any(c.zone is not None for c in cells)
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * 24)
    for c in cells:
        if c.zone is not None:
            counts[c.zone][c.hour] += c.calls
        elif not zoned:
            counts["citywide"][c.hour] += c.calls
    return dict(counts)


def brute_force(cells: list[ZoneHour], zones_k: int, hours: int) -> tuple[int, int]:
    """(most calls any K zones cover in any window of HOURS, the earliest start that does)."""
    counts = counts_by_zone(cells)
    k = min(zones_k, len(counts))
    covered = {
        start: max(
            (
                sum(counts[z][h] for z in subset for h in window(start, hours))
                for subset in combinations(sorted(counts), k)
            ),
            default=0,
        )
        for start in range(24)
    }
    most = max(covered.values())
    return most, min(start for start, n in covered.items() if n == most)


def start_of(pilot: Pilot) -> int:
    return int(pilot.window_start[:2])


zone_hours = st.builds(
    ZoneHour,
    zone=st.sampled_from(["A", "B", "C", "D", "E", None]),
    hour=st.integers(0, 23),
    civilian=st.booleans(),
    calls=st.integers(0, 6),
    timed=st.integers(0, 3),
    minutes=st.floats(0, 400, allow_nan=False),
)


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(zone_hours, max_size=25),
    zones_k=st.integers(1, 6),
    hours=st.integers(1, 24),
    days=st.integers(1, 40),
)
def test_the_chosen_pilot_is_the_best(
    cells: list[ZoneHour], zones_k: int, hours: int, days: int
) -> None:
    """No choice of K zones and start hour covers more; ties go to the earliest start."""
    program = star_with_costs()
    pilot = design(cells, days, program, 45.0, zones_k, hours)
    most, earliest = brute_force(cells, zones_k, hours)
    counts = counts_by_zone(cells)
    assert pilot.covered_calls == most
    assert start_of(pilot) == earliest
    assert (pilot.window_start, pilot.window_end) == (clock(earliest), clock(earliest + hours))
    assert pilot.zones_k == len(pilot.zones) == len(set(pilot.zones)) == min(zones_k, len(counts))
    hours_in = window(earliest, hours)
    assert sum(counts[z][h] for z in pilot.zones for h in hours_in) == most
    # Teams for the busiest hour of the chosen window, over the days of data.
    peak = max((sum(counts[z][h] for z in pilot.zones) for h in hours_in), default=0) / days
    wait = program.queue.max_wait_minutes
    teams = servers_needed(peak, 45.0, max_wait_minutes=wait, target=0.9) if most else 0
    assert pilot.teams_estimate == teams
    assert pilot.peak_calls_per_hour == round(peak, 3)
    # Officer time freed: civilian-only calls in the chosen zones and window.
    chosen = [
        c
        for c in cells
        if c.civilian and c.hour in hours_in and (c.zone or "citywide") in pilot.zones
    ]
    timed = sum(c.timed for c in chosen)
    freed = (
        sum(c.minutes for c in chosen) / timed * sum(c.calls for c in chosen) / 60 * 365 / days
        if timed
        else 0.0
    )
    assert pilot.officer_hours_freed == round(freed, 1)


def test_a_window_may_wrap_past_midnight() -> None:
    cells = [cell("A", h, 2) for h in (22, 23, 0, 1)] + [cell("B", 12, 3)]
    pilot = design(cells, 10, star(), 60.0, 1, 4)
    assert pilot.zones == ("A",)
    assert (pilot.window_start, pilot.window_end) == ("22:00", "02:00")
    assert pilot.covered_calls == 8


def test_ties_go_to_the_earliest_start() -> None:
    # Starts 4 and 5 cover the 05:00 call, 16 and 17 the 17:00 one: 04:00 wins.
    pilot = design([cell("A", 5, 1), cell("A", 17, 1)], 1, star(), 60.0, 1, 2)
    assert (pilot.window_start, pilot.window_end, pilot.covered_calls) == ("04:00", "06:00", 1)


def riverton() -> Program:
    return load_program(RIVERTON)


@pytest.mark.parametrize("load", [star_with_costs, riverton], ids=["star", "riverton"])
def test_teams_and_costs(load: Callable[[], Program]) -> None:
    program = load()
    # Zone A: 20 calls at 09:00 and 10 at 10:00 over 5 days; one zone for 4 hours takes both
    # from 07:00 (the earliest start that does): 30 calls, at most 20 / 5 = 4 an hour.
    cells = [cell("A", 9, 20), cell("A", 10, 10), cell("B", 12, 5)]
    pilot = design(cells, 5, program, 45.0, 1, 4)
    assert (pilot.zones, pilot.window_start, pilot.window_end) == (("A",), "07:00", "11:00")
    assert pilot.covered_calls == 30
    assert pilot.covered_share == round(30 / 35, 4)
    assert pilot.calls_per_day == 6.0
    assert pilot.peak_calls_per_hour == 4.0
    wait = program.queue.max_wait_minutes
    teams = servers_needed(4.0, 45.0, max_wait_minutes=wait, target=0.9)
    assert teams >= 2  # 3 Erlangs of load: one team could not keep up
    assert pilot.teams_estimate == teams
    assert pilot.max_wait_minutes == wait
    assert pilot.calls_per_team_shift == round(6.0 / teams, 2)
    costs = program.costs
    per_year = 30 * 365 / 5
    annual = teams * 4 * 365 * costs.team_hour + costs.per_call * per_year + costs.annual_fixed
    assert costs.per_call > 0
    assert pilot.annual_cost == round(annual, 2)
    assert pilot.cost_per_call == round(annual / per_year, 2)
    assert pilot.currency == costs.currency


def test_officer_hours_freed_counts_civilian_calls_in_the_pilot_only() -> None:
    cells = [
        ZoneHour("A", 9, True, 4, 3, 120.0),  # in: 40 minutes a timed call, 4 calls
        ZoneHour("A", 10, False, 6, 6, 600.0),  # co-response: an officer still goes
        ZoneHour("A", 20, True, 1, 1, 50.0),  # outside the window
        ZoneHour("B", 9, True, 2, 2, 100.0),  # outside the pilot's zone
    ]
    pilot = design(cells, 10, star(), 60.0, 1, 4)
    assert (pilot.zones, pilot.window_start) == (("A",), "07:00")
    assert pilot.officer_hours_freed == round(40 * 4 / 60 * 365 / 10, 1) == 97.3


@pytest.mark.parametrize(
    "cells", [[], [cell("A", 9, 0), cell("B", 14, 0)]], ids=["no-cells", "no-calls"]
)
def test_no_eligible_calls_means_no_teams(cells: list[ZoneHour]) -> None:
    program = star_with_costs()
    pilot = design(cells, 30, program, 60.0, 3, 10)
    assert pilot.covered_calls == 0
    assert pilot.teams_estimate == 0
    assert pilot.calls_per_team_shift == 0.0
    assert pilot.cost_per_call is None
    assert pilot.annual_cost == program.costs.annual_fixed
    assert pilot.officer_hours_freed == 0.0


def test_data_without_zones_is_one_citywide_area() -> None:
    cells = [cell(None, 9, 5), cell(None, 10, 3), cell(None, 22, 1)]
    pilot = design(cells, 2, star(), 60.0, 3, 4)
    assert pilot.zones == ("citywide",)
    assert pilot.zones_k == 1
    assert pilot.covered_calls == 8
    assert pilot.peak_calls_per_hour == 2.5


def test_unzoned_calls_count_in_the_share_but_not_in_the_pilot() -> None:
    pilot = design([cell("A", 9, 5), cell(None, 9, 5)], 1, star(), 60.0, 3, 4)
    assert pilot.zones == ("A",)
    assert (pilot.covered_calls, pilot.covered_share) == (5, 0.5)


@pytest.mark.parametrize(("zones_k", "hours"), [(1, 0), (1, 25), (0, 10), (-1, 10)])
def test_bad_sizes_are_refused(zones_k: int, hours: int) -> None:
    with pytest.raises(ValueError, match="hours" if zones_k >= 1 else "zones"):
        design([cell("A", 9, 1)], 1, star(), 60.0, zones_k, hours)


@pytest.mark.parametrize(
    ("zone_count", "sizes"),
    [(0, [1]), (1, [1]), (4, [1, 2, 3, 4]), (12, [1, 2, 3, 5, 10, 12])],
)
def test_pilot_grid_sizes(zone_count: int, sizes: list[int]) -> None:
    """Each standard size smaller than the city, and the whole city; every standard window."""
    cells = [cell(f"Z{i:02d}", (3 * i) % 24, i + 1) for i in range(zone_count)]
    cells.append(cell(None, 12, 2))
    grid = pilot_grid(cells, 7, star(), 50.0)
    assert [(p.zones_k, p.hours) for p in grid] == [(k, h) for k in sizes for h in HOUR_SIZES]
    for p in grid:
        assert p == design(cells, 7, star(), 50.0, p.zones_k, p.hours)
    covered = {(p.zones_k, p.hours): p.covered_calls for p in grid}
    for (k, h), n in covered.items():  # a bigger pilot never covers fewer calls
        assert all(n <= m for (k2, h2), m in covered.items() if k2 >= k and h2 >= h)
