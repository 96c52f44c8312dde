"""What every module of the HTTP API shares: who may call what, bounded ids, strict bodies.

(No `from __future__ import annotations`: FastAPI reads these annotated types at run time.)
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict

from altresponse.operations.auth import Role
from altresponse.operations.models import User

STAFF = tuple(Role)
INTAKE = (Role.CALL_TAKER, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)
DISPATCH = (Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)
FIELD = (Role.DISPATCHER, Role.RESPONDER, Role.SUPERVISOR, Role.ADMIN)
MANAGE = (Role.SUPERVISOR, Role.ADMIN)

MAX_ID = 2**63 - 1
"""Ids are 64-bit in both databases: a larger one is refused (422), never a server error."""
IncidentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The incident's id")]
TeamId = Annotated[int, Path(ge=1, le=MAX_ID, description="The team's id")]
FollowUpId = Annotated[int, Path(ge=1, le=MAX_ID, description="The follow-up's id")]

Requirer = Callable[..., Callable[..., User]]
"""`require(*roles)` of create_app: a dependency that admits only those roles."""


class Strict(BaseModel):
    """Request bodies refuse fields they do not know."""

    model_config = ConfigDict(extra="forbid")
