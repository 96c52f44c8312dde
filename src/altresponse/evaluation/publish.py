"""The public dashboard: a static folder of aggregates that never exposes a person.

`publish` reads only closed-vocabulary columns of the contacts table (publish_tables.READ),
coarsens time to a local day or ISO week and place to a zone, protects every count table
together (privacy.suppress_linked) and writes index.html, data/*.csv and metadata.json with
relative links only, so a city can host the folder anywhere.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from altresponse import __version__
from altresponse.errors import InputError
from altresponse.evaluation.privacy import DEFAULT_THRESHOLD, SafeTable, suppress_linked
from altresponse.evaluation.publish_page import SUPPRESSED, Site, render
from altresponse.evaluation.publish_tables import (
    READ,
    Period,
    StatTable,
    coarsen,
    count_tables,
    rates,
    response_times,
)
from altresponse.planning.html import write_atomic

OURS = ("calls_by_", "unserved_by_", "dispositions_by_", "backup_by_", "response_times_by_",
        "rates_by_")  # fmt: skip
"""How the names of the CSVs `publish` writes begin."""


@dataclass(frozen=True)
class PublishResult:
    """What `publish` wrote, and the protected tables behind it."""

    folder: Path
    index: Path
    files: tuple[Path, ...]
    tables: tuple[SafeTable, ...]
    statistics: tuple[StatTable, ...]
    metadata: dict[str, Any]
    left_out: int
    """Contacts without a time: in no table (they belong to no period)."""

    @property
    def suppressed(self) -> int:
        """Numbers suppressed across the count tables (a number two tables share counts twice)."""
        return sum(t.suppressed for t in self.tables)


def publish(
    contacts: pa.Table,
    timezone: str,
    out: Path,
    *,
    program_name: str,
    threshold: int = DEFAULT_THRESHOLD,
    period: Period | str = Period.WEEK,
    protection: int = 1,
    zones: Sequence[str] | None = None,
    notes: Sequence[str] = (),
    generated_at: datetime | None = None,
) -> PublishResult:
    """Write the public dashboard for CONTACTS (one row per call) into the folder OUT."""
    try:
        period = Period(period)
    except ValueError as exc:
        raise InputError(f"period: {period!r} is not one of day, week") from exc
    if threshold < 2:
        raise InputError("threshold: at least 2 (a threshold of 1 would protect nothing)")
    facts = coarsen(contacts, timezone, period, threshold=threshold, zones=zones)
    tables = suppress_linked(count_tables(facts), threshold=threshold, protection=protection)
    by_name = {t.name: t for t in tables}
    outcome = by_name[f"calls_by_{period.value}_outcome"]
    served = {
        label: row[0] for label, row in zip((*outcome.rows, "all"), outcome.grid, strict=True)
    }
    statistics = (response_times(facts, threshold, served), rates(by_name, period))
    names = [t.name for t in tables] + [s.name for s in statistics]
    files = {name: f"data/{name}.csv" for name in names}
    stamp = generated_at or datetime.now(UTC).replace(microsecond=0)
    links = {**files, "metadata": "metadata.json"}
    site = Site(program_name, period, timezone, threshold, by_name, *statistics, links, stamp,
                tuple(notes))  # fmt: skip
    metadata = _metadata(site, tables, statistics, protection)
    written = _write_site(out, site, tables, statistics, metadata)
    return PublishResult(out, written[-1], written, tuple(tables), statistics, metadata,
                         facts.left_out)  # fmt: skip


def _write_site(
    out: Path,
    site: Site,
    tables: Sequence[SafeTable],
    statistics: Sequence[StatTable],
    metadata: dict[str, Any],
) -> tuple[Path, ...]:
    """The CSVs, metadata.json and, last, index.html (so a half-written folder has no page)."""
    written = [_write_table(out / site.files[t.name], t) for t in tables]
    written += [_write_stats(out / site.files[s.name], s, site.period) for s in statistics]
    written.append(out / "metadata.json")
    write_atomic(written[-1], json.dumps(metadata, indent=2) + "\n")
    written.append(out / "index.html")
    write_atomic(written[-1], render(site))
    for old in (out / "data").glob("*.csv"):  # a stale table from an earlier run, by day say
        if old not in written and old.name.startswith(OURS):
            old.unlink()
    return tuple(written)


def _csv(rows: Sequence[Sequence[object]]) -> str:
    """ROWS as CSV text."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _write_table(path: Path, t: SafeTable) -> Path:
    """T as CSV: a header, one line per row label, the totals last; "suppressed" where hidden."""
    rows: list[list[object]] = [[t.row_dim, *t.cols, "total"]]
    for label, row in zip((*t.rows, "total"), t.grid, strict=True):
        rows.append([label, *(SUPPRESSED if v is None else v for v in row)])
    write_atomic(path, _csv(rows))
    return path


def _write_stats(path: Path, s: StatTable, period: Period) -> Path:
    """S as CSV, "suppressed" where a statistic is not published."""
    rows: list[list[object]] = [[period.value, *s.cols]]
    for label, values in zip(s.rows, s.values, strict=True):
        rows.append([label, *(SUPPRESSED if v is None else v for v in values)])
    write_atomic(path, _csv(rows))
    return path


def _metadata(
    site: Site, tables: Sequence[SafeTable], statistics: Sequence[StatTable], protection: int
) -> dict[str, Any]:
    """What the folder holds and how it was protected (no count of anything about a person)."""
    first = tables[0]
    return {
        "program": site.program_name,
        "generated_at": site.generated_at.isoformat(),
        "version": __version__,
        "period": site.period.value,
        "timezone": site.timezone,
        "first_period": first.rows[0],
        "last_period": first.rows[-1],
        "periods": len(first.rows),
        "threshold": site.threshold,
        "protection": protection,
        "zeros": "published",
        "suppressed_value": SUPPRESSED,
        "columns_read": list(READ),
        "tables": [
            {
                "name": t.name,
                "file": site.files[t.name],
                "rows": t.row_dim,
                "columns": t.col_dim,
                "values": list(t.cols),
                "suppressed_cells": t.suppressed,
            }
            for t in tables
        ],
        "statistics": [
            {
                "name": s.name,
                "file": site.files[s.name],
                "columns": list(s.cols),
                "suppressed_values": s.suppressed,
            }
            for s in statistics
        ],
        "suppressed_cells": sum(t.suppressed for t in tables),
        "audit": "every suppressed count has a feasible range of at least "
        f"{protection} given all published counts and totals (linear programming)",
    }


__all__ = ["Period", "PublishResult", "publish"]
