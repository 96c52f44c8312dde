"""The fixed wording of every reason the engine itself gives (rules bring their own)."""

from __future__ import annotations

from altresponse.programs.model import Program
from altresponse.triage.decision import Reason
from altresponse.triage.flags import SAFETY_QUESTIONS, RedFlag

FLAG_WORDS: dict[RedFlag, str] = {
    RedFlag.WEAPON: "a weapon is present or mentioned",
    RedFlag.VIOLENCE: "violence is happening or threatened",
    RedFlag.CRIME_IN_PROGRESS: "a crime is in progress with a suspect present",
    RedFlag.IMMEDIATE_DANGER: "someone is in immediate danger",
    RedFlag.SUICIDE_PLAN: "suicide risk with a plan, means or an attempt",
    RedFlag.MEDICAL_EMERGENCY: "a medical emergency",
    RedFlag.INJURY: "someone is injured",
    RedFlag.CHILD_AT_RISK: "a child is at risk",
}

QUESTION_WORDS: dict[str, str] = {
    "weapon": "is there a weapon",
    "violence": "is anyone violent or threatening violence",
    "injury": "is anyone injured",
    "medical_emergency": "is there a medical emergency",
    "crime_in_progress": "is a crime in progress with a suspect present",
    "immediate_danger": "is anyone in immediate danger",
    "suicide_risk": "is there a suicide risk, a plan or an attempt",
}

DEFAULT_ID = "default"
OUTSIDE_HOURS = "outside-hours"
OUTSIDE_AREA = "outside-area"
ZONE_UNKNOWN = "zone-unknown"
PLANNING_ESTIMATE = "planning-estimate"
UNSERVED_REASONS = (OUTSIDE_HOURS, ZONE_UNKNOWN, OUTSIDE_AREA)


def flag_reason(flag: RedFlag, *, from_notes: bool) -> Reason:
    """A red flag, from the screening answers or from the call-taker notes."""
    where = "notes" if from_notes else "screening"
    words = "the notes say" if from_notes else "screening answer:"
    return Reason(f"{where}:{flag.value}", f"Red flag, {words} {FLAG_WORDS[flag]}")


def unknown_reason(question: str) -> Reason:
    """A safety question nobody answered."""
    return Reason(
        f"unknown:{question}",
        f"Not answered: {QUESTION_WORDS[question]}? Unknown never gives a civilian-only response",
    )


def default_reason(program: Program) -> Reason:
    """No rule of the protocol matched."""
    option = program.response(program.default)
    return Reason(DEFAULT_ID, f"No rule of this protocol takes the call: {option.label}")


def unserved_reasons(program: Program) -> dict[str, Reason]:
    """Why an eligible call is not served by the program: hours or area."""
    hours = "; ".join(window.describe() for window in program.hours or ())
    zones = ", ".join(zone.id for zone in program.zones or ())
    return {
        OUTSIDE_HOURS: Reason(OUTSIDE_HOURS, f"Eligible, but outside program hours ({hours})"),
        ZONE_UNKNOWN: Reason(
            ZONE_UNKNOWN,
            "Eligible, but the call's zone is unknown and the program serves a pilot area",
        ),
        OUTSIDE_AREA: Reason(OUTSIDE_AREA, f"Eligible, but outside the pilot area (zones {zones})"),
    }


PLANNING_REASON = Reason(
    PLANNING_ESTIMATE,
    "Planning estimate: nobody asked this historical call the screening questions; "
    "estimated from type, notes and outcome",
)


def all_reasons(program: Program) -> dict[str, Reason]:
    """Every reason id this program's decisions can carry, with its words."""
    found = {rule.id: Reason(rule.id, rule.says) for rule in program.protocol}
    found[DEFAULT_ID] = default_reason(program)
    for flag in RedFlag:
        for from_notes in (False, True):
            reason = flag_reason(flag, from_notes=from_notes)
            found[reason.id] = reason
    for question in SAFETY_QUESTIONS:
        found[f"unknown:{question}"] = unknown_reason(question)
    found.update(unserved_reasons(program))
    found[PLANNING_ESTIMATE] = PLANNING_REASON
    return found
