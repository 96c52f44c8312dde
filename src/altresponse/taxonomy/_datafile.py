"""Read the taxonomy's CSV data files with line numbers, so every error names file and line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from altresponse.errors import ConfigError

PACKAGE = "altresponse.taxonomy"


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its values by column, where it came from, and its line number."""

    values: dict[str, str]
    source: str
    line: int

    def where(self) -> str:
        """FILE:LINE, the prefix of every error about this row."""
        return f"{self.source}:{self.line}"

    def fail(self, message: str) -> ConfigError:
        """A ConfigError that names this row's file and line."""
        return ConfigError(f"{self.where()}: {message}")


def package_text(name: str) -> tuple[str, str]:
    """The text of data/NAME shipped in the package, and the name to show in errors."""
    source = f"{PACKAGE.replace('.', '/')}/data/{name}"
    try:
        text = resources.files(PACKAGE).joinpath("data", name).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read ({exc})") from exc
    return text, source


def file_text(path: Path) -> str:
    """The text of a user's data file, or one ConfigError line."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from exc


def read_rows(
    text: str, source: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Iterator[Row]:
    """Rows of a CSV text whose header holds every required column; blank and # lines skipped."""
    reader = csv.reader(io.StringIO(text))
    header = _header(reader, source, required, optional)
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values) or values[0].lstrip().startswith("#"):
            continue
        if len(values) > len(header):
            raise ConfigError(f"{source}:{line}: {len(values)} fields, header has {len(header)}")
        padded = [v.strip() for v in values] + [""] * (len(header) - len(values))
        yield Row(dict(zip(header, padded, strict=True)), source, line)


def _header(
    reader: Iterator[list[str]], source: str, required: tuple[str, ...], optional: tuple[str, ...]
) -> list[str]:
    """The validated header row (column names stripped and lower-cased)."""
    first = next(reader, None)
    if first is None:
        raise ConfigError(f"{source}:1: empty file, expected columns {', '.join(required)}")
    header = [h.strip().lower() for h in first]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in optional]
    if missing or unknown:
        problem = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
        allowed = ", ".join((*required, *optional))
        raise ConfigError(f"{source}:1: header {problem} (expected columns: {allowed})")
    return header
