"""Satisfaction surveys: one per contact (person or caller) per incident a team went to, answers
checked, in the incident's log, over HTTP with roles, and the migration that adds the table.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from altresponse.cli import app as cli
from altresponse.errors import InputError, NotFoundError
from altresponse.operations.auth import Role, Users
from altresponse.operations.db import make_engine, migrations_folder, sessions, upgrade
from altresponse.operations.field import ConflictError
from altresponse.operations.lifecycle import State
from altresponse.operations.models import Base
from altresponse.operations.service import Operations
from altresponse.operations.surveys import record_survey, surveys
from opsutil import (
    ALL_CLEAR,
    BACKENDS,
    IN_HOURS,
    OUT_OF_HOURS,
    STAR_SKILLS,
    add_user,
    check_every_log,
    client_for,
    fresh_database,
    login,
    star,
    welfare_record,
)

SURVEY_COLUMNS = {
    "id", "incident_id", "at", "actor", "respondent", "satisfied", "felt_safe",
    "would_call_again",
}  # fmt: skip


class Clock:
    """The service's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = IN_HOURS

    def __call__(self) -> datetime:
        return self.now

    def to(self, minutes: float) -> datetime:
        self.now = IN_HOURS + timedelta(minutes=minutes)
        return self.now


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database(request.param, tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ops(url: str, clock: Clock) -> Iterator[Operations]:
    engine = make_engine(url)
    yield Operations(sessions(engine), star(), clock=clock)
    engine.dispose()


@pytest.fixture
def client(ops: Operations) -> TestClient:
    return client_for(ops)


@pytest.fixture
def headers(ops: Operations, client: TestClient) -> dict[Role, dict[str, str]]:
    users = Users(ops.sessions)
    return {role: login(client, add_user(users, role)) for role in Role}


def take(ops: Operations, call_id: str, **changes: Any) -> int:
    incident, created = ops.intake(welfare_record(call_id, **changes), "cal")
    assert created
    return incident.id


WALKS = {
    State.DISPATCHED: (),
    State.ESCALATED: (State.ON_SCENE, State.ESCALATED),
    State.CLEARED: (State.ON_SCENE, State.CLEARED),
    State.CLOSED: (State.ON_SCENE, State.CLEARED, State.CLOSED),
}


def served(ops: Operations, call_id: str, *, to: State = State.CLEARED) -> int:
    """A welfare call a new team went to, walked on to TO; its incident id."""
    incident = take(ops, call_id)
    ops.dispatch(incident, ops.add_team(f"team-{call_id}", STAR_SKILLS).id, "dana")
    for state in WALKS[to]:
        ops.set_state(incident, state, "a", "police took over")
    return incident


# --- the service ----------------------------------------------------------------------------


def test_a_survey_per_contact_is_stored_and_logged(ops: Operations, clock: Clock) -> None:
    incident = served(ops, "s1", to=State.CLOSED)
    when = clock.to(60)
    person = record_survey(ops, incident, "a", "person", 4, felt_safe=True, would_call_again=True)
    assert (person.incident_id, person.at, person.actor, person.respondent) == (
        incident, when, "a", "person",
    )  # fmt: skip
    assert (person.satisfied, person.felt_safe, person.would_call_again) == (4, True, True)
    clock.to(90)
    caller = record_survey(ops, incident, "b", "caller", 2)  # the yes/no questions not answered
    assert (caller.satisfied, caller.felt_safe, caller.would_call_again) == (2, None, None)
    found = surveys(ops, incident)
    assert [(s.id, s.respondent, s.at) for s in found] == [
        (person.id, "person", when), (caller.id, "caller", clock.now),
    ]  # fmt: skip
    logged = [e for e in ops.events(incident) if e.kind == "survey"]
    assert [(e.actor, e.at, e.before, e.after, e.data) for e in logged] == [
        ("a", when, None, None,
         {"respondent": "person", "satisfied": 4, "felt_safe": True, "would_call_again": True}),
        ("b", clock.now, None, None,
         {"respondent": "caller", "satisfied": 2, "felt_safe": None, "would_call_again": None}),
    ]  # fmt: skip
    assert check_every_log(ops) == 1  # a survey changes no state: the log still replays


def test_only_where_a_team_went(ops: Operations) -> None:
    queued = take(ops, "q1")
    weapon = take(ops, "w1", screening={**ALL_CLEAR, "weapon": True})  # straight to police
    late = take(ops, "u1", received_at=OUT_OF_HOURS.isoformat())  # unserved: outside hours
    cancelled = take(ops, "c1")
    ops.set_state(cancelled, State.CANCELLED, "dana", "the caller rang back: all fine")
    assert ops.incident(weapon).state == State.ESCALATED
    assert ops.incident(late).state == State.UNSERVED
    for incident in (queued, weapon, late, cancelled):
        with pytest.raises(ConflictError, match="no team went"):
            record_survey(ops, incident, "a", "person", 5)
    # With a team: on its way, handed over to police once there, cleared.
    for call_id, to in (("d1", State.DISPATCHED), ("e1", State.ESCALATED), ("k1", State.CLEARED)):
        assert record_survey(ops, served(ops, call_id, to=to), "a", "caller", 3).satisfied == 3
    with pytest.raises(NotFoundError, match="incident 999"):
        record_survey(ops, 999, "a", "person", 5)
    with pytest.raises(NotFoundError, match="incident 999"):
        surveys(ops, 999)
    assert all(surveys(ops, i) == [] for i in (queued, weapon, late, cancelled))


def test_one_survey_per_incident_per_kind_of_respondent(ops: Operations) -> None:
    incident = served(ops, "s1")
    first = record_survey(ops, incident, "a", "person", 5, felt_safe=False)
    with pytest.raises(ConflictError, match="already has the person's survey"):
        record_survey(ops, incident, "b", "person", 1)
    record_survey(ops, incident, "b", "caller", 1)
    with pytest.raises(ConflictError, match="caller"):
        record_survey(ops, incident, "b", "caller", 1)
    stored = {s.respondent: (s.id, s.satisfied, s.felt_safe) for s in surveys(ops, incident)}
    assert stored == {"person": (first.id, 5, False), "caller": (stored["caller"][0], 1, None)}
    assert [e.kind for e in ops.events(incident)].count("survey") == 2


@pytest.mark.parametrize(
    ("respondent", "satisfied", "says"),
    [
        ("person", 0, "satisfied: a whole number from 1 to 5, not 0"),
        ("person", 6, "satisfied: a whole number from 1 to 5, not 6"),
        ("person", True, "satisfied: a whole number from 1 to 5, not True"),
        ("neighbour", 3, "respondent: person or caller, not 'neighbour'"),
    ],
)
def test_answers_that_do_not_fit_are_refused(
    ops: Operations, respondent: Any, satisfied: Any, says: str
) -> None:
    incident = served(ops, "s1")
    with pytest.raises(InputError, match=f"^{says}"):
        record_survey(ops, incident, "a", respondent, satisfied)
    assert surveys(ops, incident) == []


# --- over HTTP ------------------------------------------------------------------------------


def test_surveys_over_http(
    ops: Operations, clock: Clock, client: TestClient, headers: dict[Role, dict[str, str]]
) -> None:
    incident = served(ops, "h1")
    clock.to(30)
    body = {"respondent": "person", "satisfied": 5, "felt_safe": True, "would_call_again": False}
    made = client.post(f"/incidents/{incident}/survey", json=body, headers=headers[Role.RESPONDER])
    assert made.status_code == 201, made.text
    out = made.json()
    assert set(out) == SURVEY_COLUMNS
    assert datetime.fromisoformat(out.pop("at")) == clock.now
    assert out == {"id": out["id"], "incident_id": incident, "actor": "responder", **body}
    caller = {"respondent": "caller", "satisfied": 1}
    again = client.post(f"/incidents/{incident}/survey", json=caller, headers=headers[Role.ADMIN])
    assert again.status_code == 201, again.text
    assert (again.json()["felt_safe"], again.json()["would_call_again"]) == (None, None)

    for role in Role:  # any role reads them
        listed = client.get(f"/incidents/{incident}/surveys", headers=headers[role])
        assert listed.status_code == 200, (role, listed.text)
    assert [(s["respondent"], s["satisfied"], s["actor"]) for s in listed.json()] == [
        ("person", 5, "responder"), ("caller", 1, "admin"),
    ]  # fmt: skip
    events = client.get(f"/incidents/{incident}/events", headers=headers[Role.ANALYST]).json()
    assert [(e["actor"], e["data"]) for e in events if e["kind"] == "survey"] == [
        ("responder", {"respondent": "person", "satisfied": 5, "felt_safe": True,
                       "would_call_again": False}),
        ("admin", {"respondent": "caller", "satisfied": 1, "felt_safe": None,
                   "would_call_again": None}),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"respondent": "person", "satisfied": 0}, "satisfied"),
        ({"respondent": "person", "satisfied": 6}, "satisfied"),
        ({"respondent": "person"}, "satisfied"),
        ({"respondent": "person", "satisfied": 2.5}, "satisfied"),
        ({"respondent": "neighbour", "satisfied": 3}, "respondent"),
        ({"respondent": "person", "satisfied": 3, "felt_safe": "sort of"}, "felt_safe"),
        ({"respondent": "person", "satisfied": 3, "comment": "they were kind"}, "comment"),
    ],
)
def test_a_body_that_does_not_fit_is_422_naming_the_field(
    ops: Operations,
    client: TestClient,
    headers: dict[Role, dict[str, str]],
    body: dict[str, Any],
    field: str,
) -> None:
    incident = served(ops, "v1")
    found = client.post(f"/incidents/{incident}/survey", json=body, headers=headers[Role.ADMIN])
    assert found.status_code == 422, found.text
    assert [d["loc"][-1] for d in found.json()["detail"]] == [field]
    assert surveys(ops, incident) == []


