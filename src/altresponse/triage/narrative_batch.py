"""Narrative screening over a whole table, in stages so each regex runs once per row.

`narrative_columns` gives the same answers as one expression per column, but an expression tree
repeats the shared steps (lower-casing, the prefilter, removing negated phrases) inside every
column; here each step is a column of its own, computed once and read by the flag searches.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from altresponse.triage.narrative import default_screener


def _search(text: ir.StringValue, pattern: str | None) -> ir.BooleanValue:
    """Whether the pattern occurs in the text; False for null text or no pattern."""
    if pattern is None:
        return ibis.literal(False)
    return text.re_search(pattern).fill_null(False)


def with_narrative_flags(t: ir.Table, column: str) -> ir.Table:
    """T plus rf_<flag> and need_<need> columns read from the notes in COLUMN."""
    p = default_screener().patterns
    nothing = ibis.null("string")
    t = t.mutate(n_low=t[column].lower())
    t = t.mutate(n_kept=ibis.ifelse(t.n_low.re_search(p.prefilter), t.n_low, nothing))
    t = t.mutate(
        n_core=ibis.ifelse(
            t.n_kept.re_search(p.negation_gate), t.n_kept.re_replace(p.negation, "\\1"), t.n_kept
        )
    )
    t = t.mutate(
        n_red=ibis.ifelse(t.n_core.re_search(p.red_flag_gate), t.n_core, nothing),
        n_need=ibis.ifelse(t.n_core.re_search(p.need_gate), t.n_core, nothing),
    )
    flags = {f"rf_{flag.value}": _search(t.n_red, pattern) for flag, pattern in p.red_flags.items()}
    t = t.mutate(**flags)
    needs: dict[str, ir.BooleanValue] = {}
    for need, pattern in p.needs.items():
        found = _search(t.n_need, pattern)
        for source in sorted(p.implied.get(need, ())):
            found = found | t[f"rf_{source.value}"]
        needs[f"need_{need.value}"] = found
    return t.mutate(**needs).drop("n_low", "n_kept", "n_core", "n_red", "n_need")
