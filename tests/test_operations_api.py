"""The live service through its API, its service layer and its CLI: auth, intake, dispatch, states.

One migrated SQLite file serves the module; after every test, every incident's event log must
replay to the incident's state (opsutil.check_every_log).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, inspect, select, text
from typer.testing import CliRunner

from altresponse.cli import app as cli
from altresponse.operations import auth
from altresponse.operations.auth import Role, Users, verify_password
from altresponse.operations.db import migrations_folder
from altresponse.operations.lifecycle import State
from altresponse.operations.models import Event, Incident, Team, User
from altresponse.operations.service import WAITED_TOO_LONG, ConflictError, Operations
from opsutil import (
    BACKENDS,
    OUT_OF_HOURS,
    PASSWORD,
    STAR_SKILLS,
    add_user,
    check_every_log,
    check_log,
    client_for,
    fresh_database,
    login,
    migrated,
    operations,
    star,
    welfare_call,
    welfare_record,
)

Headers = dict[Role, dict[str, str]]
PROTECTED: dict[str, set[str]] = {
    "/calls": {"post"},
    "/incidents/{incident_id}": {"get"},
    "/incidents/{incident_id}/events": {"get"},
    "/queue": {"get"},
    "/incidents/{incident_id}/recommendation": {"get"},
    "/incidents/{incident_id}/dispatch": {"post"},
    "/incidents/{incident_id}/state": {"post"},
    "/teams": {"get", "post"},
    "/teams/{team_id}": {"patch"},
}
OPEN: dict[str, set[str]] = {"/health": {"get"}, "/auth/token": {"post"}}
REQUESTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("post", "/calls", welfare_call("auth-probe")),
    ("get", "/incidents/1", None),
    ("get", "/incidents/1/events", None),
    ("get", "/queue", None),
    ("get", "/incidents/1/recommendation", None),
    ("post", "/incidents/1/dispatch", {"team_id": 1}),
    ("post", "/incidents/1/state", {"state": "en_route"}),
    ("get", "/teams", None),
    ("post", "/teams", {"name": "auth-probe", "skills": STAR_SKILLS}),
    ("patch", "/teams/1", {"on_duty": True}),
]
runner = CliRunner()


@pytest.fixture(scope="module", params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return fresh_database(request.param, tmp_path_factory.mktemp("operations"))


@pytest.fixture(scope="module")
def ops(url: str) -> Iterator[Operations]:
    service = operations(url)
    yield service
    service.sessions.kw["bind"].dispose()


@pytest.fixture(scope="module")
def client(ops: Operations) -> TestClient:
    return client_for(ops)


@pytest.fixture(scope="module")
def headers(ops: Operations, client: TestClient) -> Headers:
    users = Users(ops.sessions)
    return {role: login(client, add_user(users, role)) for role in Role}


@pytest.fixture(autouse=True)
def every_log_replays(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that touched the database, every incident's log replays to its state."""
    yield
    if "ops" in request.fixturenames:
        check_every_log(request.getfixturevalue("ops"))


