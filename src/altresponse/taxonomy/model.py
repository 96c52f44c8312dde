"""Incident types and categories: the chain local type -> incident type -> category -> Vera."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from altresponse.errors import NotFoundError
from altresponse.taxonomy._datafile import Row, package_text, read_rows
from altresponse.taxonomy.vera import VeraCategory, clean_vera_label

_CODE = re.compile(r"^[A-Z0-9]{2,10}$")
_CATEGORY_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class IncidentType:
    """A canonical incident type: an APCO common incident type code or a local extension."""

    code: str
    name: str
    description: str
    category: str
    apco: bool


@dataclass(frozen=True, slots=True)
class Category:
    """An analyst category of incident types; maps to exactly one Vera/Two Sigma category."""

    code: str
    label: str
    vera_category: VeraCategory
    description: str


@dataclass(frozen=True)
class Taxonomy:
    """The incident types and categories shipped with altresponse, validated together."""

    incident_types: Mapping[str, IncidentType]
    categories: Mapping[str, Category]

    @classmethod
    def load(cls) -> Taxonomy:
        """The shipped taxonomy (read once, then cached)."""
        return _load_taxonomy()

    def category_of(self, incident_type: str) -> Category:
        """The category an incident type belongs to."""
        found = self.incident_types.get(incident_type)
        if found is None:
            raise NotFoundError(f"unknown incident type {incident_type!r}")
        return self.categories[found.category]

    def vera_category_of(self, incident_type: str) -> VeraCategory:
        """The Vera/Two Sigma category an incident type counts under."""
        return self.category_of(incident_type).vera_category


@functools.cache
def _load_taxonomy() -> Taxonomy:
    """Read and cross-check categories.csv and incident_types.csv."""
    categories = _read_categories()
    types = _read_incident_types(categories)
    return Taxonomy(MappingProxyType(types), MappingProxyType(categories))


def _read_categories() -> dict[str, Category]:
    """categories.csv as Category by code."""
    text, source = package_text("categories.csv")
    found: dict[str, Category] = {}
    for row in read_rows(text, source, ("code", "label", "vera_category", "description")):
        code = _unique(row, "code", found, _CATEGORY_CODE, "snake_case")
        vera = clean_vera_label(row.values["vera_category"])
        if vera is None or vera.value != row.values["vera_category"]:
            labels = ", ".join(c.value for c in VeraCategory)
            raise row.fail(f"vera_category {row.values['vera_category']!r} is not one of {labels}")
        found[code] = Category(code, _required(row, "label"), vera, row.values["description"])
    return found


def _read_incident_types(categories: Mapping[str, Category]) -> dict[str, IncidentType]:
    """incident_types.csv as IncidentType by code; every category must exist."""
    text, source = package_text("incident_types.csv")
    found: dict[str, IncidentType] = {}
    columns = ("code", "name", "description", "category", "apco")
    for row in read_rows(text, source, columns):
        code = _unique(row, "code", found, _CODE, "2-10 upper-case letters or digits")
        category = row.values["category"]
        if category not in categories:
            raise row.fail(f"unknown category {category!r}")
        apco = row.values["apco"].lower()
        if apco not in {"true", "false"}:
            raise row.fail(f"apco must be true or false, not {row.values['apco']!r}")
        name = _required(row, "name")
        found[code] = IncidentType(code, name, row.values["description"], category, apco == "true")
    return found


def _unique(
    row: Row, column: str, seen: Mapping[str, object], form: re.Pattern[str], what: str
) -> str:
    """The row's code in COLUMN, checked for form and uniqueness."""
    code = row.values[column]
    if not form.match(code):
        raise row.fail(f"{column} {code!r} must be {what}")
    if code in seen:
        raise row.fail(f"duplicate {column} {code!r}")
    return code


def _required(row: Row, column: str) -> str:
    """A value that must not be blank."""
    value = row.values[column]
    if not value:
        raise row.fail(f"{column} is blank")
    return value
