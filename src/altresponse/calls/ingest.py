"""Ingest a source file into canonical Parquet through DuckDB, quarantining rows it cannot read."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from altresponse.calls.adapter import Duplicates, SourceAdapter, raw_column_name
from altresponse.calls.compile import (
    ident,
    lit,
    reason_expr,
    screening_expr,
    text_column,
    text_expr,
    typed_expr,
)
from altresponse.calls.readers import REJECTS, first_line, load_raw
from altresponse.calls.record import CALL_FIELDS
from altresponse.calls.typemap import stage_types
from altresponse.errors import ConfigError, InputError

DEFAULT_MAX_QUARANTINE = 0.05
METADATA_PREFIX = "altresponse."
Progress = Callable[[str, float], None]
"""Called with a stage label and percent done (0-100, or -1 when unknown)."""


@dataclass(frozen=True)
class IngestResult:
    """What an ingest read, wrote and set aside."""

    source: str
    input: str
    output: str
    quarantine: str | None
    rows_read: int
    rows_written: int
    rows_quarantined: int
    duplicates: int
    typed_calls: int
    seconds: float
    top_reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def typed_share(self) -> float:
        """Share of written calls that got an incident type."""
        return self.typed_calls / self.rows_written if self.rows_written else 0.0

    def to_json_dict(self) -> dict[str, object]:
        """The summary as plain data for --json."""
        return asdict(self) | {"typed_share": round(self.typed_share, 4)}


def ingest_stamp(path: Path) -> dict[str, str]:
    """What ingest recorded in a canonical Parquet file (empty for files from elsewhere)."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    return {
        key.decode()[len(METADATA_PREFIX) :]: value.decode()
        for key, value in metadata.items()
        if key.decode().startswith(METADATA_PREFIX)
    }


def quarantine_path(output: Path) -> Path:
    """Where rows set aside from `output` are written."""
    return output.with_name(output.name.removesuffix(".parquet") + ".quarantine.csv")


@contextmanager
def _watch(con: duckdb.DuckDBPyConnection, label: str, progress: Progress | None) -> Iterator[None]:
    """Report a running query's progress from a helper thread."""
    if progress is None:
        yield
        return
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.2):
            progress(label, con.query_progress())

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        progress(label, 100.0)


def _connect(adapter: SourceAdapter, spill: Path) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB whose session timezone is the source's own."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    con.execute(f"SET TimeZone = {lit(adapter.timezone)}")
    con.execute(f"SET temp_directory = {lit(str(spill))}")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return con


def _check_columns(path: Path, adapter: SourceAdapter, header: list[str]) -> None:
    """The file has every column the adapter reads, or one line says which are missing."""
    missing = [c for c in adapter.source_columns(required_only=True) if c not in header]
    if missing:
        shown = ", ".join(header[:12]) + (" ..." if len(header) > 12 else "")
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)} that source '{adapter.name}' "
            f"reads (file has: {shown})"
        )


def _check_expressions(con: duckdb.DuckDBPyConnection, path: Path, adapter: SourceAdapter) -> None:
    """Every field's expression binds against this file, or one line names the field."""
    for name, spec in adapter.fields.items():
        try:
            con.execute(f"SELECT {text_expr(name, spec)} FROM raw LIMIT 0").fetchall()
        except duckdb.Error as exc:
            raise InputError(
                f"{path}: field {name} of source '{adapter.name}' ({adapter.path}) cannot be "
                f"read from this file: {first_line(exc)}"
            ) from exc


def _stage(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter, header: list[str]) -> list[str]:
    """Create views l1 (texts) and l2 (typed + reason); returns the raw_* columns kept."""
    used = set(adapter.source_columns()) | set(adapter.drop_columns)
    raw_cols = {raw_column_name(c): c for c in header if c not in used}
    texts = [f"{text_expr(n, spec)} AS {text_column(n)}" for n, spec in adapter.fields.items()]
    raws = [f"{ident(src)} AS {ident(dst)}" for dst, src in raw_cols.items()]
    con.execute(
        "CREATE TEMP VIEW l1 AS SELECT rowid + 1 AS _row, "
        + ", ".join([*texts, *raws])
        + " FROM raw"
    )
    typed = [f"{typed_expr(n, adapter).value} AS {ident(n)}" for n in adapter.fields]
    con.execute(
        "CREATE TEMP VIEW l2 AS SELECT _row, "
        + ", ".join([*typed, f"{reason_expr(adapter)} AS _reason", *map(ident, raw_cols)])
        + " FROM l1"
    )
    try:
        con.execute("SELECT * FROM l2 LIMIT 0").fetchall()
    except duckdb.Error as exc:
        raise ConfigError(f"{adapter.path}: a field's expression fails: {exc}") from exc
    return list(raw_cols)


