"""The live demo: the service on a fresh SQLite database, with a day of Sample City replayed.

`run_demo` serves the API and the consoles with uvicorn in the calling thread while the replay
(demo/replay.py) runs in its own thread, on one fast clock. It stops after `minutes` real
minutes, or once the day is over (unless `keep_serving`), or on Ctrl-C, always cleanly: the
replay stops first, then the server, so no bot talks to a server that has gone.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from starlette.types import ASGIApp

from altresponse.demo.clock import FastClock
from altresponse.demo.day import day_of_calls
from altresponse.demo.replay import Replay, ReplayCounts
from altresponse.demo.setup import DemoAccounts, prepare
from altresponse.errors import InputError
from altresponse.operations.shutdown import SHUTDOWN_GRACE_SECONDS, EndStreamsOnExit
from altresponse.programs import load_program
from altresponse.programs.model import parse_clock

if TYPE_CHECKING:
    import uvicorn

    from altresponse.web.pages import MapZone

LOG = logging.getLogger("altresponse.demo")
DATABASE = "demo.db"
LOG_FILE = "demo.log"
ESCALATE_EVERY_SECONDS = 1.0
"""The service looks for calls past the maximum wait every real second (the clock runs fast)."""
DONE_GRACE_SECONDS = 10.0
"""Once the day is over, the floor stays on show this long before the demo stops."""
"""uvicorn's limit on waiting for open responses at shutdown (a safety net: streams end first)."""
REPLAY_JOIN_SECONDS = 30.0


@dataclass(frozen=True)
class DemoOptions:
    """How to run the demo (the CLI's options)."""

    directory: Path = Path("out/demo")
    program: str = "star_denver"
    seed: int = 2026
    host: str = "127.0.0.1"
    port: int = 8000
    speed: float = 60.0
    """How much faster than real time the day runs: 60 plays a day in 24 minutes."""
    start: str = "07:00"
    """The day starts at this local time of the program, so civilian teams are on shift."""
    minutes: float | None = None
    """Stop after this many real minutes (None: when the day is over)."""
    dispatch_after_minutes: float = 2.0
    """Simulated minutes a queued call waits before the dispatcher bot sends a team."""
    keep_serving: bool = False
    """Keep serving after the day is over, until Ctrl-C."""
    calls: Path | None = None
    """A canonical Parquet of Sample City calls to use (None: generate one in `directory`)."""
    calls_per_year: int | None = None
    """Sample City's yearly volume when generating (None: its own, 120,000)."""


@dataclass(frozen=True)
class DemoInfo:
    """What the demo serves, given to `on_ready` once the server is listening."""

    url: str
    accounts: DemoAccounts
    day: date
    """The day of Sample City replayed."""
    calls: int
    """How many calls that day has."""
    speed: float
    database: Path
    log: Path
    clock: FastClock
    """The service's clock (simulated time; `monotonic_at` maps it back to real time)."""
    stop: Callable[[], None]
    """Ask the demo to stop cleanly (as when its minutes are up)."""


@dataclass(frozen=True)
class DemoResult:
    """How a demo run went."""

    url: str
    database: Path
    log: Path
    day: date
    calls_in_day: int
    counts: ReplayCounts
    real_seconds: float
    """From the moment the server listened."""
    simulated_until: datetime
    finished_day: bool
    """Every call was posted and the floor was empty again."""
    interrupted: bool
    """Ctrl-C ended it."""


@contextmanager
def logging_to(path: Path) -> Iterator[logging.Handler]:
    """Send altresponse's INFO and everyone's warnings and errors (uvicorn's too) to PATH."""
    path.write_text("", encoding="utf-8")  # each run's log starts empty
    # Appending: uvicorn's logging set-up closes every handler, and a closed handler in append
    # mode opens its file again at the next record (one in "w" mode would drop them all).
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    ours = logging.getLogger("altresponse")
    level = ours.level
    ours.setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        ours.setLevel(level)
        for name in ("", "uvicorn"):
            logging.getLogger(name).removeHandler(handler)
        handler.close()


