"""The general suggester: an incident type for a call type it has never seen, with a confidence."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

from altresponse.taxonomy.lexicon import Analysis, Lexicon, load_abbreviations, load_known_words
from altresponse.taxonomy.model import Taxonomy
from altresponse.taxonomy.rules import Rule, load_rules, words_of

# A rule that only matched after typo correction is trusted this much less.
FUZZY_PENALTY = 0.85


class MatchMethod(StrEnum):
    """How an incident type was found for a local type."""

    CROSSWALK = "crosswalk"
    RULE = "rule"
    FUZZY = "fuzzy"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An incident type (with its category and Vera category) proposed for one local type."""

    local_type: str
    incident_type: str | None
    category: str | None
    vera_category: str | None
    confidence: float
    method: MatchMethod

    def to_json_dict(self) -> dict[str, object]:
        """The suggestion as plain JSON values."""
        return {
            "local_type": self.local_type,
            "incident_type": self.incident_type,
            "category": self.category,
            "vera_category": None if self.vera_category is None else str(self.vera_category),
            "confidence": round(self.confidence, 3),
            "method": str(self.method),
        }


def no_suggestion(local_type: str) -> Suggestion:
    """The answer when nothing is known about a local type."""
    return Suggestion(local_type, None, None, None, 0.0, MatchMethod.NONE)


def typed_suggestion(
    taxonomy: Taxonomy, local_type: str, incident_type: str, confidence: float, method: MatchMethod
) -> Suggestion:
    """A suggestion for a known incident type, its category and Vera category filled in."""
    category = taxonomy.category_of(incident_type)
    return Suggestion(
        local_type, incident_type, category.code, category.vera_category, confidence, method
    )


class Suggester:
    """Applies the ordered rules to a call type's expanded words; the first rule that fits wins."""

    def __init__(self, taxonomy: Taxonomy, lexicon: Lexicon, rules: list[Rule]) -> None:
        self.taxonomy = taxonomy
        self.lexicon = lexicon
        self.rules = rules

    def explain(self, local_type: str) -> tuple[Rule | None, Analysis, bool]:
        """The deciding rule (if any), the text it saw, and whether it needed a typo guess."""
        analysis = self.lexicon.analyse(local_type)
        if not analysis.empty:
            for rule in self.rules:
                spans = rule.match(analysis.text)
                if spans is not None:
                    return rule, analysis, analysis.guessed(spans)
        return None, analysis, False

    def suggest(self, local_type: str) -> Suggestion:
        """The best incident type for a local type, or a 'none' suggestion."""
        rule, _, guessed = self.explain(local_type)
        if rule is None:
            return no_suggestion(local_type)
        if guessed:
            confidence, method = rule.weight * FUZZY_PENALTY, MatchMethod.FUZZY
        else:
            confidence, method = rule.weight, MatchMethod.RULE
        return typed_suggestion(self.taxonomy, local_type, rule.incident_type, confidence, method)


@functools.cache
def default_suggester() -> Suggester:
    """The suggester built from the shipped data files (built once)."""
    taxonomy = Taxonomy.load()
    rules, patterns = load_rules(taxonomy.incident_types)
    phrases, abbreviations = load_abbreviations()
    words, stems = words_of(patterns)
    words |= load_known_words()
    for expansion in abbreviations.values():
        words.update(expansion)
    for incident_type in taxonomy.incident_types.values():
        words.update(w for w in incident_type.name.split() if w.isalpha())
    return Suggester(taxonomy, Lexicon(phrases, abbreviations, words, stems), rules)


@functools.lru_cache(maxsize=65_536)
def suggest(local_type: str) -> Suggestion:
    """An incident type for an agency call type, from general dispatch knowledge alone.

    Remembered: a live service sees the same few hundred call types again and again.
    """
    return default_suggester().suggest(local_type)
