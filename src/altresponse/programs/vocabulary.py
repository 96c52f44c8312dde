"""The closed vocabularies programs and triage share: tracks, red flags, needs, safety questions."""

from __future__ import annotations

from enum import StrEnum


class Track(StrEnum):
    """A response option's kind (DESIGN.md, Core vocabulary)."""

    POLICE = "police"
    FIRE = "fire"
    EMS = "ems"
    COMMUNITY = "community"
    CO_RESPONSE = "co_response"
    CRISIS_LINE = "crisis_line"
    REFERRAL = "referral"


CIVILIAN_ONLY: frozenset[Track] = frozenset({Track.COMMUNITY, Track.CRISIS_LINE, Track.REFERRAL})
"""Tracks that send no officer and no EMS: never given to a call with a red flag or unknown."""

TRACK_RANK: dict[Track, int] = {
    Track.REFERRAL: 0,
    Track.CRISIS_LINE: 1,
    Track.COMMUNITY: 2,
    Track.CO_RESPONSE: 3,
    Track.POLICE: 4,
    Track.EMS: 4,
    Track.FIRE: 4,
}
"""How much response a track brings; red flags can only move a call up this scale."""

TRACK_ORDER: tuple[Track, ...] = (
    Track.POLICE,
    Track.EMS,
    Track.FIRE,
    Track.CO_RESPONSE,
    Track.COMMUNITY,
    Track.CRISIS_LINE,
    Track.REFERRAL,
)
"""The order supporting tracks are listed in."""


class RedFlag(StrEnum):
    """A sign of risk that rules out a civilian-only response (Safety principle 1)."""

    WEAPON = "weapon"
    VIOLENCE = "violence"
    CRIME_IN_PROGRESS = "crime_in_progress"
    IMMEDIATE_DANGER = "immediate_danger"
    SUICIDE_PLAN = "suicide_plan"
    MEDICAL_EMERGENCY = "medical_emergency"
    INJURY = "injury"
    CHILD_AT_RISK = "child_at_risk"


RED_FLAG_ORDER: tuple[RedFlag, ...] = tuple(RedFlag)
"""Precedence when several red flags are present: the first one decides among equal tracks."""


class Need(StrEnum):
    """What a call is about, read from the notes; needs never lower a response."""

    BEHAVIORAL_HEALTH = "behavioral_health"
    SUICIDAL_IDEATION = "suicidal_ideation"
    SUBSTANCE_USE = "substance_use"
    INTOXICATION = "intoxication"
    HOMELESSNESS = "homelessness"
    WELFARE = "welfare"
    BASIC_NEEDS = "basic_needs"


SAFETY_QUESTIONS: tuple[str, ...] = (
    "weapon",
    "violence",
    "injury",
    "medical_emergency",
    "crime_in_progress",
    "immediate_danger",
    "suicide_risk",
)
"""Screening answers that must all be known before a live call may go civilian-only."""

SCREENING_RED_FLAGS: dict[str, RedFlag] = {
    "weapon": RedFlag.WEAPON,
    "violence": RedFlag.VIOLENCE,
    "crime_in_progress": RedFlag.CRIME_IN_PROGRESS,
    "immediate_danger": RedFlag.IMMEDIATE_DANGER,
    "medical_emergency": RedFlag.MEDICAL_EMERGENCY,
    "injury": RedFlag.INJURY,
}
"""Yes/no screening questions whose `true` answer is a red flag (suicide_risk is handled apart)."""

SUICIDE_RED_FLAG_ANSWERS: frozenset[str] = frozenset({"plan", "attempt"})
"""suicide_risk answers that are a red flag: a plan (with or without known means) or an attempt."""