def _dedupe(con: duckdb.DuckDBPyConnection, policy: Duplicates) -> None:
    """View l4: each good row knows the row it repeats (_dup_of), per the duplicates policy."""
    keep = "max(_row)" if policy is Duplicates.KEEP_LAST else "min(_row)"
    con.execute(
        f"""CREATE TEMP TABLE _dups AS SELECT call_id, {keep} AS keep FROM staged
        WHERE _reason IS NULL GROUP BY call_id HAVING count(*) > 1"""
    )
    con.execute(
        """CREATE TEMP VIEW l4 AS SELECT s.*,
          CASE WHEN s._reason IS NULL AND d.keep <> s._row THEN d.keep END AS _dup_of
        FROM staged s LEFT JOIN _dups d ON d.call_id = s.call_id"""
    )


def _output_select(adapter: SourceAdapter, raw_cols: list[str]) -> str:
    """The canonical columns in order, each cast to its declared type, then raw_* columns."""
    derived = {"incident_type", "category", "type_source", "type_confidence"}  # from staged
    cols = []
    for f in CALL_FIELDS:
        if f.name == "screening":
            value = screening_expr(adapter)
        elif f.name in adapter.fields or f.name in derived:
            value = ident(f.name)
        elif f.name == "agency":
            value = lit(adapter.agency)
        else:
            value = "NULL"
        cols.append(f"CAST({value} AS {f.duckdb}) AS {ident(f.name)}")
    return ", ".join([*cols, *map(ident, raw_cols)])


def _quarantine_sql(policy: Duplicates) -> str:
    """Every row set aside, with its place in the file, the reason, and the original values."""
    dup_reason = (
        "'call_id repeats row ' || _dup_of"
        if policy is Duplicates.QUARANTINE
        else "'duplicate: superseded by row ' || _dup_of || ' (same call_id)'"
    )
    return f"""
      SELECT b._row AS source_row, CAST(NULL AS BIGINT) AS source_line, b.reason,
        to_json(r.raw) AS record
      FROM (SELECT _row, coalesce(_reason, {dup_reason}) AS reason FROM l4
            WHERE _reason IS NOT NULL OR _dup_of IS NOT NULL) b
      JOIN (SELECT rowid + 1 AS _row, raw FROM raw) r ON r._row = b._row
      UNION ALL
      SELECT NULL, line, error_type || ': ' || error_message, to_json({{'line': csv_line}})
      FROM {REJECTS}
      ORDER BY source_row NULLS LAST, source_line"""


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """A single integer from a query."""
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _too_many_bad(
    path: Path, con: duckdb.DuckDBPyConnection, bad: int, read: int, limit: float
) -> None:
    """Refuse a file most of whose rows cannot be read: that is a wrong adapter, not bad rows."""
    if read and bad / read <= limit:
        return
    example = con.execute(
        "SELECT coalesce('row ' || source_row, 'line ' || source_line), reason FROM _q "
        "WHERE kind NOT LIKE 'duplicate%' ORDER BY source_row NULLS LAST, source_line LIMIT 1"
    ).fetchone()
    where, reason = example if example else ("", "")
    raise InputError(
        f"{path}: {bad:,} of {read:,} rows ({bad / max(read, 1):.1%}) cannot be read, over the "
        f"{limit:.0%} limit; first at {where}: {reason} "
        "(check the file against its source adapter, or raise --max-quarantine)"
    )


@dataclass(frozen=True)
class _Job:
    """One ingest: where from, where to, the work folder, and how to report."""

    path: Path
    output: Path
    work: Path
    progress: Progress | None
    max_quarantine: float

    @property
    def staged_output(self) -> Path:
        """The Parquet file as written, before it is moved into place."""
        return self.work / "calls.parquet"

    @property
    def staged_quarantine(self) -> Path:
        """The quarantine file as written, before it is moved into place."""
        return self.work / "quarantine.csv"


def ingest(
    path: Path,
    adapter: SourceAdapter,
    output: Path,
    *,
    progress: Progress | None = None,
    max_quarantine: float = DEFAULT_MAX_QUARANTINE,
) -> IngestResult:
    """Read `path` with `adapter`, write canonical Parquet to `output` and bad rows beside it."""
    start = time.perf_counter()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".ingest-") as tmp:
        job = _Job(path, output, Path(tmp), progress, max_quarantine)
        con = _connect(adapter, job.work / "spill")
        try:
            adapter, raw_cols, rows_read = _prepare(con, job, adapter)
            set_aside, duplicates = _set_aside(con, job, rows_read, adapter.duplicates)
            stamp = {
                "source": adapter.name,
                "timezone": adapter.timezone,
                "rows_read": str(rows_read),
                "rows_quarantined": str(set_aside),
                "duplicates": str(duplicates),
            }
            written, typed = _write_calls(con, job, adapter, raw_cols, stamp)
            top = con.execute(
                "SELECT kind, count(*) FROM _q GROUP BY kind ORDER BY 2 DESC, 1 LIMIT 5"
            ).fetchall()
        finally:
            con.close()
        quarantine = _publish(job, has_quarantine=bool(set_aside + duplicates))
    return IngestResult(
        source=adapter.name,
        input=str(path),
        output=str(output),
        quarantine=str(quarantine) if quarantine else None,
        rows_read=rows_read,
        rows_written=written,
        rows_quarantined=set_aside,
        duplicates=duplicates,
        typed_calls=typed,
        seconds=round(time.perf_counter() - start, 3),
        top_reasons=[(str(k), int(n)) for k, n in top],
    )


