"""The public dashboard's numbers: contacts coarsened to closed vocabularies, then counted.

Only the columns in READ are ever read. Time becomes a local day or ISO week, place a zone id,
and every published label comes from a closed list: tracks, outcomes, unserved reasons,
dispositions, zone ids. Call ids, narratives, destinations and coordinates are never read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from altresponse.calls.record import Disposition
from altresponse.errors import InputError
from altresponse.evaluation.privacy import CountTable, SafeTable
from altresponse.programs.vocabulary import TRACK_ORDER
from altresponse.triage.reasons import UNSERVED_REASONS as TRIAGE_UNSERVED

READ = (
    "received_at",
    "zone",
    "track",
    "eligible",
    "served",
    "unserved_reason",
    "disposition",
    "backup",
    "minutes_to_dispatch",
    "minutes_to_arrival",
)
"""The only columns of the contacts table the dashboard reads."""

TRACKS = tuple(t.value for t in TRACK_ORDER)
OUTCOMES = ("served", "eligible_unserved", "other")
"""Served by a program team; eligible but not served (Safety principle 6); every other call."""
WAITED_TOO_LONG = "waited-too-long"  # the live queue's fallback (operations.service)
UNSERVED_REASONS = (*TRIAGE_UNSERVED, WAITED_TOO_LONG, "other", "not_recorded")
DISPOSITIONS = (*(d.value for d in Disposition), "not_recorded")
BACKUP = ("requested", "not_requested", "not_recorded")
NO_ZONE = "(no zone)"
OTHER_ZONES = "(other zones)"
ZONE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _./-]{0,23}")
"""What an agency's zone id looks like (a beat, district or grid cell); anything else is
counted under OTHER_ZONES, so free text typed into the zone field is never published."""
MEASURES = (
    ("dispatch_p50", "minutes_to_dispatch", 50),
    ("dispatch_p90", "minutes_to_dispatch", 90),
    ("arrival_p50", "minutes_to_arrival", 50),
    ("arrival_p90", "minutes_to_arrival", 90),
)
"""Response-time statistics of served calls: name, the minutes column, the percentile."""


class Period(StrEnum):
    """How finely time is published: a local calendar day or an ISO week (Monday to Sunday)."""

    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True)
class Facts:
    """One row per contact, with only closed-vocabulary columns and two times in minutes."""

    table: pa.Table
    period: Period
    periods: tuple[str, ...]
    zones: tuple[str, ...]
    tracks: tuple[str, ...]
    backup_recorded: bool
    left_out: int
    """Contacts without a time: counted nowhere, since they belong to no period."""


@dataclass(frozen=True)
class StatTable:
    """Statistics by period (and "all"): None where fewer than `min_n` calls stand behind one."""

    name: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]
    min_n: int

    @property
    def suppressed(self) -> int:
        return sum(v is None for row in self.values for v in row)


def coarsen(
    contacts: pa.Table,
    timezone: str,
    period: Period,
    *,
    threshold: int,
    zones: Sequence[str] | None = None,
) -> Facts:
    """The contacts as facts fit to count: local period, zone id, track, outcome and the rest."""
    t = _readable(contacts, timezone)
    known = pc.is_valid(t["received_at"])
    left_out = t.num_rows - pc.sum(known.cast(pa.int64())).as_py()
    t = t.filter(known)
    if t.num_rows == 0:
        raise InputError("contacts: no call with a time to publish")
    unit = t.schema.field("received_at").type.unit
    local = pc.local_timestamp(t["received_at"].cast(pa.timestamp(unit, tz=timezone)))
    span = pc.min_max(local).as_py()
    zone, zone_rows = _zones(t["zone"], threshold, zones)
    facts = _facts(t, local, period, zone)
    present = set(facts["track"].unique().to_pylist())
    recorded = pc.any(pc.and_(pc.fill_null(t["served"], False), pc.is_valid(t["backup"])))
    return Facts(
        facts,
        period,
        _periods(span["min"], span["max"], period),
        zone_rows,
        TRACKS + (("other",) if "other" in present else ()),
        bool(recorded.as_py()),
        left_out,
    )


def _facts(t: pa.Table, local: pa.ChunkedArray, period: Period, zone: pa.ChunkedArray) -> pa.Table:
    """The columns counted: each a closed vocabulary, but for the two times in minutes."""
    served = pc.fill_null(t["served"], False)
    eligible = pc.fill_null(t["eligible"], False)
    backup = pc.if_else(t["backup"], "requested", "not_requested")
    week = period is Period.WEEK
    return pa.table(
        {
            period.value: pc.strftime(local, format="%G-W%V" if week else "%Y-%m-%d"),
            "zone": zone,
            "track": _closed(t["track"], TRACKS, "other", missing="other"),
            "outcome": pc.if_else(
                served, "served", pc.if_else(eligible, "eligible_unserved", "other")
            ),
            "reason": _closed(t["unserved_reason"], UNSERVED_REASONS, "other"),
            "disposition": _closed(t["disposition"], DISPOSITIONS, "other"),
            "backup": pc.fill_null(backup, "not_recorded"),
            "minutes_to_dispatch": t["minutes_to_dispatch"].cast(pa.float64()),
            "minutes_to_arrival": t["minutes_to_arrival"].cast(pa.float64()),
        }
    )


def _readable(contacts: pa.Table, timezone: str) -> pa.Table:
    """READ's columns of CONTACTS, checked; the time zone checked too."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown time zone {timezone!r} (use an IANA name)") from exc
    missing = [name for name in READ if name not in contacts.column_names]
    if missing:
        raise InputError(f"contacts: missing column(s) {', '.join(missing)}")
    received = contacts.schema.field("received_at").type
    if not pa.types.is_timestamp(received) or received.tz is None:
        raise InputError("contacts: received_at must be a timezone-aware timestamp")
    return contacts.select(list(READ))