def test_refusals_over_http(
    ops: Operations, client: TestClient, headers: dict[Role, dict[str, str]]
) -> None:
    incident, queued = served(ops, "r1"), take(ops, "r2")
    body = {"respondent": "caller", "satisfied": 4}

    def post(to: int, role: Role | None = Role.DISPATCHER) -> Any:
        auth = headers[role] if role else {}
        return client.post(f"/incidents/{to}/survey", json=body, headers=auth)

    for role in (Role.CALL_TAKER, Role.ANALYST):
        refused = post(incident, role)
        assert refused.status_code == 403 and "may not" in refused.json()["detail"]
    assert post(incident, None).status_code == 401
    assert client.get(f"/incidents/{incident}/surveys").status_code == 401
    not_served = post(queued)
    assert not_served.status_code == 409, not_served.text
    assert "no team went" in not_served.json()["detail"]
    assert post(999).status_code == 404
    assert client.get("/incidents/999/surveys", headers=headers[Role.ANALYST]).status_code == 404
    assert post(incident).status_code == 201
    twice = post(incident, Role.SUPERVISOR)
    assert twice.status_code == 409 and "already has the caller's survey" in twice.text
    assert len(surveys(ops, incident)) == 1


def test_openapi_names_the_survey_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    post = paths["/incidents/{incident_id}/survey"]["post"]
    assert {"201", "401", "403", "409", "422"} <= set(post["responses"])
    assert set(paths["/incidents/{incident_id}/surveys"]) == {"get"}
    schema = client.get("/openapi.json").json()["components"]["schemas"]["SurveyIn"]
    assert set(schema["properties"]) == {"respondent", "satisfied", "felt_safe", "would_call_again"}
    assert schema["additionalProperties"] is False  # no free text can come in


