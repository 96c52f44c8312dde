"""Triage's view of the shared vocabulary (defined with programs, which are read first)."""

from altresponse.programs.vocabulary import (
    CIVILIAN_ONLY,
    RED_FLAG_ORDER,
    SAFETY_QUESTIONS,
    SCREENING_RED_FLAGS,
    SUICIDE_RED_FLAG_ANSWERS,
    TRACK_ORDER,
    TRACK_RANK,
    Need,
    RedFlag,
    Track,
)

__all__ = [
    "CIVILIAN_ONLY",
    "RED_FLAG_ORDER",
    "SAFETY_QUESTIONS",
    "SCREENING_RED_FLAGS",
    "SUICIDE_RED_FLAG_ANSWERS",
    "TRACK_ORDER",
    "TRACK_RANK",
    "Need",
    "RedFlag",
    "Track",
]
