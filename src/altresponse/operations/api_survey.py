"""The API's satisfaction surveys: recorded by staff after a call, one per contact per incident.

(No `from __future__ import annotations`: FastAPI reads these annotations at run time.)
"""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field

from altresponse.operations.api_common import (
    FIELD,
    STAFF,
    IncidentId,
    Requirer,
    Strict,
)
from altresponse.operations.models import User
from altresponse.operations.service import Operations
from altresponse.operations.surveys import SATISFIED_QUESTION, Respondent, record_survey, surveys


class SurveyIn(Strict):
    """A contact's answers; a yes/no left out (or null) is a question not answered."""

    respondent: Respondent
    satisfied: int = Field(
        ge=1, le=5, description=f"{SATISFIED_QUESTION} 1 (not at all) to 5 (very)"
    )
    felt_safe: bool | None = None
    would_call_again: bool | None = None


class SurveyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    at: datetime
    actor: str
    respondent: Respondent
    satisfied: int
    felt_safe: bool | None
    would_call_again: bool | None


def add_survey_routes(app: FastAPI, ops: Operations, require: Requirer) -> None:
    """Register the survey endpoints on APP."""

    @app.post(
        "/incidents/{incident_id}/survey",
        tags=["field"],
        status_code=201,
        responses={409: {"description": "no team went, or that contact's survey is in"}},
    )
    def survey(
        incident_id: IncidentId, body: SurveyIn, user: Annotated[User, Depends(require(*FIELD))]
    ) -> SurveyOut:
        """Record the survey of the person helped or of the caller (once each per incident)."""
        return SurveyOut.model_validate(
            record_survey(
                ops, incident_id, user.name, body.respondent, body.satisfied,
                felt_safe=body.felt_safe, would_call_again=body.would_call_again,
            )
        )  # fmt: skip

    @app.get("/incidents/{incident_id}/surveys", tags=["field"])
    def incident_surveys(
        incident_id: IncidentId, _user: Annotated[User, Depends(require(*STAFF))]
    ) -> list[SurveyOut]:
        """An incident's surveys, oldest first."""
        return [SurveyOut.model_validate(s) for s in surveys(ops, incident_id)]