def _closed(
    column: pa.ChunkedArray, vocabulary: Sequence[str], other: str, missing: str = "not_recorded"
) -> pa.ChunkedArray:
    """COLUMN with values outside VOCABULARY as OTHER and nulls as MISSING."""
    column = column.cast(pa.string())
    inside = pc.is_in(column, value_set=pa.array(list(vocabulary), pa.string()))
    return pc.if_else(pc.is_null(column), missing, pc.if_else(inside, column, other))


def _zones(
    column: pa.ChunkedArray, threshold: int, zones: Sequence[str] | None
) -> tuple[pa.ChunkedArray, tuple[str, ...]]:
    """Zone ids to publish (ZONES, else ids with >= THRESHOLD calls) and the mapped column."""
    column = column.cast(pa.string())
    if zones is not None:
        chosen = sorted(set(zones))
    else:
        counts = column.drop_null().value_counts().to_pylist()
        chosen = sorted(
            c["values"]
            for c in counts
            if c["counts"] >= threshold
            and ZONE_ID.fullmatch(c["values"])
            and c["values"].lower() != "total"
        )
    inside = pc.is_in(column, value_set=pa.array(chosen, pa.string()))
    mapped = pc.if_else(
        pc.is_null(column), NO_ZONE, pc.if_else(pc.fill_null(inside, False), column, OTHER_ZONES)
    )
    present = set(mapped.unique().to_pylist())
    extra = tuple(z for z in (OTHER_ZONES, NO_ZONE) if z in present)
    return mapped, (*chosen, *extra)


