"""Demand classes: health, crime, traffic ... for every call, from its category and type."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

import yaml

from altresponse.errors import ConfigError
from altresponse.taxonomy import Taxonomy

UNMAPPED = "unmapped"


@dataclass(frozen=True)
class DemandClasses:
    """Which demand class each analyst category, and a few incident types, belong to."""

    labels: Mapping[str, str]
    by_category: Mapping[str, str]
    by_type: Mapping[str, str]

    @classmethod
    def load(cls) -> DemandClasses:
        """The shipped classes (planning/data/demand.yaml), checked against the taxonomy."""
        return _load()

    def class_of(self, incident_type: str | None, category: str | None) -> str:
        """The demand class of a call; `unmapped` when it has no category."""
        if incident_type is not None and incident_type in self.by_type:
            return self.by_type[incident_type]
        if category is None:
            return UNMAPPED
        return self.by_category.get(category, UNMAPPED)


@functools.cache
def _load() -> DemandClasses:
    where = "altresponse/planning/data/demand.yaml"
    text = resources.files("altresponse.planning").joinpath("data/demand.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    taxonomy = Taxonomy.load()
    labels: dict[str, str] = {}
    by_category: dict[str, str] = {}
    for name, spec in data["classes"].items():
        labels[name] = str(spec["label"])
        for category in spec["categories"]:
            if category not in taxonomy.categories:
                raise ConfigError(f"{where}: classes.{name}: unknown category {category!r}")
            if category in by_category:
                raise ConfigError(
                    f"{where}: classes.{name}: category {category!r} is already in "
                    f"{by_category[category]!r}"
                )
            by_category[category] = name
    missing = sorted(set(taxonomy.categories) - set(by_category))
    if missing:
        raise ConfigError(f"{where}: categories in no class: {', '.join(missing)}")
    by_type: dict[str, str] = {}
    for code, name in (data.get("types") or {}).items():
        if code not in taxonomy.incident_types:
            raise ConfigError(f"{where}: types: unknown incident type {code!r}")
        if name not in labels:
            raise ConfigError(f"{where}: types.{code}: unknown class {name!r}")
        by_type[code] = name
    labels[UNMAPPED] = "Unmapped type"
    return DemandClasses(
        MappingProxyType(labels), MappingProxyType(by_category), MappingProxyType(by_type)
    )