def _post_call(client: TestClient, who: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/calls", json=body, headers=who)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _team(client: TestClient, headers: Headers, name: str, skills: list[str] = STAR_SKILLS) -> int:
    response = client.post(
        "/teams", json={"name": name, "skills": skills}, headers=headers[Role.SUPERVISOR]
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _team_row(client: TestClient, headers: Headers, team_id: int) -> dict[str, Any]:
    teams = client.get("/teams", headers=headers[Role.ANALYST]).json()
    return next(t for t in teams if t["id"] == team_id)


def _move(
    client: TestClient, who: dict[str, str], incident_id: int, state: str, reason: str | None = None
) -> Any:
    body = {"state": state} if reason is None else {"state": state, "reason": reason}
    return client.post(f"/incidents/{incident_id}/state", json=body, headers=who)


def _dispatched(client: TestClient, headers: Headers, call_id: str, team_id: int) -> int:
    """A new queued call, dispatched to TEAM; returns the incident id."""
    incident = _post_call(client, headers[Role.CALL_TAKER], welfare_call(call_id))
    response = client.post(
        f"/incidents/{incident['id']}/dispatch",
        json={"team_id": team_id},
        headers=headers[Role.DISPATCHER],
    )
    assert response.status_code == 200, response.text
    return int(incident["id"])


# --- auth -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic YWRtaW46YWRtaW4="])
def test_no_valid_token_is_401(
    client: TestClient, method: str, path: str, body: Any, authorization: str | None
) -> None:
    sent = {} if authorization is None else {"Authorization": authorization}
    response = client.request(method, path, json=body, headers=sent)
    assert response.status_code == 401, response.text
    assert response.json()["detail"] in {"a bearer token is needed", "the token is not valid"}


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "allowed"),
    [
        (Role.ANALYST, "post", "/calls", welfare_call("analyst-try"),
         "admin, call_taker, dispatcher, supervisor"),
        (Role.CALL_TAKER, "post", "/incidents/1/dispatch", {"team_id": 1},
         "admin, dispatcher, supervisor"),
        (Role.CALL_TAKER, "post", "/incidents/1/state", {"state": "en_route"},
         "admin, dispatcher, responder, supervisor"),
        (Role.RESPONDER, "post", "/teams", {"name": "responder-try"}, "admin, supervisor"),
        (Role.ANALYST, "get", "/incidents/1/recommendation", None, "admin, dispatcher, supervisor"),
    ],
)  # fmt: skip
def test_a_role_not_allowed_is_403_naming_the_roles(
    client: TestClient,
    ops: Operations,
    headers: Headers,
    role: Role,
    method: str,
    path: str,
    body: Any,
    allowed: str,
) -> None:
    before = _counts(ops)
    response = client.request(method, path, json=body, headers=headers[role])
    assert response.status_code == 403, response.text
    assert response.json()["detail"] == f"role {role} may not do this (allowed: {allowed})"
    assert _counts(ops) == before


def _counts(ops: Operations) -> tuple[int, int, int]:
    with ops.sessions() as session:
        return (
            session.scalar(select(func.count(Incident.id))) or 0,
            session.scalar(select(func.count(Event.id))) or 0,
            session.scalar(select(func.count(Team.id))) or 0,
        )


def test_login_refuses_a_wrong_password_and_an_unknown_name_alike(
    client: TestClient, headers: Headers
) -> None:
    wrong = client.post("/auth/token", json={"name": "admin", "password": PASSWORD + "!"})
    nobody = client.post("/auth/token", json={"name": "nobody", "password": PASSWORD})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json() == nobody.json() == {"detail": "name or password is wrong"}


