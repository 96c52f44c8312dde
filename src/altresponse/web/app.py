"""The whole service as the settings describe it: database, program, the API and the consoles.

It lives in `web/` because it puts the consoles on the API: the operations layer never imports
the web layer (DESIGN.md: operations -> evaluation -> web, cli).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from altresponse.operations.api import ESCALATE_EVERY_SECONDS, create_app
from altresponse.operations.auth import Users
from altresponse.operations.db import make_engine, sessions
from altresponse.operations.models import utcnow
from altresponse.operations.service import Operations
from altresponse.programs import load_program
from altresponse.settings import Settings
from altresponse.web.pages import MapZone, mount_consoles


def build_service(
    database_url: str,
    program: str,
    *,
    clock: Callable[[], datetime] = utcnow,
    clock_rate: float = 1.0,
    escalate_every: float | None = ESCALATE_EVERY_SECONDS,
    zones: Sequence[MapZone] | None = None,
) -> FastAPI:
    """The API and the consoles over DATABASE_URL, running PROGRAM (a preset or a YAML file).

    CLOCK stamps every change; the demo passes one that runs CLOCK_RATE times faster than real
    time, and the consoles read the rate so their timers run at the same pace. ZONES are what
    the console's map and zone list show (default: the program's zones that have a centre).
    """
    engine = make_engine(database_url, background_checkpoints=True)
    factory = sessions(engine)
    ops = Operations(factory, load_program(program), clock)
    app = create_app(ops, Users(factory), escalate_every=escalate_every, clock_rate=clock_rate)
    mount_consoles(app, ops, zones=zones)
    serve = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[Any]:
        async with serve(running) as state:
            yield state
        engine.dispose()  # the server has stopped: close the connections, end the checkpoints

    app.router.lifespan_context = lifespan
    return app


def build_app(settings: Settings | None = None) -> FastAPI:
    """The service over the settings' database, running the settings' program."""
    settings = settings or Settings.from_env()
    return build_service(settings.database_url, settings.program)
