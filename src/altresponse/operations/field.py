"""Work in the field: backup requests, dispositions, referrals to the resource directory, and the
follow-ups the program's policy owes after a call (with due dates, a work list and outcomes).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from altresponse.calls.record import CallRecord, Disposition
from altresponse.errors import AltResponseError, InputError, NotFoundError
from altresponse.operations.lifecycle import State
from altresponse.operations.models import (
    Backup,
    Event,
    FollowUp,
    Incident,
    Referral,
    Resource,
)
from altresponse.programs.model import Program
from altresponse.triage.live import condition_holds

BACKUP_TRACKS = ("police", "ems")
RESOURCE_KINDS = (
    "crisis_stabilisation",
    "sobering_centre",
    "detox",
    "shelter",
    "food",
    "walk_in_clinic",
    "other",
)
FOLLOW_UP_OUTCOMES = ("reached", "not_reached", "declined", "referred")
IN_THE_FIELD = (State.DISPATCHED, State.EN_ROUTE, State.ON_SCENE, State.TRANSPORTING)


class ConflictError(AltResponseError, ValueError):
    """The request lost a race or no longer applies (HTTP 409)."""


class FieldWork:
    """What teams record from the field; `Operations` (service.py) builds on it."""

    sessions: sessionmaker[Session]
    reads: sessionmaker[Session]
    program: Program
    clock: Callable[[], datetime]

    def _event(
        self,
        session: Session,
        incident: Incident,
        actor: str,
        kind: str,
        before: State | None,
        after: State | None,
        **data: Any,
    ) -> None:
        session.add(
            Event(
                incident_id=incident.id,
                at=self.clock(),
                actor=actor,
                kind=kind,
                before=before.value if before else None,
                after=after.value if after else None,
                data=data,
            )
        )

    def _owe_follow_ups(self, session: Session, incident: Incident, actor: str) -> None:
        """The follow-ups the program's policy owes after a served call, each due in time."""
        call = CallRecord.model_validate(incident.call)
        now = self.clock()
        for policy in self.program.follow_up:
            if condition_holds(policy.when, call, self.program):
                due = now + timedelta(hours=policy.within_hours)
                session.add(
                    FollowUp(
                        incident_id=incident.id, policy=policy.id, says=policy.says, due_at=due
                    )
                )
                self._event(
                    session, incident, actor, "follow_up_owed", None, None,
                    policy=policy.id, due_at=due.isoformat(),
                )  # fmt: skip

    # in the field ------------------------------------------------------------------------------
    def _in_field(self, session: Session, incident_id: int, what: str) -> Incident:
        incident = session.get(Incident, incident_id, with_for_update=True)
        if incident is None:
            raise NotFoundError(f"incident {incident_id} does not exist")
        if State(incident.state) not in IN_THE_FIELD:
            raise ConflictError(f"incident {incident_id} is {incident.state}: no {what} now")
        return incident

    def request_backup(self, incident_id: int, track: str, reason: str, actor: str) -> Backup:
        """A team on a call asks for police or EMS backup (recorded and counted)."""
        if track not in BACKUP_TRACKS:
            raise InputError(
                f"track: backup comes from {' or '.join(BACKUP_TRACKS)}, not {track!r}"
            )
        if not reason.strip():
            raise InputError("reason: say why backup is needed")
        with self.sessions() as session, session.begin():
            incident = self._in_field(session, incident_id, "backup")
            backup = Backup(incident_id=incident.id, at=self.clock(), actor=actor, track=track,
                            reason=reason)  # fmt: skip
            session.add(backup)
            self._event(session, incident, actor, "backup", None, None, track=track, reason=reason)
            return backup

    def set_disposition(
        self, incident_id: int, disposition: Disposition, actor: str,
        transported_to: str | None = None,
    ) -> Incident:  # fmt: skip
        """How the call ended for the person (resolved, referred, transported and where, ...)."""
        if disposition is Disposition.TRANSPORTED and not (transported_to or "").strip():
            raise InputError("transported_to: say where the person was taken")
        with self.sessions() as session, session.begin():
            incident = session.get(Incident, incident_id, with_for_update=True)
            if incident is None:
                raise NotFoundError(f"incident {incident_id} does not exist")
            allowed = (*IN_THE_FIELD, State.CLEARED)
            if State(incident.state) not in allowed:
                raise ConflictError(f"incident {incident_id} is {incident.state}: no disposition")
            incident.disposition = disposition.value
            incident.transported_to = transported_to
            incident.updated_at = self.clock()
            self._event(
                session, incident, actor, "disposition", None, None,
                disposition=disposition.value, transported_to=transported_to,
            )  # fmt: skip
            return incident

    def add_resource(
        self, name: str, kind: str, *, hours: str | None = None, open_24_7: bool = False,
        capacity: int | None = None, zone: str | None = None,
    ) -> Resource:  # fmt: skip
        """A new place in the resource directory."""
        if kind not in RESOURCE_KINDS:
            raise InputError(f"kind: one of {', '.join(RESOURCE_KINDS)}, not {kind!r}")
        with self.sessions() as session, session.begin():
            if session.scalar(select(Resource).where(Resource.name == name)) is not None:
                raise ConflictError(f"resource {name!r} already exists")
            resource = Resource(name=name, kind=kind, hours=hours, open_24_7=open_24_7,
                                capacity=capacity, zone=zone)  # fmt: skip
            session.add(resource)
            return resource

    def resources(self) -> list[Resource]:
        """The resource directory."""
        with self.reads() as session:
            return list(session.scalars(select(Resource).order_by(Resource.kind, Resource.name)))

    def refer(self, incident_id: int, resource_id: int, actor: str) -> Referral:
        """Refer the person on an incident to a resource."""
        with self.sessions() as session, session.begin():
            incident = session.get(Incident, incident_id)
            if incident is None:
                raise NotFoundError(f"incident {incident_id} does not exist")
            if State(incident.state) not in (*IN_THE_FIELD, State.CLEARED):
                raise ConflictError(f"incident {incident_id} is {incident.state}: no referral")
            resource = session.get(Resource, resource_id)
            if resource is None:
                raise NotFoundError(f"resource {resource_id} does not exist")
            referral = Referral(incident_id=incident_id, resource_id=resource_id, at=self.clock(),
                                actor=actor)  # fmt: skip
            session.add(referral)
            self._event(session, incident, actor, "referral", None, None,
                        resource=resource.name, resource_kind=resource.kind)  # fmt: skip
            return referral

    def follow_ups(self, *, due_only: bool = True) -> list[FollowUp]:
        """The follow-up work list: soonest due first."""
        with self.reads() as session:
            query = select(FollowUp).order_by(FollowUp.due_at, FollowUp.id)
            if due_only:
                query = query.where(FollowUp.state == "due")
            return list(session.scalars(query))

    def complete_follow_up(self, follow_up_id: int, outcome: str, actor: str) -> FollowUp:
        """Record a follow-up's outcome; it leaves the work list."""
        if outcome not in FOLLOW_UP_OUTCOMES:
            raise InputError(f"outcome: one of {', '.join(FOLLOW_UP_OUTCOMES)}, not {outcome!r}")
        with self.sessions() as session, session.begin():
            follow_up = session.get(FollowUp, follow_up_id, with_for_update=True)
            if follow_up is None:
                raise NotFoundError(f"follow-up {follow_up_id} does not exist")
            if follow_up.state != "due":
                raise ConflictError(f"follow-up {follow_up_id} is already {follow_up.state}")
            now = self.clock()
            follow_up.state = "done" if now <= follow_up.due_at else "late"
            follow_up.outcome, follow_up.done_at, follow_up.actor = outcome, now, actor
            incident = session.get(Incident, follow_up.incident_id)
            assert incident is not None
            on_time = now <= follow_up.due_at
            self._event(session, incident, actor, "follow_up_done", None, None,
                        policy=follow_up.policy, outcome=outcome, on_time=on_time)  # fmt: skip
            return follow_up