def test_passwords_and_tokens_are_stored_hashed(
    ops: Operations, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = Users(ops.sessions)
    add_user(users, Role.RESPONDER, "stored-hashed")
    token = client.post("/auth/token", json={"name": "stored-hashed", "password": PASSWORD})
    assert token.json()["role"] == "responder"
    bearer = token.json()["token"]
    with ops.sessions() as session:
        user = session.scalars(select(User).where(User.name == "stored-hashed")).one()
        dump = " ".join(
            str(value) for row in session.execute(text("SELECT * FROM users")) for value in row
        )
    assert PASSWORD not in dump and bearer not in dump
    assert user.password_hash.startswith("scrypt$") and verify_password(
        PASSWORD, user.password_hash
    )
    assert user.token_hash == hashlib.sha256(bearer.encode()).hexdigest()
    again = client.post("/auth/token", json={"name": "stored-hashed", "password": PASSWORD})
    assert Users(ops.sessions).by_token(bearer) is None
    monkeypatch.setattr(auth, "TOKEN_CACHE_SECONDS", 0.0, raising=False)  # let any cache lapse
    old = client.get("/queue", headers={"Authorization": f"Bearer {bearer}"})
    new = client.get("/queue", headers={"Authorization": f"Bearer {again.json()['token']}"})
    assert (old.status_code, new.status_code) == (401, 200)  # a new login retires the old token


def test_health_and_login_need_no_token(client: TestClient) -> None:
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["program"] == "star_denver"


# --- intake ---------------------------------------------------------------------------------


def test_a_benign_welfare_call_in_hours_is_queued_for_star(
    client: TestClient, headers: Headers
) -> None:
    incident = _post_call(client, headers[Role.CALL_TAKER], welfare_call("benign-1"))
    assert (incident["state"], incident["track"], incident["response"]) == (
        "queued", "community", "star",
    )  # fmt: skip
    assert incident["eligible"] is True and incident["state_reason"] is None
    assert incident["skills"] == STAR_SKILLS and incident["queued_at"] is not None
    assert incident["reasons"] and all(r["id"] and r["says"] for r in incident["reasons"])
    assert incident["reasons"][0]["id"] == "star-only"
    events = client.get(f"/incidents/{incident['id']}/events", headers=headers[Role.ANALYST])
    log = [(e["kind"], e["before"], e["after"], e["actor"]) for e in events.json()]
    assert log == [
        ("intake", None, "received", "call_taker"),
        ("state", "received", "triaged", "call_taker"),
        ("state", "triaged", "queued", "call_taker"),
    ]
    queue = client.get("/queue", headers=headers[Role.ANALYST]).json()
    assert incident["id"] in [i["id"] for i in queue]


def test_a_call_with_a_knife_in_the_notes_is_escalated_to_police(
    client: TestClient, headers: Headers
) -> None:
    body = welfare_call("knife-1", narrative="RP says subj in hallway W/ KNIFE, yelling")
    incident = _post_call(client, headers[Role.CALL_TAKER], body)
    assert (incident["state"], incident["track"], incident["eligible"]) == (
        "escalated", "police", False,
    )  # fmt: skip
    assert incident["state_reason"] and incident["state_reason"].startswith("police: ")
    assert "notes:weapon" in [r["id"] for r in incident["reasons"]]
    assert incident["id"] not in [
        i["id"] for i in client.get("/queue", headers=headers[Role.ANALYST]).json()
    ]


def test_the_escalation_reason_names_the_red_flag(client: TestClient, headers: Headers) -> None:
    body = welfare_call("knife-2", narrative="subj W/ KNIFE")
    incident = _post_call(client, headers[Role.CALL_TAKER], body)
    assert "weapon" in incident["state_reason"].lower()
    assert "no reason for police" not in incident["state_reason"]


def test_a_call_outside_the_programs_hours_is_unserved(
    client: TestClient, headers: Headers
) -> None:
    body = welfare_call("late-1", received_at=OUT_OF_HOURS.isoformat())
    incident = _post_call(client, headers[Role.CALL_TAKER], body)
    assert (incident["state"], incident["unserved_reason"], incident["state_reason"]) == (
        "unserved", "outside-hours", "outside-hours",
    )  # fmt: skip
    assert incident["eligible"] is True and incident["track"] == "police"
    assert incident["queued_at"] is None
    events = client.get(f"/incidents/{incident['id']}/events", headers=headers[Role.ANALYST])
    assert events.json()[-1]["data"] == {"reason": "outside-hours", "fallback": "police"}


def test_a_retried_call_is_one_incident(
    client: TestClient, ops: Operations, headers: Headers
) -> None:
    body = welfare_call("retry-1")
    first = client.post("/calls", json=body, headers=headers[Role.CALL_TAKER])
    second = client.post("/calls", json=body, headers=headers[Role.DISPATCHER])
    changed = client.post(
        "/calls", json={**body, "narrative": "(retry)"}, headers=headers[Role.CALL_TAKER]
    )
    assert (first.status_code, second.status_code, changed.status_code) == (201, 200, 200)
    assert first.json()["id"] == second.json()["id"] == changed.json()["id"]
    elsewhere = client.post(
        "/calls", json={**body, "agency": "Aurora 911"}, headers=headers[Role.CALL_TAKER]
    )
    assert elsewhere.status_code == 201  # the id is unique per agency, not across agencies
    with ops.sessions() as session:
        rows = session.scalars(select(Incident).where(Incident.agency_call_id == "retry-1")).all()
    assert sorted(r.agency for r in rows) == ["Aurora 911", "Denver 911"]
    assert len(ops.events(first.json()["id"])) == 3


def test_concurrent_duplicate_intakes_make_one_incident(url: str, ops: Operations) -> None:
    record = welfare_record("concurrent-1")
    services = [operations(url) for _ in range(8)]
    barrier = threading.Barrier(len(services))

    def take(service: Operations) -> tuple[int, bool]:
        barrier.wait(timeout=10)
        incident, created = service.intake(record, "call_taker")
        return incident.id, created

    with ThreadPoolExecutor(len(services)) as pool:
        results = [f.result() for f in [pool.submit(take, s) for s in services]]
    for service in services:
        service.sessions.kw["bind"].dispose()
    assert len({incident_id for incident_id, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1
    with ops.sessions() as session:
        found = session.scalar(
            select(func.count(Incident.id)).where(Incident.agency_call_id == "concurrent-1")
        )
    assert found == 1
    assert len(ops.events(results[0][0])) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"priority_code": "P1"}, "priority_code"),
        ({"received_at": "2025-06-03T10:00:00"}, "received_at"),
        ({"screening": {"weapon": False, "knife": True}}, "knife"),
        ({"lat": 123.0}, "lat"),
    ],
)
def test_a_body_that_does_not_fit_is_422_naming_the_field(
    client: TestClient, ops: Operations, headers: Headers, change: dict[str, Any], field: str
) -> None:
    before = _counts(ops)
    body = {**welfare_call("bad-body"), **change}
    response = client.post("/calls", json=body, headers=headers[Role.CALL_TAKER])
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert any(error["loc"][-1] == field for error in detail), detail
    assert _counts(ops) == before


