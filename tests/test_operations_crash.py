"""Crash safety: SIGKILL the server in the middle of a stream of intakes and status updates, start
it again, and every acknowledged request is there exactly once (issue 6 bar)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from altresponse.operations.auth import Role, Users
from altresponse.operations.db import make_engine, sessions, upgrade
from altresponse.operations.models import Event, Incident

PASSWORD = "crash-test-password"
SCREENED = {
    "weapon": False, "violence": False, "injury": False, "medical_emergency": False,
    "crime_in_progress": False, "immediate_danger": False, "suicide_risk": "none",
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(url: str, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"ALTRESPONSE_DATABASE_URL": url, "ALTRESPONSE_PROGRAM": "cahoots_eugene"}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "altresponse"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not start within 30 s")


def _call(k: int) -> dict[str, object]:
    return {
        "call_id": f"crash-{k}", "agency": "EPD", "received_at": "2025-05-07T12:10:00-07:00",
        "local_type": "WELFARE CHECK", "narrative": "PERSON SLEEPING IN DOORWAY",
        "screening": SCREENED,
    }  # fmt: skip


@pytest.fixture()
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    upgrade(url)
    Users(sessions(make_engine(url))).add("ct", Role.SUPERVISOR, PASSWORD)
    return url


def test_every_acknowledged_request_survives_sigkill_exactly_once(database: str) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(database, port)
    acknowledged_calls: dict[str, int] = {}
    acknowledged_states: dict[int, str] = {}
    attempted: list[int] = []
    stop = threading.Event()

    def stream() -> None:
        with httpx.Client(base_url=base, timeout=5) as client:
            token = client.post("/auth/token", json={"name": "ct", "password": PASSWORD}).json()
            headers = {"authorization": f"Bearer {token['token']}"}
            k = 0
            while not stop.is_set():
                attempted.append(k)
                try:
                    reply = client.post("/calls", json=_call(k), headers=headers)
                    if reply.status_code in (200, 201):
                        incident = reply.json()["id"]
                        acknowledged_calls[f"crash-{k}"] = incident
                        if k % 3 == 0:  # and move some of them on
                            moved = client.post(
                                f"/incidents/{incident}/state", headers=headers,
                                json={"state": "cancelled", "reason": "caller called back"},
                            )  # fmt: skip
                            if moved.status_code == 200:
                                acknowledged_states[incident] = "cancelled"
                except httpx.TransportError:
                    return  # the server is gone
                k += 1

    worker = threading.Thread(target=stream)
    worker.start()
    time.sleep(2.0)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    worker.join(timeout=10)
    assert len(acknowledged_calls) >= 20, "too few requests before the kill to prove anything"

    server = _start(database, port)  # the same database, after the crash
    try:
        factory = sessions(make_engine(database))
        with factory() as session:
            stored = {
                c: i for c, i in session.execute(select(Incident.agency_call_id, Incident.id))
            }
            per_call = session.execute(
                select(Incident.agency_call_id, func.count()).group_by(Incident.agency_call_id)
            ).all()
            states = {i: s for i, s in session.execute(select(Incident.id, Incident.state))}
            counts = select(Event.incident_id, func.count()).group_by(Event.incident_id)
            logged = {i: n for i, n in session.execute(counts)}
        assert all(n == 1 for _, n in per_call)
        for call_id, incident in acknowledged_calls.items():
            assert stored[call_id] == incident  # acknowledged, so stored, under the same id
        for incident, state in acknowledged_states.items():
            assert states[incident] == state
        assert all(logged.get(i, 0) >= 3 for i in stored.values())  # intake, triaged, routed

        # Retrying everything that was sent (the one in flight at the kill included) makes no
        # second incident: intake is idempotent across the restart.
        with httpx.Client(base_url=base, timeout=5) as client:
            token = client.post("/auth/token", json={"name": "ct", "password": PASSWORD}).json()
            headers = {"authorization": f"Bearer {token['token']}"}
            for k in attempted:
                reply = client.post("/calls", json=_call(k), headers=headers)
                assert reply.status_code in (200, 201)
                if f"crash-{k}" in acknowledged_calls:
                    assert reply.status_code == 200
                    assert reply.json()["id"] == acknowledged_calls[f"crash-{k}"]
        with factory() as session:
            total = session.scalar(select(func.count()).select_from(Incident))
        assert total == len(set(attempted))
    finally:
        server.terminate()
        server.wait(timeout=10)
