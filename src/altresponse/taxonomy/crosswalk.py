"""Per-agency crosswalks (local type -> incident type) and the mapper that prefers them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from altresponse.errors import ConfigError
from altresponse.taxonomy._datafile import file_text, read_rows
from altresponse.taxonomy.model import Taxonomy
from altresponse.taxonomy.suggest import (
    MatchMethod,
    Suggestion,
    default_suggester,
    no_suggestion,
    typed_suggestion,
)
from altresponse.taxonomy.text import normalize_local_type


def load_crosswalk(path: Path) -> dict[str, str]:
    """A crosswalk CSV (local_type,incident_type[,note]) keyed by normalised local type."""
    taxonomy = Taxonomy.load()
    mapping: dict[str, str] = {}
    lines: dict[str, int] = {}
    text = file_text(path)
    for row in read_rows(text, str(path), ("local_type", "incident_type"), ("note",)):
        key = normalize_local_type(row.values["local_type"])
        code = row.values["incident_type"].upper()
        if not key:
            raise row.fail("local_type is blank")
        if code not in taxonomy.incident_types:
            raise row.fail(f"unknown incident type {row.values['incident_type']!r}")
        if key in mapping and mapping[key] != code:
            raise row.fail(
                f"local type {key!r} already mapped to {mapping[key]} at line {lines[key]}"
            )
        mapping[key], lines[key] = code, row.line
    return mapping


class TypeMapper:
    """Maps local call types to incident types: the crosswalk first, then the suggester."""

    def __init__(
        self, crosswalk: Mapping[str, str] | None = None, *, min_confidence: float = 0.5
    ) -> None:
        self._taxonomy = Taxonomy.load()
        self._suggester = default_suggester()
        self._crosswalk: dict[str, str] = {}
        for local_type, code in (crosswalk or {}).items():
            if code not in self._taxonomy.incident_types:
                raise ConfigError(
                    f"crosswalk maps {local_type!r} to unknown incident type {code!r}"
                )
            self._crosswalk[normalize_local_type(local_type)] = code
        self.min_confidence = min_confidence
        self._memo: dict[str, Suggestion] = {}

    def map(self, local_type: str | None) -> Suggestion:
        """The incident type for one local type (blank or unknown: method 'none')."""
        if local_type is None:
            return no_suggestion("")
        found = self._memo.get(local_type)
        if found is None:
            found = self._memo[local_type] = self._map(local_type)
        return found

    def map_many(self, local_types: Iterable[str | None]) -> list[Suggestion]:
        """map() for each local type, in order (each distinct string is worked out once)."""
        return [self.map(t) for t in local_types]

    def _map(self, local_type: str) -> Suggestion:
        """Crosswalk, else the suggester if it is confident enough."""
        code = self._crosswalk.get(normalize_local_type(local_type)) if self._crosswalk else None
        if code is not None:
            return typed_suggestion(self._taxonomy, local_type, code, 1.0, MatchMethod.CROSSWALK)
        suggestion = self._suggester.suggest(local_type)
        if suggestion.confidence < self.min_confidence:
            return no_suggestion(local_type)
        return suggestion
