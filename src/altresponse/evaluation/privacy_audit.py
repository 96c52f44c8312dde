"""The audit behind small-count suppression: the published numbers as a linear system, and the
least and greatest value linear programming finds for each suppressed number (privacy.py).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from altresponse.errors import InputError

EPS = 1e-6


@dataclass
class System:
    """Numbers (variables) and the equations among them: parts, then their total, per line."""

    values: list[int] = field(default_factory=list)
    rank: list[int] = field(default_factory=list)
    keys: dict[Hashable, int] = field(default_factory=dict)
    lines: list[tuple[int, ...]] = field(default_factory=list)
    lines_of: list[list[int]] = field(default_factory=list)
    _seen: set[tuple[int, ...]] = field(default_factory=set)

    def var(self, key: Hashable, value: int, rank: int) -> int:
        """The variable for KEY, made on first use; linked tables must agree on its value."""
        found = self.keys.get(key)
        if found is not None:
            if self.values[found] != value:
                raise InputError(f"linked tables disagree on the number for {describe_key(key)}")
            self.rank[found] = max(self.rank[found], rank)  # a total anywhere counts as one
            return found
        self.keys[key] = len(self.values)
        self.values.append(value)
        self.rank.append(rank)
        self.lines_of.append([])
        return len(self.values) - 1

    def line(self, parts: Sequence[int], total: int) -> None:
        """The equation sum(PARTS) == TOTAL (a repeated equation is kept once)."""
        line = (*sorted(parts), total)
        if total in parts or line in self._seen:
            return
        self._seen.add(line)
        for v in set(line):
            self.lines_of[v].append(len(self.lines))
        self.lines.append(line)


def describe_key(key: Hashable) -> str:
    """KEY in words: "week=2024-W03, track=police"."""
    if isinstance(key, frozenset):
        return ", ".join(f"{dim}={value}" for dim, value in sorted(key)) or "the grand total"
    return repr(key)


def audit(system: System, hidden: set[int], protection: int, free: set[int]) -> list[int]:
    """The suppressed variables the published numbers pin to a range narrower than PROTECTION.

    Variables in FREE are known not to be pinned and are not checked again; FREE grows.
    """
    pinned: list[int] = []
    for variables, lines in _components(system, hidden):
        if not free.issuperset(variables):
            pinned.extend(_audit_component(system, variables, lines, hidden, protection, free))
    return sorted(pinned)


def _components(system: System, hidden: set[int]) -> list[tuple[list[int], list[int]]]:
    """Suppressed variables grouped by the equations that join them (audited separately)."""
    order = sorted(hidden)
    lines = [k for k, line in enumerate(system.lines) if not hidden.isdisjoint(line)]
    pairs = [(r, v) for r, k in enumerate(lines) for v in system.lines[k] if v in hidden]
    column = {v: c for c, v in enumerate(order)}
    rows = [len(order) + r for r, _ in pairs]  # line nodes come after variable nodes
    graph = coo_matrix(([1] * len(pairs), (rows, [column[v] for _, v in pairs])),
                       shape=(len(order) + len(lines),) * 2)  # fmt: skip
    _, label = connected_components(graph, directed=False)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for c, v in enumerate(order):
        groups.setdefault(label[c], ([], []))[0].append(v)
    for r, k in enumerate(lines):
        groups[label[len(order) + r]][1].append(k)
    return list(groups.values())


def _audit_component(
    system: System,
    variables: list[int],
    lines: list[int],
    hidden: set[int],
    protection: int,
    free: set[int],
) -> list[int]:
    """Bound one component's variables by LP; any solution found narrows them all at once."""
    a_eq, b_eq = _equations(system, variables, lines, hidden)
    truth = np.array([system.values[v] for v in variables], dtype=float)
    low, high = truth.copy(), truth.copy()
    high[[k for k, v in enumerate(variables) if v in free]] += protection
    # Far enough that reaching it proves a range, and that scaling up a component whose every
    # non-zero number is hidden always reaches it (so such a component is never pinned).
    cap = (protection + 1) * (max(system.values) + 1)

    def solve(objective: np.ndarray[Any, Any]) -> Any:
        found = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(1, cap), method="highs")
        if found.status != 0:
            raise RuntimeError(f"suppression audit: the LP failed ({found.message})")
        np.minimum(low, found.x, out=low)
        np.maximum(high, found.x, out=high)
        return (high - low < protection - EPS).astype(float)

    for direction in (-1.0, 1.0):  # push every open variable up together, then down
        left = (high - low < protection - EPS).astype(float)
        while left.any():
            after = solve(direction * left)
            if (after == left).all():
                break
            left = after
    for k in range(len(variables)):
        for direction in (-1.0, 1.0):
            if high[k] - low[k] >= protection - EPS:
                break
            solve(np.eye(1, len(variables), k)[0] * direction)
    wide = high - low >= protection - EPS
    free.update(v for k, v in enumerate(variables) if wide[k])
    return [v for k, v in enumerate(variables) if not wide[k]]


def _equations(
    system: System, variables: list[int], lines: list[int], hidden: set[int]
) -> tuple[Any, list[int]]:
    """LINES as A x = b over the hidden VARIABLES, the published numbers moved to b."""
    column = {v: k for k, v in enumerate(variables)}
    rows, cols, coefs, rhs = [], [], [], []
    for r, k in enumerate(lines):
        *parts, total = system.lines[k]
        known = 0
        for v, sign in [*((p, 1) for p in parts), (total, -1)]:
            if v in hidden:
                rows.append(r)
                cols.append(column[v])
                coefs.append(sign)
            else:
                known += sign * system.values[v]
        rhs.append(-known)
    return coo_matrix((coefs, (rows, cols)), shape=(len(lines), len(variables))).tocsr(), rhs
