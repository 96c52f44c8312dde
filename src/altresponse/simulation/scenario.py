"""A scenario from a program, its calls and a planner's choices: the one place the parts meet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from altresponse.programs.model import Program
from altresponse.simulation.calls import CallSet
from altresponse.simulation.fleet import Fleet, Shift, build_fleet
from altresponse.simulation.model import Scenario, ServiceModel
from altresponse.simulation.times import DEFAULT_TIMES, FittedTimes, Fixed

CAHOOTS_BACKUP_RATE = 0.006
"""CAHOOTS asked police for backup on about 0.6% of its calls (White Bird Clinic, 2020)."""
TRANSPORT_MINUTES = 45.0
"""Assumed time for a transport (to an emergency department, crisis centre or shelter)."""


@dataclass(frozen=True)
class Choices:
    """What a planner sets for a run; None keeps the program's own value."""

    teams: int | None = None
    shifts: Sequence[Shift] | None = None
    backup_rate: float = CAHOOTS_BACKUP_RATE
    transport_share: float = 0.0
    follow_up_share: float = 0.0
    speed_kmh: float | None = None


def service_model(
    calls: CallSet, choices: Choices, times: FittedTimes = DEFAULT_TIMES
) -> ServiceModel:
    """Fitted times (Lane County by default) with the planner's rates."""
    return ServiceModel(
        travel=times.dispatch_to_arrival,
        on_scene=times.on_scene,
        transport_share=choices.transport_share,
        transport=Fixed(TRANSPORT_MINUTES) if choices.transport_share else None,
        backup_rate=choices.backup_rate,
        speed_kmh=choices.speed_kmh,
        follow_up_share=choices.follow_up_share,
        follow_up=times.on_scene if choices.follow_up_share else None,
        police_minutes=calls.police_minutes,
    )


def make_scenario(
    program: Program, calls: CallSet, choices: Choices, times: FittedTimes = DEFAULT_TIMES
) -> tuple[Scenario, Fleet]:
    """The scenario of PROGRAM over CALLS with CHOICES, and its fleet."""
    fleet = build_fleet(program, calls.horizon, teams=choices.teams, shifts=choices.shifts)
    costs = program.costs
    scenario = Scenario(
        calls=calls.calls,
        teams=fleet.teams,
        service=service_model(calls, choices, times),
        max_wait=program.queue.max_wait_minutes,
        horizon=calls.horizon,
        team_hour_cost=costs.team_hour,
        per_call_cost=costs.per_call,
        annual_fixed_cost=costs.annual_fixed,
    )
    return scenario, fleet
