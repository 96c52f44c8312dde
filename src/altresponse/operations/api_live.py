"""What the consoles read: a call triaged as it is being taken, and one live picture of the floor.

(No `from __future__ import annotations`: FastAPI reads these annotations at run time.)

`POST /triage` decides a call that is still on the line, without storing anything, so the
call-taker sees the recommended response and its reasons change with each answer. `GET /live` is
the queue, the open incidents and the units in one read; the consoles fetch it again when the
event stream says something changed.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field

from altresponse.calls.record import CallRecord, CallSource, Screening
from altresponse.operations.api_common import (
    INTAKE,
    STAFF,
    Requirer,
    Strict,
)
from altresponse.operations.lifecycle import TERMINAL, State
from altresponse.operations.models import Incident, Team, User
from altresponse.operations.service import Operations
from altresponse.programs.model import Mode
from altresponse.triage.live import decide


class DraftCall(Strict):
    """A call still being taken: what the call-taker has so far."""

    local_type: str | None = Field(default=None, max_length=200)
    incident_type: str | None = Field(default=None, max_length=10)
    source: CallSource | None = None
    narrative: str | None = Field(default=None, max_length=4000)
    zone: str | None = Field(default=None, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    screening: Screening = Field(default_factory=Screening)


class TeamChoice(BaseModel):
    team_id: int
    team: str
    distance_km: float | None


class Preview(BaseModel):
    """The decision for a draft call, with the team that would go if it were taken now."""

    track: str
    response: str
    response_label: str
    program_response: bool
    eligible: bool
    priority: int
    reasons: list[dict[str, str]]
    also: list[str]
    unserved_reason: str | None
    unanswered: list[str]
    team: TeamChoice | None


class Brief(BaseModel):
    """An incident as a console lists it."""

    id: int
    call_id: str
    received_at: datetime
    state: State
    state_since: datetime
    state_reason: str | None
    track: str
    response: str
    eligible: bool
    priority: int
    incident_type: str | None
    local_type: str | None
    narrative: str | None
    zone: str | None
    lat: float | None
    lon: float | None
    team_id: int | None
    queued_at: datetime | None
    reasons: list[dict[str, str]]
    disposition: str | None
    recommended: TeamChoice | None = None


class Unit(BaseModel):
    """A team as the unit board shows it."""

    id: int
    name: str
    skills: list[str]
    status: str
    on_shift: bool
    shift: str | None
    incident_id: int | None
    lat: float | None
    lon: float | None


class Live(BaseModel):
    """The floor now: the service's clock, the queue, the open incidents and every unit."""

    now: datetime
    clock_rate: float
    program: str
    timezone: str
    last_event_id: int
    queue: list[Brief]
    open: list[Brief]
    units: list[Unit]
    recent: list[Brief]
    """The calls taken in last, newest first, wherever they went (police, EMS, the queue...)."""


def brief(incident: Incident) -> Brief:
    """An incident, with the parts of its call a console shows."""
    call: dict[str, Any] = incident.call or {}
    return Brief(
        id=incident.id,
        call_id=incident.agency_call_id,
        received_at=incident.received_at,
        state=State(incident.state),
        state_since=incident.updated_at,
        state_reason=incident.state_reason,
        track=incident.track,
        response=incident.response,
        eligible=incident.eligible,
        priority=incident.priority,
        incident_type=call.get("incident_type"),
        local_type=call.get("local_type"),
        narrative=call.get("narrative"),
        zone=incident.zone,
        lat=incident.lat,
        lon=incident.lon,
        team_id=incident.team_id,
        queued_at=incident.queued_at,
        reasons=incident.reasons,
        disposition=incident.disposition,
    )


def _choice(ops: Operations, skills: list[str], lat: float | None, lon: float | None,
            now: datetime, teams: list[Team]) -> TeamChoice | None:  # fmt: skip
    found = ops.recommend_for(skills, lat, lon, now, teams)
    return None if found is None else TeamChoice(
        team_id=found.team_id, team=found.team, distance_km=found.distance_km
    )  # fmt: skip


def _units(
    ops: Operations, teams: list[Team], open_: dict[int, Incident], now: datetime
) -> list[Unit]:
    units = []
    for team in teams:
        incident = open_.get(team.incident_id) if team.incident_id is not None else None
        status = incident.state if incident is not None else "free" if team.on_duty else "off_duty"
        units.append(
            Unit(
                id=team.id,
                name=team.name,
                skills=team.skills,
                status=status,
                on_shift=ops.on_shift(team, now),
                shift=f"{team.shift_start}-{team.shift_end}" if team.shift_start else None,
                incident_id=team.incident_id,
                lat=team.lat,
                lon=team.lon,
            )
        )
    return units


def add_live_routes(app: FastAPI, ops: Operations, require: Requirer, clock_rate: float) -> None:
    """Register `POST /triage` and `GET /live` on APP."""

    @app.post("/triage", tags=["live"])
    def preview(draft: DraftCall, _user: Annotated[User, Depends(require(*INTAKE))]) -> Preview:
        """Triage a call still on the line; nothing is stored. Reasons come in plain words."""
        now = ops.clock()
        call = CallRecord(call_id="draft", received_at=now, **draft.model_dump())
        decision = decide(call, ops.program, mode=Mode.LIVE)
        option = ops.program.response(decision.response)
        reasons = [{"id": r.id, "says": r.says} for r in decision.reasons]
        team = None
        if option.program and decision.unserved_reason is None:
            team = _choice(ops, list(option.skills), draft.lat, draft.lon, now, ops.teams())
        return Preview(
            track=decision.track.value, response=decision.response, response_label=option.label,
            program_response=option.program, eligible=decision.eligible,
            priority=decision.priority, reasons=reasons, also=[t.value for t in decision.also],
            unserved_reason=decision.unserved_reason,
            unanswered=[r["id"].removeprefix("unknown:") for r in reasons
                        if r["id"].startswith("unknown:")],
            team=team,
        )  # fmt: skip

    @app.get("/live", tags=["live"])
    def live(_user: Annotated[User, Depends(require(*STAFF))]) -> Live:
        """The queue (most urgent first, with the team each would get), open incidents, units."""
        now = ops.clock()
        last = ops.last_event_id()  # first: a console resumes the stream from here, missing none
        teams = ops.teams()
        active = ops.open_incidents()
        by_id = {i.id: i for i in active}
        queue = []
        for incident in ops.queue():
            entry = brief(incident)
            entry.recommended = _choice(
                ops, incident.skills, incident.lat, incident.lon, now, teams
            )
            queue.append(entry)
        return Live(
            now=now, clock_rate=clock_rate, program=ops.program.id,
            timezone=ops.program.timezone, last_event_id=last, queue=queue,
            open=[brief(i) for i in active if State(i.state) not in TERMINAL],
            units=_units(ops, teams, by_id, now), recent=[brief(i) for i in ops.recent()],
        )  # fmt: skip
