"""A live service on 127.0.0.1 for the console browser tests: database, users, teams, resources.

PYTEST_DONT_REWRITE: a helper module without asserts, imported by test modules.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import uvicorn

from altresponse.operations.auth import Role, Users
from altresponse.operations.db import upgrade
from altresponse.operations.service import Operations
from altresponse.web.app import build_service
from opsutil import IN_HOURS, PASSWORD, PROGRAM, STAR_SKILLS, operations

USERS = {
    "casey": Role.CALL_TAKER,
    "dana": Role.DISPATCHER,
    "rae": Role.RESPONDER,
    "sam": Role.SUPERVISOR,
}
TEAMS = (("star-1", 39.7392, -104.9903), ("star-2", 39.7600, -104.9700))


class ShiftedClock:
    """Real time, moved to START (inside STAR's hours), so timers tick as they would."""

    def __init__(self, start: datetime) -> None:
        self.start, self.began = start, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


@dataclass
class LiveService:
    """A running service: its address, database, the service object and its clock."""

    url: str
    database_url: str
    ops: Operations
    clock: ShiftedClock


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(folder: Path) -> Iterator[LiveService]:
    """Start the API and consoles on a fresh SQLite database; stop it when the caller is done."""
    database_url = f"sqlite:///{folder / 'ops.db'}"
    upgrade(database_url)
    clock = ShiftedClock(IN_HOURS)
    ops = operations(database_url)
    ops.clock = clock
    users = Users(ops.sessions)
    for name, role in USERS.items():
        users.add(name, role, PASSWORD)
    for name, lat, lon in TEAMS:
        team = ops.add_team(name, STAR_SKILLS)
        ops.update_team(team.id, lat=lat, lon=lon)
    ops.add_resource("Denver crisis stabilisation unit", "crisis_stabilisation", open_24_7=True)
    ops.add_resource("Sobering centre", "sobering_centre", hours="18:00-08:00", capacity=20)
    app = build_service(database_url, PROGRAM, clock=clock, escalate_every=None)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    try:
        yield LiveService(f"http://127.0.0.1:{port}", database_url, ops, clock)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
