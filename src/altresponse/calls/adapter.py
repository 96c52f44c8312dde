"""Source adapters: one YAML file per data source says how its columns become canonical fields."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from altresponse.calls.record import (
    CallSource,
    Disposition,
    SuicideRisk,
    TypeSource,
    field_by_name,
)
from altresponse.datafiles import TimeZoneName, load_model
from altresponse.errors import ConfigError, NotFoundError

ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "source": CallSource,
    "disposition": Disposition,
    "screening.suicide_risk": SuicideRisk,
    "type_source": TypeSource,
}
DERIVED_FIELDS = ("category",)
MapValue = str | int | float | bool | None


class FileFormat(StrEnum):
    """File formats ingest reads."""

    AUTO = "auto"
    CSV = "csv"
    XLSX = "xlsx"
    PARQUET = "parquet"


class Duplicates(StrEnum):
    """What to do with several rows that share a call_id."""

    QUARANTINE = "quarantine"
    KEEP_FIRST = "keep_first"
    KEEP_LAST = "keep_last"


class FileSpec(BaseModel):
    """How to read the file: format and CSV dialect (stated, never sniffed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: FileFormat = FileFormat.AUTO
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quote: str = Field(default='"', max_length=1)
    escape: str = Field(default='"', max_length=1)
    encoding: str = "utf-8"
    sheet: str | None = None


class FieldSpec(BaseModel):
    """How one canonical field is derived from source columns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str | None = None
    columns: tuple[str, ...] | None = None
    sep: str = " "
    value: MapValue = None
    sql: str | None = None
    formats: tuple[str, ...] = ()
    epoch: str | None = Field(default=None, pattern="^(s|ms)$")
    not_before: str | None = None
    map: dict[str, MapValue] = Field(default_factory=dict)
    default: MapValue = None
    null_values: tuple[str, ...] = ()
    null_pattern: str | None = None
    reads: tuple[str, ...] = ()
    optional: bool = False

    @model_validator(mode="after")
    def _one_origin(self) -> FieldSpec:
        """Exactly one of column, columns, value, sql says where the field comes from."""
        given = [n for n in ("column", "columns", "value", "sql") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of column, columns, value, sql (got {given or 0})")
        if "default" in self.model_fields_set and not self.map:
            raise ValueError("'default' only applies together with 'map'")
        if self.reads and self.sql is None:
            raise ValueError("'reads' names the columns of an 'sql' expression")
        if self.null_pattern is not None:
            try:
                re.compile(self.null_pattern)
            except re.error as exc:
                raise ValueError(f"null_pattern is not a regular expression: {exc}") from exc
        return self

    def source_columns(self) -> tuple[str, ...]:
        """The source columns this field reads (sql expressions are checked by DuckDB)."""
        if self.column is not None:
            return (self.column,)
        return self.columns or self.reads


class SourceAdapter(BaseModel):
    """One data source: where it comes from, how to read it, how each canonical field is made."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    agency: str
    timezone: TimeZoneName
    provenance: str = ""
    file: FileSpec = Field(default_factory=FileSpec)
    fields: dict[str, FieldSpec]
    crosswalk: str | None = None
    duplicates: Duplicates = Duplicates.QUARANTINE
    drop_columns: tuple[str, ...] = ()
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        """Every key names a canonical field, and the required ones are present."""
        canonical = field_by_name()
        for name, spec in fields.items():
            _check_field(name, spec, canonical)
        if {"type_source", "type_confidence"} & set(fields) and "incident_type" not in fields:
            raise ValueError("type_source and type_confidence describe a mapped incident_type")
        missing = [n for n in ("call_id", "received_at") if n not in fields]
        if missing:
            raise ValueError(f"required canonical field(s) not mapped: {', '.join(missing)}")
        return fields

    def source_columns(self, *, required_only: bool = False) -> tuple[str, ...]:
        """Every source column the adapter reads (or only those the file must have)."""
        seen: dict[str, None] = {}
        for spec in self.fields.values():
            if not (required_only and spec.optional):
                seen.update(dict.fromkeys(spec.source_columns()))
        return tuple(seen)

    def for_columns(self, header: list[str]) -> SourceAdapter:
        """This adapter without the optional fields whose columns the file lacks."""
        present = set(header)
        fields = {
            name: spec
            for name, spec in self.fields.items()
            if not spec.optional or set(spec.source_columns()) <= present
        }
        return self.model_copy(update={"fields": fields})

    def crosswalk_path(self) -> Path | None:
        """The per-source crosswalk CSV, resolved next to the adapter file."""
        if self.crosswalk is None:
            return None
        base = self.path.parent if self.path is not None else Path.cwd()
        return base / self.crosswalk


def _check_field(name: str, spec: FieldSpec, canonical: dict[str, Any]) -> None:
    """Validate one field spec against the canonical record."""
    if name not in canonical:
        raise ValueError(f"{name!r} is not a canonical field (see docs/call-record.md)")
    if name in DERIVED_FIELDS:
        raise ValueError(f"{name!r} is derived from incident_type; map incident_type instead")
    duck = canonical[name].duckdb
    if (spec.formats or spec.epoch or spec.not_before) and duck != "TIMESTAMPTZ":
        raise ValueError(f"{name}: formats, epoch and not_before are for timestamps only")
    if spec.not_before is not None and spec.not_before not in canonical:
        raise ValueError(f"{name}: not_before must name a canonical timestamp field")
    enum = ENUM_FIELDS.get(name)
    if enum is None:
        return
    allowed = {m.value for m in enum}
    targets = [*spec.map.values(), spec.default, spec.value]
    bad = sorted({str(t) for t in targets if t is not None and str(t) not in allowed})
    if bad:
        raise ValueError(f"{name}: {', '.join(bad)} not one of {', '.join(sorted(allowed))}")


def builtin_dir() -> Path:
    """The folder of adapters shipped with altresponse."""
    return Path(str(resources.files("altresponse.calls") / "sources"))


def search_dirs(extra: tuple[Path, ...] = ()) -> list[Path]:
    """Adapter folders: the extra ones (settings) first, then the built-in ones."""
    return [*extra, builtin_dir()]


@cache
def load_adapter(path: Path) -> SourceAdapter:
    """Read and validate one adapter file."""
    adapter = load_model(path, SourceAdapter)
    if adapter.name != path.stem:
        raise ConfigError(
            f"{path}:1: name: {adapter.name!r} must match the file name {path.stem!r}"
        )
    return adapter.model_copy(update={"path": path})


def iter_adapter_files(extra: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Every adapter YAML file on the search path, earlier folders shadowing later ones."""
    seen: set[str] = set()
    for folder in search_dirs(extra):
        for path in sorted(folder.glob("*.yaml")):
            if path.stem not in seen:
                seen.add(path.stem)
                yield path


def find_adapter(name_or_path: str, extra: tuple[Path, ...] = ()) -> SourceAdapter:
    """An adapter by name (on the search path) or by the path of a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return load_adapter(candidate.resolve())
    for path in iter_adapter_files(extra):
        if path.stem == name_or_path:
            return load_adapter(path)
    names = ", ".join(p.stem for p in iter_adapter_files(extra))
    raise NotFoundError(f"unknown source {name_or_path!r}; known sources: {names}")


def raw_column_name(column: str) -> str:
    """The raw_* name under which an unmapped source column is kept."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", column).strip("_").lower()
    return slug if slug.startswith("raw_") else f"raw_{slug or 'column'}"
