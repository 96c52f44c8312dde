"""What a canonical calls table is about: volume, sources, categories, incident types."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from altresponse.calls.compile import lit
from altresponse.errors import InputError
from altresponse.taxonomy import Taxonomy

TOP_TYPES = 15


@dataclass(frozen=True)
class Share:
    """A labelled count and its share of the whole."""

    label: str
    calls: int
    share: float


@dataclass(frozen=True)
class CallsSummary:
    """The headline figures of a calls table."""

    path: str
    total_calls: int
    first_call: str | None
    last_call: str | None
    by_source: list[Share]
    by_vera_category: list[Share]
    by_category: list[Share]
    top_incident_types: list[Share]
    unmapped_calls: int

    def to_json_dict(self) -> dict[str, object]:
        """Plain data for --json."""
        return asdict(self)


def _shares(con: duckdb.DuckDBPyConnection, sql: str, total: int) -> list[Share]:
    """Rows of (label, count) as shares of `total`."""
    rows = con.execute(sql).fetchall()
    return [Share(str(label), int(n), round(n / total, 4) if total else 0.0) for label, n in rows]


def _type_label(taxonomy: Taxonomy, code: str) -> str:
    """An incident type code with its name, e.g. `WELFARE (WELFARE CHECK)`."""
    known = taxonomy.incident_types.get(code)
    return f"{code} ({known.name.lower()})" if known else code


def summarize(path: Path) -> CallsSummary:
    """Summarise a canonical Parquet file of calls."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    taxonomy = Taxonomy.load()
    con = duckdb.connect()
    try:
        vera = ", ".join(
            f"({lit(c.code)}, {lit(c.vera_category)}, {lit(c.label)})"
            for c in taxonomy.categories.values()
        )
        con.execute("CREATE TEMP TABLE cat(code VARCHAR, vera VARCHAR, label VARCHAR)")
        con.execute(f"INSERT INTO cat VALUES {vera}")
        try:
            con.execute(
                f"CREATE TEMP VIEW calls AS SELECT c.*, cat.vera, cat.label FROM "
                f"read_parquet({lit(str(path))}) c LEFT JOIN cat ON cat.code = c.category"
            )
            row = con.execute(
                "SELECT count(*), CAST(min(received_at) AS VARCHAR), "
                "CAST(max(received_at) AS VARCHAR), count(*) FILTER (incident_type IS NULL) "
                "FROM calls"
            ).fetchone()
        except duckdb.Error as exc:
            raise InputError(f"{path}: not a canonical calls table: {exc}") from exc
        assert row is not None
        total = int(row[0])

        def shares(expr: str, limit: int = 100) -> list[Share]:
            return _shares(
                con,
                f"SELECT coalesce({expr}, '(unmapped)'), count(*) FROM calls GROUP BY 1 "
                f"ORDER BY 2 DESC, 1 LIMIT {limit}",
                total,
            )

        return CallsSummary(
            path=str(path),
            total_calls=total,
            first_call=row[1],
            last_call=row[2],
            by_source=shares("source"),
            by_vera_category=shares("vera"),
            by_category=shares("label"),
            top_incident_types=[
                Share(_type_label(taxonomy, s.label), s.calls, s.share)
                for s in shares("incident_type", TOP_TYPES)
            ],
            unmapped_calls=int(row[3]),
        )
    finally:
        con.close()


def unmapped_types(path: Path, limit: int = 50) -> list[tuple[str, int]]:
    """Local types that got no incident type, by call volume."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    con = duckdb.connect()
    try:
        return [
            (str(t), int(n))
            for t, n in con.execute(
                f"SELECT coalesce(local_type, '(no local type)'), count(*) "
                f"FROM read_parquet({lit(str(path))}) WHERE incident_type IS NULL "
                f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(limit)}"
            ).fetchall()
        ]
    except duckdb.Error as exc:
        raise InputError(f"{path}: not a canonical calls table: {exc}") from exc
    finally:
        con.close()
