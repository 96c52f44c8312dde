"""Incident types, categories, per-agency crosswalks and the suggester for unseen call types."""

from altresponse.taxonomy.agreement import Agreement, VeraEvaluation, evaluate_vera
from altresponse.taxonomy.crosswalk import TypeMapper, load_crosswalk
from altresponse.taxonomy.model import Category, IncidentType, Taxonomy
from altresponse.taxonomy.suggest import MatchMethod, Suggestion, suggest
from altresponse.taxonomy.text import normalize_local_type
from altresponse.taxonomy.vera import VeraCategory, clean_vera_label

__all__ = [
    "Agreement",
    "Category",
    "IncidentType",
    "MatchMethod",
    "Suggestion",
    "Taxonomy",
    "TypeMapper",
    "VeraCategory",
    "VeraEvaluation",
    "clean_vera_label",
    "evaluate_vera",
    "load_crosswalk",
    "normalize_local_type",
    "suggest",
]
