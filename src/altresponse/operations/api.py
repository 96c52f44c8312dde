"""The HTTP API (FastAPI): what a CAD system and the consoles call.

(No `from __future__ import annotations` here: FastAPI reads the endpoint annotations, whose
dependencies are closures over the app.)

Every endpoint but `/health` and `/auth/token` needs a bearer token, and each says which roles
may call it. Errors are JSON `{"detail": ...}`: 401 without a valid token, 403 for a role that
may not, 404 for an unknown incident or team, 409 for a request that lost a race or no longer
applies, 422 for a body that does not fit (FastAPI names the field).
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from altresponse import __version__
from altresponse.calls.record import CallRecord
from altresponse.errors import AltResponseError, InputError, NotFoundError
from altresponse.operations.api_board import add_board_routes
from altresponse.operations.api_common import (
    DISPATCH,
    FIELD,
    INTAKE,
    MANAGE,
    MAX_ID,
    STAFF,
    IncidentId,
    Strict,
    TeamId,
)
from altresponse.operations.api_field import add_field_routes
from altresponse.operations.api_live import add_live_routes
from altresponse.operations.api_survey import add_survey_routes
from altresponse.operations.auth import Role, Users
from altresponse.operations.eido import EidoIncident
from altresponse.operations.field import ConflictError
from altresponse.operations.lifecycle import State
from altresponse.operations.models import Event, Incident, Team, User
from altresponse.operations.service import Operations
from altresponse.programs.model import parse_clock

LOG = logging.getLogger("altresponse.operations")
PUBLIC = frozenset({"/health", "/auth/token"})


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str
    role: Role


class IncidentOut(BaseModel):
    """An incident with its recommended response and the reasons, in plain words."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    agency: str
    agency_call_id: str
    received_at: datetime
    state: State
    state_reason: str | None
    program: str
    protocol_version: str
    track: str
    response: str
    eligible: bool
    priority: int
    reasons: list[dict[str, str]]
    also: list[str]
    skills: list[str]
    unserved_reason: str | None
    zone: str | None
    team_id: int | None
    queued_at: datetime | None


