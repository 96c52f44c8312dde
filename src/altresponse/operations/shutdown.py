"""Shutting the server down cleanly while consoles follow the event stream.

A console's `GET /stream` never ends by itself, and uvicorn waits for open responses before it
stops, so Ctrl-C would hang while a browser is open (or, with a grace limit, cancel the stream
and log a traceback). `EndStreamsOnExit` ends the streams properly once the server is exiting;
the consoles reconnect to the next server and resume after the last event they saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STREAM_EXIT_POLL_SECONDS = 0.25
SHUTDOWN_GRACE_SECONDS = 5
"""uvicorn's limit on waiting for open responses at shutdown (a safety net: streams end first)."""


class EndStreamsOnExit:
    """ASGI middleware that ends open event streams (GET /stream) once the server is exiting.

    A console's stream never ends by itself, and uvicorn waits for open responses before it
    stops, so Ctrl-C would hang while a browser is open. When EXITING says so, the stream is
    told its client left, and its response is then closed properly.
    """

    def __init__(self, app: ASGIApp, exiting: Callable[[], bool]) -> None:
        self.app, self.exiting = app, exiting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/stream":
            await self.app(scope, receive, send)
            return
        started, ended = False, False
        pending: asyncio.Future[Message] | None = None

        async def tracked(message: Message) -> None:
            nonlocal started, ended
            started = started or message["type"] == "http.response.start"
            last_body = message["type"] == "http.response.body" and not message.get("more_body")
            ended = ended or last_body
            await send(message)

        async def receive_or_exit() -> Message:
            nonlocal pending
            pending = pending or asyncio.ensure_future(receive())
            while not self.exiting():
                done, _ = await asyncio.wait({pending}, timeout=STREAM_EXIT_POLL_SECONDS)
                if done:
                    message, pending = pending.result(), None
                    return message
            return {"type": "http.disconnect"}

        try:
            await self.app(scope, receive_or_exit, tracked)
        finally:
            if pending is not None:
                pending.cancel()
        if started and not ended and self.exiting():
            await send({"type": "http.response.body", "body": b"", "more_body": False})
