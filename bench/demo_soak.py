"""Soak: the live demo for N minutes, followed by a console's event stream the whole time.

`run_demo` (the engine of `altresponse demo`: uvicorn, SQLite, the replay bots) runs in a thread
of this process on Sample City's year (generated and ingested once into bench/.cache). A console
follows GET /stream from the first event in a thread of its own. Every 5 s the bench samples the
backlog: the database's newest event id minus the newest id the console has received.

How lag is measured: every event carries `at`, the service's clock when the change was made,
inside its transaction, just before the commit. The demo clock is this process's FastClock, so
`clock.monotonic_at(at)` is the real time of the change; lag = receipt time - that. It is a
slight overestimate of commit-to-receipt (it includes the rest of the transaction), never an
underestimate. The stream polls the table every 0.5 s, so lag is expected to sit below that.

Baseline, measured in the same run: the service's own event rate (events written per second of
the run). The stream must deliver at the same rate: delivered / written = 1.00.
Must hold: no gap (every id from 1 to the last, once, in order), no ERROR line in demo.log, and
the backlog back to 0 at the end.

    .venv/bin/python bench/demo_soak.py [--minutes 10] [--speed 60]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import queue
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from altresponse.demo import DEMO_PASSWORD, DEMO_USERS, DemoInfo, DemoOptions, run_demo
from altresponse.operations.auth import Role
from samplecity_cache import sample_city_year

SAMPLE_SECONDS = 5.0
CATCH_UP_SECONDS = 30.0


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _newest(database: Path) -> int:
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        return int(connection.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])


class Console:
    """Follows GET /stream from the first event; notes each id and the lag of each change made
    after it connected."""

    def __init__(self, info: DemoInfo) -> None:
        self.info = info
        self.ids: list[int] = []
        self.lags: list[float] = []
        self.ended = False
        self.thread = threading.Thread(target=self._follow, name="console", daemon=True)

    def _follow(self) -> None:
        with httpx.Client(base_url=self.info.url, timeout=60.0) as client:
            login = {"name": DEMO_USERS[Role.SUPERVISOR], "password": DEMO_PASSWORD}
            token = client.post("/auth/token", json=login).json()["token"]
            headers = {"authorization": f"Bearer {token}"}
            with client.stream("GET", "/stream?after=0", headers=headers) as response:
                connected = time.monotonic()
                event_id = 0
                for line in response.iter_lines():
                    if line.startswith("id: "):
                        event_id = int(line[4:])
                    elif line.startswith("data: "):
                        self._received(event_id, json.loads(line[6:])["at"], connected)
        self.ended = True

    def _received(self, event_id: int, at: str, connected: float) -> None:
        now = time.monotonic()
        self.ids.append(event_id)
        changed = self.info.clock.monotonic_at(datetime.fromisoformat(at))
        if changed >= connected:
            self.lags.append(now - changed)

    def last(self) -> int:
        return self.ids[-1] if self.ids else 0


@dataclass
class Soak:
    """What the bench saw."""

    console: Console
    samples: list[tuple[float, int, int]]
    """(seconds into the soak, newest event id in the database, backlog) every 5 s."""
    seconds: float
    written: int
    """Events in the database at the end of the soak."""
    delivered: int
    """Events the console had received by then."""
    final_backlog: int
    """After up to CATCH_UP_SECONDS for the console to catch up, before the demo stops."""


def _soak(info: DemoInfo, minutes: float) -> Soak:
    """Follow the stream for MINUTES, sampling the backlog; then let it catch up."""
    console = Console(info)
    console.thread.start()
    began = time.monotonic()
    samples: list[tuple[float, int, int]] = []
    while time.monotonic() - began < minutes * 60:
        time.sleep(SAMPLE_SECONDS)
        newest, seen = _newest(info.database), console.last()
        samples.append((time.monotonic() - began, newest, newest - seen))
        print(f"  {samples[-1][0]:6.0f} s  events {newest:7,}  backlog {newest - seen:4}",
              flush=True)  # fmt: skip
    seconds = time.monotonic() - began
    written, delivered = _newest(info.database), len(console.ids)
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while console.last() < _newest(info.database) and time.monotonic() < deadline:
        time.sleep(0.1)
    final = _newest(info.database) - console.last()
    return Soak(console, samples, seconds, written, delivered, final)


def _gaps(ids: list[int]) -> tuple[int, int]:
    """Ids missing between 1 and the last one received; ids repeated or out of order."""
    missing = ids[-1] - len(set(ids)) if ids else 0
    disorder = sum(1 for a, b in itertools.pairwise(ids) if b <= a)
    return missing, disorder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    calls = sample_city_year()
    work = Path(tempfile.mkdtemp(prefix="demo-soak-"))
    options = DemoOptions(directory=work, port=_port(), speed=args.speed, seed=args.seed,
                          minutes=args.minutes + 2, calls=calls)  # fmt: skip
    print(f"demo soak: {args.minutes:g} min at {args.speed:g}x, cores {os.cpu_count()}, "
          f"load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    ready: queue.Queue[DemoInfo] = queue.Queue()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo") as pool:
            running = pool.submit(run_demo, options, on_ready=ready.put)
            info = ready.get(timeout=300)
            soak = _soak(info, args.minutes)
            info.stop()
            result = running.result(timeout=120)
        soak.console.thread.join(10)
        print(f"the bots: {result.counts}")
        failed = _report(soak, result.log, result.counts.errors)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


def _report(soak: Soak, log: Path, bot_errors: int) -> bool:
    """Print the figures; whether a must-hold failed."""
    ids, lags = soak.console.ids, sorted(soak.console.lags)
    missing, disorder = _gaps(ids)
    errors = sum(1 for line in log.read_text(encoding="utf-8").splitlines() if " ERROR " in line)
    backlog = max((s[2] for s in soak.samples), default=0)
    ms = [lag * 1000 for lag in lags] or [float("nan")]
    written, delivered = soak.written / soak.seconds, soak.delivered / soak.seconds
    ratio = delivered / written if written else 0.0
    print(
        f"events seen {len(ids):,}; gaps {missing}, repeated or out of order {disorder}; "
        f"backlog max {backlog} (sampled every {SAMPLE_SECONDS:g} s), at the end "
        f"{soak.final_backlog}; stream closed cleanly at shutdown: {soak.console.ended}"
    )
    print(
        f"lag, receipt minus change ({len(lags):,} events): p50 {statistics.median(ms):.0f} ms, "
        f"p99 {ms[int(0.99 * (len(ms) - 1))]:.0f} ms, max {ms[-1]:.0f} ms"
    )
    print(f"ERROR lines in demo.log {errors}; bot errors {bot_errors}")
    print(
        f"baseline, the service's own event rate: {written:.2f} events/s written; the stream "
        f"delivered {delivered:.2f} events/s = {ratio:.3f}x the baseline"
    )
    failed = missing or disorder or errors or bot_errors or soak.final_backlog
    return bool(failed or not soak.console.ended)


if __name__ == "__main__":
    main()
