"""`altresponse serve` stops cleanly at Ctrl-C while a console follows the event stream, and
refuses in one line a database whose schema is not the newest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from altresponse.operations.auth import Role, Users
from altresponse.operations.db import make_engine, sessions, upgrade
from test_operations_crash import PASSWORD, _free_port

ALTRESPONSE = str(Path(sys.executable).parent / "altresponse")


def _serve(url: str, port: int) -> subprocess.Popen[str]:
    env = os.environ | {"ALTRESPONSE_DATABASE_URL": url}
    command = [ALTRESPONSE, "serve", "--port", str(port)]
    return subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)


def test_ctrl_c_ends_open_event_streams_and_the_server_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    upgrade(url)
    Users(sessions(make_engine(url))).add("sam", Role.SUPERVISOR, PASSWORD)
    port = _free_port()
    server = _serve(url, port)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not start within 30 s"
            time.sleep(0.1)
    token = httpx.post(f"{base}/auth/token", json={"name": "sam", "password": PASSWORD}).json()
    ended: list[str] = []

    def follow() -> None:
        headers = {"Authorization": f"Bearer {token['token']}"}
        with httpx.stream("GET", f"{base}/stream", headers=headers, timeout=30) as response:
            body = "".join(response.iter_text())  # returns only when the server ends the stream
        ended.append(body)

    console = threading.Thread(target=follow)
    console.start()
    time.sleep(1.0)
    server.send_signal(signal.SIGINT)
    _, stderr = server.communicate(timeout=15)
    code = server.returncode
    console.join(timeout=15)
    assert code == 0, stderr
    assert ended and ended[0].startswith(": connected"), "the stream did not end cleanly"
    assert "ERROR" not in stderr and "Traceback" not in stderr, stderr


def test_serve_refuses_a_database_without_the_newest_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")
    server = _serve(url, _free_port())
    try:
        _, stderr = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.communicate()
        pytest.fail("the server started on an old schema")
    code = server.returncode
    assert code == 2
    assert "altresponse db upgrade" in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) <= 2  # one line (the terminal may wrap it)
