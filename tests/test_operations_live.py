"""What the consoles read: a call triaged on the line (POST /triage) and the floor (GET /live)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from altresponse.operations.auth import Role, Users
from altresponse.operations.lifecycle import State
from altresponse.operations.service import Operations
from opsutil import (
    ALL_CLEAR,
    IN_HOURS,
    OUT_OF_HOURS,
    STAR_SKILLS,
    add_user,
    client_for,
    login,
    migrated,
    operations,
    welfare_record,
)


class Clock:
    """A clock the test sets."""

    def __init__(self) -> None:
        self.now = IN_HOURS

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ops(tmp_path: Path, clock: Clock) -> Iterator[Operations]:
    service = operations(migrated(tmp_path))
    service.clock = clock
    yield service


@pytest.fixture
def client(ops: Operations) -> TestClient:
    return client_for(ops)


def headers(ops: Operations, client: TestClient, role: Role) -> dict[str, str]:
    return login(client, add_user(Users(ops.sessions), role))


WELFARE = {
    "local_type": "WELFARE CHECK",
    "incident_type": "WELFARE",
    "narrative": "man asleep in a doorway",
    "lat": 39.7392,
    "lon": -104.9903,
}


def test_a_draft_call_is_triaged_and_nothing_is_stored(ops: Operations, client: TestClient) -> None:
    auth = headers(ops, client, Role.CALL_TAKER)
    near = ops.add_team("star-near", STAR_SKILLS)
    ops.update_team(near.id, lat=39.74, lon=-104.99)
    far = ops.add_team("star-far", STAR_SKILLS)
    ops.update_team(far.id, lat=39.90, lon=-105.10)
    body = {**WELFARE, "screening": ALL_CLEAR}
    found = client.post("/triage", json=body, headers=auth)
    assert found.status_code == 200, found.text
    decision = found.json()
    assert decision["response"] == "star" and decision["track"] == "community"
    assert decision["program_response"] and decision["eligible"]
    assert decision["unanswered"] == []
    assert decision["reasons"][0]["id"] == "star-only"
    assert decision["team"]["team"] == "star-near"
    assert decision["team"]["distance_km"] < 1
    assert ops.open_incidents() == [] and ops.last_event_id() == 0


def test_unanswered_safety_questions_are_named_and_never_give_a_team_alone(
    ops: Operations, client: TestClient
) -> None:
    auth = headers(ops, client, Role.CALL_TAKER)
    ops.add_team("star-1", STAR_SKILLS)
    decision = client.post("/triage", json=WELFARE, headers=auth).json()
    assert decision["track"] != "community" and decision["team"] is None
    assert set(decision["unanswered"]) == {
        "weapon", "violence", "injury", "medical_emergency", "crime_in_progress",
        "immediate_danger", "suicide_risk",
    }  # fmt: skip


def test_a_weapon_in_the_notes_gives_police_with_the_reason(
    ops: Operations, client: TestClient
) -> None:
    auth = headers(ops, client, Role.DISPATCHER)
    body = {**WELFARE, "narrative": "son has a knife", "screening": ALL_CLEAR}
    decision = client.post("/triage", json=body, headers=auth).json()
    assert decision["track"] == "police"
    assert "notes:weapon" in [r["id"] for r in decision["reasons"]]


def test_the_draft_is_triaged_at_the_services_time(
    ops: Operations, client: TestClient, clock: Clock
) -> None:
    auth = headers(ops, client, Role.CALL_TAKER)
    clock.now = OUT_OF_HOURS
    decision = client.post("/triage", json={**WELFARE, "screening": ALL_CLEAR}, headers=auth).json()
    assert decision["eligible"] and decision["unserved_reason"] == "outside-hours"
    assert decision["team"] is None


def test_a_responder_may_not_triage_and_unknown_fields_are_refused(
    ops: Operations, client: TestClient
) -> None:
    refused = client.post("/triage", json=WELFARE, headers=headers(ops, client, Role.RESPONDER))
    assert refused.status_code == 403
    auth = headers(ops, client, Role.CALL_TAKER)
    bad = client.post("/triage", json={**WELFARE, "call_id": "x"}, headers=auth)
    assert bad.status_code == 422 and "call_id" in bad.text


def test_live_gives_the_clock_the_queue_with_teams_the_open_calls_and_units(
    ops: Operations, client: TestClient, clock: Clock
) -> None:
    auth = headers(ops, client, Role.RESPONDER)
    busy = ops.add_team("star-1", STAR_SKILLS)
    free = ops.add_team("star-2", STAR_SKILLS)
    off = ops.add_team("star-3", STAR_SKILLS)
    ops.update_team(off.id, on_duty=False)
    first, _ = ops.intake(welfare_record("c1"), "casey")
    ops.dispatch(first.id, busy.id, "dana")
    ops.set_state(first.id, State.ON_SCENE, "rae")
    waiting, _ = ops.intake(welfare_record("c2"), "casey")
    police, _ = ops.intake(welfare_record("c3", narrative="he has a gun"), "casey")
    clock.now = IN_HOURS + timedelta(minutes=5)
    live = client.get("/live", headers=auth).json()
    assert datetime.fromisoformat(live["now"]) == clock.now and live["clock_rate"] == 1.0
    assert live["last_event_id"] == ops.last_event_id()
    assert [i["id"] for i in live["queue"]] == [waiting.id]
    assert live["queue"][0]["recommended"]["team"] == "star-2"
    assert live["queue"][0]["incident_type"] == "WELFARE"
    assert {i["id"] for i in live["open"]} == {first.id, waiting.id}  # escalated is not open
    assert police.id not in {i["id"] for i in live["open"]}
    units = {u["name"]: u for u in live["units"]}
    assert units["star-1"]["status"] == "on_scene" and units["star-1"]["incident_id"] == first.id
    assert units["star-2"]["status"] == "free" and units["star-3"]["status"] == "off_duty"
    assert not units["star-3"]["on_shift"] and units["star-2"]["on_shift"]
    assert free.id == units["star-2"]["id"]
    assert [i["id"] for i in live["recent"]] == [police.id, waiting.id, first.id]
    assert live["recent"][0]["state"] == "escalated" and live["recent"][0]["track"] == "police"


def test_live_needs_a_token(client: TestClient) -> None:
    assert client.get("/live").status_code == 401
