"""The database: SQLite in WAL mode by default, PostgreSQL in production; migrations by Alembic.

`ALTRESPONSE_DATABASE_URL` names it (settings.py; default `sqlite:///altresponse.db` in the working
folder).
SQLite runs in WAL mode with `synchronous=NORMAL`: a committed transaction survives the process
being killed (the crash test does exactly that); set `ALTRESPONSE_SQLITE_SYNC=FULL` to survive a
power cut too, at the cost of an fsync per commit.
"""

from __future__ import annotations

import logging
import os
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from altresponse.errors import ConfigError

READ_ONLY = "altresponse_read_only"
CHECKPOINT_SECONDS = 1.0
LOG = logging.getLogger("altresponse.operations")


def make_engine(url: str, *, background_checkpoints: bool = False) -> Engine:
    """An engine for URL; SQLite gets WAL, a busy timeout and foreign keys.

    With BACKGROUND_CHECKPOINTS (the server), SQLite's WAL is copied back into the database by a
    thread of its own every CHECKPOINT_SECONDS, not by whichever request happens to cross the
    automatic threshold: that copy (and its fsync) would otherwise stall that request.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    sync = os.environ.get("ALTRESPONSE_SQLITE_SYNC", "NORMAL").upper()

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        connection.isolation_level = None  # the driver's own BEGIN is replaced below
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={'FULL' if sync == 'FULL' else 'NORMAL'}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if background_checkpoints:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # A transaction that may write takes the write lock at its start: one that reads and then
        # writes (dispatch checks the team, then takes it) must not find the database taken by
        # another meanwhile. Sessions that only read (`readers`) begin without it.
        reads_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

    if background_checkpoints:
        stop = threading.Event()
        event.listen(engine, "engine_disposed", lambda _engine: stop.set())
        threading.Thread(target=_checkpoints, args=(engine, stop), daemon=True).start()
    return engine


def _checkpoints(engine: Engine, stop: threading.Event) -> None:
    """Copy the WAL back into the database now and then, without blocking readers or writers.

    Ends when the engine is disposed (SQLite copies the rest when the last connection closes).
    """
    while not stop.wait(CHECKPOINT_SECONDS):
        try:
            raw = engine.raw_connection()  # outside any transaction: a checkpoint needs that
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                raw.close()
        except Exception:  # the next round tries again; never let the thread die
            LOG.exception("checkpointing the SQLite WAL failed")


def sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory that keeps loaded objects readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def readers(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions of the same database that only read (on SQLite they take no write lock)."""
    engine: Engine = factory.kw["bind"]
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


def migrations_folder() -> Path:
    """Where the Alembic migrations live (inside the package)."""
    return Path(str(resources.files("altresponse.operations").joinpath("migrations")))


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at URL to REVISION (the newest by default)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    engine = make_engine(url)
    config.attributes["engine"] = engine
    try:
        command.upgrade(config, revision)
    finally:
        engine.dispose()


def check_schema(url: str) -> None:
    """Refuse, in one line, a database whose schema is not the newest (before serving it)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    newest = set(ScriptDirectory(str(migrations_folder())).get_heads())
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    if current != newest:
        found = ", ".join(sorted(current)) or "no schema"
        raise ConfigError(
            f"the database has {found}, not the newest schema ({', '.join(sorted(newest))}): "
            "run `altresponse db upgrade` first"
        )
