"""The service as the settings describe it: database, program, API and consoles (`serve`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import FastAPI

from altresponse.operations.api import ESCALATE_EVERY_SECONDS, create_app
from altresponse.operations.auth import Users
from altresponse.operations.db import make_engine, sessions
from altresponse.operations.models import utcnow
from altresponse.operations.service import Operations
from altresponse.programs import load_program
from altresponse.settings import Settings

if TYPE_CHECKING:
    from altresponse.web.pages import MapZone


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
    from altresponse.web import mount_consoles

    factory = sessions(make_engine(database_url, background_checkpoints=True))
    ops = Operations(factory, load_program(program), clock)
    app = create_app(ops, Users(factory), escalate_every=escalate_every, clock_rate=clock_rate)
    mount_consoles(app, ops, zones=zones)
    return app


def build_app(settings: Settings | None = None) -> FastAPI:
    """The service over the settings' database, running the settings' program."""
    settings = settings or Settings.from_env()
    return build_service(settings.database_url, settings.program)