def _periods(first: datetime, last: datetime, period: Period) -> tuple[str, ...]:
    """Every period from FIRST's to LAST's, empty ones included, as labels."""
    day, end = first.date(), last.date()
    if period is Period.DAY:
        return tuple((day + timedelta(days=k)).isoformat() for k in range((end - day).days + 1))
    monday = day - timedelta(days=day.weekday())
    weeks = (end - monday).days // 7 + 1
    return tuple(_iso_week(monday + timedelta(weeks=k)) for k in range(weeks))


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def count_tables(facts: Facts) -> list[CountTable]:
    """The count tables the dashboard publishes; shared totals make them linked."""
    p = facts.period.value
    served = (("outcome", "served"),)
    specs: list[tuple[str, str, tuple[str, ...], str, tuple[str, ...], tuple[tuple[str, str], ...]]]
    specs = [
        (f"calls_by_{p}_track", p, facts.periods, "track", facts.tracks, ()),
        ("calls_by_zone_track", "zone", facts.zones, "track", facts.tracks, ()),
        (f"calls_by_{p}_outcome", p, facts.periods, "outcome", OUTCOMES, ()),
        (
            f"unserved_by_{p}_reason",
            p,
            facts.periods,
            "reason",
            UNSERVED_REASONS,
            (("outcome", "eligible_unserved"),),
        ),
        (f"dispositions_by_{p}", p, facts.periods, "disposition", DISPOSITIONS, served),
    ]
    if facts.backup_recorded:
        specs.append((f"backup_by_{p}", p, facts.periods, "backup", BACKUP, served))
    return [_count(facts.table, *spec) for spec in specs]


def _count(
    table: pa.Table,
    name: str,
    row_dim: str,
    rows: tuple[str, ...],
    col_dim: str,
    cols: tuple[str, ...],
    where: tuple[tuple[str, str], ...],
) -> CountTable:
    """How many facts fall in each (row, column), among those matching WHERE."""
    for dim, value in where:
        table = table.filter(pc.equal(table[dim], value))
    found = table.group_by([row_dim, col_dim]).aggregate([([], "count_all")]).to_pylist()
    n = {(r[row_dim], r[col_dim]): r["count_all"] for r in found}
    counts = tuple(tuple(int(n.get((r, c), 0)) for c in cols) for r in rows)
    return CountTable(name, rows, cols, counts, row_dim, col_dim, where)


def response_times(facts: Facts, min_n: int, served_counts: dict[str, int | None]) -> StatTable:
    """Median and 90th percentile minutes of served calls, by period and overall.

    A statistic shows only when MIN_N calls stand behind it and the period's count of served
    calls is itself published (SERVED_COUNTS, by period and "all"): a statistic then tells
    nothing about how many calls there were that the counts do not already say.
    """
    p = facts.period.value
    served = facts.table.filter(pc.equal(facts.table["outcome"], "served"))
    by_period: dict[str, dict[str, list[float]]] = {}
    for _, column, _ in MEASURES:
        grouped = served.group_by([p]).aggregate([(column, "list")]).to_pylist()
        for row in grouped:
            known = [m for m in row[f"{column}_list"] if m is not None]
            by_period.setdefault(row[p], {})[column] = known
    everything = {c: [m for d in by_period.values() for m in d.get(c, [])] for _, c, _ in MEASURES}
    rows = (*facts.periods, "all")
    values = tuple(
        tuple(
            _percentile((everything if r == "all" else by_period.get(r, {})).get(c, []), q, min_n)
            if served_counts.get(r) is not None
            else None
            for _, c, q in MEASURES
        )
        for r in rows
    )
    return StatTable(f"response_times_by_{p}", rows, tuple(m[0] for m in MEASURES), values, min_n)


def _percentile(minutes: list[float], q: int, min_n: int) -> float | None:
    """The Q-th percentile to 0.1 minute, or None below MIN_N values."""
    if len(minutes) < min_n:
        return None
    return round(float(np.percentile(minutes, q)), 1)


def rates(tables: dict[str, SafeTable], period: Period) -> StatTable:
    """Share of program-eligible calls served and share of served calls with backup, by period.

    Derived from published counts only: a rate shows only when both its counts are published.
    """
    p = period.value
    outcome = tables[f"calls_by_{p}_outcome"]
    backup = tables.get(f"backup_by_{p}")
    rows = (*outcome.rows, "all")
    values = []
    for i in range(len(rows)):
        served, unserved, _, _ = outcome.grid[i]
        pair = backup.grid[i][:2] if backup is not None else (None, None)
        values.append((_share(served, unserved), _share(*pair)))
    return StatTable(f"rates_by_{p}", rows, ("share_served", "backup_share"), tuple(values), 0)


def _share(part: int | None, rest: int | None) -> float | None:
    if part is None or rest is None or part + rest == 0:
        return None
    return round(part / (part + rest), 4)
