"""Narrative screening: red flags and needs read from call-taker notes, live and in batch.

Both forms run the same chain of regular expressions, so a table screened in DuckDB gets the
answers each call gets live: lower-case the note; stop unless the prefilter matches; delete
uncertainty ("not sure if"), negated stretches ("no weapons seen", "denies SI") and "x: no",
keeping negative phrases that are flags themselves ("not breathing"); then one search per red
flag and need. The patterns are compiled from data/narrative.yaml (docs/narrative.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from altresponse.errors import ConfigError
from altresponse.triage.flags import Need, RedFlag
from altresponse.triage.narrative_lexicon import DEFAULT_LEXICON, load_lexicon
from altresponse.triage.narrative_patterns import Patterns, compile_patterns

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["NarrativeFindings", "NarrativeScreener", "narrative_columns", "screen_narrative"]

_DOTTED_CAPITAL_I = "\u0130"  # the one character whose Python lower() differs from DuckDB's


@dataclass(frozen=True, slots=True)
class NarrativeFindings:
    """The red flags and needs found in one note."""

    red_flags: frozenset[RedFlag]
    needs: frozenset[Need]


NOTHING = NarrativeFindings(frozenset(), frozenset())


class NarrativeScreener:
    """A compiled lexicon, screening one note (screen) or a table column (columns)."""

    def __init__(self, patterns: Patterns, source: str = "narrative lexicon") -> None:
        self.patterns = patterns
        try:
            self._prefilter = _compile(patterns.prefilter)
            self._negation = _compile(patterns.negation)
            self._negation_gate = _compile(patterns.negation_gate)
            self._red_gate = _compile(patterns.red_flag_gate)
            self._need_gate = _compile(patterns.need_gate)
            self._red_flags = [(f, _compile(p)) for f, p in patterns.red_flags.items() if p]
            self._needs = [(n, _compile(p)) for n, p in patterns.needs.items() if p]
        except re.error as exc:
            raise ConfigError(f"{source}: a pattern does not compile: {exc}") from exc
        self._implied = list(patterns.implied.items())

    @classmethod
    def load(cls, *extra: Path, base: Path = DEFAULT_LEXICON) -> NarrativeScreener:
        """The shipped lexicon (or another base) plus a city's own files of the same format."""
        lexicon = load_lexicon(*extra, base=base)
        return cls(compile_patterns(lexicon), lexicon.where())

    def screen(self, text: str | None) -> NarrativeFindings:
        """The red flags and needs of one note; None and blank notes have none."""
        if not text:
            return NOTHING
        low = text.lower() if text.isascii() else text.replace(_DOTTED_CAPITAL_I, "i").lower()
        if self._prefilter.search(low) is None:
            return NOTHING
        core = self._negation.sub(r"\1", low) if self._negation_gate.search(low) else low
        flags = (
            frozenset(flag for flag, p in self._red_flags if p.search(core))
            if self._red_gate.search(core)
            else frozenset()
        )
        needs = (
            {need for need, p in self._needs if p.search(core)}
            if self._need_gate.search(core)
            else set()
        )
        needs.update(need for need, sources in self._implied if flags & sources)
        return NarrativeFindings(flags, frozenset(needs))

    def columns(self, text: ir.StringValue) -> dict[str, ir.BooleanValue]:
        """One non-null boolean expression per red flag (rf_*) and need (need_*)."""
        import ibis

        nothing = ibis.null("string")
        low = text.lower()
        p = self.patterns
        kept = ibis.ifelse(low.re_search(p.prefilter), low, nothing)
        core = ibis.ifelse(
            kept.re_search(p.negation_gate), kept.re_replace(p.negation, "\\1"), kept
        )
        red = ibis.ifelse(core.re_search(self.patterns.red_flag_gate), core, nothing)
        need = ibis.ifelse(core.re_search(self.patterns.need_gate), core, nothing)
        result: dict[str, ir.BooleanValue] = {}
        for flag, pattern in self.patterns.red_flags.items():
            result[f"rf_{flag.value}"] = _search(red, pattern)
        for need_name, pattern in self.patterns.needs.items():
            column = _search(need, pattern)
            for source in sorted(self.patterns.implied.get(need_name, ())):
                column = column | result[f"rf_{source.value}"]
            result[f"need_{need_name.value}"] = column
        return result


def _compile(pattern: str) -> re.Pattern[str]:
    """A pattern for Python's engine, with RE2's ASCII word boundaries."""
    return re.compile(pattern, re.ASCII)


def _search(text: ir.StringValue, pattern: str | None) -> ir.BooleanValue:
    """Whether the pattern occurs in the text; False for null text or no pattern."""
    import ibis

    if pattern is None:
        return ibis.literal(False)
    return text.re_search(pattern).fill_null(False)


@cache
def default_screener() -> NarrativeScreener:
    """The screener of the shipped lexicon, compiled once."""
    return NarrativeScreener.load()


def screen_narrative(text: str | None) -> NarrativeFindings:
    """The red flags and needs in one call-taker note (shipped lexicon)."""
    return default_screener().screen(text)


def narrative_columns(text: ir.StringValue) -> dict[str, ir.BooleanValue]:
    """Batch form of screen_narrative: rf_<flag> and need_<need> boolean columns, never null."""
    return default_screener().columns(text)