def test_an_unknown_incident_is_404(client: TestClient, headers: Headers) -> None:
    for path in ("/incidents/999999", "/incidents/999999/events"):
        response = client.get(path, headers=headers[Role.ANALYST])
        assert response.status_code == 404
        assert response.json() == {"detail": "incident 999999 does not exist"}


# --- recommendation and dispatch ------------------------------------------------------------


def _place(client: TestClient, headers: Headers, team_id: int, lat: float, lon: float) -> None:
    response = client.patch(
        f"/teams/{team_id}", json={"lat": lat, "lon": lon}, headers=headers[Role.RESPONDER]
    )
    assert response.status_code == 200, response.text


def test_recommendation_is_the_nearest_free_capable_team_on_duty(
    client: TestClient, headers: Headers
) -> None:
    here = (39.7392, -104.9903)  # every call of welfare_call is here
    busy = _team(client, headers, "rec-busy")
    off = _team(client, headers, "rec-off-duty")
    unskilled = _team(client, headers, "rec-unskilled", ["behavioral_health"])
    near, far = _team(client, headers, "rec-near"), _team(client, headers, "rec-far")
    for team, north in ((busy, 0.0), (off, 0.001), (unskilled, 0.002), (near, 0.009), (far, 0.045)):
        _place(client, headers, team, here[0] + north, here[1])
    _dispatched(client, headers, "rec-other", busy)
    off_duty = client.patch(f"/teams/{off}", json={"on_duty": False}, headers=headers[Role.ADMIN])
    assert off_duty.json()["on_duty"] is False
    incident = _post_call(client, headers[Role.CALL_TAKER], welfare_call("rec-1"))
    path = f"/incidents/{incident['id']}/recommendation"
    found = client.get(path, headers=headers[Role.DISPATCHER]).json()
    expected_km = 6371.0 * math.radians(0.009)
    assert (found["team_id"], found["team"]) == (near, "rec-near")
    assert found["distance_km"] == pytest.approx(expected_km, abs=0.01)
    taken = client.post(
        f"/incidents/{incident['id']}/dispatch", json={"team_id": near},
        headers=headers[Role.DISPATCHER],
    )  # fmt: skip
    assert taken.status_code == 200
    assert (taken.json()["state"], taken.json()["team_id"]) == ("dispatched", near)
    assert _team_row(client, headers, near)["incident_id"] == incident["id"]
    second = _post_call(client, headers[Role.CALL_TAKER], welfare_call("rec-2"))
    next_best = client.get(
        f"/incidents/{second['id']}/recommendation", headers=headers[Role.DISPATCHER]
    )
    assert next_best.json()["team_id"] == far  # near is no longer free
    again = client.post(
        f"/incidents/{second['id']}/dispatch", json={"team_id": near},
        headers=headers[Role.DISPATCHER],
    )  # fmt: skip
    assert again.status_code == 409
    assert again.json()["detail"] == "team rec-near is not free (assigned or off duty)"
    assert (
        client.get(f"/incidents/{second['id']}", headers=headers[Role.ANALYST]).json()["state"]
        == "queued"
    )


