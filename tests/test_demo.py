"""The live demo: the real server on a fresh SQLite file, a day of Sample City replayed at speed.

One run at 1,800 times real time (about half a simulated day in the half minute it serves),
watched by a console's event stream, then stopped as the CLI stops it. The run must have posted
calls and walked some to closed, every incident's log must replay to its state, the stream
must have delivered every event with no gap, the log must hold no error, and the shutdown must
leave no thread of the demo running and the port free.
"""

from __future__ import annotations

import queue
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import ingest
from altresponse.demo import DEMO_PASSWORD, DEMO_USERS, DemoInfo, DemoOptions, DemoResult, run_demo
from altresponse.operations.auth import Role
from altresponse.operations.lifecycle import State, replay
from altresponse.samplecity import generate

SPEED = 1800.0
SERVE_AT_LEAST = 20.0  # real seconds, and until an incident has been walked to closed
SERVE_AT_MOST = 90.0
CATCH_UP = 20.0  # real seconds the stream may take to deliver what the database holds
EVERY_STAGE = {"queued", "dispatched", "en_route", "on_scene", "cleared", "closed", "escalated"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_is_free(port: int) -> bool:
    """Nothing listens on PORT, and a new server may listen there (as servers do, reusing an
    address whose closed connections linger in TIME_WAIT)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            server.bind(("127.0.0.1", port))
            server.listen()
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def sample_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A year of Sample City as canonical Parquet (the demo's own data, made once)."""
    folder = tmp_path_factory.mktemp("samplecity")
    generate(folder / "calls.csv", seed=2026)
    ingest(folder / "calls.csv", find_adapter("sample_city"), folder / "calls.parquet")
    return folder / "calls.parquet"


class Console:
    """A console following GET /stream from the start, in a thread of its own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ids: list[int] = []
        self.ended_cleanly = False
        self.thread = threading.Thread(target=self._follow, daemon=True)

    def _follow(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30.0) as client:
            login = {"name": DEMO_USERS[Role.SUPERVISOR], "password": DEMO_PASSWORD}
            token = client.post("/auth/token", json=login).json()["token"]
            headers = {"authorization": f"Bearer {token}"}
            with client.stream("GET", "/stream?after=0", headers=headers) as response:
                for line in response.iter_lines():
                    if line.startswith("id: "):
                        self.ids.append(int(line[4:]))
        self.ended_cleanly = True  # the server closed the stream properly when it stopped

    def seen(self) -> int:
        return self.ids[-1] if self.ids else 0


def _query(database: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        return list(connection.execute(sql).fetchall())


def _closed(database: Path) -> int:
    return int(_query(database, "SELECT count(*) FROM incidents WHERE state = 'closed'")[0][0])


def _max_event(database: Path) -> int:
    return int(_query(database, "SELECT coalesce(max(id), 0) FROM events")[0][0] or 0)


@pytest.fixture
def demo(tmp_path: Path, sample_city: Path) -> Iterator[tuple[DemoInfo, Future[DemoResult]]]:
    """The demo running in a thread (as the CLI runs it in the main one), stopped at the end."""
    options = DemoOptions(
        directory=tmp_path / "demo", port=_free_port(), speed=SPEED, minutes=3.0,
        calls=sample_city,
    )  # fmt: skip
    ready: queue.Queue[DemoInfo] = queue.Queue()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-test") as pool:
        running = pool.submit(run_demo, options, on_ready=ready.put)
        try:
            info = ready.get(timeout=120)
        except queue.Empty:
            running.result(timeout=1)  # raises what stopped the demo from starting
            pytest.fail("the demo did not start in two minutes")
        try:
            yield info, running
        finally:
            info.stop()


def test_the_demo_replays_a_day_that_a_console_follows_without_gaps(
    demo: tuple[DemoInfo, Future[DemoResult]],
) -> None:
    info, running = demo
    console = Console(info.url)
    console.thread.start()
    began = time.monotonic()
    while time.monotonic() - began < SERVE_AT_MOST:
        if time.monotonic() - began >= SERVE_AT_LEAST and _closed(info.database) > 0:
            break
        time.sleep(0.5)
    # Every event the database holds now reaches the console, in order, with none missing.
    newest = _max_event(info.database)
    deadline = time.monotonic() + CATCH_UP
    while console.seen() < newest and time.monotonic() < deadline:
        time.sleep(0.1)
    assert console.ids[:newest] == list(range(1, newest + 1))

    info.stop()
    result = running.result(timeout=60)  # the demo stopped, or its error is raised here
    console.thread.join(10)
    assert not console.thread.is_alive() and console.ended_cleanly
    assert not result.interrupted and not result.finished_day
    assert result.counts.errors == 0
    assert result.counts.calls_posted > 0 and result.counts.closed > 0
    assert not {t.name for t in threading.enumerate()} & {"demo-replay", "demo-supervisor"}
    assert _port_is_free(int(info.url.rsplit(":", 1)[1]))

    # Calls were taken in and walked through every stage, and each log replays to its state.
    incidents = dict(_query(info.database, "SELECT id, state FROM incidents"))
    assert len(incidents) == result.counts.calls_posted
    changes: dict[int, list[tuple[State | None, State]]] = {i: [] for i in incidents}
    for incident_id, before, after in _query(
        info.database,
        "SELECT incident_id, before, after FROM events WHERE after IS NOT NULL ORDER BY id",
    ):
        changes[int(incident_id)].append((State(before) if before else None, State(after)))
    assert {str(a) for log in changes.values() for _, a in log} >= EVERY_STAGE
    for incident_id, state in incidents.items():
        assert replay(changes[incident_id]) == state, incident_id

    # The console saw every event up to the last it was sent: no gap, none twice.
    assert console.ids == list(range(1, len(console.ids) + 1))
    assert len(console.ids) >= newest
    log = result.log.read_text(encoding="utf-8")
    assert "ERROR" not in log and "Traceback" not in log, log
    assert "serving the demo at" in log
