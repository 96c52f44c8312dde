"""Protocol conditions as Ibis expressions: the batch twin of the checks in live.py."""

from __future__ import annotations

import functools
import operator
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from altresponse.programs.model import Condition
from altresponse.taxonomy import Taxonomy

Columns = dict[str, ir.Value]
"""Named per-call columns the conditions read (see batch.facts_table)."""


def is_in(value: ir.Value, values: list[str]) -> ir.BooleanValue:
    """VALUE is one of VALUES; false for null. Never null itself.

    DuckDB rewrites an IN list of five or more values into a join, and that join does not keep
    the input's row order when several threads write (duckdb/duckdb#24398); a search in a
    constant list costs the same and keeps it, so the output needs no sort.
    """
    if not values:
        return ibis.literal(False)
    if len(values) < 5:
        return value.isin(values).fill_null(False)
    listed = ibis.literal(list(values), type=dt.Array(value.type()))
    return (listed.index(value) >= 0).fill_null(False)


def any_of(parts: list[ir.BooleanValue]) -> ir.BooleanValue:
    """OR of PARTS (false when empty)."""
    if not parts:
        return ibis.literal(False)
    return functools.reduce(operator.or_, parts)


def all_of(parts: list[ir.BooleanValue]) -> ir.BooleanValue:
    """AND of PARTS (true when empty)."""
    if not parts:
        return ibis.literal(True)
    return functools.reduce(operator.and_, parts)


def within(minute: ir.IntegerValue, spans: tuple[tuple[int, int], ...]) -> ir.BooleanValue:
    """The minute of the week lies in one of the half-open spans."""
    return any_of([(minute >= a) & (minute < b) for a, b in spans])


def _answer_is(answer: ir.Value, accepted: Any) -> ir.BooleanValue:
    """A screening answer equals ACCEPTED, where 'unknown' means null; never null itself."""
    if accepted == "unknown":
        return answer.isnull()
    return (answer == accepted).fill_null(False)


def _category_in(categories: tuple[str, ...], facts: Columns) -> ir.BooleanValue:
    """The call's category is one of CATEGORIES: by its incident type when the taxonomy knows
    the type, else by the category the call came with (facts.py: resolve_type)."""
    by_type = Taxonomy.load().incident_types
    types = [code for code, known in by_type.items() if known.category in categories]
    of_type = is_in(facts["incident_type"], types)
    given = is_in(facts["call_category"], list(categories))
    return of_type | (~facts["type_known"] & given)


def condition_expr(condition: Condition, facts: Columns) -> ir.BooleanValue:
    """The condition over the facts columns, with SQL nulls read as 'does not hold'."""
    parts: list[ir.BooleanValue] = []
    if condition.category is not None:
        parts.append(_category_in(condition.category, facts))
    for attribute in ("incident_type", "source", "zone", "disposition"):
        values = getattr(condition, attribute)
        if values is not None:
            parts.append(is_in(facts[attribute], [str(v) for v in values]))
    if condition.needs is not None:
        parts.append(any_of([facts[f"need_{need.value}"] for need in condition.needs]))
    if condition.screening is not None:
        for question, accepted in condition.screening.required().items():
            answer = facts[f"answer_{question}"]
            parts.append(any_of([_answer_is(answer, value) for value in accepted]))
    if condition.hours is not None:
        spans = tuple(span for window in condition.hours for span in window.intervals())
        parts.append(within(facts["minute_of_week"], spans))
    return all_of(parts)