def test_recommendation_is_empty_when_no_team_fits(client: TestClient, headers: Headers) -> None:
    incident = _post_call(client, headers[Role.CALL_TAKER], welfare_call("rec-none"))
    _post_call(client, headers[Role.CALL_TAKER], welfare_call("rec-none-2"))
    for team in client.get("/teams", headers=headers[Role.ANALYST]).json():
        if team["on_duty"] and team["incident_id"] is None and team["skills"] == STAR_SKILLS:
            _dispatched(client, headers, f"rec-fill-{team['id']}", team["id"])
    found = client.get(
        f"/incidents/{incident['id']}/recommendation", headers=headers[Role.DISPATCHER]
    )
    assert found.json() == {"team_id": None, "team": None, "distance_km": None}


@pytest.mark.parametrize(
    ("skills", "on_duty", "message"),
    [
        (["behavioral_health"], True, "lacks skills ['behavioral_health', 'medical_basic']"),
        (STAR_SKILLS, False, "is not free (assigned or off duty)"),
    ],
)
def test_a_team_lacking_skills_or_off_duty_is_409(
    client: TestClient, headers: Headers, skills: list[str], on_duty: bool, message: str
) -> None:
    name = f"unfit-{len(skills)}-{on_duty}"
    team = _team(client, headers, name, skills)
    if not on_duty:
        client.patch(f"/teams/{team}", json={"on_duty": False}, headers=headers[Role.SUPERVISOR])
    incident = _post_call(client, headers[Role.CALL_TAKER], welfare_call(f"call-{name}"))
    response = client.post(
        f"/incidents/{incident['id']}/dispatch", json={"team_id": team},
        headers=headers[Role.DISPATCHER],
    )  # fmt: skip
    assert response.status_code == 409
    assert message in response.json()["detail"]
    after = client.get(f"/incidents/{incident['id']}", headers=headers[Role.ANALYST]).json()
    assert (after["state"], after["team_id"]) == ("queued", None)
    assert _team_row(client, headers, team)["incident_id"] is None


def test_an_incident_not_waiting_cannot_be_dispatched(client: TestClient, headers: Headers) -> None:
    team = _team(client, headers, "not-waiting")
    knife = welfare_call("not-waiting-1", narrative="W/ KNIFE")
    incident = _post_call(client, headers[Role.CALL_TAKER], knife)
    response = client.post(
        f"/incidents/{incident['id']}/dispatch", json={"team_id": team},
        headers=headers[Role.DISPATCHER],
    )  # fmt: skip
    assert response.status_code == 409
    assert response.json()["detail"] == f"incident {incident['id']} is escalated, not waiting"
    missing = client.post(
        f"/incidents/{incident['id']}/dispatch", json={"team_id": 999999},
        headers=headers[Role.DISPATCHER],
    )  # fmt: skip
    assert missing.status_code == 404


def test_two_dispatchers_racing_for_one_team_one_wins(url: str, ops: Operations) -> None:
    for round_ in range(4):
        team = ops.add_team(f"race-{round_}", STAR_SKILLS)
        ids = [ops.intake(welfare_record(f"race-{round_}-{n}"), "call_taker")[0].id for n in (1, 2)]
        services = [operations(url) for _ in ids]
        barrier = threading.Barrier(len(ids))

        def go(
            service: Operations,
            incident_id: int,
            team_id: int = team.id,
            barrier: threading.Barrier = barrier,
        ) -> None:
            barrier.wait(timeout=10)
            service.dispatch(incident_id, team_id, f"dispatcher-{incident_id}")

        with ThreadPoolExecutor(len(ids)) as pool:
            futures = [pool.submit(go, s, i) for s, i in zip(services, ids, strict=True)]
        errors = [f.exception() for f in futures]
        for service in services:
            service.sessions.kw["bind"].dispose()
        winners = [i for i, e in zip(ids, errors, strict=True) if e is None]
        lost = [e for e in errors if e is not None]
        assert len(winners) == 1 and len(lost) == 1, errors
        assert isinstance(lost[0], ConflictError) and "is not free" in str(lost[0])
        loser = next(i for i in ids if i != winners[0])
        assert next(t for t in ops.teams() if t.id == team.id).incident_id == winners[0]
        assert (ops.incident(winners[0]).state, ops.incident(winners[0]).team_id) == (
            "dispatched", team.id,
        )  # fmt: skip
        assert (ops.incident(loser).state, ops.incident(loser).team_id) == ("queued", None)
        assert len(ops.events(loser)) == 3  # the loser's log has nothing from the race


