"""Ordered rules (a data file) that turn expanded call-type words into an incident type."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from altresponse.taxonomy._datafile import Row, package_text, read_rows

_WORD = re.compile(r"[A-Z]{2,}")
_OPTIONAL_LAST = re.compile(r"([A-Z]{2,})\?")
_STEM = re.compile(r"([A-Z]{2,})\\w\*")


@dataclass(frozen=True, slots=True)
class Rule:
    """Every term matches (anywhere, as whole words) and `unless` does not: the type applies."""

    id: str
    incident_type: str
    weight: float
    terms: tuple[re.Pattern[str], ...]
    unless: re.Pattern[str] | None

    def match(self, text: str) -> list[tuple[int, int]] | None:
        """The spans of the matching terms, or None when the rule does not apply."""
        spans = []
        for term in self.terms:
            found = term.search(text)
            if found is None:
                return None
            spans.append(found.span())
        if self.unless is not None and self.unless.search(text):
            return None
        return spans


def words_of(patterns: Iterable[str]) -> tuple[set[str], set[str]]:
    """The literal words and the stems (WORD\\w*) written in rule patterns: the vocabulary."""
    words: set[str] = set()
    stems: set[str] = set()
    for pattern in patterns:
        stems.update(_STEM.findall(pattern))
        without_stems = _STEM.sub(" ", pattern)
        words.update(_WORD.findall(without_stems))
        words.update(w[:-1] for w in _OPTIONAL_LAST.findall(without_stems))
    return words, stems


def load_rules(incident_types: Mapping[str, object]) -> tuple[list[Rule], list[str]]:
    """rules.csv in order, checked against the incident types; also every pattern's source."""
    text, source = package_text("rules.csv")
    rules: list[Rule] = []
    patterns: list[str] = []
    seen: set[str] = set()
    columns = ("id", "incident_type", "weight", "match")
    for row in read_rows(text, source, columns, ("unless", "note")):
        rule = _rule(row, incident_types)
        if rule.id in seen:
            raise row.fail(f"duplicate rule id {rule.id!r}")
        seen.add(rule.id)
        rules.append(rule)
        patterns += [row.values["match"], row.values["unless"]]
    return rules, patterns


def _rule(row: Row, incident_types: Mapping[str, object]) -> Rule:
    """One validated rule row."""
    values = row.values
    if not values["id"]:
        raise row.fail("id is blank")
    if values["incident_type"] not in incident_types:
        raise row.fail(f"unknown incident type {values['incident_type']!r}")
    try:
        weight = float(values["weight"])
    except ValueError:
        raise row.fail(f"weight {values['weight']!r} is not a number") from None
    if not 0 < weight <= 1:
        raise row.fail(f"weight {weight} must be in (0, 1]")
    sources = [t.strip() for t in values["match"].split(" & ")]
    if len(sources) > 1:
        for source in sources:
            if _has_bare_alternative(source):
                raise row.fail(f"term {source!r} joined with '&': put its alternatives in (...)")
    terms = tuple(_compile(row, t) for t in sources)
    unless = _compile(row, values["unless"]) if values["unless"] else None
    return Rule(values["id"], values["incident_type"], weight, terms, unless)


def _compile(row: Row, term: str) -> re.Pattern[str]:
    """A term as a whole-word regular expression over the expanded text."""
    if not term:
        raise row.fail("empty term in match")
    try:
        return re.compile(rf"(?<![A-Z0-9])(?:{term})(?![A-Z0-9])")
    except re.error as exc:
        raise row.fail(f"bad pattern {term!r}: {exc}") from exc


def _has_bare_alternative(term: str) -> bool:
    """Whether a term has a '|' outside brackets (ambiguous next to '&': A|B & C)."""
    depth = 0
    escaped = False
    for char in term:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False
