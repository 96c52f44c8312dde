"""The supervisor board: a day worked through by hand, the day's bounds in the program's time zone,
follow-ups, debriefs, and the API's roles and refusals. On SQLite and PostgreSQL.

Times in these tests are minutes after 10:00 on 3 June 2025 in Denver (MDT), by a clock the test
moves; every expected figure is worked out in the comments from the timeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy
import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from altresponse.calls.record import Disposition
from altresponse.cli import app as cli
from altresponse.errors import NotFoundError
from altresponse.operations.auth import Role, Users
from altresponse.operations.board import board, percentile, record_debrief, spread
from altresponse.operations.db import make_engine, sessions, upgrade
from altresponse.operations.field import ConflictError
from altresponse.operations.lifecycle import State
from altresponse.operations.service import WAITED_TOO_LONG, Operations
from altresponse.programs.model import Condition, FollowUpPolicy, Program
from altresponse.triage.reasons import OUTSIDE_HOURS
from opsutil import (
    ALL_CLEAR,
    BACKENDS,
    IN_HOURS,
    STAR_SKILLS,
    add_user,
    check_every_log,
    client_for,
    fresh_database,
    login,
    star,
    welfare_record,
)

DENVER = ZoneInfo("America/Denver")
DAY = date(2025, 6, 3)


def at(minutes: float) -> datetime:
    """MINUTES after 10:00 on 3 June 2025 in Denver."""
    return IN_HOURS + timedelta(minutes=minutes)


class Clock:
    """The service's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def to(self, minutes: float) -> None:
        self.now = at(minutes)