# --- state changes --------------------------------------------------------------------------


def test_a_team_walks_an_incident_to_closed_and_is_freed_at_cleared(
    client: TestClient, ops: Operations, headers: Headers
) -> None:
    team = _team(client, headers, "walker")
    incident_id = _dispatched(client, headers, "walk-1", team)
    responder = headers[Role.RESPONDER]
    for state in ("en_route", "on_scene", "transporting"):
        response = _move(client, responder, incident_id, state)
        assert (response.status_code, response.json()["state"]) == (200, state)
        assert _team_row(client, headers, team)["incident_id"] == incident_id
    cleared = _move(client, responder, incident_id, "cleared")
    assert (cleared.status_code, cleared.json()["state"]) == (200, "cleared")
    assert _team_row(client, headers, team)["incident_id"] is None
    closed = _move(client, headers[Role.SUPERVISOR], incident_id, "closed")
    assert closed.json()["state"] == "closed" and closed.json()["team_id"] == team
    log = client.get(f"/incidents/{incident_id}/events", headers=headers[Role.ANALYST]).json()
    assert [e["after"] for e in log] == [
        "received", "triaged", "queued", "dispatched", "en_route", "on_scene", "transporting",
        "cleared", "closed",
    ]  # fmt: skip
    assert log[3]["actor"] == "dispatcher" and log[3]["data"] == {"team": "walker"}
    assert [e["actor"] for e in log[4:8]] == ["responder"] * 4 and log[8]["actor"] == "supervisor"
    assert check_log(ops, incident_id) == State.CLOSED


@pytest.mark.parametrize(
    ("path", "target", "reason", "message"),
    [
        ([], "on_scene", None, "an incident queued cannot become on_scene"),
        ([], "cleared", None, "an incident queued cannot become cleared"),
        (["dispatched"], "closed", None, "an incident dispatched cannot become closed"),
        (["dispatched"], "escalated", None, "becomes escalated only with a reason"),
        (["dispatched"], "escalated", "  ", "becomes escalated only with a reason"),
        ([], "cancelled", None, "becomes cancelled only with a reason"),
        (["dispatched", "on_scene", "cleared", "closed"], "en_route", None, "closed for good"),
        (["dispatched", "on_scene", "cleared"], "received", None, "cannot become received"),
    ],
)
def test_an_illegal_change_is_409_and_changes_nothing(
    client: TestClient,
    ops: Operations,
    headers: Headers,
    path: list[str],
    target: str,
    reason: str | None,
    message: str,
) -> None:
    tag = f"illegal-{target}-{len(path)}-{reason is None}"
    team = _team(client, headers, tag)
    incident = _post_call(client, headers[Role.CALL_TAKER], welfare_call(tag))
    for state in path:
        if state == "dispatched":
            sent = client.post(
                f"/incidents/{incident['id']}/dispatch", json={"team_id": team},
                headers=headers[Role.DISPATCHER],
            )  # fmt: skip
        else:
            sent = _move(client, headers[Role.RESPONDER], incident["id"], state)
        assert sent.status_code == 200, sent.text
    logged = len(ops.events(incident["id"]))
    state_before = ops.incident(incident["id"]).state
    response = _move(client, headers[Role.DISPATCHER], incident["id"], target, reason)
    assert response.status_code == 409
    assert message in response.json()["detail"]
    assert ops.incident(incident["id"]).state == state_before
    assert len(ops.events(incident["id"])) == logged


