"""The API's supervisor board (one local day of the program) and the debriefs of teams.

(No `from __future__ import annotations`: FastAPI reads these annotations at run time.)
"""

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from altresponse.operations.api_common import (
    MANAGE,
    MAX_ID,
    Requirer,
    Strict,
    TeamId,
)
from altresponse.operations.auth import Role
from altresponse.operations.board import Board, board, record_debrief
from altresponse.operations.models import User
from altresponse.operations.service import Operations

BOARD = (Role.DISPATCHER, Role.SUPERVISOR, Role.ANALYST, Role.ADMIN)


class DebriefIn(Strict):
    incident_id: int = Field(ge=1, le=MAX_ID)
    notes: str | None = Field(default=None, max_length=500)


class DebriefOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    team_id: int
    incident_id: int
    at: datetime
    actor: str
    notes: str | None


def add_board_routes(app: FastAPI, ops: Operations, require: Requirer) -> None:
    """Register the supervisor board and debriefs on APP."""

    @app.get("/board", tags=["board"])
    def supervisor_board(
        _user: Annotated[User, Depends(require(*BOARD))],
        day: Annotated[
            date | None, Query(description="The program's local day (default: today)")
        ] = None,
    ) -> Board:
        """One local day of the program: volumes, response times, eligible calls left unserved,
        backup, overdue follow-ups, and each team's day and whether it is owed a debrief."""
        return board(ops, day)

    @app.post(
        "/teams/{team_id}/debriefs",
        tags=["board"],
        status_code=201,
        responses={409: {"description": "the team never had that incident"}},
    )
    def debrief(
        team_id: TeamId, body: DebriefIn, user: Annotated[User, Depends(require(*MANAGE))]
    ) -> DebriefOut:
        """Record that a supervisor debriefed a team about one of its calls (in its log too)."""
        return DebriefOut.model_validate(
            record_debrief(ops, team_id, body.incident_id, user.name, body.notes)
        )
