"""The Vera Institute / Two Sigma 911 call categories, the comparison target of our categories."""

from __future__ import annotations

from enum import StrEnum


class VeraCategory(StrEnum):
    """One category of the Vera/Two Sigma consolidated 911 call-type taxonomy."""

    COMPLAINTS = "Complaints/Environmental Conditions"
    STATUSES = "Statuses"
    TRAFFIC = "Accidents/Traffic Safety"
    PROPERTY_CRIME = "Property Crime"
    SUSPICION = "Suspicion"
    ALARMS = "Alarms"
    OTHER_CRIMES = "Other Crimes"
    VIOLENT_CRIME = "Violent Crime"
    DOMESTIC_VIOLENCE = "Domestic Violence"
    ASSISTING_THE_PUBLIC = "Assisting the Public"
    BEHAVIORAL_HEALTH = "Behavioral Health"
    DRUGS = "Drugs"
    MEDICAL_EMERGENCIES = "Medical Emergencies"
    WARRANTS = "Warrants"
    LIQUOR_VIOLATIONS = "Liquor Violations"
    MISSING_PERSONS = "Missing Persons"
    OTHER_NOT_CRIME = "Other (Not Crime)"
    SEX_OFFENSES = "Sex Offenses"
    CALL_RELATED_ISSUES = "Call Related Issues"
    STATUS_OFFENSES = "Status Offenses"
    FIRE = "Fire"
    OFFICER_NEEDS_HELP = "Officer Needs Help"
    CALLBACK = "Callback"


# Spellings found in Vera's own workbook that mean one of the labels above.
_VARIANTS = {
    "call related isuues": VeraCategory.CALL_RELATED_ISSUES,
    "medical": VeraCategory.MEDICAL_EMERGENCIES,
}
_BY_LOWER = {c.value.lower(): c for c in VeraCategory} | _VARIANTS


def clean_vera_label(label: str | None) -> VeraCategory | None:
    """The Vera category a label means (trimmed, typos fixed), or None if blank or unknown."""
    if label is None:
        return None
    text = " ".join(label.split()).rstrip("?").strip().lower()
    return _BY_LOWER.get(text)
