"""The API's field endpoints (backup, disposition, referrals, resources, follow-ups) and the live
event stream for consoles (server-sent events).

(No `from __future__ import annotations`: FastAPI reads these annotations at run time.)
"""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Header, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from altresponse.calls.record import Disposition
from altresponse.operations.api_common import (
    FIELD,
    MANAGE,
    MAX_ID,
    STAFF,
    FollowUpId,
    IncidentId,
    Requirer,
    Strict,
)
from altresponse.operations.models import User
from altresponse.operations.service import Operations

STREAM_POLL_SECONDS = 0.5
STREAM_KEEPALIVE_SECONDS = 15.0


class BackupIn(Strict):
    track: Literal["police", "ems"]
    reason: str = Field(min_length=1, max_length=500)


class BackupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    at: datetime
    track: str
    reason: str


class DispositionIn(Strict):
    disposition: Disposition
    transported_to: str | None = Field(default=None, max_length=200)


class ResourceIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal[
        "crisis_stabilisation", "sobering_centre", "detox", "shelter", "food", "walk_in_clinic",
        "other",
    ]  # fmt: skip
    hours: str | None = Field(default=None, max_length=200)
    open_24_7: bool = False
    capacity: int | None = Field(default=None, ge=0, le=1_000_000)
    zone: str | None = Field(default=None, max_length=100)


class ResourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    hours: str | None
    open_24_7: bool
    capacity: int | None
    zone: str | None


class ReferralIn(Strict):
    resource_id: int = Field(ge=1, le=MAX_ID)


class ReferralOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    resource_id: int
    at: datetime


class FollowUpOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    policy: str
    says: str
    due_at: datetime
    state: str
    outcome: str | None
    done_at: datetime | None


class FollowUpDoneIn(Strict):
    outcome: Literal["reached", "not_reached", "declined", "referred"]


def add_field_routes(app: FastAPI, ops: Operations, require: Requirer) -> None:
    """Register the field endpoints and the event stream on APP."""

    @app.post("/incidents/{incident_id}/backup", tags=["field"], status_code=201)
    def backup(
        incident_id: IncidentId, body: BackupIn, user: Annotated[User, Depends(require(*FIELD))]
    ) -> BackupOut:
        """A team on the call asks for police or EMS backup, with the reason (one action)."""
        return BackupOut.model_validate(
            ops.request_backup(incident_id, body.track, body.reason, user.name)
        )

    @app.post("/incidents/{incident_id}/disposition", tags=["field"])
    def disposition(
        incident_id: IncidentId,
        body: DispositionIn,
        user: Annotated[User, Depends(require(*FIELD))],
    ) -> dict[str, str | None]:
        """How the call ended: resolved on scene, referred, transported (and where), refused,
        no contact, handed to police, arrest by police."""
        found = ops.set_disposition(incident_id, body.disposition, user.name, body.transported_to)
        return {"disposition": found.disposition, "transported_to": found.transported_to}

    @app.get("/resources", tags=["field"])
    def resources(_user: Annotated[User, Depends(require(*STAFF))]) -> list[ResourceOut]:
        """The resource directory: crisis stabilisation, sobering, detox, shelter, food..."""
        return [ResourceOut.model_validate(r) for r in ops.resources()]

    @app.post("/resources", tags=["field"], status_code=201)
    def add_resource(
        body: ResourceIn, _user: Annotated[User, Depends(require(*MANAGE))]
    ) -> ResourceOut:
        """A new place in the resource directory."""
        return ResourceOut.model_validate(
            ops.add_resource(
                body.name,
                body.kind,
                hours=body.hours,
                open_24_7=body.open_24_7,
                capacity=body.capacity,
                zone=body.zone,
            )
        )

    @app.post("/incidents/{incident_id}/referrals", tags=["field"], status_code=201)
    def refer(
        incident_id: IncidentId, body: ReferralIn, user: Annotated[User, Depends(require(*FIELD))]
    ) -> ReferralOut:
        """Refer the person to a resource of the directory."""
        return ReferralOut.model_validate(ops.refer(incident_id, body.resource_id, user.name))

    @app.get("/follow-ups", tags=["field"])
    def follow_ups(
        _user: Annotated[User, Depends(require(*STAFF))], all_states: bool = False
    ) -> list[FollowUpOut]:
        """The follow-up work list, soonest due first (`all_states=true` for done ones too)."""
        return [FollowUpOut.model_validate(f) for f in ops.follow_ups(due_only=not all_states)]

    @app.post("/follow-ups/{follow_up_id}", tags=["field"])
    def complete_follow_up(
        follow_up_id: FollowUpId,
        body: FollowUpDoneIn,
        user: Annotated[User, Depends(require(*FIELD))],
    ) -> FollowUpOut:
        """Record a follow-up's outcome (done, or late when past its due date)."""
        return FollowUpOut.model_validate(
            ops.complete_follow_up(follow_up_id, body.outcome, user.name)
        )

    @app.get(
        "/stream",
        tags=["live"],
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def stream(
        _user: Annotated[User, Depends(require(*STAFF))],
        last_event_id: Annotated[int | None, Header(ge=0, le=MAX_ID)] = None,
        after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    ) -> StreamingResponse:
        """Every new event as server-sent events (`id:` is the event id, so a console that
        reconnects with `Last-Event-ID` misses nothing). Read from the database, so it works
        with several workers and across restarts."""
        start = after if after is not None else last_event_id
        if start is None:
            start = await asyncio.to_thread(ops.last_event_id)
        return StreamingResponse(
            _events(ops, start), media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )  # fmt: skip


async def _events(ops: Operations, last: int) -> AsyncIterator[str]:
    idle = 0.0
    yield ": connected\n\n"
    while True:
        found = await asyncio.to_thread(ops.events_after, last)
        for event in found:
            last = event.id
            data = {
                "incident_id": event.incident_id, "at": event.at.isoformat(),
                "kind": event.kind, "before": event.before, "after": event.after,
                "actor": event.actor, "data": event.data,
            }  # fmt: skip
            yield f"id: {event.id}\nevent: incident\ndata: {json.dumps(data)}\n\n"
        if found:
            idle = 0.0
            continue
        await asyncio.sleep(STREAM_POLL_SECONDS)
        idle += STREAM_POLL_SECONDS
        if idle >= STREAM_KEEPALIVE_SECONDS:
            idle = 0.0
            yield ": keep-alive\n\n"
