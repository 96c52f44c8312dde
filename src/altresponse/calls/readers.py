"""Load a source file into DuckDB as an all-text table `raw`, one row per source row, in order."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from altresponse.calls.adapter import FileFormat, FileSpec
from altresponse.calls.compile import ident, lit
from altresponse.errors import InputError

REJECTS = "_rejects"


def detect_format(path: Path, spec: FileSpec) -> FileFormat:
    """The file's format: as the adapter says, else from its name."""
    if spec.format is not FileFormat.AUTO:
        return spec.format
    name = path.name.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return FileFormat.XLSX
    if name.endswith(".parquet"):
        return FileFormat.PARQUET
    return FileFormat.CSV


def _unique(names: list[str]) -> list[str]:
    """Column names made unique (a repeated header gets _2, _3 ...) and never blank."""
    seen: dict[str, int] = {}
    result = []
    for i, raw in enumerate(names):
        name = raw.strip() or f"column{i + 1}"
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return result


def read_csv_header(path: Path, spec: FileSpec) -> list[str]:
    """The header row, read with the adapter's dialect and encoding."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(1 << 20)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    if not head.strip():
        raise InputError(f"{path}: file is empty")
    encoding = "utf-8-sig" if spec.encoding.lower().replace("_", "-") == "utf-8" else spec.encoding
    text = head.decode(encoding, errors="replace").splitlines()[0]
    if "\ufffd" in text or "\x00" in text:
        raise InputError(
            f"{path}: header is not valid {spec.encoding} text "
            f"(set file.encoding in the source adapter, e.g. latin-1 or utf-16)"
        )
    row = next(csv.reader(io.StringIO(text), delimiter=spec.delimiter, quotechar=spec.quote or '"'))
    return _unique(row)


def load_csv(con: duckdb.DuckDBPyConnection, path: Path, spec: FileSpec) -> list[str]:
    """CSV (plain or gzipped) with the stated dialect; unreadable lines go to the rejects table."""
    header = read_csv_header(path, spec)
    columns = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in header) + "}"
    options = [
        "auto_detect=false",
        "header=true",
        f"columns={columns}",
        f"delim={lit(spec.delimiter)}",
        f"quote={lit(spec.quote)}",
        f"escape={lit(spec.escape)}",
        f"encoding={lit(spec.encoding)}",
        "store_rejects=true",
        f"rejects_table='{REJECTS}'",
        f"rejects_scan='{REJECTS}_scan'",
        "max_line_size=4000000",
    ]
    sql = f"CREATE TEMP TABLE raw AS SELECT * FROM read_csv({lit(str(path))}, {', '.join(options)})"
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as CSV: {first_line(exc)}") from exc
    return header


def load_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Parquet; struct columns are flattened to parent.child text columns."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot read as Parquet: {exc}") from exc
    selects, names = [], []
    for column in schema:
        if pa.types.is_struct(column.type):
            for child in column.type:
                names.append(f"{column.name}.{child.name}")
                selects.append(
                    f"CAST({ident(column.name)}.{ident(child.name)} AS VARCHAR) "
                    f"AS {ident(names[-1])}"
                )
        else:
            names.append(column.name)
            selects.append(f"CAST({ident(column.name)} AS VARCHAR) AS {ident(column.name)}")
    try:
        con.execute(
            f"CREATE TEMP TABLE raw AS SELECT {', '.join(selects)} "
            f"FROM read_parquet({lit(str(path))})"
        )
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as Parquet: {first_line(exc)}") from exc
    return names


def _cell(value: object) -> str | None:
    """An Excel cell as text; whole floats lose their .0, datetimes are ISO."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def load_xlsx(con: duckdb.DuckDBPyConnection, path: Path, spec: FileSpec) -> list[str]:
    """XLSX: cells become text columns in Arrow, then DuckDB takes over."""
    from openpyxl import load_workbook  # imported here: only XLSX ingest pays for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InputError(f"{path}: cannot read as XLSX: {exc}") from exc
    try:
        sheet = book[spec.sheet] if spec.sheet else book.worksheets[0]
    except KeyError as exc:
        raise InputError(f"{path}: no sheet named {spec.sheet!r}") from exc
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None:
        raise InputError(f"{path}: file is empty")
    header = _unique([_cell(v) or "" for v in first])
    columns: list[list[str | None]] = [[] for _ in header]
    for row in rows:
        if all(v is None for v in row):
            continue
        for i in range(len(header)):
            columns[i].append(_cell(row[i]) if i < len(row) else None)
    book.close()
    table = pa.table(
        {name: pa.array(col, pa.string()) for name, col in zip(header, columns, strict=True)}
    )
    con.from_arrow(table).create("raw")
    return header


def load_raw(con: duckdb.DuckDBPyConnection, path: Path, spec: FileSpec) -> list[str]:
    """Load any supported file into the temp table `raw`; returns its column names."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")
    fmt = detect_format(path, spec)
    if fmt is FileFormat.XLSX:
        return load_xlsx(con, path, spec)
    if fmt is FileFormat.PARQUET:
        return load_parquet(con, path)
    return load_csv(con, path, spec)


def first_line(exc: BaseException) -> str:
    """The first line of a DuckDB message, without its error-class prefix."""
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return line.split("Error: ", 1)[-1]
