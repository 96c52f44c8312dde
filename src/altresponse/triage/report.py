"""What a table of decisions says: eligible share, tracks, unserved reasons, deciding rules."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb


@dataclass(frozen=True)
class DecisionsSummary:
    """Counts over a decisions Parquet file written by `altresponse triage`."""

    calls: int
    eligible: int
    served: int
    by_track: dict[str, int]
    unserved: dict[str, int]
    eligible_by_rule: dict[str, int]

    @property
    def eligible_share(self) -> float:
        """Eligible calls as a share of all calls."""
        return self.eligible / self.calls if self.calls else 0.0

    def to_json_dict(self) -> dict[str, Any]:
        """The summary as plain JSON values."""
        return {**asdict(self), "eligible_share": round(self.eligible_share, 4)}


def _counts(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    """A two-column query as {key: count}, largest first."""
    return {str(key): int(n) for key, n in con.execute(sql).fetchall()}


def summarize_decisions(path: Path) -> DecisionsSummary:
    """Summarize a decisions Parquet file."""
    con = duckdb.connect()
    con.read_parquet(str(path)).create_view("d")
    calls, eligible, served = con.execute(
        "SELECT count(*), count(*) FILTER (eligible), "
        "count(*) FILTER (eligible AND unserved_reason IS NULL) FROM d"
    ).fetchall()[0]
    return DecisionsSummary(
        calls=int(calls),
        eligible=int(eligible),
        served=int(served),
        by_track=_counts(con, "SELECT track, count(*) n FROM d GROUP BY 1 ORDER BY n DESC, 1"),
        unserved=_counts(
            con,
            "SELECT unserved_reason, count(*) n FROM d WHERE unserved_reason IS NOT NULL "
            "GROUP BY 1 ORDER BY n DESC, 1",
        ),
        eligible_by_rule=_counts(
            con,
            "SELECT reasons[1].id, count(*) n FROM d WHERE eligible GROUP BY 1 ORDER BY n DESC, 1",
        ),
    )
