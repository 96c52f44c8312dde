"""The slim table the plan reads: planning-mode triage of every call, with local time and intervals.

Triage is the expensive part and every section of the report reads its result, so the triaged
calls are materialised once in DuckDB (spilling to disk past the memory limit). Every query is an
Ibis expression, compiled and run on DuckDB directly (ibis 12's fetch helpers predate DuckDB 2).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from altresponse.programs.model import Mode, Program
from altresponse.taxonomy import Taxonomy
from altresponse.triage.batch import local_time, triage_table

PUBLIC_SOURCES = ("911", "311", "988", "text", "other")
"""Sources that are a member of the public asking (`other` is the non-emergency line, walk-ins)."""
UNCERTAIN_CONFIDENCE = 0.8
"""A suggested incident type below this confidence counts as ambiguous."""
MAX_INTERVAL_MINUTES = 24 * 60
"""Longer (or negative) intervals between timestamps are data errors, left out of workload."""
MEMORY_LIMIT = "3GB"
KEEP = (
    "source",
    "zone",
    "received_at",
    "dispatched_at",
    "arrived_at",
    "cleared_at",
    "incident_type",
    "category",
    "type_source",
    "type_confidence",
    "lat",
    "lon",
    "r_idx",
    "u_option",
)


def _minutes(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    """Minutes from EARLIER to LATER; null when either is missing or the span is implausible."""
    span = (later.epoch_seconds() - earlier.epoch_seconds()) / 60.0
    return ibis.ifelse((span >= 0) & (span <= MAX_INTERVAL_MINUTES), span, ibis.null("float64"))


def fill_category(category: ir.StringValue, incident_type: ir.StringValue) -> ir.StringValue:
    """The table's category, else the one of the incident type triage found (as triage types it).

    Ingest always fills the category of a typed call; a table from elsewhere may leave it out.
    """
    taxonomy = Taxonomy.load()
    by_type = ibis.cases(
        *((incident_type == code, t.category) for code, t in taxonomy.incident_types.items()),
        else_=ibis.null("string"),
    )
    return ibis.ifelse(category.isnull() & incident_type.notnull(), by_type, category)


def slim_table(calls: ir.Table, program: Program) -> ir.Table:
    """Triaged calls with only what the report needs, times already local."""
    t = triage_table(calls, program, mode=Mode.PLANNING, keep=KEEP)
    local = local_time(program.timezone, t.received_at)
    uncertain = (t.type_source == "suggested") & (t.type_confidence < UNCERTAIN_CONFIDENCE)
    return t.select(
        source=t.source,
        incident_type=t.incident_type,
        category=fill_category(t.category, t.incident_type),
        uncertain=uncertain.fill_null(False),
        eligible=t.eligible,
        track=t.track,
        option=t.u_option,
        rule=t.r_idx,
        unserved=t.unserved_reason,
        hour=local.hour(),
        how=local.day_of_week.index() * 24 + local.hour(),
        month=local.year() * 100 + local.month(),
        day=local.date(),
        zone=t.zone,
        lat=ibis.ifelse((t.lat != 0) & (t.lon != 0), t.lat, ibis.null("float64")),
        lon=ibis.ifelse((t.lat != 0) & (t.lon != 0), t.lon, ibis.null("float64")),
        on_scene=_minutes(t.cleared_at, t.arrived_at),
        committed=_minutes(t.cleared_at, t.dispatched_at),
        received_at=t.received_at,
        has_dispatch=t.dispatched_at.notnull(),
        has_arrival=t.arrived_at.notnull(),
        has_clear=t.cleared_at.notnull(),
    )


class Engine:
    """An Ibis DuckDB connection whose compiled queries run on DuckDB directly."""

    def __init__(self, work: Path) -> None:
        self.ibis = ibis.duckdb.connect()
        self.raw = self.ibis.con  # ibis 12's own fetch helpers predate DuckDB 2
        self.raw.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.raw.execute(f"SET temp_directory = '{work}'")
        self.raw.execute("SET preserve_insertion_order = false")

    def rows(self, expr: ir.Table) -> list[tuple[Any, ...]]:
        """The rows of a query."""
        found: list[tuple[Any, ...]] = self.raw.execute(str(self.ibis.compile(expr))).fetchall()
        return found

    def one(self, expr: ir.Table) -> tuple[Any, ...]:
        """The one row of an aggregate."""
        found = self.rows(expr)
        return found[0]

    def materialise(self, name: str, expr: ir.Table) -> ir.Table:
        """Store the result of EXPR as table NAME and return it as an Ibis table."""
        self.raw.execute(f"CREATE TABLE {name} AS {self.ibis.compile(expr)}")
        return self.ibis.table(name)


@contextmanager
def engine() -> Iterator[Engine]:
    """A fresh engine whose spill folder goes when it closes."""
    with tempfile.TemporaryDirectory(prefix="altresponse-plan-") as work:
        engine = Engine(Path(work))
        try:
            yield engine
        finally:
            engine.raw.close()


def local_program(program: Program, timezone: str) -> Program:
    """PROGRAM with its hours read in TIMEZONE: a preset's hours are local wherever it runs."""
    if timezone == program.timezone:
        return program
    return program.model_copy(update={"timezone": timezone})
