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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from environment variables."""
        env = os.environ if env is None else env
        paths = env.get("ALTRESPONSE_SOURCES_PATH", "")
        return cls(sources_path=tuple(Path(p) for p in paths.split(os.pathsep) if p))
