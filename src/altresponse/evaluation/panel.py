"""A panel for the impact estimate: outcomes per zone and month (or week), from a calls table.

`altresponse evaluate panel` writes what `altresponse evaluate did` reads: one row per unit and
period, every combination present (a zone with no call in a month has zeros, not a missing row),
with counts that come from the contacts table, so they are the KPIs' counts.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pyarrow as pa

from altresponse.errors import InputError

PERIODS = {"month": "%Y-%m", "week": "%G-W%V"}
OUTCOMES = {
    "calls": "count(*)",
    "eligible": "count(*) FILTER (WHERE eligible)",
    "served": "count(*) FILTER (WHERE eligible AND served)",
    "police": "count(*) FILTER (WHERE track = 'police')",
    "community": "count(*) FILTER (WHERE track = 'community')",
    "behavioral_health": (
        "count(*) FILTER (WHERE category IN ('behavioral_health', 'suicide', 'overdose', "
        "'welfare_check', 'intoxication', 'homelessness'))"
    ),
    "arrests": "count(*) FILTER (WHERE disposition = 'arrest')",
}
"""Each outcome column of the panel and how it is counted from the contacts."""


def make_panel(contacts: pa.Table, timezone: str, *, period: str = "month") -> pa.Table:
    """Outcomes per zone and local PERIOD; every zone has a row for every period in the span."""
    if period not in PERIODS:
        raise InputError(f"--time: {period!r} is not one of {', '.join(PERIODS)}")
    try:
        ZoneInfo(timezone)  # a known zone name, before it goes into the session's settings
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise InputError(f"time zone {timezone!r} is not a known zone") from exc
    outcomes = ",\n".join(f"{sql} AS {name}" for name, sql in OUTCOMES.items())
    con = duckdb.connect()
    try:
        con.register("contacts", contacts)
        con.execute(f"SET TimeZone = '{timezone}'")
        query = f"""
            WITH c AS (
                SELECT *, strftime(received_at, '{PERIODS[period]}') AS period
                FROM contacts WHERE zone IS NOT NULL
            ),
            counted AS (SELECT zone, period, {outcomes} FROM c GROUP BY zone, period),
            grid AS (SELECT z.zone, p.period FROM (SELECT DISTINCT zone FROM c) z,
                     (SELECT DISTINCT period FROM c) p)
            SELECT grid.zone, grid.period AS {period},
                   {", ".join(f"coalesce(counted.{n}, 0) AS {n}" for n in OUTCOMES)}
            FROM grid LEFT JOIN counted USING (zone, period)
            ORDER BY grid.zone, grid.period
        """
        return con.sql(query).to_arrow_table()
    finally:
        con.close()


def write_panel(panel: pa.Table, path: Path) -> None:
    """The panel as CSV (or Parquet, by the file name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(panel, path)
        return
    import pyarrow.csv as pa_csv

    pa_csv.write_csv(panel, path)
