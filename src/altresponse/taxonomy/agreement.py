"""How often the suggester alone agrees with the Vera/Two Sigma human categories, call-weighted."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from altresponse.taxonomy._datafile import Row, file_text, read_rows
from altresponse.taxonomy.suggest import Suggestion, suggest
from altresponse.taxonomy.vera import VeraCategory, clean_vera_label

_REQUIRED = ("city", "field 1", "count", "category")
_OPTIONAL = ("column_name", "category - alternate")


@dataclass(frozen=True, slots=True)
class LabelledType:
    """One row of Vera's crosswalk: a city's call type, its call count and the human labels."""

    city: str
    local_type: str
    count: int
    category: VeraCategory
    alternate: VeraCategory | None


@dataclass(frozen=True, slots=True)
class Miss:
    """A labelled call type on which the suggester disagrees with the human category."""

    labelled: LabelledType
    suggestion: Suggestion


@dataclass(frozen=True, slots=True)
class Agreement:
    """Call-weighted agreement for one city (or all): strict, and counting the alternate label."""

    city: str
    calls: int
    strict_calls: int
    alternate_calls: int
    excluded_calls: int

    @property
    def strict(self) -> float:
        """Share of calls whose suggested Vera category equals the human category."""
        return self.strict_calls / self.calls if self.calls else 0.0

    @property
    def with_alternates(self) -> float:
        """Share of calls whose suggested Vera category equals the category or its alternate."""
        return self.alternate_calls / self.calls if self.calls else 0.0


@dataclass(frozen=True, slots=True)
class VeraEvaluation:
    """Agreement per city and overall, and the disagreements by call volume (largest first)."""

    overall: Agreement
    cities: tuple[Agreement, ...]
    misses: tuple[Miss, ...]

    def city(self, name: str) -> Agreement:
        """The agreement figures of one city."""
        for found in self.cities:
            if found.city == name:
                return found
        raise KeyError(name)


def read_vera_crosswalk(path: Path) -> tuple[list[LabelledType], dict[str, int]]:
    """Vera's labelled call types (blank categories left out) and the calls left out, per city."""
    labelled: list[LabelledType] = []
    excluded: dict[str, int] = {}
    for row in read_rows(file_text(path), str(path), _REQUIRED, _OPTIONAL):
        city, count = row.values["city"], _count(row)
        category = clean_vera_label(row.values["category"])
        excluded.setdefault(city, 0)
        if not row.values["category"].strip():
            excluded[city] += count
            continue
        if category is None:
            raise row.fail(f"unknown Vera category {row.values['category']!r}")
        alternate = clean_vera_label(row.values.get("category - alternate"))
        labelled.append(LabelledType(city, row.values["field 1"], count, category, alternate))
    return labelled, excluded


def evaluate_vera(path: Path, suggester: Callable[[str], Suggestion] = suggest) -> VeraEvaluation:
    """Score the suggester alone (no crosswalk) against Vera's crosswalk file, weighted by Count."""
    labelled, excluded = read_vera_crosswalk(path)
    suggestions = [suggester(item.local_type) for item in labelled]
    pairs = list(zip(labelled, suggestions, strict=True))
    cities = tuple(
        _agreement(c, [p for p in pairs if p[0].city == c], excluded[c]) for c in excluded
    )
    overall = _agreement("all", pairs, sum(excluded.values()))
    misses = [Miss(item, s) for item, s in pairs if s.vera_category != item.category]
    misses.sort(key=lambda m: -m.labelled.count)
    return VeraEvaluation(overall, cities, tuple(misses))


def _agreement(
    city: str, pairs: Iterable[tuple[LabelledType, Suggestion]], excluded: int
) -> Agreement:
    """Sum the calls that agree, strictly and with alternates."""
    calls = strict = alternate = 0
    for item, suggestion in pairs:
        calls += item.count
        if suggestion.vera_category == item.category:
            strict += item.count
            alternate += item.count
        elif suggestion.vera_category is not None and suggestion.vera_category == item.alternate:
            alternate += item.count
    return Agreement(city, calls, strict, alternate, excluded)


def _count(row: Row) -> int:
    """The Count column as a whole number of calls."""
    text = row.values["count"].replace(",", "")
    try:
        count = int(float(text))
    except ValueError:
        raise row.fail(f"count {row.values['count']!r} is not a number") from None
    if count < 0:
        raise row.fail(f"count {count} is negative")
    return count
