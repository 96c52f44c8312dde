"""Small-count suppression for published tables: primary, complementary, then an LP audit.

Every number a table publishes (a cell, a row or column total, the grand total) is a variable;
every row and column is an equation "parts sum to their total". Tables that publish the same
number (the calls of a week in two tables) share that variable, so they are protected together.

1. Primary: a number with 0 < n < threshold is suppressed, totals included. Zeros are published:
   a zero describes nobody (we follow the guidance that suppresses small non-zero counts only).
2. Complementary: an equation with exactly one suppressed number would give it away by
   subtraction, so another non-zero number of that equation is suppressed too (a cell before a
   total, then the smallest, then one that also completes another equation, then table order),
   until every equation holds none or at least two.
3. Audit: for each suppressed number, linear programming finds the least and greatest value it
   can take given every published number, every equation and that it is at least 1 (a reader
   knows a suppressed number is not 0, since zeros are published). If that range is narrower
   than `protection` (default 1: the number is pinned), a published non-zero number near it is
   suppressed as well (a cell before a total, the nearest, the smallest) and all is checked again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice
from types import MappingProxyType

from altresponse.errors import InputError
from altresponse.evaluation.privacy_audit import System, audit

DEFAULT_THRESHOLD = 11
"""Counts from 1 to 10 are never published (a common rule for counts of people)."""


class Suppression(StrEnum):
    """Why a number is not published."""

    PRIMARY = "primary"
    """Fewer than the threshold, but not zero."""
    COMPLEMENTARY = "complementary"
    """Hidden so that a small count cannot be worked out from its row or column total."""
    AUDIT = "audit"
    """Hidden after the LP audit found a suppressed number that the others pinned down."""


@dataclass(frozen=True)
class CountTable:
    """Counts by two dimensions (rows x columns); the totals are derived, never given.

    `where`, `row_dim` and `col_dim` say what each number counts: tables that publish the same
    number (same conditions) share it and are protected together.
    """

    name: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    row_dim: str = "row"
    col_dim: str = "column"
    where: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        shape = len(self.counts) == len(self.rows) and all(len(r) == len(self.cols)
                                                           for r in self.counts)  # fmt: skip
        problems = (
            (not self.rows or not self.cols, "a table needs at least one row and one column"),
            (len({*self.rows}) < len(self.rows) or len({*self.cols}) < len(self.cols),
             "row and column labels must be unique"),
            (self.row_dim == self.col_dim, "rows and columns must be different dimensions"),
            (not shape, f"counts must be {len(self.rows)} x {len(self.cols)}"),
            (not _counts(n for r in self.counts for n in r), "counts must be integers >= 0"),
        )  # fmt: skip
        for bad, message in problems:
            if bad:
                raise InputError(f"{self.name}: {message}")

    def key(self, i: int | None, j: int | None) -> frozenset[tuple[str, str]]:
        """What grid position (i, j) counts; None for a dimension summed over (a total)."""
        found = set(self.where)
        if i is not None:
            found.add((self.row_dim, self.rows[i]))
        if j is not None:
            found.add((self.col_dim, self.cols[j]))
        return frozenset(found)


@dataclass(frozen=True)
class SafeTable:
    """A table fit to publish: `grid` holds the cells, a total column and a total row.

    A suppressed number is None; `reasons` says why, by grid position (i, j). Row i = len(rows)
    holds the column totals and column j = len(cols) the row totals.
    """

    name: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    grid: tuple[tuple[int | None, ...], ...]
    reasons: Mapping[tuple[int, int], Suppression]
    threshold: int
    row_dim: str = "row"
    col_dim: str = "column"

    @property
    def total(self) -> int | None:
        return self.grid[-1][-1]

    @property
    def suppressed(self) -> int:
        """How many numbers (cells and totals) are suppressed."""
        return len(self.reasons)


@dataclass(frozen=True)
class SafeList:
    """A one-dimensional list fit to publish; `reasons` by index, len(labels) being the total."""

    labels: tuple[str, ...]
    values: tuple[int | None, ...]
    total: int | None
    reasons: Mapping[int, Suppression]
    threshold: int


def suppress(
    counts: Sequence[Sequence[int]],
    *,
    rows: Sequence[str] | None = None,
    cols: Sequence[str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    protection: int = 1,
    name: str = "table",
) -> SafeTable:
    """A table of counts with its totals, small counts and what would reveal them suppressed."""
    rows = tuple(rows) if rows is not None else tuple(str(i) for i in range(len(counts)))
    width = len(counts[0]) if counts else 0
    cols = tuple(cols) if cols is not None else tuple(str(j) for j in range(width))
    table = CountTable(name, rows, cols, tuple(tuple(r) for r in counts))
    return suppress_linked([table], threshold=threshold, protection=protection)[0]


def suppress_list(
    counts: Sequence[int],
    *,
    labels: Sequence[str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    protection: int = 1,
) -> SafeList:
    """A list of counts with its total (a category breakdown), protected the same way."""
    labels = tuple(labels) if labels is not None else tuple(str(i) for i in range(len(counts)))
    if len(set(labels)) != len(labels) or len(labels) != len(counts) or not _counts(counts):
        raise InputError("a list needs integer counts >= 0, each with its own label")
    _check(threshold, protection)
    system = System()
    cells = [system.var(("cell", i), n, 0) for i, n in enumerate(counts)]
    total = system.var(("total",), sum(counts), 2)
    system.line(cells, total)
    reasons = _protect(system, threshold, protection)
    return SafeList(
        labels,
        tuple(None if v in reasons else system.values[v] for v in cells),
        None if total in reasons else system.values[total],
        MappingProxyType({i: reasons[v] for i, v in enumerate([*cells, total]) if v in reasons}),
        threshold,
    )


def suppress_linked(
    tables: Sequence[CountTable], *, threshold: int = DEFAULT_THRESHOLD, protection: int = 1
) -> list[SafeTable]:
    """Several tables protected together: a number two tables publish is hidden in both or none."""
    _check(threshold, protection)
    system = System()
    grids = [_add_table(system, t) for t in tables]
    reasons = _protect(system, threshold, protection)
    return [
        _safe(t, grid, system, reasons, threshold) for t, grid in zip(tables, grids, strict=True)
    ]


def _counts(values: Iterable[object]) -> bool:
    """Whether every value is a count: an int (not a bool) >= 0."""
    return all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in values)


def _check(threshold: int, protection: int) -> None:
    """Refuse a threshold or protection below 1."""
    if threshold < 1 or protection < 1:
        raise InputError("threshold and protection must be at least 1")


def _add_table(system: System, t: CountTable) -> list[list[int]]:
    """T's cells and totals as variables of SYSTEM, its rows and columns as equations."""
    m, n = len(t.rows), len(t.cols)
    sums = [sum(r) for r in t.counts]
    cols = [sum(r[j] for r in t.counts) for j in range(n)]
    grid = [
        [system.var(t.key(i, j), t.counts[i][j], 0) for j in range(n)]
        + [system.var(t.key(i, None), sums[i], 1)]
        for i in range(m)
    ]
    grid.append(
        [system.var(t.key(None, j), cols[j], 1) for j in range(n)]
        + [system.var(t.key(None, None), sum(sums), 2)]
    )
    for i in range(m + 1):
        system.line(grid[i][:n], grid[i][n])
    for j in range(n + 1):
        system.line([grid[i][j] for i in range(m)], grid[m][j])
    return grid


