"""Satisfaction surveys: a few answers per contact after a call, recorded by staff (issue 8).

A survey is asked of the person the team helped or of the caller, once each per incident, and
only where a program team went. Its answers are numbers and yes/no, never free text: the public
dashboard is built from these rows, and it must never hold words from a call.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select

from altresponse.errors import InputError, NotFoundError
from altresponse.operations.field import ConflictError
from altresponse.operations.lifecycle import State
from altresponse.operations.models import Event, Incident, Survey
from altresponse.operations.service import Operations

SATISFIED_QUESTION = "How satisfied were you with the response?"
SATISFIED_SCALE = range(1, 6)
"""1 (not at all satisfied) to 5 (very satisfied)."""
SERVED = (State.CLEARED, State.CLOSED)
"""States that mean a team went, whatever the incident's team says."""


class Respondent(StrEnum):
    """Who answered the survey."""

    PERSON = "person"  # the person the team helped
    CALLER = "caller"  # who called 911, when that was someone else


def _check(respondent: str, satisfied: int) -> Respondent:
    """The respondent's kind, once the answers are known to fit (else InputError)."""
    try:
        kind = Respondent(respondent)
    except ValueError as exc:
        kinds = " or ".join(r.value for r in Respondent)
        raise InputError(f"respondent: {kinds}, not {respondent!r}") from exc
    if isinstance(satisfied, bool) or satisfied not in SATISFIED_SCALE:
        raise InputError(f"satisfied: a whole number from 1 to 5, not {satisfied!r}")
    return kind


def record_survey(
    ops: Operations, incident_id: int, actor: str, respondent: str, satisfied: int, *,
    felt_safe: bool | None = None, would_call_again: bool | None = None,
) -> Survey:  # fmt: skip
    """Record one contact's survey about an incident a team went to; its log says so too.

    None for FELT_SAFE or WOULD_CALL_AGAIN is a question not answered.
    """
    kind = _check(respondent, satisfied)
    with ops.sessions() as session, session.begin():
        # The lock makes two staff recording the same contact's survey at once take turns.
        incident = session.get(Incident, incident_id, with_for_update=True)
        if incident is None:
            raise NotFoundError(f"incident {incident_id} does not exist")
        if incident.team_id is None and State(incident.state) not in SERVED:
            raise ConflictError(
                f"incident {incident_id} is {incident.state} and no team went: no survey"
            )
        taken = select(Survey.id).where(
            Survey.incident_id == incident_id, Survey.respondent == kind.value
        )
        if session.scalar(taken) is not None:
            raise ConflictError(f"incident {incident_id} already has the {kind}'s survey")
        now = ops.clock()  # one instant for both rows
        answers = {"satisfied": satisfied, "felt_safe": felt_safe,
                   "would_call_again": would_call_again}  # fmt: skip
        survey = Survey(incident_id=incident_id, at=now, actor=actor, respondent=kind.value,
                        **answers)  # fmt: skip
        session.add(survey)
        session.add(
            Event(incident_id=incident_id, at=now, actor=actor, kind="survey", before=None,
                  after=None, data={"respondent": kind.value, **answers})
        )  # fmt: skip
    return survey


def surveys(ops: Operations, incident_id: int) -> list[Survey]:
    """An incident's surveys, oldest first."""
    with ops.reads() as session:
        if session.get(Incident, incident_id) is None:
            raise NotFoundError(f"incident {incident_id} does not exist")
        found = select(Survey).where(Survey.incident_id == incident_id)
        return list(session.scalars(found.order_by(Survey.at, Survey.id)))
