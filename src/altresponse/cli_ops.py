"""Commands for the live service: `altresponse db upgrade`, `altresponse serve`, `users add`."""

from __future__ import annotations

import os
import sys
from contextlib import suppress
from typing import Annotated

import typer

from altresponse.clikit import State, err, out, run
from altresponse.errors import InputError

db_app = typer.Typer(help="The operations database.")
users_app = typer.Typer(help="Users of the live service.")


@db_app.command("upgrade")
def db_upgrade_cmd() -> None:
    """Create or migrate the database named by ALTRESPONSE_DATABASE_URL to the newest schema."""
    from altresponse.operations.db import upgrade

    def body() -> None:
        upgrade(State.settings.database_url)
        out.print(
            f"database at {_safe(State.settings.database_url)} is up to date", highlight=False
        )

    run(body)


def _safe(url: str) -> str:
    """A database URL without its password, for messages."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"


def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Start the API (uvicorn) for the program named in ALTRESPONSE_PROGRAM."""
    import uvicorn

    from altresponse.operations.db import check_schema
    from altresponse.operations.shutdown import SHUTDOWN_GRACE_SECONDS
    from altresponse.programs import load_program

    def check() -> None:  # a bad program or an old schema fails here, in one line
        load_program(State.settings.program)
        check_schema(State.settings.database_url)

    run(check)
    err.print(
        f"serving {State.settings.program} on http://{host}:{port} "
        f"(database {_safe(State.settings.database_url)})",
        highlight=False,
    )
    if workers > 1:  # each worker process builds its own app from the settings
        uvicorn.run(
            "altresponse.web.app:build_app", factory=True, host=host, port=port,
            workers=workers, log_level="warning", access_log=False,
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        )  # fmt: skip
        return
    run(lambda: _serve_one(host, port))


def _serve_one(host: str, port: int) -> None:
    """One server process; at Ctrl-C the consoles' event streams end first, then the server."""
    import uvicorn

    from altresponse.operations.shutdown import SHUTDOWN_GRACE_SECONDS, EndStreamsOnExit
    from altresponse.web.app import build_app

    def exiting() -> bool:
        return bool(server.should_exit)

    app = EndStreamsOnExit(build_app(State.settings), exiting)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning",
        access_log=False,  # requests carry no personal data in their paths, but keep logs lean
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )  # fmt: skip
    server = uvicorn.Server(config)
    with suppress(KeyboardInterrupt):  # uvicorn has shut down cleanly, then passes Ctrl-C on
        server.run()


@users_app.command("add")
def users_add_cmd(
    name: Annotated[str, typer.Argument(help="The user's name.")],
    role: Annotated[
        str, typer.Option(help="call_taker, dispatcher, responder, supervisor, analyst or admin.")
    ],
) -> None:
    """Add a user; the password comes from ALTRESPONSE_PASSWORD or one line on stdin."""
    from altresponse.operations.auth import Role, Users
    from altresponse.operations.db import make_engine, sessions

    def body() -> None:
        try:
            chosen = Role(role)
        except ValueError as exc:
            roles = ", ".join(r.value for r in Role)
            raise InputError(f"--role: {role!r} is not one of {roles}") from exc
        password = os.environ.get("ALTRESPONSE_PASSWORD") or sys.stdin.readline().rstrip("\n")
        users = Users(sessions(make_engine(State.settings.database_url)))
        users.add(name, chosen, password)
        out.print(f"user {name} added as {chosen.value}", highlight=False)

    run(body)
