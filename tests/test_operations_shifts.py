"""Shifts: a team is proposed, and may be dispatched, only inside its shift (program local time)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from opsutil import STAR_SKILLS, migrated, operations, welfare_record

DENVER = ZoneInfo("America/Denver")


@pytest.mark.parametrize(
    ("shift", "hour", "proposed"),
    [
        (("06:00", "14:00"), 6, True),
        (("06:00", "14:00"), 13, True),
        (("06:00", "14:00"), 14, False),  # shifts are half-open
        (("06:00", "14:00"), 20, False),
        (("22:00", "06:00"), 23, True),  # past midnight
        (("22:00", "06:00"), 3, True),
        (("22:00", "06:00"), 12, False),
        (None, 12, True),  # no shift set: on duty is enough
    ],
)
def test_a_team_is_proposed_only_inside_its_shift(
    tmp_path: Path, shift: tuple[str, str] | None, hour: int, proposed: bool
) -> None:
    ops = operations(migrated(tmp_path))
    incident, _ = ops.intake(welfare_record("shift-call"), "call_taker")
    team = ops.add_team("shift-team", STAR_SKILLS, shift)
    now = datetime(2025, 6, 3, hour, 30, tzinfo=DENVER)
    found = ops.recommend(incident.id, now=now)
    assert (found is not None and found.team_id == team.id) is proposed
    ops.update_team(team.id, on_duty=False)
    assert ops.recommend(incident.id, now=now) is None  # off duty: never proposed
    ops.sessions.kw["bind"].dispose()


def test_a_shift_clock_out_of_range_is_refused_naming_the_field(tmp_path: Path) -> None:
    from altresponse.operations.auth import Role, Users
    from opsutil import add_user, client_for, login

    ops = operations(migrated(tmp_path))
    client = client_for(ops)
    headers = login(client, add_user(Users(ops.sessions), Role.SUPERVISOR))
    body = {"name": "late", "skills": STAR_SKILLS, "shift_start": "99:99", "shift_end": "06:00"}
    refused = client.post("/teams", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "shift_start"]
    body["shift_start"] = "22:00"
    assert client.post("/teams", json=body, headers=headers).status_code == 201
    ops.sessions.kw["bind"].dispose()


@pytest.mark.parametrize(("hour", "allowed"), [(15, True), (21, True), (10, False), (7, False)])
def test_a_team_is_dispatched_only_inside_its_shift(
    tmp_path: Path, hour: int, allowed: bool
) -> None:
    from altresponse.operations.field import ConflictError
    from altresponse.operations.lifecycle import State

    ops = operations(migrated(tmp_path))
    ops.clock = lambda: datetime(2025, 6, 3, hour, 30, tzinfo=DENVER)
    incident, _ = ops.intake(welfare_record("shift-dispatch", received_at=ops.clock()), "ct")
    team = ops.add_team("late-team", STAR_SKILLS, ("14:00", "22:00"))  # STAR's hours: 06-22
    if allowed:
        assert ops.dispatch(incident.id, team.id, "dana").state == State.DISPATCHED
    else:
        with pytest.raises(ConflictError, match=r"late-team is outside its shift \(14:00-22:00\)"):
            ops.dispatch(incident.id, team.id, "dana")
        assert ops.incident(incident.id).state == State.QUEUED
        assert ops.teams()[0].incident_id is None
    ops.sessions.kw["bind"].dispose()
