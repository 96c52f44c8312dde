"""Settings: one typed object, read once at start-up from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Everything altresponse reads from its environment."""

    sources_path: tuple[Path, ...] = ()
    """Extra folders of source adapters (ALTRESPONSE_SOURCES_PATH, os.pathsep-separated)."""
    database_url: str = "sqlite:///altresponse.db"
    """The operations database (ALTRESPONSE_DATABASE_URL): SQLite file or PostgreSQL URL."""
    program: str = "star_denver"
    """The program the live service runs (ALTRESPONSE_PROGRAM): a preset name or a YAML file."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from environment variables."""
        env = os.environ if env is None else env
        paths = env.get("ALTRESPONSE_SOURCES_PATH", "")
        return cls(
            sources_path=tuple(Path(p) for p in paths.split(os.pathsep) if p),
            database_url=env.get("ALTRESPONSE_DATABASE_URL", cls.database_url),
            program=env.get("ALTRESPONSE_PROGRAM", cls.program),
        )