def with_follow_up(hours: float) -> Program:
    """STAR with a follow-up owed within HOURS after every welfare check."""
    policy = FollowUpPolicy(
        id="check-in", says="Call the person back", when=Condition(category="welfare_check"),
        within_hours=hours,
    )  # fmt: skip
    return star().model_copy(update={"follow_up": (policy,)})


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database(request.param, tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock(at(0))


@pytest.fixture
def service(url: str, clock: Clock) -> Iterator[Any]:
    """Operations over the test's database with the test's clock, for a program (default STAR)."""
    engines = []

    def make(program: Program | None = None) -> Operations:
        engines.append(make_engine(url))
        return Operations(sessions(engines[-1]), program or star(), clock=clock)

    yield make
    for engine in engines:
        engine.dispose()


def take(ops: Operations, clock: Clock, call_id: str, **changes: Any) -> int:
    """Take a welfare call in now (received now unless CHANGES say when); its incident id."""
    changes.setdefault("received_at", clock.now.isoformat())
    incident, created = ops.intake(welfare_record(call_id, **changes), "cal")
    assert created
    return incident.id


def a_day(ops: Operations, clock: Clock) -> dict[str, int]:
    """Six calls and three teams (star-3 off duty); the ids by name."""
    ids = {name: ops.add_team(name, STAR_SKILLS).id for name in ("star-1", "star-2", "star-3")}
    ops.update_team(ids["star-3"], on_duty=False)
    a, b = ids["star-1"], ids["star-2"]
    ids["c1"] = take(ops, clock, "c1")  # 10:00, queued
    ids["c5"] = take(ops, clock, "c5", screening={**ALL_CLEAR, "weapon": True})  # to police
    early = datetime(2025, 6, 3, 5, 30, tzinfo=DENVER).isoformat()
    ids["c6"] = take(ops, clock, "c6", received_at=early)  # eligible, outside STAR's hours
    steps: list[tuple[float, Any]] = [
        (4, lambda: ops.dispatch(ids["c1"], a, "dana")),
        (5, lambda: ids.update(c2=take(ops, clock, "c2"))),  # queued at 10:05
        (10, lambda: ids.update(c3=take(ops, clock, "c3"))),
        (12, lambda: ops.set_state(ids["c1"], State.ON_SCENE, "a")),
        (20, lambda: ops.dispatch(ids["c3"], b, "dana")),
        (30, lambda: ops.set_state(ids["c3"], State.ON_SCENE, "b")),
        (35, lambda: ops.request_backup(ids["c1"], "police", "a knife", "a")),
        (36, lambda: ops.request_backup(ids["c1"], "ems", "a cut hand", "a")),
        (36, ops.escalate_overdue),  # c2, queued since 10:05, waited over 30 minutes
        (40, lambda: ops.set_state(ids["c1"], State.CLEARED, "a")),
        (41, lambda: ops.set_state(ids["c1"], State.CLOSED, "a")),
        (45, lambda: ops.set_state(ids["c3"], State.ESCALATED, "b", "police took over")),
        (50, lambda: ids.update(c4=take(ops, clock, "c4"))),
        (52, lambda: ops.dispatch(ids["c4"], a, "dana")),
        (60, lambda: ops.set_state(ids["c4"], State.ON_SCENE, "a")),
        (70, lambda: ops.set_disposition(ids["c4"], Disposition.ARREST, "a")),
    ]
    for minute, action in steps:
        clock.to(minute)
        action()
    return ids


def test_a_day_worked_by_hand(service: Any, clock: Clock) -> None:
    ops = service()
    ids = a_day(ops, clock)
    clock.to(80)
    found = board(ops).model_dump(mode="json")
    assert (found["day"], found["timezone"]) == ("2025-06-03", "America/Denver")
    assert datetime.fromisoformat(found["now"]) == at(80)
    # c1 served and closed; c2 waited too long (its track becomes police, the fallback); c3
    # served, then escalated; c4 on scene; c5 a weapon, straight to police; c6 before 06:00.
    assert found["volumes"] == {
        "calls": 6, "by_track": {"community": 3, "police": 3}, "eligible": 5, "served": 3,
        "escalated": 2, "unserved": 2, "open": 1,
    }  # fmt: skip
    # to dispatch: c1 4, c3 10, c4 2 -> sorted 2, 4, 10: median 4, p90 4 + 0.8 * (10 - 4) = 8.8
    # to arrival: c1 12, c3 20, c4 10 -> median 12, p90 12 + 0.8 * 8 = 18.4
    # on scene to cleared: only c1 (10:12 to 10:40) = 28
    assert found["response_times"] == {
        "to_dispatch": {"n": 3, "p50_minutes": 4.0, "p90_minutes": 8.8},
        "to_arrival": {"n": 3, "p50_minutes": 12.0, "p90_minutes": 18.4},
        "on_scene": {"n": 1, "p50_minutes": 28.0, "p90_minutes": 28.0},
    }
    assert found["unserved"]["by_reason"] == {OUTSIDE_HOURS: 1, WAITED_TOO_LONG: 1}
    listed = found["unserved"]["calls"]
    assert [c["id"] for c in listed] == [ids["c2"], ids["c6"]]  # newest first
    assert listed[0] == {
        "id": ids["c2"], "received_at": listed[0]["received_at"], "incident_type": "WELFARE",
        "zone": "D6", "reason": WAITED_TOO_LONG,
    }  # fmt: skip
    assert datetime.fromisoformat(listed[0]["received_at"]) == at(5)
    backup = found["backup"]
    assert backup == {
        "requests": 2, "incidents_with_backup": 1, "dispatched": 3, "rate": backup["rate"],
        "by_track": {"police": 1, "ems": 1},
    }  # fmt: skip
    assert backup["rate"] == pytest.approx(1 / 3)
    assert found["follow_ups"] == {"open": 0, "overdue": 0, "overdue_list": []}


def test_each_teams_day_and_its_debriefs(service: Any, clock: Clock) -> None:
    ops = service()
    ids = a_day(ops, clock)
    clock.to(80)
    teams = {t.name: t for t in board(ops).teams}
    one, two, three = teams["star-1"], teams["star-2"], teams["star-3"]
    # star-1: c1 from 10:04 to cleared at 10:40 (36), c4 from 10:52 and still on scene at 11:20
    # (28). Both are critical (backup on c1, last event 10:41; an arrest on c4, last event 10:70):
    # the newer is c4, and the team is owed a debrief.
    assert (one.status, one.incident_id, one.calls_today) == ("on_scene", ids["c4"], 2)
    assert one.busy_minutes_today == 64.0
    assert (one.last_critical_at, one.last_critical_incident_id) == (at(70), ids["c4"])
    assert (one.last_debrief_at, one.debrief_due, one.minutes_since_debrief) == (None, True, None)
    # star-2: c3 from 10:20 to its escalation at 10:45 (25): escalated on scene, a critical call
    assert (two.status, two.incident_id, two.calls_today, two.busy_minutes_today) == (
        "free", None, 1, 25.0,
    )  # fmt: skip
    assert (two.last_critical_at, two.last_critical_incident_id, two.debrief_due) == (
        at(45), ids["c3"], True,
    )  # fmt: skip
    assert (three.status, three.calls_today, three.busy_minutes_today) == ("off_duty", 0, 0.0)
    assert (three.last_critical_at, three.debrief_due) == (None, False)

    clock.to(85)
    debrief = record_debrief(ops, one.id, ids["c4"], "sam", "  talked it through ")
    assert (debrief.team_id, debrief.incident_id, debrief.at, debrief.notes) == (
        one.id, ids["c4"], at(85), "talked it through",
    )  # fmt: skip
    log = ops.events(ids["c4"])[-1]
    assert (log.kind, log.actor, log.at, log.before, log.after, log.data) == (
        "debrief", "sam", at(85), None, None, {"team": "star-1"},
    )  # fmt: skip
    clock.to(95)
    teams = {t.name: t for t in board(ops).teams}
    assert (teams["star-1"].last_debrief_at, teams["star-1"].debrief_due) == (at(85), False)
    assert teams["star-1"].minutes_since_debrief == 10.0
    assert teams["star-2"].debrief_due  # a debrief is per team
    # The call goes on after the debrief: what happened since is not covered.
    clock.to(100)
    ops.set_state(ids["c4"], State.CLEARED, "a")
    assert {t.name: t.debrief_due for t in board(ops).teams}["star-1"]
    record_debrief(ops, teams["star-2"].id, ids["c3"], "sam", None)
    assert not {t.name: t.debrief_due for t in board(ops).teams}["star-2"]
    check_every_log(ops)


def test_a_debrief_only_of_a_call_the_team_had(service: Any, clock: Clock) -> None:
    ops = service()
    ids = a_day(ops, clock)
    one, three = ids["star-1"], ids["star-3"]
    with pytest.raises(ConflictError, match="never had incident"):
        record_debrief(ops, one, ids["c3"], "sam", None)  # star-2's call
    with pytest.raises(ConflictError):
        record_debrief(ops, three, ids["c1"], "sam", None)
    with pytest.raises(ConflictError):
        record_debrief(ops, one, ids["c2"], "sam", None)  # no team ever went
    with pytest.raises(NotFoundError, match="team 999"):
        record_debrief(ops, 999, ids["c1"], "sam", None)
    with pytest.raises(NotFoundError, match="incident 999"):
        record_debrief(ops, one, 999, "sam", None)
    assert [e.kind for e in ops.events(ids["c3"])].count("debrief") == 0


def test_the_day_is_the_programs_local_day(service: Any, clock: Clock) -> None:
    ops = service()
    local = [
        datetime(2025, 6, 2, 23, 59, 59, tzinfo=DENVER),
        datetime(2025, 6, 3, 0, 0, tzinfo=DENVER),  # the day starts at local midnight
        datetime(2025, 6, 3, 23, 59, tzinfo=DENVER),
        datetime(2025, 6, 4, 0, 1, tzinfo=DENVER),
        datetime(2025, 11, 2, 23, 30, tzinfo=DENVER),  # the 25-hour day clocks go back (MST)
    ]
    ids = [take(ops, clock, f"b{i}", received_at=t.isoformat()) for i, t in enumerate(local)]
    clock.now = datetime(2025, 6, 4, 5, 30, tzinfo=ZoneInfo("UTC"))  # 23:30 on 3 June in Denver
    today = board(ops)
    assert today.day == DAY and today.volumes.calls == 2
    assert [c.id for c in today.unserved.calls] == [ids[2], ids[1]]
    assert board(ops, date(2025, 6, 2)).volumes.calls == 1
    assert [c.id for c in board(ops, date(2025, 6, 4)).unserved.calls] == [ids[3]]
    assert [c.id for c in board(ops, date(2025, 11, 2)).unserved.calls] == [ids[4]]
    assert board(ops, date(2025, 11, 3)).volumes.calls == 0


def test_follow_ups_open_and_overdue_most_overdue_first(service: Any, clock: Clock) -> None:
    ops = service(with_follow_up(hours=2))
    team = ops.add_team("star-1", STAR_SKILLS).id
    for start in (0, 10, 20):  # cleared at 10:03, 10:13, 10:23: due at 12:03, 12:13, 12:23
        clock.to(start)
        incident = take(ops, clock, f"f{start}")
        clock.to(start + 1)
        ops.dispatch(incident, team, "dana")
        clock.to(start + 2)
        ops.set_state(incident, State.ON_SCENE, "a")
        clock.to(start + 3)
        ops.set_state(incident, State.CLEARED, "a")
    first, second, third = ops.follow_ups()
    clock.to(30)
    ops.complete_follow_up(third.id, "reached", "a")
    clock.to(125)  # 12:05
    found = board(ops).follow_ups
    assert (found.open, found.overdue) == (2, 1)
    assert [(f.id, f.due_at, f.hours_overdue) for f in found.overdue_list] == [
        (first.id, at(123), 0.03),
    ]
    clock.to(193)  # 13:13: 70 and 60 minutes overdue
    found = board(ops).follow_ups
    assert (found.open, found.overdue) == (2, 2)
    overdue = found.overdue_list
    assert [(f.id, f.hours_overdue) for f in overdue] == [(first.id, 1.17), (second.id, 1.0)]
    assert (overdue[0].incident_id, overdue[0].policy, overdue[0].says) == (
        first.incident_id, "check-in", "Call the person back",
    )  # fmt: skip
    assert board(ops, date(2025, 6, 2)).follow_ups.open == 2  # whatever day they came from


def test_percentiles_are_numpys_linear_rule() -> None:
    for values in ([7.0], [1.0, 2.0], [4.0, 10.0, 2.0], [float(v) for v in range(1, 12)]):
        found = spread(values)
        assert found.n == len(values)
        assert found.p50_minutes == round(float(numpy.percentile(values, 50)), 2)
        assert found.p90_minutes == round(float(numpy.percentile(values, 90)), 2)
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert spread([]).model_dump() == {"n": 0, "p50_minutes": None, "p90_minutes": None}


BOARD_KEYS = {
    "day", "timezone", "now", "volumes", "response_times", "unserved", "backup", "follow_ups",
    "teams",
}  # fmt: skip
TEAM_KEYS = {
    "id", "name", "status", "incident_id", "calls_today", "busy_minutes_today",
    "last_critical_at", "last_critical_incident_id", "last_debrief_at", "debrief_due",
    "minutes_since_debrief",
}  # fmt: skip


def _check_shape(found: dict[str, Any]) -> None:
    """The names the supervisor console is written against."""
    assert set(found) == BOARD_KEYS
    assert set(found["volumes"]) == {
        "calls", "by_track", "eligible", "served", "escalated", "unserved", "open",
    }  # fmt: skip
    assert set(found["response_times"]) == {"to_dispatch", "to_arrival", "on_scene"}
    for figure in found["response_times"].values():
        assert set(figure) == {"n", "p50_minutes", "p90_minutes"}
    assert set(found["unserved"]) == {"by_reason", "calls"}
    for call in found["unserved"]["calls"]:
        assert set(call) == {"id", "received_at", "incident_type", "zone", "reason"}
    assert set(found["backup"]) == {
        "requests", "incidents_with_backup", "dispatched", "rate", "by_track",
    }  # fmt: skip
    assert set(found["follow_ups"]) == {"open", "overdue", "overdue_list"}
    for item in found["follow_ups"]["overdue_list"]:
        assert set(item) == {"id", "incident_id", "policy", "says", "due_at", "hours_overdue"}
    for team in found["teams"]:
        assert set(team) == TEAM_KEYS


def test_the_board_and_debriefs_over_http(service: Any, clock: Clock) -> None:
    ops = service(with_follow_up(hours=2))
    users = Users(ops.sessions)
    client = client_for(ops)
    headers = {role: login(client, add_user(users, role)) for role in Role}
    team = ops.add_team("star-1", STAR_SKILLS).id
    served, waiting = take(ops, clock, "h1"), take(ops, clock, "h2")
    ops.dispatch(served, team, "dana")
    ops.set_state(served, State.ON_SCENE, "a")
    ops.request_backup(served, "police", "a crowd", "a")
    clock.to(4)
    ops.set_state(served, State.CLEARED, "a")  # a follow-up due at 12:04
    clock.to(180)

    for role in (Role.DISPATCHER, Role.SUPERVISOR, Role.ANALYST, Role.ADMIN):
        response = client.get("/board", headers=headers[role])
        assert response.status_code == 200, (role, response.text)
    found = response.json()
    _check_shape(found)
    volumes = found["volumes"]  # h1 cleared but not closed, h2 still queued: both open
    assert (found["day"], volumes["calls"], volumes["open"]) == ("2025-06-03", 2, 2)
    assert found["follow_ups"]["overdue_list"][0]["hours_overdue"] == 0.93  # 56 minutes
    (row,) = found["teams"]
    assert (row["debrief_due"], row["last_critical_incident_id"]) == (True, served)
    for role in (Role.RESPONDER, Role.CALL_TAKER):
        assert client.get("/board", headers=headers[role]).status_code == 403
    assert client.get("/board").status_code == 401
    yesterday = client.get("/board?day=2025-06-02", headers=headers[Role.ANALYST]).json()
    assert (yesterday["day"], yesterday["volumes"]["calls"]) == ("2025-06-02", 0)
    for day in ("june", "9999-12-31"):
        assert client.get(f"/board?day={day}", headers=headers[Role.ANALYST]).status_code == 422

    def debrief(body: dict[str, Any], role: Role = Role.SUPERVISOR, to: int = team) -> Any:
        return client.post(f"/teams/{to}/debriefs", json=body, headers=headers[role])

    made = debrief({"incident_id": served, "notes": "went well"})
    assert made.status_code == 201, made.text
    out = made.json()
    assert set(out) == {"id", "team_id", "incident_id", "at", "actor", "notes"}
    assert (out["team_id"], out["incident_id"], out["actor"], out["notes"]) == (
        team, served, "supervisor", "went well",
    )  # fmt: skip
    assert datetime.fromisoformat(out["at"]) == at(180)
    assert debrief({"incident_id": served}, Role.ADMIN).status_code == 201  # notes optional
    for role in (Role.DISPATCHER, Role.RESPONDER, Role.ANALYST):
        assert debrief({"incident_id": served}, role).status_code == 403
    assert debrief({"incident_id": served}, to=999).status_code == 404
    assert debrief({"incident_id": 999}).status_code == 404
    assert debrief({"incident_id": waiting}).status_code == 409
    extra = debrief({"incident_id": served, "mood": "fine"})
    assert extra.status_code == 422 and "mood" in extra.text
    assert debrief({"incident_id": served, "notes": "x" * 501}).status_code == 422

    events = client.get(f"/incidents/{served}/events", headers=headers[Role.RESPONDER]).json()
    assert [(e["kind"], e["actor"], e["data"]) for e in events if e["kind"] == "debrief"] == [
        ("debrief", "supervisor", {"team": "star-1"}),
        ("debrief", "admin", {"team": "star-1"}),
    ]
    (row,) = client.get("/board", headers=headers[Role.SUPERVISOR]).json()["teams"]
    assert (row["debrief_due"], row["minutes_since_debrief"]) == (False, 0.0)
    assert datetime.fromisoformat(row["last_debrief_at"]) == at(180)
    # What comes after a call by design (the debrief, a follow-up done) does not make it newer.
    clock.to(190)
    (owed,) = ops.follow_ups()
    ops.complete_follow_up(owed.id, "reached", "a")
    (row,) = client.get("/board", headers=headers[Role.SUPERVISOR]).json()["teams"]
    assert (row["debrief_due"], row["minutes_since_debrief"]) == (False, 10.0)
    assert datetime.fromisoformat(row["last_critical_at"]) == at(4)


def test_db_upgrade_adds_the_debriefs_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")
    engine = create_engine(url)
    try:
        assert "debriefs" not in inspect(engine).get_table_names()
        result = CliRunner().invoke(cli, ["db", "upgrade"], env={"ALTRESPONSE_DATABASE_URL": url})
        assert result.exit_code == 0, result.output
        found = inspect(engine)
        assert {c["name"] for c in found.get_columns("debriefs")} == {
            "id", "team_id", "incident_id", "at", "actor", "notes",
        }  # fmt: skip
        assert [i["column_names"] for i in found.get_indexes("debriefs")] == [["team_id"]]
        foreign = {f["referred_table"] for f in found.get_foreign_keys("debriefs")}
        assert foreign == {"teams", "incidents"}
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM debriefs")) == 0
    finally:
        engine.dispose()