def _safe(
    t: CountTable,
    grid: list[list[int]],
    system: System,
    reasons: dict[int, Suppression],
    threshold: int,
) -> SafeTable:
    """T as published: suppressed variables become None."""
    values = tuple(tuple(None if v in reasons else system.values[v] for v in row) for row in grid)
    why = {
        (i, j): reasons[v] for i, row in enumerate(grid) for j, v in enumerate(row) if v in reasons
    }
    why_ = MappingProxyType(why)
    return SafeTable(t.name, t.rows, t.cols, values, why_, threshold, t.row_dim, t.col_dim)


def _protect(system: System, threshold: int, protection: int) -> dict[int, Suppression]:
    """Which variables to suppress, and why: primary, complementary, then audited to safety."""
    reasons = {v: Suppression.PRIMARY for v, n in enumerate(system.values) if 0 < n < threshold}
    hidden = [sum(v in reasons for v in line) for line in system.lines]
    free: set[int] = set()  # proven not pinned: hiding more only widens every range
    while True:
        _complete(system, reasons, hidden, range(len(system.lines)))
        pinned = audit(system, set(reasons), protection, free)
        if not pinned:
            return reasons
        covered: set[int] = set()
        for v in pinned:
            if v in covered:
                continue  # a number just hidden near it may be enough: audit again first
            extra = _widen(system, v, reasons)
            _hide(system, reasons, hidden, extra, Suppression.AUDIT)
            covered.update(*islice(_rings(system, extra, reasons), 2))