class EventOut(BaseModel):
    """One entry of an incident's log."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    kind: str
    before: State | None
    after: State | None
    data: dict[str, Any]


def _clock(value: str) -> str:
    parse_clock(value)  # 'HH:MM' between 00:00 and 24:00, as program files write shifts
    return value


Clock = Annotated[str, AfterValidator(_clock)]


class TeamIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    skills: list[str] = Field(default_factory=list, max_length=20)
    shift_start: Clock | None = None
    shift_end: Clock | None = None


class TeamPatch(Strict):
    on_duty: bool | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    skills: list[str]
    shift_start: str | None
    shift_end: str | None
    on_duty: bool
    incident_id: int | None
    lat: float | None
    lon: float | None


class DispatchIn(Strict):
    team_id: int = Field(ge=1, le=MAX_ID)


class StateIn(Strict):
    state: State
    reason: str | None = Field(default=None, max_length=500)


class RecommendationOut(BaseModel):
    team_id: int | None
    team: str | None
    distance_km: float | None


ESCALATE_EVERY_SECONDS = 15.0


async def _escalate(ops: Operations, every: float) -> None:
    """Every EVERY seconds, queued calls past the maximum wait go to their fallback."""
    while True:
        await asyncio.sleep(every)
        try:
            moved = await asyncio.to_thread(ops.escalate_overdue)
        except Exception:  # the next round tries again; never let the task die
            LOG.exception("escalating overdue calls failed")
            continue
        if moved:
            LOG.info("%d queued calls waited too long and went to the fallback", len(moved))


def create_app(
    ops: Operations,
    users: Users,
    *,
    escalate_every: float | None = ESCALATE_EVERY_SECONDS,
    clock_rate: float = 1.0,
) -> FastAPI:
    """The API over OPS, with USERS for tokens.

    While it runs, a background task moves queued calls past the program's maximum wait to their
    fallback every ESCALATE_EVERY seconds (None: never). It keeps no state of its own: what is
    overdue is read from the database each time, so a restart loses nothing. CLOCK_RATE is how
    much faster than real time the service's clock runs (1 but in the demo).
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_escalate(ops, escalate_every)) if escalate_every else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="altresponse operations",
        version=__version__,
        description=__doc__,
        lifespan=lifespan,
    )

    bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token")

    def current_user(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> User:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "a bearer token is needed",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        user = users.by_token(credentials.credentials)
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "the token is not valid",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        return user

    def require(*roles: Role) -> Callable[..., User]:
        allowed = {r.value for r in roles}

        def check(user: Annotated[User, Depends(current_user)]) -> User:
            if user.role not in allowed:
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN,
                    f"role {user.role} may not do this (allowed: {', '.join(sorted(allowed))})",
                )
            return user

        return check

    @app.exception_handler(AltResponseError)
    def _errors(_request: Request, exc: AltResponseError) -> JSONResponse:
        code = (
            404 if isinstance(exc, NotFoundError)
            else 409 if isinstance(exc, ConflictError)
            else 422 if isinstance(exc, InputError)
            else 400
        )  # fmt: skip
        return JSONResponse({"detail": str(exc)}, status_code=code)

    @app.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        """The service is up, and which program it runs."""
        return {"status": "ok", "program": ops.program.id, "version": __version__}

    @app.post("/auth/token", tags=["service"])
    def token(body: TokenIn) -> TokenOut:
        """A bearer token for a user's name and password."""
        found = users.login(body.name, body.password)
        if found is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "name or password is wrong")
        user = users.by_token(found)
        assert user is not None
        return TokenOut(token=found, role=Role(user.role))

    @app.post(
        "/calls",
        tags=["incidents"],
        status_code=201,
        responses={200: {"description": "the call was already taken in: the same incident"}},
    )
    def intake(
        body: CallRecord | EidoIncident,
        response: Response,
        user: Annotated[User, Depends(require(*INTAKE))],
    ) -> IncidentOut:
        """Take a call in: triage it, store it, return the incident with its recommended response.

        The body is a canonical call record (docs/call-record.md) or a NENA EIDO incident
        document (docs/api.md says which parts are read). Idempotent on the agency's call id:
        a retry returns the same incident with status 200.
        """
        if isinstance(body, EidoIncident):
            try:
                call = body.to_call()
            except (ValueError, ValidationError) as exc:
                raise HTTPException(422, f"EIDO document: {exc}") from exc
        else:
            call = body
        incident, created = ops.intake(call, user.name)
        if not created:
            response.status_code = status.HTTP_200_OK
        return IncidentOut.model_validate(incident)

    @app.get("/incidents/{incident_id}", tags=["incidents"])
    def incident(
        incident_id: IncidentId, _user: Annotated[User, Depends(require(*STAFF))]
    ) -> IncidentOut:
        """One incident."""
        return IncidentOut.model_validate(ops.incident(incident_id))

    @app.get("/incidents/{incident_id}/events", tags=["incidents"])
    def events(
        incident_id: IncidentId, _user: Annotated[User, Depends(require(*STAFF))]
    ) -> list[EventOut]:
        """An incident's append-only log, oldest first."""
        found: list[Event] = ops.events(incident_id)
        return [EventOut.model_validate(e) for e in found]

    @app.get("/queue", tags=["incidents"])
    def queue(_user: Annotated[User, Depends(require(*STAFF))]) -> list[IncidentOut]:
        """Incidents waiting for a civilian team: most urgent first, then longest waiting."""
        waiting: list[Incident] = ops.queue()
        return [IncidentOut.model_validate(i) for i in waiting]

    @app.get("/incidents/{incident_id}/recommendation", tags=["dispatch"])
    def recommendation(
        incident_id: IncidentId, _user: Annotated[User, Depends(require(*DISPATCH))]
    ) -> RecommendationOut:
        """The nearest free team on duty with the skills the response needs (nulls: none)."""
        found = ops.recommend(incident_id)
        if found is None:
            return RecommendationOut(team_id=None, team=None, distance_km=None)
        return RecommendationOut(
            team_id=found.team_id, team=found.team, distance_km=found.distance_km
        )

    @app.post(
        "/incidents/{incident_id}/dispatch",
        tags=["dispatch"],
        responses={409: {"description": "the team is not free, or the incident not waiting"}},
    )
    def dispatch(
        incident_id: IncidentId,
        body: DispatchIn,
        user: Annotated[User, Depends(require(*DISPATCH))],
    ) -> IncidentOut:
        """Assign a team. Of two dispatchers assigning the same team at once, one gets 409."""
        return IncidentOut.model_validate(ops.dispatch(incident_id, body.team_id, user.name))

    @app.post(
        "/incidents/{incident_id}/state",
        tags=["dispatch"],
        responses={409: {"description": "the lifecycle does not allow this change"}},
    )
    def set_state(
        incident_id: IncidentId,
        body: StateIn,
        user: Annotated[User, Depends(require(*FIELD))],
    ) -> IncidentOut:
        """Move an incident on: en_route, on_scene, transporting, cleared, closed, escalated..."""
        return IncidentOut.model_validate(
            ops.set_state(incident_id, body.state, user.name, body.reason)
        )

    @app.get("/teams", tags=["teams"])
    def teams(_user: Annotated[User, Depends(require(*STAFF))]) -> list[TeamOut]:
        """Every team, with its status and position."""
        found: list[Team] = ops.teams()
        return [TeamOut.model_validate(t) for t in found]

    @app.post("/teams", tags=["teams"], status_code=201)
    def add_team(body: TeamIn, _user: Annotated[User, Depends(require(*MANAGE))]) -> TeamOut:
        """A new team, on duty."""
        shift = (body.shift_start, body.shift_end) if body.shift_start and body.shift_end else None
        return TeamOut.model_validate(ops.add_team(body.name, body.skills, shift))

    @app.patch("/teams/{team_id}", tags=["teams"])
    def update_team(
        team_id: TeamId, body: TeamPatch, _user: Annotated[User, Depends(require(*FIELD))]
    ) -> TeamOut:
        """A team's duty status or last known position."""
        if (body.lat is None) != (body.lon is None):
            raise InputError("lat and lon go together")
        return TeamOut.model_validate(
            ops.update_team(team_id, on_duty=body.on_duty, lat=body.lat, lon=body.lon)
        )

    add_field_routes(app, ops, require)
    add_live_routes(app, ops, require, clock_rate)
    add_board_routes(app, ops, require)
    add_survey_routes(app, ops, require)
    for route in app.routes:  # document the refusals every protected endpoint can give
        if isinstance(route, APIRoute) and route.path not in PUBLIC:
            route.responses.setdefault(401, {"description": "no token, or not a valid one"})
            route.responses.setdefault(403, {"description": "the user's role may not do this"})
    return app