def sample_city_calls(directory: Path, seed: int, calls_per_year: int | None = None) -> Path:
    """Sample City's year as canonical Parquet in DIRECTORY, generated and ingested if missing."""
    from altresponse.calls.adapter import find_adapter
    from altresponse.calls.ingest import ingest, ingest_stamp
    from altresponse.samplecity import generate

    name = f"sample_city_{seed}" + (f"_{calls_per_year}" if calls_per_year else "")
    parquet = directory / f"{name}.parquet"
    if parquet.is_file() and ingest_stamp(parquet):
        return parquet
    export = directory / f"{name}.csv"
    LOG.info("generating Sample City (seed %d) and ingesting it into %s", seed, parquet)
    generate(export, seed=seed, calls=calls_per_year)
    ingest(export, find_adapter("sample_city"), parquet)
    export.unlink()
    return parquet


def sample_city_zones() -> list[MapZone]:
    """Sample City's patrol zones at their centres, for the console's map and zone list."""
    from altresponse.samplecity.profile import load_profile
    from altresponse.web.pages import MapZone

    return [MapZone(z.name, z.lat, z.lon) for z in load_profile().city.zones]


def _start_time(text: str) -> clock_time:
    """'HH:MM' as a time of day."""
    try:
        minutes = parse_clock(text)
    except ValueError as exc:
        raise InputError(f"start: {exc}") from exc
    return clock_time((minutes // 60) % 24, minutes % 60)


def _check_port(host: str, port: int) -> None:
    """Refuse at once, in one line, a port another program holds."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InputError(f"port {port} on {host} is in use: choose another ({exc})") from exc


def _fresh_database(directory: Path) -> Path:
    """The demo's SQLite file, removed first with its WAL: the demo always starts clean."""
    database = directory / DATABASE
    for suffix in ("", "-wal", "-shm"):
        database.with_name(DATABASE + suffix).unlink(missing_ok=True)
    return database


@dataclass
class _Session:
    """One run: the server in the calling thread, the replay in its own, a supervisor beside."""

    server: uvicorn.Server
    replay: Replay
    options: DemoOptions
    info: DemoInfo
    on_ready: Callable[[DemoInfo], None] | None
    stop: threading.Event = field(default_factory=threading.Event)
    began: float = field(default_factory=time.monotonic)
    """When the server began listening (until then, when the session was made)."""
    done_at: float | None = None
    ended_by_us: bool = False
    """Whether the supervisor ended the server (time up, day over, stop()), not Ctrl-C."""

    def serve(self) -> bool:
        """Serve until the demo is over; whether Ctrl-C ended it."""
        supervisor = threading.Thread(target=self._supervise, name="demo-supervisor", daemon=True)
        supervisor.start()
        try:
            self.server.run()
        except KeyboardInterrupt:  # uvicorn shut down cleanly, then passed Ctrl-C on
            return True
        except SystemExit as exc:
            where = f"{self.info.url} (see {self.info.log})"
            raise InputError(f"the demo server could not start on {where}") from exc
        finally:
            self.stop.set()
            self.replay.stop()
            self.replay.join(REPLAY_JOIN_SECONDS)
            supervisor.join(REPLAY_JOIN_SECONDS)
        # asyncio's runner may swallow the Ctrl-C that uvicorn passes on: then only the
        # supervisor knows whether it was the one that ended the server
        return not self.ended_by_us

    def _supervise(self) -> None:
        """Start the replay once the server listens; stop both when it is time, replay first."""
        server = self.server
        while not (server.started or server.should_exit or self.stop.is_set()):
            time.sleep(0.05)
        if server.started and not server.should_exit:
            self.began = time.monotonic()
            self.replay.start()
            LOG.info("serving the demo at %s", self.info.url)
            self._tell_ready()
        while not server.should_exit:  # set by uvicorn itself on Ctrl-C
            if self.stop.is_set() or self._over():
                self.ended_by_us = True
                break
            self.stop.wait(0.2)
        self.replay.stop()
        self.replay.join(REPLAY_JOIN_SECONDS)
        server.should_exit = True

    def _tell_ready(self) -> None:
        """Call ON_READY; if it fails, the demo stops (the failure is in the log)."""
        if self.on_ready is None:
            return
        try:
            self.on_ready(self.info)
        except Exception:  # a failing caller must not leave the server running unsupervised
            LOG.exception("the demo's on_ready callback failed")
            self.stop.set()

    def _over(self) -> bool:
        """Whether the minutes are up, or the day has been over for DONE_GRACE_SECONDS."""
        now = time.monotonic()
        minutes = self.options.minutes
        if minutes is not None and now - self.began >= minutes * 60:
            return True
        if not self.replay.done.is_set() or self.options.keep_serving:
            return False
        self.done_at = self.done_at or now
        return now - self.done_at >= DONE_GRACE_SECONDS


def run_demo(
    options: DemoOptions, *, on_ready: Callable[[DemoInfo], None] | None = None
) -> DemoResult:
    """Serve the demo until it is over (see the module doc); ON_READY hears the URL first."""
    options.directory.mkdir(parents=True, exist_ok=True)
    log = options.directory / LOG_FILE
    with logging_to(log) as handler:
        session = _session(options, log, handler, on_ready)
        interrupted = session.serve()
        counts = session.replay.snapshot()
        LOG.info("demo over: %s", counts)
    info = session.info
    return DemoResult(
        url=info.url, database=info.database, log=log, day=info.day, calls_in_day=info.calls,
        counts=counts, real_seconds=time.monotonic() - session.began,
        simulated_until=info.clock(), finished_day=session.replay.done.is_set(),
        interrupted=interrupted,
    )  # fmt: skip


def _server(app: ASGIApp, options: DemoOptions, handler: logging.Handler) -> uvicorn.Server:
    """The uvicorn server for APP, its event streams ended when it exits, logging to HANDLER."""
    import uvicorn

    def exiting() -> bool:
        return bool(server.should_exit)

    config = uvicorn.Config(
        EndStreamsOnExit(app, exiting), host=options.host, port=options.port,
        log_level="warning", timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )  # fmt: skip
    logging.getLogger("uvicorn").addHandler(handler)  # uvicorn's own loggers do not propagate
    server = uvicorn.Server(config)
    return server


def _session(
    options: DemoOptions,
    log: Path,
    handler: logging.Handler,
    on_ready: Callable[[DemoInfo], None] | None,
) -> _Session:
    """Everything set up and ready to serve: data, database, clock, app, server and replay."""
    from altresponse.web.app import build_service

    _check_port(options.host, options.port)
    calls = options.calls or sample_city_calls(
        options.directory, options.seed, options.calls_per_year
    )
    program, start = load_program(options.program), _start_time(options.start)
    day = day_of_calls(calls, seed=options.seed, start=start, program=program)
    database = _fresh_database(options.directory)
    url = f"sqlite:///{database}"
    accounts = prepare(url, program)
    zone = ZoneInfo(program.timezone)
    clock = FastClock(datetime.combine(datetime.now(zone).date(), start, zone), options.speed)
    app = build_service(
        url, options.program, clock=clock, clock_rate=options.speed,
        escalate_every=ESCALATE_EVERY_SECONDS, zones=sample_city_zones(),
    )  # fmt: skip
    server = _server(app, options, handler)
    base = f"http://{options.host}:{options.port}"
    replay = Replay(
        base, clock, day, seed=options.seed, password=accounts.password, bots=accounts.bots,
        dispatch_after=timedelta(minutes=options.dispatch_after_minutes),
        closing=lambda: server.should_exit,
    )  # fmt: skip
    stop = threading.Event()
    info = DemoInfo(
        url=base, accounts=accounts, day=day.day, calls=len(day.calls), speed=options.speed,
        database=database, log=log, clock=clock, stop=stop.set,
    )  # fmt: skip
    return _Session(server, replay, options, info, on_ready, stop)
