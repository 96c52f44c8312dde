"""The live event stream: every new event reaches a console, and a reconnect misses nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from altresponse.operations.auth import Role, Users
from opsutil import add_user, client_for, login, migrated, operations, welfare_record


def _events(client: Any, headers: dict[str, str], after: int, count: int) -> list[dict[str, Any]]:
    """The first COUNT events of the stream after event AFTER."""
    found: list[dict[str, Any]] = []
    with client.stream("GET", f"/stream?after={after}", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event_id = None
        for line in response.iter_lines():
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("data: "):
                found.append({"id": event_id, **json.loads(line[6:])})
                if len(found) == count:
                    break
    return found


def test_the_stream_sends_every_event_and_resumes_after_the_last_seen(tmp_path: Path) -> None:
    ops = operations(migrated(tmp_path))
    client = client_for(ops)
    headers = login(client, add_user(Users(ops.sessions), Role.DISPATCHER))
    first, _ = ops.intake(welfare_record("stream-1"), "call_taker")
    second, _ = ops.intake(welfare_record("stream-2"), "call_taker")
    logged = ops.events(first.id) + ops.events(second.id)
    streamed = _events(client, headers, 0, len(logged))
    assert [e["id"] for e in streamed] == [e.id for e in logged]
    assert [(e["incident_id"], e["kind"], e["after"]) for e in streamed] == [
        (e.incident_id, e.kind, e.after) for e in logged
    ]
    # A console that saw up to the first incident's last event gets exactly the rest.
    resumed = _events(client, headers, logged[2].id, len(logged) - 3)
    assert [e["id"] for e in resumed] == [e.id for e in logged[3:]]
    ops.sessions.kw["bind"].dispose()


def test_the_stream_needs_a_token(tmp_path: Path) -> None:
    ops = operations(migrated(tmp_path))
    client = client_for(ops)
    assert client.get("/stream").status_code == 401
    ops.sessions.kw["bind"].dispose()
