"""The console pages: server-rendered shells that read the API and follow its event stream."""

from __future__ import annotations

from fastapi import FastAPI

from altresponse.operations.service import Operations


def mount_consoles(app: FastAPI, ops: Operations) -> None:
    """Serve the consoles and their static assets on APP."""
