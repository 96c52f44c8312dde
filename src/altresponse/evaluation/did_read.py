"""Read a panel file (CSV or Parquet) into raw columns, and the clock that orders its periods."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from altresponse.errors import InputError

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})([T ].*)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
EXPECTED = "a month (YYYY-MM), a date (YYYY-MM-DD) or a period number"


class Frequency(StrEnum):
    """How far apart two neighbouring periods of a panel are."""

    MONTH = "month"
    WEEK = "week"
    DAY = "day"
    PERIOD = "period"


@dataclass(frozen=True)
class Clock:
    """Turns a panel's time values into whole-period ordinals and back into labels."""

    frequency: Frequency
    anchor: int = 0  # weeks: the day ordinal of week 0's first day

    def label(self, ordinal: int) -> str:
        """The period ORDINAL as people write it (2024-03, 2024-03-04 or 7)."""
        if self.frequency is Frequency.MONTH:
            return f"{ordinal // 12:04d}-{ordinal % 12 + 1:02d}"
        if self.frequency is Frequency.WEEK:
            return date.fromordinal(self.anchor + 7 * ordinal).isoformat()
        if self.frequency is Frequency.DAY:
            return date.fromordinal(ordinal).isoformat()
        return str(ordinal)

    def parse(self, value: object) -> int | None:
        """The ordinal of the period that holds VALUE (a start), or None if it cannot be read."""
        kind, parsed = _classify(value)
        if self.frequency is Frequency.PERIOD:
            return parsed if kind == "integer" and isinstance(parsed, int) else None
        if kind == "month" and self.frequency is Frequency.MONTH and isinstance(parsed, int):
            return parsed
        if kind != "date" or not isinstance(parsed, date):
            return None
        if self.frequency is Frequency.MONTH:
            return parsed.year * 12 + parsed.month - 1
        if self.frequency is Frequency.WEEK:
            return (parsed.toordinal() - self.anchor) // 7
        return parsed.toordinal()


@dataclass(frozen=True)
class RawTable:
    """Named columns of a panel file, with where each row came from for messages."""

    source: str
    kind: str  # "line" for CSV (as an editor numbers it), "row" for Parquet
    numbers: list[int]
    columns: dict[str, list[object]]

    def where(self, index: int) -> str:
        """The file and line (or row) of row INDEX, for an error message."""
        return f"{self.source} {self.kind} {self.numbers[index]}"


def read_table(path: Path, names: Sequence[tuple[str, str]]) -> RawTable:
    """The columns NAMES ((role, column) pairs) of the CSV or Parquet file PATH."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = "".join(path.suffixes[-2:]).lower()
    if suffix.endswith(".parquet"):
        return _read_parquet(path, names)
    if suffix.endswith((".csv", ".csv.gz")):
        return _read_csv(path, names)
    raise InputError(f"{path}: give a panel as .csv or .parquet")


def _check_columns(path: Path, present: Sequence[str], names: Sequence[tuple[str, str]]) -> None:
    """Every wanted column is in the file, or one line says which is not and what there is."""
    for role, name in names:
        if name not in present:
            have = ", ".join(repr(p) for p in present[:20]) or "none"
            raise InputError(f"{path}: no column {name!r} for the {role} (columns: {have})")


def _read_csv(path: Path, names: Sequence[tuple[str, str]]) -> RawTable:
    """A CSV panel: every value stays text until the panel reads it."""
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            _check_columns(path, header, names)
            index = {name: header.index(name) for _, name in names}
            columns: dict[str, list[object]] = {name: [] for _, name in names}
            numbers: list[int] = []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                numbers.append(reader.line_num)
                for name, k in index.items():
                    columns[name].append(row[k] if k < len(row) else "")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid utf-8 ({exc.reason})") from exc
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV ({exc})") from exc
    return RawTable(str(path), "line", numbers, columns)


def _read_parquet(path: Path, names: Sequence[tuple[str, str]]) -> RawTable:
    """A Parquet panel: values keep their Parquet types (dates, numbers, text)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        _check_columns(path, list(schema.names), names)
        table = pq.read_table(path, columns=list(dict.fromkeys(name for _, name in names)))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from exc
    columns = {name: table.column(name).to_pylist() for _, name in names}
    return RawTable(str(path), "row", list(range(1, table.num_rows + 1)), columns)


def _classify(value: object) -> tuple[str, int | date | None]:
    """What kind of time VALUE is (month, date, integer, or bad) and its parsed form."""
    if isinstance(value, datetime):
        return "date", value.date()
    if isinstance(value, date):
        return "date", value
    if isinstance(value, int) and not isinstance(value, bool):
        return "integer", value
    if isinstance(value, float) and value.is_integer():
        return "integer", int(value)
    text = str(value).strip() if value is not None else ""
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        return ("month", year * 12 + month - 1) if 1 <= month <= 12 else ("bad", None)
    if match := _DATE.match(text):
        try:
            return "date", date.fromisoformat(match[1])
        except ValueError:
            return "bad", None
    if _INTEGER.match(text):
        return "integer", int(text)
    return "bad", None


def read_times(table: RawTable, column: str) -> tuple[Clock, list[int]]:
    """The clock of COLUMN's time values and each row's period ordinal."""
    kinds: list[str] = []
    parsed: list[int | date | None] = []
    for k, value in enumerate(table.columns[column]):
        kind, item = _classify(value)
        if kind == "bad":
            raise InputError(f"{table.where(k)}: column {column!r} is {value!r}, not {EXPECTED}")
        kinds.append(kind)
        parsed.append(item)
    if not kinds:
        raise InputError(f"{table.source}: the panel has no rows")
    dates = [p for p in parsed if isinstance(p, date)]
    if set(kinds) == {"month", "date"} and all(d.day == 1 for d in dates):
        kinds = ["month"] * len(kinds)
        parsed = [p.year * 12 + p.month - 1 if isinstance(p, date) else p for p in parsed]
    for k, kind in enumerate(kinds):
        if kind != kinds[0]:
            value = table.columns[column][k]
            raise InputError(
                f"{table.where(k)}: column {column!r} is {value!r}, a {kind}, but the first row "
                f"has a {kinds[0]}: use one kind of time in a panel"
            )
    if kinds[0] == "date":
        return _date_clock([p for p in parsed if isinstance(p, date)])
    frequency = Frequency.MONTH if kinds[0] == "month" else Frequency.PERIOD
    return Clock(frequency), [p for p in parsed if isinstance(p, int)]


def _date_clock(dates: list[date]) -> tuple[Clock, list[int]]:
    """Dates as months (all on the 1st), weeks (all a whole number of weeks apart) or days."""
    days = [d.toordinal() for d in dates]
    if all(d.day == 1 for d in dates):
        return Clock(Frequency.MONTH), [d.year * 12 + d.month - 1 for d in dates]
    first = min(days)
    if len(set(days)) > 1 and all((d - first) % 7 == 0 for d in days):
        return Clock(Frequency.WEEK, anchor=first), [(d - first) // 7 for d in days]
    return Clock(Frequency.DAY), days
