"""Shared fixtures: the one way tests reach ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data folder, read in place; skip (or fail under CI) when absent."""
    path = Path(os.environ.get("ALTRESPONSE_SHARED_DATA", SHARED_DATA))
    if not (path / "INDEX.md").is_file():
        message = f"real data not found at {path} (set ALTRESPONSE_SHARED_DATA or add ../shared)"
        if os.environ.get("ALTRESPONSE_REQUIRE_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path
