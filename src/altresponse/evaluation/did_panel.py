"""A validated panel (one outcome per unit and period) with each unit's treatment start."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from altresponse.errors import InputError
from altresponse.evaluation.did_read import Clock, RawTable, read_table, read_times

NEVER: Final = int(np.iinfo(np.int64).max)  # the start of a unit that never gets the program


@dataclass(frozen=True)
class PanelSpec:
    """Which columns hold what, and who got the program when (one of three ways)."""

    unit: str = "zone"
    time: str = "month"
    outcome: str = "calls"
    treated: tuple[str, ...] = ()  # with `start`: common timing
    start: str | None = None
    start_column: str | None = None  # a column of the panel: each unit's start, empty = never
    starts: Mapping[str, str | None] | None = None  # unit -> start (None = never)


@dataclass(frozen=True, eq=False)
class Panel:
    """Rows of (unit, period, outcome) as index arrays, and each unit's start ordinal."""

    source: str
    spec: PanelSpec
    clock: Clock
    units: tuple[str, ...]
    periods: NDArray[np.int64]  # the observed period ordinals, ascending
    unit: NDArray[np.intp]  # row -> position in units
    period: NDArray[np.intp]  # row -> position in periods
    y: NDArray[np.float64]
    start: NDArray[np.int64]  # unit -> start ordinal, NEVER when untreated

    @property
    def n_units(self) -> int:
        """Units (clusters) in the panel."""
        return len(self.units)

    @property
    def n_periods(self) -> int:
        """Distinct periods observed."""
        return len(self.periods)

    @property
    def balanced(self) -> bool:
        """Every unit observed in every period."""
        return len(self.y) == self.n_units * self.n_periods

    @property
    def treated(self) -> NDArray[np.bool_]:
        """Units that get the program at some point in the panel."""
        return np.asarray(self.start != NEVER, dtype=np.bool_)

    @property
    def cohorts(self) -> NDArray[np.int64]:
        """The distinct start ordinals, ascending."""
        return np.unique(self.start[self.treated])

    @property
    def staggered(self) -> bool:
        """Units start at different times."""
        return len(self.cohorts) > 1

    def row_ordinals(self) -> NDArray[np.int64]:
        """Each row's period ordinal."""
        return self.periods[self.period]

    def matrix(self) -> NDArray[np.float64]:
        """The outcome as units x periods, NaN where a unit-period is missing."""
        grid = np.full((self.n_units, self.n_periods), np.nan)
        grid[self.unit, self.period] = self.y
        return grid

    def subset(self, keep: NDArray[np.bool_], start: NDArray[np.int64]) -> Panel:
        """The rows KEEP with per-unit starts START; units and periods left empty drop out."""
        units_kept = np.unique(self.unit[keep])
        periods_kept = np.unique(self.period[keep])
        return Panel(
            source=self.source,
            spec=self.spec,
            clock=self.clock,
            units=tuple(self.units[k] for k in units_kept),
            periods=self.periods[periods_kept],
            unit=np.searchsorted(units_kept, self.unit[keep]),
            period=np.searchsorted(periods_kept, self.period[keep]),
            y=self.y[keep],
            start=start[units_kept],
        )


def load_panel(path: Path, spec: PanelSpec) -> Panel:
    """Read and check a panel file; refuse what would give a wrong answer, naming the row."""
    roles = [("unit", spec.unit), ("time", spec.time), ("outcome", spec.outcome)]
    if spec.start_column is not None:
        roles.append(("treatment start", spec.start_column))
    table = read_table(path, roles)
    clock, ordinals = read_times(table, spec.time)
    units = _read_units(table, spec.unit)
    y = _read_outcome(table, spec.outcome)
    _refuse_duplicates(table, spec, units, ordinals, clock)
    labels = sorted(set(units))
    periods = np.unique(np.asarray(ordinals, dtype=np.int64))
    starts = _starts(table, spec, clock, units, labels)
    start = np.array([starts.get(u, NEVER) for u in labels], dtype=np.int64)
    _check_starts(table.source, clock, periods, start, labels)
    unit_index = {u: k for k, u in enumerate(labels)}
    return Panel(
        source=table.source,
        spec=spec,
        clock=clock,
        units=tuple(labels),
        periods=periods,
        unit=np.array([unit_index[u] for u in units], dtype=np.intp),
        period=np.searchsorted(periods, np.asarray(ordinals, dtype=np.int64)),
        y=y,
        start=start,
    )


def _read_units(table: RawTable, column: str) -> list[str]:
    """Each row's unit as text; an empty unit is refused."""
    units = ["" if v is None else str(v).strip() for v in table.columns[column]]
    for k, unit in enumerate(units):
        if not unit:
            raise InputError(f"{table.where(k)}: column {column!r} is empty (every row needs one)")
    return units


