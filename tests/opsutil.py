"""Shared helpers for the operations tests: a migrated database, calls, users, log checks."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from altresponse.calls.record import CallRecord
from altresponse.operations import lifecycle
from altresponse.operations.api import create_app
from altresponse.operations.auth import Role, Users
from altresponse.operations.db import make_engine, sessions, upgrade
from altresponse.operations.lifecycle import State
from altresponse.operations.models import Event, Incident
from altresponse.operations.service import Operations
from altresponse.programs import load_program
from altresponse.programs.model import Program

PROGRAM = "star_denver"
STAR_SKILLS = ["behavioral_health", "medical_basic"]
PASSWORD = "correct horse battery"
DENVER_SUMMER = timezone(timedelta(hours=-6))  # America/Denver in June (MDT)
IN_HOURS = datetime(2025, 6, 3, 10, 0, tzinfo=DENVER_SUMMER)  # inside STAR's 06:00-22:00
OUT_OF_HOURS = datetime(2025, 6, 3, 23, 30, tzinfo=DENVER_SUMMER)
ALL_CLEAR = {
    "weapon": False,
    "violence": False,
    "injury": False,
    "medical_emergency": False,
    "crime_in_progress": False,
    "immediate_danger": False,
    "willing_to_wait": True,
    "suicide_risk": "none",
}
"""Screening answers of a call-taker who asked everything and heard nothing dangerous."""


def star() -> Program:
    """The program every operations test runs."""
    return load_program(PROGRAM)


POSTGRES_ENV = "ALTRESPONSE_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")
"""Every database test runs on both: SQLite (the embedded default) and PostgreSQL (production)."""


def fresh_database(backend: str, folder: Path) -> str:
    """The URL of an empty database of BACKEND, migrated to the newest schema.

    PostgreSQL is the server `make test` starts (scripts/test-postgres), named by
    ALTRESPONSE_TEST_POSTGRES_URL; its schema is dropped and made again for each use.
    """
    if backend == "sqlite":
        return migrated(folder)
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        message = f"the PostgreSQL tests need {POSTGRES_ENV} (make test starts a server)"
        if os.environ.get("CI") or os.environ.get("ALTRESPONSE_REQUIRE_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    upgrade(url)
    return url


def migrated(folder: Path) -> str:
    """The URL of a new SQLite file in FOLDER, migrated to the newest schema."""
    url = f"sqlite:///{folder / 'ops.db'}"
    upgrade(url)
    return url


def operations(url: str) -> Operations:
    """A service over URL with its own engine (so threads hold their own connections)."""
    return Operations(sessions(make_engine(url)), star())


def welfare_call(call_id: str, **changes: Any) -> dict[str, Any]:
    """A benign welfare-check call as POST /calls takes it, inside STAR's hours; CHANGES win."""
    body: dict[str, Any] = {
        "call_id": call_id,
        "agency": "Denver 911",
        "received_at": IN_HOURS.isoformat(),
        "source": "911",
        "local_type": "WELFARE CHECK",
        "incident_type": "WELFARE",
        "category": "welfare_check",
        "zone": "D6",
        "lat": 39.7392,
        "lon": -104.9903,
        "narrative": "neighbor has not been seen for two days, RP worried",
        "screening": dict(ALL_CLEAR),
    }
    body.update(changes)
    return body


def welfare_record(call_id: str, **changes: Any) -> CallRecord:
    """The same call as a canonical record, for the service."""
    return CallRecord.model_validate(welfare_call(call_id, **changes))


def client_for(ops: Operations) -> TestClient:
    """A test client over OPS (no background escalation: tests call it themselves)."""
    app: FastAPI = create_app(ops, Users(ops.sessions), escalate_every=None)
    return TestClient(app)


def add_user(users: Users, role: Role, name: str | None = None) -> str:
    """A user of ROLE (named after it unless NAME is given); returns the name."""
    name = name or role.value
    users.add(name, role, PASSWORD)
    return name


def login(client: TestClient, name: str, password: str = PASSWORD) -> dict[str, str]:
    """Bearer headers for NAME, through POST /auth/token."""
    response = client.post("/auth/token", json={"name": name, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def state_changes(events: Iterable[Any]) -> list[tuple[State | None, State]]:
    """The (before, after) pairs of a log's state-changing events, oldest first."""
    return [
        (State(e.before) if e.before else None, State(e.after))
        for e in events
        if e.after is not None
    ]


def check_log(ops: Operations, incident_id: int) -> State:
    """Check one incident's log against its state; returns the state.

    The log starts with `intake` into received, runs in time order, and replays (along the
    transition table) to exactly the state the incident row holds.
    """
    incident = ops.incident(incident_id)
    events = ops.events(incident_id)
    assert events, f"incident {incident_id} has no events"
    first = events[0]
    assert (first.kind, first.before, first.after) == ("intake", None, State.RECEIVED.value)
    times = [e.at for e in events]
    assert times == sorted(times), f"incident {incident_id}: events out of time order"
    replayed = lifecycle.replay(state_changes(events))
    assert replayed == State(incident.state), (
        f"incident {incident_id}: log replays to {replayed}, row says {incident.state}"
    )
    return replayed


def check_every_log(ops: Operations) -> int:
    """Check the log of every incident in the database; returns how many there are."""
    with ops.sessions() as session:
        ids = list(session.scalars(select(Incident.id).order_by(Incident.id)))
        orphans = session.scalar(select(func.count(Event.id)).where(Event.incident_id.not_in(ids)))
    assert orphans == 0
    for incident_id in ids:
        check_log(ops, incident_id)
    return len(ids)
