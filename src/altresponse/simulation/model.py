"""The discrete-event model of a program's teams (SimPy): eligible calls in, service figures out.

Time is in minutes from the scenario's origin, a Monday 00:00 local time, so a shift's minute of
the week is `now % 10080`. One run:

- Every eligible call arrives at its time. If triage already said the program cannot take it
  (outside its hours or area), it falls back at once with that reason. If no team in the fleet has
  the skills it needs, or no such team is on duty, it falls back too.
- Otherwise the nearest idle team that can take it is dispatched, or the call waits in the queue
  (most urgent first, then longest waiting). A call still waiting after the program's maximum wait
  falls back (`waited-too-long`); it is dropped from the queue when a team would next look at it,
  which gives the same outcome as dropping it on the minute.
- A team on a call travels (from the fitted dispatch-to-arrival time, or distance and speed when
  both ends have coordinates), stays on scene, sometimes transports the person, clears, and then
  takes the next call it can, or waits for one until its shift ends. A call in hand is finished
  past the end of a shift (overtime is counted).
- Backup requests happen at the given rate: counted, and the call's police time is not displaced.
- Follow-up visits, when the service model asks for them, are queued behind every call and never
  fall back; they take team time.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import random
from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpy

from altresponse.geo import distance_km
from altresponse.simulation.distributions import TimeDistribution

MINUTES_PER_WEEK = 7 * 24 * 60
NO_SKILLED_TEAM = "no-skilled-team"
NO_TEAM_ON_DUTY = "no-team-on-duty"
WAITED_TOO_LONG = "waited-too-long"
FOLLOW_UP_PRIORITY = 99
ROAD_FACTOR = 1.3
"""Road distance over straight-line distance, a common rule of thumb for city streets."""


@dataclass(frozen=True, slots=True)
class SimCall:
    """An eligible call as the model sees it."""

    call_id: str
    arrival: float
    priority: int = 3
    skills: frozenset[str] = frozenset()
    unserved: str | None = None
    lat: float | None = None
    lon: float | None = None
    police_minutes: float | None = None


@dataclass(frozen=True)
class TeamSpec:
    """One team: its skills, its duty spans (minutes of the week), and where it starts."""

    id: str
    skills: frozenset[str]
    duty: tuple[tuple[int, int], ...]
    station: tuple[float, float] | None = None


@dataclass(frozen=True)
class ServiceModel:
    """How long each part of a call takes, and how often the rarer things happen."""

    travel: TimeDistribution
    on_scene: TimeDistribution
    clear: TimeDistribution | None = None
    transport_share: float = 0.0
    transport: TimeDistribution | None = None
    backup_rate: float = 0.006
    speed_kmh: float | None = None
    follow_up_share: float = 0.0
    follow_up: TimeDistribution | None = None
    police_minutes: float = 60.0

    def __post_init__(self) -> None:
        for name in ("transport_share", "backup_rate", "follow_up_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.transport_share and self.transport is None:
            raise ValueError("transport: a time is needed when transport_share is above 0")
        if self.follow_up_share and self.follow_up is None:
            raise ValueError("follow_up: a time is needed when follow_up_share is above 0")


@dataclass(frozen=True)
class Scenario:
    """Calls, teams, service times and the program's queue rule, over a horizon."""

    calls: tuple[SimCall, ...]
    teams: tuple[TeamSpec, ...]
    service: ServiceModel
    max_wait: float
    horizon: float
    team_hour_cost: float = 0.0
    per_call_cost: float = 0.0
    annual_fixed_cost: float = 0.0


@dataclass
class RunResult:
    """What one run gave. Times in minutes; `dispatch` is the wait, `arrival` wait plus travel."""

    arrived: int = 0
    served: int = 0
    unserved: Counter[str] = field(default_factory=Counter)
    queued_at_end: int = 0
    dispatch: list[float] = field(default_factory=list)
    arrival: list[float] = field(default_factory=list)
    busy_minutes: float = 0.0
    duty_minutes: float = 0.0
    overtime_minutes: float = 0.0
    backups: int = 0
    transports: int = 0
    police_minutes_displaced: float = 0.0
    follow_ups_due: int = 0
    follow_ups_done: int = 0
    cost: float = 0.0

    @property
    def served_share(self) -> float:
        """Served calls over eligible calls."""
        return self.served / self.arrived if self.arrived else 0.0

    @property
    def utilisation(self) -> float:
        """Unit-hour utilisation: busy team time over time on duty (overtime included)."""
        on = self.duty_minutes + self.overtime_minutes
        return self.busy_minutes / on if on else 0.0

    @property
    def cost_per_served(self) -> float | None:
        """Cost of the run over the calls served."""
        return self.cost / self.served if self.served else None