def _read_outcome(table: RawTable, column: str) -> NDArray[np.float64]:
    """Each row's outcome as a finite number; anything else is refused with its row."""
    values = np.empty(len(table.numbers))
    for k, raw in enumerate(table.columns[column]):
        try:
            number = float(raw) if isinstance(raw, int | float | str) else math.nan
        except ValueError:
            number = math.nan
        if isinstance(raw, bool) or not math.isfinite(number):
            shown = "empty" if raw is None or str(raw).strip() == "" else repr(raw)
            raise InputError(
                f"{table.where(k)}: column {column!r} is {shown}, not a number "
                "(drop the row if the value is unknown)"
            )
        values[k] = number
    return values


def _refuse_duplicates(
    table: RawTable, spec: PanelSpec, units: list[str], ordinals: list[int], clock: Clock
) -> None:
    """One row per unit and period: a second one is refused with both rows."""
    seen: dict[tuple[str, int], int] = {}
    for k, key in enumerate(zip(units, ordinals, strict=True)):
        first = seen.setdefault(key, k)
        if first != k:
            raise InputError(
                f"{table.where(k)}: duplicate row for {spec.unit} {key[0]!r} and {spec.time} "
                f"{clock.label(key[1])} (first at {table.kind} {table.numbers[first]})"
            )


def _parse_start(clock: Clock, value: object, what: str) -> int:
    """A start value as a period ordinal, or one line saying what was expected."""
    ordinal = clock.parse(value)
    if ordinal is None:
        kind = {"month": "YYYY-MM", "week": "YYYY-MM-DD", "day": "YYYY-MM-DD"}
        expected = kind.get(clock.frequency.value, "a period number")
        raise InputError(f"{what} is {value!r}: expected {expected}, like the panel's times")
    return ordinal


def _starts(
    table: RawTable, spec: PanelSpec, clock: Clock, units: list[str], labels: list[str]
) -> dict[str, int]:
    """Each treated unit's start ordinal, from whichever of the three ways the spec used."""
    ways = [
        bool(spec.treated or spec.start),
        spec.start_column is not None,
        spec.starts is not None,
    ]
    if sum(ways) != 1:
        raise InputError(
            "say who got the program, one way: treated units with a start, a start column, "
            "or a mapping of unit to start"
        )
    if spec.start_column is not None:
        return _column_starts(table, spec, clock, units)
    known = set(labels)
    if spec.starts is not None:
        wanted = {u: s for u, s in spec.starts.items() if s is not None and str(s).strip()}
        _refuse_unknown(table.source, spec.unit, wanted, known)
        return {u: _parse_start(clock, s, f"the start of {u!r}") for u, s in wanted.items()}
    if not spec.treated or spec.start is None:
        raise InputError("give both the treated units and their start")
    _refuse_unknown(table.source, spec.unit, spec.treated, known)
    start = _parse_start(clock, spec.start, "the start")
    return dict.fromkeys(spec.treated, start)


def _refuse_unknown(source: str, unit: str, wanted: Iterable[str], known: set[str]) -> None:
    """Treated units must be units of the panel."""
    missing = [u for u in wanted if u not in known]
    if missing:
        have = ", ".join(sorted(known)[:12]) + (", ..." if len(known) > 12 else "")
        raise InputError(
            f"treated {unit} {', '.join(repr(m) for m in missing)} not in {source} "
            f"(its {unit}s: {have})"
        )


def _column_starts(
    table: RawTable, spec: PanelSpec, clock: Clock, units: list[str]
) -> dict[str, int]:
    """Starts read from a column: one value per unit (empty = never treated) on all its rows."""
    column = spec.start_column or ""
    starts: dict[str, int] = {}
    first: dict[str, tuple[int, int | None]] = {}
    for k, (unit, raw) in enumerate(zip(units, table.columns[column], strict=True)):
        blank = raw is None or (isinstance(raw, str) and not raw.strip())
        ordinal = None if blank else _parse_start(clock, raw, f"{table.where(k)}: {column!r}")
        seen = first.setdefault(unit, (k, ordinal))
        if seen[1] != ordinal:
            raise InputError(
                f"{table.where(k)}: column {column!r} is {raw!r} for {spec.unit} {unit!r}, but "
                f"{table.columns[column][seen[0]]!r} at {table.kind} {table.numbers[seen[0]]} "
                "(one start per unit)"
            )
        if ordinal is not None:
            starts[unit] = ordinal
    return starts


def _check_starts(
    source: str,
    clock: Clock,
    periods: NDArray[np.int64],
    start: NDArray[np.int64],
    units: list[str],
) -> None:
    """Starts inside the panel's span with a period before; some units treated, some not yet."""
    first, last = int(periods[0]), int(periods[-1])
    for unit, s in zip(units, start.tolist(), strict=True):
        if s != NEVER and not first < s <= last:
            raise InputError(
                f"the start of {unit!r}, {clock.label(s)}, is outside {source}'s span "
                f"({clock.label(first)} to {clock.label(last)}; a start needs a period before it)"
            )
    if not (start != NEVER).any():
        raise InputError(f"{source}: no unit gets the program, so there is no effect to estimate")
    if (start == NEVER).any() or len(np.unique(start)) > 1:
        return
    raise InputError(
        f"{source}: every unit starts at {clock.label(int(start[0]))}: "
        "there is no comparison group (add units without the program)"
    )