def test_escalation_with_a_reason_frees_the_team(
    client: TestClient, ops: Operations, headers: Headers
) -> None:
    team = _team(client, headers, "escalator")
    incident_id = _dispatched(client, headers, "escalate-1", team)
    _move(client, headers[Role.RESPONDER], incident_id, "en_route")
    reason = "RP calls back: subject now has a knife"
    response = _move(client, headers[Role.RESPONDER], incident_id, "escalated", reason)
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["state_reason"]) == ("escalated", reason)
    assert _team_row(client, headers, team)["incident_id"] is None
    last = ops.events(incident_id)[-1]
    assert (last.before, last.after, last.data) == ("en_route", "escalated", {"reason": reason})
    _dispatched(client, headers, "escalate-2", team)  # the team takes the next call


def test_a_queued_call_can_be_cancelled_with_a_reason(client: TestClient, headers: Headers) -> None:
    incident = _post_call(client, headers[Role.CALL_TAKER], welfare_call("cancel-1"))
    response = _move(client, headers[Role.DISPATCHER], incident["id"], "cancelled", "RP hung up")
    assert (response.json()["state"], response.json()["state_reason"]) == (
        "cancelled", "RP hung up",
    )  # fmt: skip


def test_dispatched_is_reached_only_through_dispatch(client: TestClient, headers: Headers) -> None:
    incident = _post_call(client, headers[Role.CALL_TAKER], welfare_call("no-team-1"))
    response = _move(client, headers[Role.DISPATCHER], incident["id"], "dispatched")
    assert response.status_code == 409, response.json()


def test_a_note_for_one_state_is_not_the_reason_of_the_next(
    client: TestClient, headers: Headers
) -> None:
    team = _team(client, headers, "noter")
    incident_id = _dispatched(client, headers, "note-1", team)
    _move(client, headers[Role.RESPONDER], incident_id, "en_route", "stuck behind a train")
    for state in ("on_scene", "cleared"):
        _move(client, headers[Role.RESPONDER], incident_id, state)
    closed = _move(client, headers[Role.SUPERVISOR], incident_id, "closed")
    assert closed.json()["state_reason"] is None


# --- escalation of calls that waited too long -----------------------------------------------


def test_a_call_queued_past_the_maximum_wait_falls_back(tmp_path: Path) -> None:
    service = operations(migrated(tmp_path))
    program = star()
    fallback = program.response(program.queue.fallback).track.value
    old, _ = service.intake(welfare_record("overdue-old"), "call_taker")
    team = service.add_team("overdue-team", STAR_SKILLS)
    taken, _ = service.intake(welfare_record("overdue-taken"), "call_taker")
    service.dispatch(taken.id, team.id, "dispatcher")
    knife, _ = service.intake(welfare_record("overdue-knife", narrative="W/ KNIFE"), "call_taker")
    young, _ = service.intake(welfare_record("overdue-young"), "call_taker")
    assert old.queued_at is not None and young.queued_at is not None
    assert old.queued_at < young.queued_at
    now = young.queued_at + timedelta(minutes=program.queue.max_wait_minutes)
    assert service.escalate_overdue(now) == [old.id]
    moved = service.incident(old.id)
    assert (moved.state, moved.unserved_reason, moved.state_reason, moved.track) == (
        "unserved", WAITED_TOO_LONG, WAITED_TOO_LONG, fallback,
    )  # fmt: skip
    last = service.events(old.id)[-1]
    assert (last.actor, last.kind, last.before, last.after) == (
        "system", "state", "queued", "unserved",
    )  # fmt: skip
    assert last.data == {"reason": WAITED_TOO_LONG, "fallback": fallback}
    assert service.incident(young.id).state == "queued"
    assert service.incident(young.id).track == "community"
    assert service.incident(taken.id).state == "dispatched"
    assert service.incident(knife.id).state == "escalated"
    assert [i.id for i in service.queue()] == [young.id]
    assert service.escalate_overdue(now) == []  # nothing twice
    assert service.escalate_overdue() == []  # the young call has not waited 30 minutes yet
    assert service.escalate_overdue(now + timedelta(microseconds=1)) == [young.id]
    assert check_every_log(service) == 4


# --- OpenAPI --------------------------------------------------------------------------------