def _hide(
    system: System, reasons: dict[int, Suppression], hidden: list[int], v: int, why: Suppression
) -> None:
    """Suppress V for WHY, keeping each equation's count of hidden numbers."""
    reasons[v] = why
    for line in system.lines_of[v]:
        hidden[line] += 1


def _complete(
    system: System, reasons: dict[int, Suppression], hidden: list[int], start: Iterable[int]
) -> None:
    """Suppress a partner in every equation that holds exactly one suppressed number."""
    queue = deque(start)
    while queue:
        line = queue.popleft()
        if hidden[line] != 1:
            continue
        candidates = [v for v in system.lines[line] if v not in reasons and system.values[v] > 0]
        # A suppressed number is >= 1, so its equation always holds another non-zero number.
        partner = min(candidates, key=lambda v: _preference(system, hidden, v))
        _hide(system, reasons, hidden, partner, Suppression.COMPLEMENTARY)
        queue.extend(system.lines_of[partner])


def _preference(system: System, hidden: list[int], v: int) -> tuple[int, int, int, int]:
    """Cells before totals; smallest first; one that completes another equation; table order."""
    helps = sum(hidden[line] == 1 for line in system.lines_of[v])
    return (system.rank[v], system.values[v], -helps, v)


def _widen(system: System, v: int, reasons: dict[int, Suppression]) -> int:
    """The published non-zero number to suppress for pinned V: near it, a cell before a total.

    A cell one equation further than the nearest candidate still wins over a total: hiding a
    total (a number readers want) is the last resort.
    """
    found: dict[int, int] = {}
    nearest: int | None = None
    for depth, members in enumerate(_rings(system, v, reasons)):
        for u in members:
            if u not in reasons and system.values[u] > 0:
                found.setdefault(u, depth)
        nearest = depth if nearest is None and found else nearest
        if nearest is not None and depth > nearest:
            break
    if not found:  # cannot happen: a component whose non-zero numbers are all hidden scales up
        raise AssertionError(f"suppression: nothing left to hide next to variable {v}")
    return min(found, key=lambda u: (system.rank[u], found[u], system.values[u], u))


def _rings(system: System, v: int, reasons: dict[int, Suppression]) -> Iterator[set[int]]:
    """The variables 1, 2, ... equations away from V, walking through suppressed ones only."""
    seen: set[int] = set()
    frontier, reached = {v}, {v}
    while frontier:
        lines = {line for u in frontier for line in system.lines_of[u]} - seen
        seen |= lines
        members = {u for line in lines for u in system.lines[line]}
        yield members
        frontier = {u for u in members if u in reasons} - reached
        reached |= frontier


__all__ = [
    "DEFAULT_THRESHOLD",
    "CountTable",
    "SafeList",
    "SafeTable",
    "Suppression",
    "suppress",
    "suppress_linked",
    "suppress_list",
]
