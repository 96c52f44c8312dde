"""The screening questions a call-taker asks, in the words of the console, one key each."""

from __future__ import annotations

from dataclasses import dataclass

from altresponse.programs.model import Program

YES_NO = (("y", "yes", True), ("n", "no", False), ("u", "unknown", None))
SUICIDE = (
    ("0", "none", "none"),
    ("1", "thoughts", "ideation"),
    ("2", "plan", "plan"),
    ("3", "attempt", "attempt"),
    ("u", "unknown", None),
)


@dataclass(frozen=True)
class Question:
    """One screening question: the canonical field, what to ask, and its one-key answers."""

    field: str
    ask: str
    answers: tuple[tuple[str, str, bool | str | None], ...]
    safety: bool

    def to_json(self) -> dict[str, object]:
        """For the page's data."""
        return {
            "field": self.field,
            "ask": self.ask,
            "safety": self.safety,
            "answers": [{"key": k, "label": label, "value": v} for k, label, v in self.answers],
        }


SAFETY = (
    Question("weapon", "Any weapon seen or mentioned (gun, knife, other)?", YES_NO, True),
    Question("violence", "Any violence, or threats of violence?", YES_NO, True),
    Question("crime_in_progress", "A crime in progress with the suspect there?", YES_NO, True),
    Question("immediate_danger", "Is anyone in immediate danger?", YES_NO, True),
    Question(
        "medical_emergency",
        "A medical emergency (not breathing, unconscious, overdose)?",
        YES_NO,
        True,
    ),
    Question("injury", "Is anyone injured?", YES_NO, True),
    Question("suicide_risk", "Suicide: none, thoughts, a plan, or an attempt?", SUICIDE, True),
)


def questions_for(program: Program) -> tuple[Question, ...]:
    """The safety questions every call is asked, then those the program's protocol reads."""
    asked: set[str] = set()
    for rule in program.protocol:
        for condition in (rule.when, *rule.unless):
            if condition is not None and condition.screening is not None:
                asked |= set(condition.screening.required())
    extra = []
    if "caller_requests_alternative" in asked:
        ask = "Does the caller ask for a civilian team rather than police?"
        extra.append(Question("caller_requests_alternative", ask, YES_NO, False))
    if "willing_to_wait" in asked:
        minutes = round(program.queue.max_wait_minutes)
        ask = f"Can the caller wait up to {minutes} minutes for a team?"
        extra.append(Question("willing_to_wait", ask, YES_NO, False))
    return (*SAFETY, *extra)
