"""Compile a source adapter into DuckDB SQL: typed canonical fields plus a reason for bad rows."""

from __future__ import annotations

from dataclasses import dataclass

from altresponse.calls.adapter import ENUM_FIELDS, FieldSpec, MapValue, SourceAdapter
from altresponse.calls.record import (
    REQUIRED_FIELDS,
    SCREENING_FIELDS,
    field_by_name,
)

TRUE_WORDS = ("TRUE", "T", "YES", "Y", "1")
FALSE_WORDS = ("FALSE", "F", "NO", "N", "0")
SHOWN_VALUE_CHARS = 40


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: MapValue) -> str:
    """A SQL literal for a map value (booleans and numbers as text, like every source value)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    return "'" + str(value).replace("'", "''") + "'"


def text_column(name: str) -> str:
    """The level-1 column holding a field's cleaned source text."""
    return ident(f"_t:{name}")


def _origin(spec: FieldSpec, *, whole: bool) -> str:
    """The field's source text before mapping: trimmed, empty as NULL.

    With `whole` (timestamps), joined columns give NULL when any part is blank: a date without
    its time is not a time.
    """
    if spec.column is not None:
        return f"nullif(trim({ident(spec.column)}), '')"
    if spec.columns is not None:
        parts = [f"nullif(trim({ident(c)}), '')" for c in spec.columns]
        if whole:
            return "(" + f" || {lit(spec.sep)} || ".join(parts) + ")"
        return f"nullif(concat_ws({lit(spec.sep)}, {', '.join(parts)}), '')"
    if spec.sql is not None:
        return f"nullif(trim(CAST(({spec.sql}) AS VARCHAR)), '')"
    return f"CAST({lit(spec.value)} AS VARCHAR)"


def _mapped(spec: FieldSpec, text: str) -> str:
    """Apply null_values and the value map (case-insensitive; a key ending in * is a prefix)."""
    if spec.null_values:
        nulls = ", ".join(lit(v.upper()) for v in spec.null_values)
        text = f"(CASE WHEN upper({text}) IN ({nulls}) THEN NULL ELSE {text} END)"
    if spec.null_pattern is not None:
        pattern = lit(spec.null_pattern)
        text = f"(CASE WHEN regexp_full_match({text}, {pattern}) THEN NULL ELSE {text} END)"
    if not spec.map:
        return text
    whens = []
    for key, target in spec.map.items():
        upper = key.upper()
        if upper.endswith("*"):
            whens.append(f"WHEN starts_with(upper({text}), {lit(upper[:-1])}) THEN {lit(target)}")
        else:
            whens.append(f"WHEN upper({text}) = {lit(upper)} THEN {lit(target)}")
    fallback = lit(spec.default) if "default" in spec.model_fields_set else text
    return f"(CASE WHEN {text} IS NULL THEN NULL {' '.join(whens)} ELSE {fallback} END)"


def text_expr(name: str, spec: FieldSpec) -> str:
    """Level 1: a field's mapped text from the raw row."""
    whole = field_by_name()[name].duckdb == "TIMESTAMPTZ"
    return _mapped(spec, _origin(spec, whole=whole))


@dataclass(frozen=True)
class Typed:
    """A field's typed expression, and the expression that is true when its text failed to parse."""

    value: str
    failed: str
    expected: str


def _timestamp(name: str, spec: FieldSpec, adapter: SourceAdapter) -> Typed:
    """Parse text as a timezone-aware timestamp (session TimeZone is the adapter's)."""
    t = text_column(name)
    if spec.epoch is not None:
        scale = "1000.0" if spec.epoch == "ms" else "1.0"
        value = f"to_timestamp(TRY_CAST({t} AS DOUBLE) / {scale})"
        expected = f"epoch {spec.epoch}"
    elif spec.formats:
        formats = "[" + ", ".join(lit(f) for f in spec.formats) + "]"
        value = f"CAST(TRY_STRPTIME({t}, {formats}) AS TIMESTAMPTZ)"
        expected = "one of " + ", ".join(spec.formats)
    else:
        value = f"TRY_CAST({t} AS TIMESTAMPTZ)"
        expected = "an ISO 8601 timestamp"
    if spec.not_before is not None and spec.not_before in adapter.fields:
        ref = typed_expr(spec.not_before, adapter).value
        value = f"(CASE WHEN {value} < {ref} THEN {value} + INTERVAL 1 DAY ELSE {value} END)"
    return Typed(value, f"({t} IS NOT NULL AND {value} IS NULL)", expected)


def typed_expr(name: str, adapter: SourceAdapter) -> Typed:
    """Level 2: a field's typed value from its level-1 text."""
    spec = adapter.fields[name]
    t = text_column(name)
    duck = field_by_name()[name].duckdb
    if duck == "TIMESTAMPTZ":
        return _timestamp(name, spec, adapter)
    if duck in ("DOUBLE", "INTEGER"):
        value = f"TRY_CAST({t} AS {duck})"
        expected = "a number" if duck == "DOUBLE" else "a whole number"
        if name in ("lat", "lon"):
            limit = 90 if name == "lat" else 180
            value = f"(CASE WHEN abs({value}) <= {limit} THEN {value} END)"
            expected = f"a number from -{limit} to {limit}"
        return Typed(value, f"({t} IS NOT NULL AND {value} IS NULL)", expected)
    if duck == "BOOLEAN":
        yes = ", ".join(lit(w) for w in TRUE_WORDS)
        no = ", ".join(lit(w) for w in FALSE_WORDS)
        value = (
            f"(CASE WHEN upper({t}) IN ({yes}) THEN true WHEN upper({t}) IN ({no}) THEN false END)"
        )
        return Typed(value, f"({t} IS NOT NULL AND {value} IS NULL)", "true or false")
    enum = ENUM_FIELDS.get(name)
    if enum is not None:
        allowed = ", ".join(lit(m.value) for m in enum)
        failed = f"({t} IS NOT NULL AND {t} NOT IN ({allowed}))"
        return Typed(t, failed, "one of " + ", ".join(m.value for m in enum))
    return Typed(t, "false", "text")


def reason_expr(adapter: SourceAdapter) -> str:
    """Level 2: NULL for a good row, else every problem found in it, in plain words."""
    checks = []
    for name in REQUIRED_FIELDS:
        checks.append(f"CASE WHEN {text_column(name)} IS NULL THEN '{name} is empty' END")
    for name in adapter.fields:
        typed = typed_expr(name, adapter)
        shown = f"left({text_column(name)}, {SHOWN_VALUE_CHARS})"
        message = f"'{name}: ' || {shown} || {lit(' is not ' + typed.expected)}"
        checks.append(f"CASE WHEN {typed.failed} THEN {message} END")
    return f"nullif(concat_ws('; ', {', '.join(checks)}), '')"


def screening_expr(adapter: SourceAdapter) -> str:
    """The screening struct, NULL (unknown) for every answer the source does not give."""
    parts = []
    for f in SCREENING_FIELDS:
        name = f"screening.{f.name}"
        value = ident(name) if name in adapter.fields else f"CAST(NULL AS {f.duckdb})"
        parts.append(f"{f.name} := {value}")
    return f"struct_pack({', '.join(parts)})"