def _prepare(
    con: duckdb.DuckDBPyConnection, job: _Job, adapter: SourceAdapter
) -> tuple[SourceAdapter, list[str], int]:
    """Read the file, check it fits the adapter, parse every row once and map types."""
    with _watch(con, "reading", job.progress):
        header = load_raw(con, job.path, adapter.file)
    with suppress(duckdb.Error):  # only CSV reading creates it
        con.execute(
            f"CREATE TEMP TABLE {REJECTS} (line BIGINT, error_type VARCHAR, "
            "error_message VARCHAR, csv_line VARCHAR)"
        )
    _check_columns(job.path, adapter, header)
    adapter = adapter.for_columns(header)
    rows_read = _count(con, "SELECT count(*) FROM raw") + _count(
        con, f"SELECT count(DISTINCT line) FROM {REJECTS}"
    )
    if rows_read == 0:
        raise InputError(f"{job.path}: no data rows (only a header)")
    _check_expressions(con, job.path, adapter)
    raw_cols = _stage(con, adapter, header)
    with _watch(con, "mapping types", job.progress):
        stage_types(con, adapter)
        _dedupe(con, adapter.duplicates)
    return adapter, raw_cols, rows_read


def _set_aside(
    con: duckdb.DuckDBPyConnection, job: _Job, rows_read: int, policy: Duplicates
) -> tuple[int, int]:
    """Collect every row set aside into _q and write the quarantine file; refuse a bad file."""
    with _watch(con, "checking rows", job.progress):
        con.execute(
            "CREATE TEMP TABLE _q AS SELECT *, CASE WHEN reason LIKE 'duplicate:%' THEN "
            "'duplicate (merged)' WHEN reason LIKE 'call_id repeats%' THEN 'call_id repeats' "
            "ELSE split_part(split_part(reason, ';', 1), ':', 1) END AS kind FROM ("
            + _quarantine_sql(policy)
            + ")"
        )
    duplicates = _count(con, "SELECT count(*) FROM _q WHERE kind = 'duplicate (merged)'")
    set_aside = _count(con, "SELECT count(*) FROM _q") - duplicates
    _too_many_bad(job.path, con, set_aside, rows_read, job.max_quarantine)
    if set_aside + duplicates:
        con.execute(
            "COPY (SELECT source_row, source_line, reason, record FROM _q) "
            f"TO {lit(str(job.staged_quarantine))} (FORMAT csv, HEADER)"
        )
    return set_aside, duplicates


def _write_calls(
    con: duckdb.DuckDBPyConnection,
    job: _Job,
    adapter: SourceAdapter,
    raw_cols: list[str],
    stamp: dict[str, str],
) -> tuple[int, int]:
    """Write the good rows, in file order, as canonical Parquet; returns (written, typed).

    STAMP goes into the file's key-value metadata under `altresponse.` (source, time zone and
    the ingest counts), so that later steps (the plan's data-quality section) can tell them.
    """
    target = lit(str(job.staged_output))
    metadata = ", ".join(f"{lit(METADATA_PREFIX + k)}: {lit(v)}" for k, v in stamp.items())
    with _watch(con, "writing", job.progress):
        written = _count(
            con,
            f"COPY (SELECT {_output_select(adapter, raw_cols)} FROM l4 "
            f"WHERE _reason IS NULL AND _dup_of IS NULL ORDER BY _row) TO {target} "
            f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {{{metadata}}})",
        )
    typed = _count(con, f"SELECT count(*) FROM read_parquet({target}) WHERE category IS NOT NULL")
    return written, typed


def _publish(job: _Job, *, has_quarantine: bool) -> Path | None:
    """Move the finished files into place; a stale quarantine file from an earlier run goes."""
    quarantine = quarantine_path(job.output)
    if has_quarantine:
        job.staged_quarantine.replace(quarantine)
    else:
        quarantine.unlink(missing_ok=True)
    job.staged_output.replace(job.output)
    return quarantine if has_quarantine else None