# --- the migration --------------------------------------------------------------------------


def test_db_upgrade_adds_the_surveys_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0003")
    engine = create_engine(url)
    try:
        assert "surveys" not in inspect(engine).get_table_names()
        result = CliRunner().invoke(cli, ["db", "upgrade"], env={"ALTRESPONSE_DATABASE_URL": url})
        assert result.exit_code == 0, result.output
        found = inspect(engine)
        assert {c["name"] for c in found.get_columns("surveys")} == SURVEY_COLUMNS
        assert [i["column_names"] for i in found.get_indexes("surveys")] == [["incident_id"]]
        unique = [u["column_names"] for u in found.get_unique_constraints("surveys")]
        assert unique == [["incident_id", "respondent"]]
        assert {f["referred_table"] for f in found.get_foreign_keys("surveys")} == {"incidents"}
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "0004"
            assert connection.scalar(text("SELECT count(*) FROM surveys")) == 0
    finally:
        engine.dispose()


def test_the_migrated_schema_is_the_models(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_downgrade_drops_the_surveys_table(url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    engine = make_engine(url)
    config.attributes["engine"] = engine
    try:
        command.downgrade(config, "0003")
        assert "surveys" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    try:
        assert "surveys" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_survey_after_a_debrief_does_not_make_the_debrief_due_again(
    ops: Operations, clock: Clock
) -> None:
    from altresponse.operations.board import board, record_debrief

    incident = take(ops, "critical")
    team = ops.add_team("star-9", STAR_SKILLS)
    ops.dispatch(incident, team.id, "dana")
    ops.set_state(incident, State.ON_SCENE, "rae")
    ops.request_backup(incident, "police", "he became violent", "rae")  # a critical call
    clock.to(30)
    ops.set_state(incident, State.CLEARED, "rae")
    clock.to(60)
    record_debrief(ops, team.id, incident, "sam")
    clock.to(90)
    record_survey(ops, incident, "rae", "person", 3)
    row = next(t for t in board(ops).teams if t.name == "star-9")
    assert row.last_critical_incident_id == incident and not row.debrief_due
