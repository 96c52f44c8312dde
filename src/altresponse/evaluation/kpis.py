"""The program's key performance indicators: one definition each, over the contacts table.

Every figure says what it counts (numerator), out of what (denominator) and what it leaves out;
docs/metrics.md is the reference and each function's docstring names its entry there. The same
code reads the live service's store and a historical table (evaluation/records.py), so what a
planner estimated and what the program reports are counted alike.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from altresponse.programs.model import Program
from altresponse.simulation.fleet import build_fleet

REPEAT_DAYS = 30
"""A contact repeats when the program served the same place within this many days before."""
PLACE_DECIMALS = 3
"""Coordinates rounded to 3 decimals (about 100 m) stand for a place: the record has no person."""
TOP_TYPES = 15
SATISFIED_FROM = 4
"""Survey answers of 4 or 5 (of 5) count as satisfied."""


@dataclass(frozen=True)
class Spread:
    """A duration over N calls: median and 90th percentile (linear between order statistics)."""

    n: int
    excluded: int
    p50: float | None
    p90: float | None
    mean: float | None


@dataclass(frozen=True)
class Share:
    """COUNT out of BASE, and the share (None when the base is 0)."""

    count: int
    base: int
    share: float | None


@dataclass
class Kpis:
    """Every KPI of docs/metrics.md for one table of contacts."""

    calls: int
    first_call: str | None
    last_call: str | None
    days: float
    by_track: dict[str, int]
    by_incident_type: dict[str, int]
    eligible: int
    served: Share
    unserved_by_reason: dict[str, int]
    to_dispatch: Spread
    travel: Spread
    to_arrival: Spread
    on_scene: Spread
    backup: Share
    arrests_after_response: Share
    transports: Share
    transported_to: dict[str, int]
    dispositions: dict[str, Share]
    referrals: Share
    repeat_contacts: Share
    satisfaction: dict[str, Any]
    cost: dict[str, Any]
    follow_ups: dict[str, Any] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return asdict(self)


def share(count: int, base: int) -> Share:
    """COUNT of BASE."""
    return Share(count, base, round(count / base, 6) if base else None)


def spread(values: pa.ChunkedArray | pa.Array, in_scope: int) -> Spread:
    """docs/metrics.md, Response times: over calls in scope that have both times, in order."""
    found = np.asarray(pc.drop_null(values).to_numpy(zero_copy_only=False), dtype=float)
    if found.size == 0:
        return Spread(0, in_scope, None, None, None)
    p50, p90 = np.percentile(found, [50, 90])
    return Spread(int(found.size), in_scope - int(found.size), float(p50), float(p90),
                  float(found.mean()))  # fmt: skip


def _counts(column: pa.ChunkedArray, top: int | None = None) -> dict[str, int]:
    counted = Counter(str(v) if v is not None else "unknown" for v in column.to_pylist())
    return dict(counted.most_common(top))


def kpis(contacts: pa.Table, program: Program, *, responded: str = "served") -> Kpis:
    """All KPIs of CONTACTS for PROGRAM.

    RESPONDED names the boolean column that says a call was answered by the program ("served",
    for the live store), or "all" for a table of the program's own records (every row a response,
    as Lane County's mobile crisis file is).
    """
    mask = _mask(contacts, responded)
    answered = contacts.filter(mask)
    n = answered.num_rows
    received = contacts.column("received_at")
    first, last = pc.min(received).as_py(), pc.max(received).as_py()
    days = (last - first) / timedelta(days=1) + 1 / 1440 if first and last else 0.0
    eligible = pc.sum(contacts.column("eligible")).as_py() or 0
    served = pc.sum(pc.and_(contacts.column("eligible"), contacts.column("served"))).as_py() or 0
    return Kpis(
        calls=contacts.num_rows,
        first_call=first.isoformat() if first else None,
        last_call=last.isoformat() if last else None,
        days=round(days, 3),
        by_track=_counts(contacts.column("track")),
        by_incident_type=_counts(contacts.column("incident_type"), TOP_TYPES),
        eligible=eligible,
        served=share(served, eligible),
        unserved_by_reason=_unserved(contacts),
        to_dispatch=spread(answered.column("minutes_to_dispatch"), n),
        travel=spread(answered.column("minutes_travel"), n),
        to_arrival=spread(answered.column("minutes_to_arrival"), n),
        on_scene=spread(answered.column("minutes_on_scene"), n),
        backup=share(_true(answered, "backup"), n - answered.column("backup").null_count),
        arrests_after_response=share(_disposed(answered, "arrest"), n),
        transports=share(_disposed(answered, "transported"), n),
        transported_to=_counts(_where(answered, "disposition", "transported")["transported_to"]),
        dispositions=dispositions(answered),
        referrals=referred(answered),
        repeat_contacts=repeat_contacts(answered),
        satisfaction=satisfaction(answered),
        cost=cost(program, days, n),
    )


def _mask(contacts: pa.Table, responded: str) -> pa.ChunkedArray | pa.Array:
    if responded == "all":
        return pa.array([True] * contacts.num_rows)
    return pc.fill_null(contacts.column(responded), False)


def _true(table: pa.Table, column: str) -> int:
    return int(pc.sum(pc.fill_null(table.column(column), False)).as_py() or 0)


def _where(table: pa.Table, column: str, value: str) -> pa.Table:
    return table.filter(pc.fill_null(pc.equal(table.column(column), value), False))


def _disposed(table: pa.Table, disposition: str) -> int:
    return int(_where(table, "disposition", disposition).num_rows)


def _unserved(contacts: pa.Table) -> dict[str, int]:
    """docs/metrics.md, Eligible-unserved: eligible calls the program did not serve, by reason."""
    eligible = pc.fill_null(contacts.column("eligible"), False)
    missed = pc.and_(eligible, pc.invert(pc.fill_null(contacts.column("served"), False)))
    return _counts(contacts.filter(missed).column("unserved_reason"))


def dispositions(answered: pa.Table) -> dict[str, Share]:
    """docs/metrics.md, Dispositions: shares of answered calls with a recorded disposition."""
    column = answered.column("disposition")
    recorded = answered.num_rows - column.null_count
    counted = _counts(pc.drop_null(column)) if recorded else {}
    found = {name: share(count, recorded) for name, count in sorted(counted.items())}
    found["not_recorded"] = share(column.null_count, answered.num_rows)
    return found


def referred(answered: pa.Table) -> Share:
    """docs/metrics.md, Referrals: answered calls with a referral, or disposition referred."""
    made = pc.fill_null(pc.greater(answered.column("referrals"), 0), False)
    said = pc.fill_null(pc.equal(answered.column("disposition"), "referred"), False)
    return share(int(pc.sum(pc.or_(made, said)).as_py() or 0), answered.num_rows)


def repeat_contacts(answered: pa.Table) -> Share:
    """docs/metrics.md, Repeat contacts: answered at a place answered in the 30 days before."""
    seen: dict[tuple[float, float], Any] = {}
    repeats = placed = 0
    rows = answered.select(["received_at", "lat", "lon"]).sort_by("received_at").to_pylist()
    for row in rows:
        if row["lat"] is None or row["lon"] is None:
            continue
        placed += 1
        place = (round(row["lat"], PLACE_DECIMALS), round(row["lon"], PLACE_DECIMALS))
        before = seen.get(place)
        if before is not None and row["received_at"] - before <= timedelta(days=REPEAT_DAYS):
            repeats += 1
        seen[place] = row["received_at"]
    return share(repeats, placed)


def satisfaction(answered: pa.Table) -> dict[str, Any]:
    """docs/metrics.md, Satisfaction: surveyed contacts, mean score, share satisfied (4-5)."""
    scores = [s for s in answered.column("satisfied").to_pylist() if s is not None]
    surveyed = len(scores)
    return {
        "surveyed": share(surveyed, answered.num_rows),
        "mean_score": round(sum(scores) / surveyed, 3) if surveyed else None,
        "satisfied": share(sum(1 for s in scores if s >= SATISFIED_FROM), surveyed),
    }


def cost(program: Program, days: float, answered: int) -> dict[str, Any]:
    """docs/metrics.md, Cost per call: the program's planned cost over the period per answer."""
    costs = program.costs
    team_hours = build_fleet(program, 7 * 1440).team_hours_per_day * days
    total = (
        costs.team_hour * team_hours + costs.annual_fixed * days / 365 + costs.per_call * answered
    )
    return {
        "currency": costs.currency,
        "team_hours": round(team_hours, 1),
        "total": round(total, 2),
        "per_call": round(total / answered, 2) if answered else None,
    }
