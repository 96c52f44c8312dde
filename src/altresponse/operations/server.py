"""The service as the settings describe it: database, program, API (`altresponse serve`)."""

from __future__ import annotations

from fastapi import FastAPI

from altresponse.operations.api import create_app
from altresponse.operations.auth import Users
from altresponse.operations.db import make_engine, sessions
from altresponse.operations.service import Operations
from altresponse.programs import load_program
from altresponse.settings import Settings


def build_app(settings: Settings | None = None) -> FastAPI:
    """The API over the settings' database, running the settings' program."""
    settings = settings or Settings.from_env()
    factory = sessions(make_engine(settings.database_url, background_checkpoints=True))
    return create_app(Operations(factory, load_program(settings.program)), Users(factory))
