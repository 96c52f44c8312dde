"""Ingest stage: incident types for the distinct local types, joined onto every parsed row."""

from __future__ import annotations

import duckdb

from altresponse.calls.adapter import MapValue, SourceAdapter
from altresponse.calls.compile import lit
from altresponse.calls.record import TypeSource
from altresponse.taxonomy import Taxonomy, TypeMapper, load_crosswalk


def stage_types(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter) -> None:
    """Map each distinct local type once, then build the table `staged` from view l2."""
    _type_table(con, adapter)
    _resolve(con, adapter)


def _type_table(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter) -> None:
    """Map each distinct local type once, in Python, into the small table _types."""
    crosswalk_file = adapter.crosswalk_path()
    mapper = TypeMapper(load_crosswalk(crosswalk_file) if crosswalk_file else None)
    taxonomy = Taxonomy.load()
    locals_: list[str] = []
    if "local_type" in adapter.fields:
        query = "SELECT DISTINCT local_type FROM l2 WHERE local_type IS NOT NULL"
        locals_ = [r[0] for r in con.execute(query).fetchall()]
    found = mapper.map_many(locals_)
    crosswalked = TypeSource.CROSSWALK.value
    rows: list[tuple[MapValue, ...]] = [
        (
            local,
            s.incident_type,
            (crosswalked if s.method == "crosswalk" else TypeSource.SUGGESTED.value)
            if s.incident_type
            else TypeSource.UNMAPPED.value,
            s.confidence if s.incident_type else None,
        )
        for local, s in zip(locals_, found, strict=True)
    ]
    # SQL VALUES rather than Arrow: DuckDB's Arrow scans import pandas, which costs a second.
    _create_values(
        con,
        "_types",
        "local_type VARCHAR, m_type VARCHAR, m_source VARCHAR, m_confidence DOUBLE",
        rows,
    )
    codes: list[tuple[MapValue, ...]] = [
        (t.code, t.category) for t in taxonomy.incident_types.values()
    ]
    _create_values(con, "_codes", "code VARCHAR, code_category VARCHAR", codes)


def _create_values(
    con: duckdb.DuckDBPyConnection, name: str, columns: str, rows: list[tuple[MapValue, ...]]
) -> None:
    """A small temp table from literal rows."""
    con.execute(f"CREATE TEMP TABLE {name} ({columns})")
    for i in range(0, len(rows), 1000):
        values = ", ".join("(" + ", ".join(map(_literal, r)) + ")" for r in rows[i : i + 1000])
        con.execute(f"INSERT INTO {name} VALUES {values}")


def _literal(value: MapValue) -> str:
    """A SQL literal keeping numbers numeric."""
    if isinstance(value, float):
        return repr(value)
    return lit(value)


def _resolve(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter) -> None:
    """Table staged: every row parsed once, with incident type, category and type provenance."""
    null = "CAST(NULL AS VARCHAR)"
    mapped = adapter.fields
    given = "l2.incident_type" if "incident_type" in mapped else null
    local = "l2.local_type" if "local_type" in mapped else null
    given_source = "l2.type_source" if "type_source" in mapped else null
    given_confidence = "l2.type_confidence" if "type_confidence" in mapped else "NULL"
    replaced = [n for n in ("incident_type", "type_source", "type_confidence") if n in mapped]
    con.execute(
        f"""CREATE TEMP TABLE staged AS
        SELECT l2.* EXCLUDE (_reason{"".join(", " + n for n in replaced)}),
          coalesce({given}, t.m_type) AS incident_type,
          c.code_category AS category,
          CASE WHEN {given} IS NOT NULL THEN coalesce({given_source}, {lit(TypeSource.SOURCE)})
               WHEN {local} IS NULL THEN {lit(TypeSource.UNMAPPED)}
               ELSE t.m_source END AS type_source,
          CASE WHEN {given} IS NOT NULL THEN coalesce({given_confidence}, 1.0)
               ELSE t.m_confidence END AS type_confidence,
          coalesce(l2._reason, CASE WHEN {given} IS NOT NULL AND gc.code IS NULL
            THEN 'incident_type: ' || {given} || ' is not a known incident type' END) AS _reason
        FROM l2
        LEFT JOIN _types t ON t.local_type = {local}
        LEFT JOIN _codes gc ON gc.code = {given}
        LEFT JOIN _codes c ON c.code = coalesce({given}, t.m_type)"""
    )
