"""What triage knows about a call: its type, answers, notes, local time and place."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from altresponse.calls.record import CallRecord
from altresponse.taxonomy import Taxonomy, suggest
from altresponse.triage.flags import (
    SAFETY_QUESTIONS,
    SCREENING_RED_FLAGS,
    SUICIDE_RED_FLAG_ANSWERS,
    RedFlag,
)
from altresponse.triage.narrative import screen_narrative

Answer = bool | str | None


@dataclass(frozen=True, slots=True)
class Facts:
    """The parts of a call the protocol's conditions and the safety checks look at."""

    incident_type: str | None
    category: str | None
    source: str | None
    zone: str | None
    disposition: str | None
    answers: dict[str, Answer]
    needs: frozenset[str]
    screening_flags: frozenset[RedFlag]
    notes_flags: frozenset[RedFlag]
    minute_of_week: int

    def unknown_questions(self) -> tuple[str, ...]:
        """Safety questions nobody answered, in the fixed question order."""
        return tuple(q for q in SAFETY_QUESTIONS if self.answers[q] is None)


@functools.cache
def _zone(name: str) -> ZoneInfo:
    """A timezone, looked up once."""
    return ZoneInfo(name)


def resolve_type(call: CallRecord) -> tuple[str | None, str | None]:
    """The call's incident type (suggested from local_type when absent) and its category."""
    incident_type = call.incident_type
    if incident_type is None and call.local_type:
        incident_type = suggest(call.local_type).incident_type
    types = Taxonomy.load().incident_types
    known = types.get(incident_type) if incident_type is not None else None
    return incident_type, known.category if known is not None else call.category


def facts_of(call: CallRecord, timezone: str) -> Facts:
    """Gather the facts of CALL, its clock read in the program's TIMEZONE."""
    incident_type, category = resolve_type(call)
    answers: dict[str, Answer] = dict(call.screening)
    risk = call.screening.suicide_risk
    answers["suicide_risk"] = None if risk is None else risk.value
    screening_flags = {flag for q, flag in SCREENING_RED_FLAGS.items() if answers[q] is True}
    if answers["suicide_risk"] in SUICIDE_RED_FLAG_ANSWERS:
        screening_flags.add(RedFlag.SUICIDE_PLAN)
    notes = screen_narrative(call.narrative)
    local = call.received_at.astimezone(_zone(timezone))
    return Facts(
        incident_type=incident_type,
        category=category,
        source=None if call.source is None else call.source.value,
        zone=call.zone,
        disposition=None if call.disposition is None else call.disposition.value,
        answers=answers,
        needs=frozenset(need.value for need in notes.needs),
        screening_flags=frozenset(screening_flags),
        notes_flags=notes.red_flags,
        minute_of_week=local.weekday() * 1440 + local.hour * 60 + local.minute,
    )
