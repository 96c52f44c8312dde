"""What the operations service does, independent of HTTP: intake, dispatch, status, the queue.

Every change runs in one transaction that also appends its events, so the log and the state can
never disagree, and a request is acknowledged only after its transaction commits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from altresponse.calls.record import CallRecord
from altresponse.errors import NotFoundError
from altresponse.geo import distance_km
from altresponse.operations import lifecycle
from altresponse.operations.db import readers
from altresponse.operations.field import ConflictError, FieldWork
from altresponse.operations.lifecycle import State
from altresponse.operations.models import (
    Event,
    Incident,
    Team,
    utcnow,
)
from altresponse.programs.model import Mode, Program, parse_clock
from altresponse.triage.decision import Decision
from altresponse.triage.live import decide

UNKNOWN_AGENCY = "unknown"
FOLLOW_UP_AFTER = (State.CLEARED, State.ESCALATED)
"""A program's follow-up policy applies once its team clears the call, or once the call is handed
to police or EMS (a post-overdose visit follows an EMS call)."""

WAITED_TOO_LONG = "waited-too-long"


@dataclass(frozen=True)
class Recommendation:
    """The team proposed for an incident, and how far it is."""

    team_id: int
    team: str
    distance_km: float | None


_INCIDENTS: Table = Incident.__table__  # type: ignore[assignment]
_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_INSERT_INCIDENT = insert(_INCIDENTS).returning(_INCIDENTS.c.id)
_INSERT_EVENT = insert(_EVENTS)


def _why(decision: Decision) -> str:
    """The reason that set the track: a red flag or an unanswered question before the rule."""
    flagged = [r for r in decision.reasons if ":" in r.id]
    chosen = flagged[0] if flagged else decision.reasons[0] if decision.reasons else None
    return chosen.says if chosen else decision.track.value


def _columns(incident: Incident) -> dict[str, Any]:
    """The column values of an incident not yet stored."""
    return {
        column.key: getattr(incident, column.key)
        for column in Incident.__table__.columns
        if column.key != "id"
    }


class Operations(FieldWork):
    """The service's operations over one database, for one program."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        program: Program,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """CLOCK gives the time every change is stamped with (the demo runs a faster one)."""
        self.sessions = sessions
        self.reads = readers(sessions)
        self.program = program
        self.clock = clock

    # events and transitions -------------------------------------------------------------------
    def _move(
        self,
        session: Session,
        incident: Incident,
        target: State,
        actor: str,
        reason: str | None = None,
        **data: Any,
    ) -> None:
        current = State(incident.state)
        lifecycle.check(current, target, reason)
        incident.state = target.value
        incident.state_reason = reason or None  # a note belongs to the change it came with
        incident.updated_at = self.clock()
        if incident.team_id is not None and not lifecycle.team_is_busy(target):
            session.execute(
                update(Team)
                .where(Team.id == incident.team_id, Team.incident_id == incident.id)
                .values(incident_id=None)
            )
        extra = {"reason": reason} if reason else {}
        self._event(session, incident, actor, "state", current, target, **extra, **data)
        if target in FOLLOW_UP_AFTER:
            self._owe_follow_ups(session, incident, actor)

    # intake -----------------------------------------------------------------------------------
    def intake(self, call: CallRecord, actor: str) -> tuple[Incident, bool]:
        """Take a call in: triage, store, route. A retry of the same agency call id is a no-op.

        The insert comes first and the unique (agency, call id) key decides: a retry, even one
        racing the first attempt, finds the stored incident instead of making a second.
        """
        agency = call.agency or UNKNOWN_AGENCY
        incident, events = self._plan_incident(call, agency, actor)
        try:
            with self.sessions() as session, session.begin():
                connection = session.connection()  # Core inserts: statements compiled once
                incident.id = connection.execute(_INSERT_INCIDENT, _columns(incident)).scalar_one()
                for row in events:
                    row["incident_id"] = incident.id
                connection.execute(_INSERT_EVENT, events)
                if State(incident.state) in FOLLOW_UP_AFTER:
                    self._owe_follow_ups(session, incident, actor)
            return incident, True
        except IntegrityError:  # already taken in (a retry)
            with self.reads() as session:
                found = session.scalar(
                    select(Incident).where(
                        Incident.agency == agency, Incident.agency_call_id == call.call_id
                    )
                )
            if found is None:
                raise
            return found, False

    def _plan_incident(
        self, call: CallRecord, agency: str, actor: str
    ) -> tuple[Incident, list[dict[str, Any]]]:
        """The incident a call makes (triaged and routed) and its first events, not yet stored."""
        program = self.program
        decision = decide(call, program, mode=Mode.LIVE)
        option = program.response(decision.response)
        now = self.clock()
        incident = Incident(
            agency=agency,
            agency_call_id=call.call_id,
            received_at=call.received_at,
            call=call.model_dump(mode="json", exclude={"raw"}),
            program=program.id,
            protocol_version=program.protocol_version,
            track=decision.track.value,
            response=decision.response,
            eligible=decision.eligible,
            priority=decision.priority,
            reasons=[{"id": r.id, "says": r.says} for r in decision.reasons],
            also=[t.value for t in decision.also],
            skills=list(option.skills),
            unserved_reason=decision.unserved_reason,
            zone=call.zone,
            lat=call.lat,
            lon=call.lon,
            team_id=None,
            queued_at=None,
            created_at=now,
            updated_at=now,
        )
        route: tuple[State, str | None, dict[str, Any]]
        if decision.unserved_reason is not None:
            route = (State.UNSERVED, decision.unserved_reason, {"fallback": decision.track.value})
        elif option.program:
            route = (State.QUEUED, None, {})
            incident.queued_at = now
        else:
            route = (State.ESCALATED, f"{decision.track}: {_why(decision)}", {})
        target, reason, extra = route
        lifecycle.check(State.TRIAGED, target, reason)
        incident.state, incident.state_reason = target.value, reason

        def event(kind: str, before: State | None, after: State, **data: Any) -> dict[str, Any]:
            return {"at": now, "actor": actor, "kind": kind, "data": data,
                    "before": before.value if before else None, "after": after.value}  # fmt: skip

        events = [
            event("intake", None, State.RECEIVED),
            event("state", State.RECEIVED, State.TRIAGED, track=decision.track.value),
            event(
                "state", State.TRIAGED, target, **({"reason": reason} if reason else {}), **extra
            ),
        ]
        return incident, events

    # reading ----------------------------------------------------------------------------------
    def incident(self, incident_id: int) -> Incident:
        """One incident; NotFoundError when there is none."""
        with self.reads() as session:
            found = session.get(Incident, incident_id)
            if found is None:
                raise NotFoundError(f"incident {incident_id} does not exist")
            return found

    def events(self, incident_id: int) -> list[Event]:
        """An incident's log, oldest first."""
        self.incident(incident_id)
        with self.reads() as session:
            return list(
                session.scalars(
                    select(Event).where(Event.incident_id == incident_id).order_by(Event.id)
                )
            )

    def queue(self) -> list[Incident]:
        """Incidents waiting for a civilian team: most urgent first, then longest waiting."""
        with self.reads() as session:
            return list(
                session.scalars(
                    select(Incident)
                    .where(Incident.state == State.QUEUED.value)
                    .order_by(Incident.priority, Incident.queued_at, Incident.id)
                )
            )

    def open_incidents(self) -> list[Incident]:
        """Incidents not yet at an end: waiting, with a team, or cleared and not closed."""
        with self.reads() as session:
            return list(
                session.scalars(
                    select(Incident)
                    .where(Incident.state.not_in([s.value for s in lifecycle.TERMINAL]))
                    .order_by(Incident.priority, Incident.received_at, Incident.id)
                )
            )

    def recent(self, limit: int = 15) -> list[Incident]:
        """The calls taken in last, newest first, wherever they went."""
        with self.reads() as session:
            return list(session.scalars(select(Incident).order_by(Incident.id.desc()).limit(limit)))

    # teams and dispatch -----------------------------------------------------------------------
    def add_team(self, name: str, skills: list[str], shift: tuple[str, str] | None = None) -> Team:
        """A new team, on duty and free."""
        with self.sessions() as session, session.begin():
            if session.scalar(select(Team).where(Team.name == name)) is not None:
                raise ConflictError(f"team {name!r} already exists")
            team = Team(
                name=name,
                skills=sorted(skills),
                shift_start=shift[0] if shift else None,
                shift_end=shift[1] if shift else None,
                on_duty=True,
            )
            session.add(team)
        return team

    def teams(self) -> list[Team]:
        """Every team."""
        with self.reads() as session:
            return list(session.scalars(select(Team).order_by(Team.id)))

    def update_team(
        self,
        team_id: int,
        *,
        on_duty: bool | None = None,
        lat: float | None = None,
        lon: float | None = None,
    ) -> Team:
        """A team's duty status or last known position."""
        with self.sessions() as session, session.begin():
            team = session.get(Team, team_id)
            if team is None:
                raise NotFoundError(f"team {team_id} does not exist")
            if on_duty is not None:
                team.on_duty = on_duty
            if lat is not None and lon is not None:
                team.lat, team.lon, team.position_at = lat, lon, self.clock()
        return team

    def on_shift(self, team: Team, now: datetime | None = None) -> bool:
        """On duty, and inside its shift (local time of the program) when it has one."""
        if not team.on_duty:
            return False
        if not team.shift_start or not team.shift_end:
            return True
        local = (now or self.clock()).astimezone(ZoneInfo(self.program.timezone))
        minute = local.hour * 60 + local.minute
        start, end = parse_clock(team.shift_start), parse_clock(team.shift_end)
        if start == end:
            return True
        return start <= minute < end if start < end else minute >= start or minute < end

    def recommend(self, incident_id: int, now: datetime | None = None) -> Recommendation | None:
        """The nearest free team on shift with the skills the response needs (None: no team)."""
        incident = self.incident(incident_id)
        if State(incident.state) not in (State.TRIAGED, State.QUEUED):
            return None
        return self.recommend_for(incident.skills, incident.lat, incident.lon, now)

    def recommend_for(
        self,
        skills: list[str],
        lat: float | None,
        lon: float | None,
        now: datetime | None = None,
        teams: list[Team] | None = None,
    ) -> Recommendation | None:
        """The nearest free team on shift with SKILLS, for a call at (LAT, LON) if known."""
        needed = set(skills)
        here = (lat, lon) if lat is not None and lon is not None else None
        now = now or self.clock()
        best: tuple[float, int, Team] | None = None
        for team in self.teams() if teams is None else teams:
            if team.incident_id is not None or not needed <= set(team.skills):
                continue
            if not self.on_shift(team, now):
                continue
            distance = (
                distance_km(here, (team.lat, team.lon))
                if here is not None and team.lat is not None and team.lon is not None
                else math.inf
            )
            if best is None or (distance, team.id) < (best[0], best[1]):
                best = (distance, team.id, team)
        if best is None:
            return None
        km = None if math.isinf(best[0]) else round(best[0], 2)
        return Recommendation(best[2].id, best[2].name, km)

    def dispatch(self, incident_id: int, team_id: int, actor: str) -> Incident:
        """Assign TEAM to the incident. Exactly one of two dispatchers racing for a team wins."""
        with self.sessions() as session, session.begin():
            incident = session.get(Incident, incident_id, with_for_update=True)
            if incident is None:
                raise NotFoundError(f"incident {incident_id} does not exist")
            team = session.get(Team, team_id)
            if team is None:
                raise NotFoundError(f"team {team_id} does not exist")
            if State(incident.state) not in (State.TRIAGED, State.QUEUED):
                raise ConflictError(f"incident {incident_id} is {incident.state}, not waiting")
            if not set(incident.skills) <= set(team.skills):
                raise ConflictError(f"team {team.name} lacks skills {sorted(incident.skills)}")
            if team.on_duty and not self.on_shift(team):
                shift = f"{team.shift_start}-{team.shift_end}"
                raise ConflictError(f"team {team.name} is outside its shift ({shift})")
            taken = session.execute(
                update(Team)
                .where(Team.id == team_id, Team.incident_id.is_(None), Team.on_duty.is_(True))
                .values(incident_id=incident_id)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError(f"team {team.name} is not free (assigned or off duty)")
            incident.team_id = team_id
            self._move(session, incident, State.DISPATCHED, actor, team=team.name)
            return incident

    def set_state(
        self, incident_id: int, target: State, actor: str, reason: str | None = None
    ) -> Incident:
        """Move an incident along its lifecycle (a team's status, escalation, closing)."""
        with self.sessions() as session, session.begin():
            incident = session.get(Incident, incident_id, with_for_update=True)
            if incident is None:
                raise NotFoundError(f"incident {incident_id} does not exist")
            if target is State.DISPATCHED:
                raise ConflictError("a team is dispatched with /incidents/{id}/dispatch")
            try:
                self._move(session, incident, target, actor, reason)
            except lifecycle.TransitionError as exc:
                raise ConflictError(str(exc)) from exc
            return incident

    def escalate_overdue(self, now: datetime | None = None, actor: str = "system") -> list[int]:
        """Queued incidents past the program's maximum wait fall back, as eligible-unserved."""
        now = now or self.clock()
        limit = now - timedelta(minutes=self.program.queue.max_wait_minutes)
        fallback = self.program.response(self.program.queue.fallback)
        moved: list[int] = []
        with self.sessions() as session, session.begin():
            overdue = session.scalars(
                select(Incident).where(
                    Incident.state == State.QUEUED.value, Incident.queued_at < limit
                )
            )
            for incident in overdue:
                incident.unserved_reason = WAITED_TOO_LONG
                incident.track = fallback.track.value
                incident.response = fallback.id
                self._move(
                    session, incident, State.UNSERVED, actor, WAITED_TOO_LONG,
                    fallback=fallback.track.value,
                )  # fmt: skip
                moved.append(incident.id)
        return moved

    def last_event_id(self) -> int:
        """The newest event's id (0 when there is none)."""
        with self.reads() as session:
            return session.scalar(select(func.max(Event.id))) or 0

    def events_after(self, last_id: int, limit: int = 500) -> list[Event]:
        """Events newer than LAST_ID, oldest first (for the live stream)."""
        with self.reads() as session:
            return list(
                session.scalars(
                    select(Event).where(Event.id > last_id).order_by(Event.id).limit(limit)
                )
            )