def test_openapi_lists_every_endpoint_with_its_methods(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, methods in {**OPEN, **PROTECTED}.items():
        assert path in paths, path
        assert set(paths[path]) == methods, path


def test_openapi_asks_for_the_bearer_token_on_protected_endpoints_only(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    for path, methods in {**OPEN, **PROTECTED}.items():
        for method in methods:
            security = schema["paths"][path][method].get("security", [])
            assert ({"HTTPBearer": []} in security) == (path in PROTECTED), (method, path)


def test_openapi_declares_bearer_security_or_401_and_403(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    schemes = schema.get("components", {}).get("securitySchemes", {})
    for path, methods in PROTECTED.items():
        for method in methods:
            operation = schema["paths"][path][method]
            secured = bool(operation.get("security") or schema.get("security")) and bool(schemes)
            documented = {"401", "403"} <= set(operation["responses"])
            assert secured or documented, (method, path)


# --- CLI ------------------------------------------------------------------------------------


def test_db_upgrade_creates_the_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = runner.invoke(cli, ["db", "upgrade"], env={"ALTRESPONSE_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert f"database at {url} is up to date" in result.stdout
    engine = create_engine(url)
    try:
        found = inspect(engine)
        assert {"incidents", "events", "teams", "users", "alembic_version"} <= set(
            found.get_table_names()
        )
        assert {c["name"] for c in found.get_columns("incidents")} >= {
            "agency", "agency_call_id", "state", "state_reason", "track", "team_id", "queued_at",
        }  # fmt: skip
        with engine.connect() as connection:
            version = connection.scalar(text("SELECT version_num FROM alembic_version"))
        head = ScriptDirectory(str(migrations_folder())).get_current_head()
        assert version == head and head is not None
    finally:
        engine.dispose()
    again = runner.invoke(cli, ["db", "upgrade"], env={"ALTRESPONSE_DATABASE_URL": url})
    assert again.exit_code == 0  # a second upgrade is a no-op


def _cli_env(tmp_path: Path, password: str | None) -> dict[str, str | None]:
    url = migrated(tmp_path)
    return {"ALTRESPONSE_DATABASE_URL": url, "ALTRESPONSE_PASSWORD": password}


def test_users_add_takes_the_password_from_the_environment_or_stdin(tmp_path: Path) -> None:
    env = _cli_env(tmp_path, PASSWORD)
    result = runner.invoke(cli, ["users", "add", "dana", "--role", "dispatcher"], env=env)
    assert result.exit_code == 0, result.output
    assert "user dana added as dispatcher" in result.stdout
    piped = runner.invoke(
        cli, ["users", "add", "eli", "--role", "responder"],
        env={**env, "ALTRESPONSE_PASSWORD": None}, input="another long secret\n",
    )  # fmt: skip
    assert piped.exit_code == 0, piped.output
    service = operations(str(env["ALTRESPONSE_DATABASE_URL"]))
    users = Users(service.sessions)
    for name, password, role in (
        ("dana", PASSWORD, Role.DISPATCHER), ("eli", "another long secret", Role.RESPONDER),
    ):  # fmt: skip
        token = users.login(name, password)
        assert token is not None
        user = users.by_token(token)
        assert user is not None and user.role == role and user.password_hash != password


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--role", "chief"], PASSWORD, "--role: 'chief' is not one of call_taker, dispatcher"),
        (["--role", "admin"], "short", "password: at least 10 characters"),
    ],
)
def test_users_add_refuses_in_one_line_with_exit_2(
    tmp_path: Path, args: list[str], password: str, message: str
) -> None:
    env = _cli_env(tmp_path, password)
    result = runner.invoke(cli, ["users", "add", "fay", *args], env=env)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], lines
    assert PASSWORD not in result.output
    service = operations(str(env["ALTRESPONSE_DATABASE_URL"]))
    with service.sessions() as session:
        assert session.scalar(select(func.count(User.id))) == 0


def test_users_add_refuses_a_name_taken(tmp_path: Path) -> None:
    env = _cli_env(tmp_path, PASSWORD)
    runner.invoke(cli, ["users", "add", "gus", "--role", "analyst"], env=env)
    result = runner.invoke(cli, ["users", "add", "gus", "--role", "admin"], env=env)
    assert result.exit_code == 2
    assert "user 'gus' already exists" in result.stderr