class _Team:
    """A team's state during a run."""

    __slots__ = ("busy_until", "position", "shift_until", "skills", "spec", "wakeup")

    def __init__(self, spec: TeamSpec) -> None:
        self.spec = spec
        self.skills = spec.skills
        self.position = spec.station
        self.wakeup: simpy.Event | None = None
        self.shift_until = 0.0
        self.busy_until = 0.0


class _DutyChange(simpy.events.Event):
    """A shift starting or ending DELAY minutes from now.

    It is scheduled as urgent, so at a shift's first minute the team is on duty before a call of
    that minute arrives, and at its last minute it is off duty before one arrives: shifts are
    half-open, [start, end), whatever order the events were created in.
    """

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, simpy.events.URGENT, delay)


class _Run:
    """One simulated run of a scenario with one seed."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.s = scenario
        self.rng = random.Random(seed)
        self.env = simpy.Environment()
        self.result = RunResult()
        self.teams = [_Team(spec) for spec in scenario.teams]
        self.idle: list[_Team] = []
        self.queues: dict[frozenset[str], list[tuple[int, float, int, SimCall]]] = {}
        self.counter = itertools.count()
        needs = {call.skills for call in scenario.calls}
        self.staffed = {need: any(need <= t.skills for t in self.teams) for need in needs}
        self.on_duty = dict.fromkeys(needs, 0)
        """Teams on duty now that can take calls needing each set of skills."""

    # arrivals and dispatch
    def arrivals(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        for call in self.s.calls:
            if call.arrival >= self.s.horizon:
                break
            if call.arrival > env.now:
                yield env.timeout(call.arrival - env.now)
            self.arrive(call)

    def arrive(self, call: SimCall) -> None:
        result = self.result
        result.arrived += 1
        if call.unserved is not None:
            result.unserved[call.unserved] += 1
            return
        if not self.staffed[call.skills]:
            result.unserved[NO_SKILLED_TEAM] += 1
            return
        if not self.on_duty[call.skills]:
            result.unserved[NO_TEAM_ON_DUTY] += 1
            return
        team = self._nearest_idle(call)
        if team is not None:
            self.idle.remove(team)
            wakeup, team.wakeup = team.wakeup, None
            assert wakeup is not None
            wakeup.succeed(call)
            return
        entry = (call.priority, call.arrival, next(self.counter), call)
        heapq.heappush(self.queues.setdefault(call.skills, []), entry)

    def _nearest_idle(self, call: SimCall) -> _Team | None:
        if not self.s.service.speed_kmh or call.lat is None or call.lon is None:
            # Idle longest: travel does not depend on where the team is.
            return next((team for team in self.idle if call.skills <= team.skills), None)
        fits = [team for team in self.idle if call.skills <= team.skills]
        if not fits:
            return None
        here = (call.lat, call.lon)
        return min(
            fits,
            key=lambda t: distance_km(t.position, here) if t.position is not None else math.inf,
        )

    def next_call(self, team: _Team) -> SimCall | None:
        """The most urgent, longest-waiting call this team can take; expired calls fall back."""
        now, limit = self.env.now, self.s.max_wait
        best: list[tuple[int, float, int, SimCall]] | None = None
        for skills, queue in self.queues.items():
            if not skills <= team.skills:
                continue
            while (
                queue and queue[0][3].priority != FOLLOW_UP_PRIORITY and (now - queue[0][1] > limit)
            ):
                heapq.heappop(queue)
                self.result.unserved[WAITED_TOO_LONG] += 1
            if queue and (best is None or queue[0] < best[0]):
                best = queue
        return heapq.heappop(best)[3] if best else None

    # teams
    def team(self, team: _Team) -> Generator[simpy.Event, Any, None]:
        env = self.env
        for start, end in team.spec.duty:
            if start >= self.s.horizon:
                break
            until = min(float(end), self.s.horizon)
            if start > env.now:
                yield _DutyChange(env, start - env.now)
            if env.now >= until:
                continue
            self.result.duty_minutes += until - env.now
            team.shift_until = until
            self._duty(team, 1)
            shift_end = _DutyChange(env, until - env.now)
            shift_end.callbacks.append(functools.partial(self._end_shift, team))
            while env.now < until:
                call = self.next_call(team)
                if call is None:
                    wakeup = env.event()
                    team.wakeup = wakeup
                    self.idle.append(team)
                    call = yield wakeup
                    if call is None:  # the shift ended while the team waited
                        break
                yield from self.serve(team, call)
            if env.now > until:
                self.result.overtime_minutes += env.now - until

    def _duty(self, team: _Team, change: int) -> None:
        for need in self.on_duty:
            if need <= team.skills:
                self.on_duty[need] += change

    def _end_shift(self, team: _Team, _event: simpy.Event) -> None:
        """At the end of a shift: off duty, and an idle team stops waiting for calls."""
        self._duty(team, -1)
        if team.wakeup is not None:
            self.idle.remove(team)
            wakeup, team.wakeup = team.wakeup, None
            wakeup.succeed(None)

    def serve(self, team: _Team, call: SimCall) -> Generator[simpy.Event, Any, None]:
        env, rng, service, result = self.env, self.rng, self.s.service, self.result
        wait = env.now - call.arrival
        follow_up = call.priority == FOLLOW_UP_PRIORITY
        here = (call.lat, call.lon) if call.lat is not None and call.lon is not None else None
        if service.speed_kmh and here is not None and team.position is not None:
            travel = distance_km(team.position, here) * ROAD_FACTOR / service.speed_kmh * 60
        else:
            travel = service.travel.sample(rng)
        scene = service.follow_up if follow_up and service.follow_up else service.on_scene
        busy = travel + scene.sample(rng)
        if follow_up:
            result.follow_ups_done += 1
        else:
            result.served += 1
            result.dispatch.append(wait)
            result.arrival.append(wait + travel)
            if rng.random() < service.backup_rate:
                result.backups += 1
            else:
                minutes = call.police_minutes
                result.police_minutes_displaced += (
                    service.police_minutes if minutes is None else minutes
                )
            if service.transport is not None and rng.random() < service.transport_share:
                result.transports += 1
                busy += service.transport.sample(rng)
        if service.clear is not None:
            busy += service.clear.sample(rng)
        result.busy_minutes += min(busy, self.s.horizon - env.now)  # the run stops at the horizon
        team.busy_until = env.now + busy
        yield env.timeout(busy)
        if here is not None:
            team.position = here
        if (
            not follow_up
            and service.follow_up is not None
            and rng.random() < service.follow_up_share
        ):
            result.follow_ups_due += 1
            visit = SimCall(
                f"{call.call_id}:follow-up",
                env.now,
                FOLLOW_UP_PRIORITY,
                call.skills,
                lat=call.lat,
                lon=call.lon,
            )
            entry = (visit.priority, visit.arrival, next(self.counter), visit)
            heapq.heappush(self.queues.setdefault(visit.skills, []), entry)

    def run(self) -> RunResult:
        env, s = self.env, self.s
        for team in self.teams:  # teams first: one on duty at minute 0 takes a call of minute 0
            env.process(self.team(team))
        env.process(self.arrivals())
        env.run(until=s.horizon)
        result = self.result
        for team in self.teams:  # a call in hand past the shift's end when the run stops
            if team.busy_until > s.horizon > team.shift_until:
                result.overtime_minutes += s.horizon - team.shift_until
        for queue in self.queues.values():
            for _, arrived, _, call in queue:
                if call.priority == FOLLOW_UP_PRIORITY:
                    continue
                if s.horizon - arrived > s.max_wait:
                    result.unserved[WAITED_TOO_LONG] += 1
                else:
                    result.queued_at_end += 1
        result.cost = (
            result.duty_minutes / 60 * s.team_hour_cost
            + result.served * s.per_call_cost
            + s.annual_fixed_cost * s.horizon / (365 * 24 * 60)
        )
        return result


def simulate(scenario: Scenario, seed: int) -> RunResult:
    """One run of SCENARIO with the random stream of SEED (same seed, same result)."""
    return _Run(scenario, seed).run()


def duty_spans(
    week_spans: Sequence[tuple[int, int]], horizon: float
) -> tuple[tuple[int, int], ...]:
    """Spans of the week (minutes since Monday 00:00) over HORIZON, adjacent ones joined."""
    weeks = int(horizon // MINUTES_PER_WEEK) + 1
    spans = sorted(
        (k * MINUTES_PER_WEEK + a, k * MINUTES_PER_WEEK + b)
        for k in range(weeks)
        for a, b in week_spans
    )
    joined: list[tuple[int, int]] = []
    for a, b in spans:
        if joined and a <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], b))
        else:
            joined.append((a, b))
    return tuple((a, b) for a, b in joined if a < horizon)
