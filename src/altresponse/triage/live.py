"""Live triage: one call through a program's protocol, then the safety checks, in Python."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from altresponse.calls.record import CallRecord
from altresponse.programs.model import Condition, Mode, Program, ResponseOption, Rule
from altresponse.triage import reasons as why
from altresponse.triage.decision import Decision, Reason
from altresponse.triage.facts import Answer, Facts, facts_of
from altresponse.triage.flags import CIVILIAN_ONLY, RED_FLAG_ORDER, TRACK_ORDER, TRACK_RANK, Track

Check = Callable[[Facts], bool]


def _answer_key(value: Answer) -> bool | str:
    """A screening answer as condition files write it: true, false, a value, or 'unknown'."""
    return "unknown" if value is None else value


def _in(attribute: str, values: tuple[str, ...]) -> Check:
    """FACTS.attribute is one of VALUES."""
    accepted = frozenset(str(v) for v in values)
    return lambda facts: getattr(facts, attribute) in accepted


def _checks(condition: Condition) -> tuple[Check, ...]:
    """One check per test the condition names; the condition holds when all of them do."""
    checks: list[Check] = []
    for attribute in ("incident_type", "category", "source", "zone", "disposition"):
        values = getattr(condition, attribute)
        if values is not None:
            checks.append(_in(attribute, values))
    if condition.needs is not None:
        needs = frozenset(need.value for need in condition.needs)
        checks.append(lambda facts: not needs.isdisjoint(facts.needs))
    if condition.screening is not None:
        for question, accepted in condition.screening.required().items():
            checks.append(
                lambda facts, q=question, ok=accepted: _answer_key(facts.answers[q]) in ok  # type: ignore[misc]
            )
    if condition.hours is not None:
        spans = tuple(span for window in condition.hours for span in window.intervals())
        checks.append(lambda facts: any(a <= facts.minute_of_week < b for a, b in spans))
    return tuple(checks)


def _holds(checks: tuple[Check, ...], facts: Facts) -> bool:
    """All checks pass."""
    return all(check(facts) for check in checks)


@dataclass(frozen=True)
class _CompiledRule:
    """A rule with its conditions turned into checks."""

    rule: Rule
    when: tuple[Check, ...]
    unless: tuple[tuple[Check, ...], ...]

    def matches(self, facts: Facts) -> bool:
        """The rule's condition holds and none of its exceptions do."""
        if not _holds(self.when, facts):
            return False
        return not any(_holds(checks, facts) for checks in self.unless)


@dataclass(frozen=True)
class CompiledProtocol:
    """A program made ready for fast per-call decisions in one mode."""

    program: Program
    mode: Mode
    rules: tuple[_CompiledRule, ...]
    reasons: dict[str, Reason]
    hours: tuple[tuple[int, int], ...] | None
    zones: frozenset[str] | None


_COMPILED: dict[tuple[int, Mode], CompiledProtocol] = {}


def compile_protocol(program: Program, mode: Mode) -> CompiledProtocol:
    """PROGRAM's rules for MODE as checks, compiled once per program object and mode."""
    found = _COMPILED.get((id(program), mode))
    if found is None or found.program is not program:
        if len(_COMPILED) >= 256:
            _COMPILED.clear()
        found = _COMPILED[(id(program), mode)] = _compile(program, mode)
    return found


def _compile(program: Program, mode: Mode) -> CompiledProtocol:
    """Turn PROGRAM's rules for MODE into checks."""
    rules = tuple(
        _CompiledRule(
            rule,
            _checks(rule.when) if rule.when is not None else (),
            tuple(_checks(c) for c in rule.unless),
        )
        for rule in program.rules_for(mode)
    )
    hours = None
    if program.hours is not None:
        hours = tuple(span for window in program.hours for span in window.intervals())
    zones = None if program.zones is None else frozenset(zone.id for zone in program.zones)
    return CompiledProtocol(program, mode, rules, why.all_reasons(program), hours, zones)


def decide(call: CallRecord, program: Program, *, mode: Mode = Mode.LIVE) -> Decision:
    """Triage one call: protocol rule, red flags, unknown answers, then hours and area."""
    protocol = compile_protocol(program, mode)
    return decide_facts(call.call_id, facts_of(call, program.timezone), protocol)


def _first_rule(facts: Facts, protocol: CompiledProtocol) -> tuple[ResponseOption, Reason, int]:
    """The response, reason and priority of the first matching rule, or the default."""
    program = protocol.program
    for compiled in protocol.rules:
        if compiled.matches(facts):
            option = program.response(compiled.rule.respond)
            priority = compiled.rule.priority or option.priority
            return option, protocol.reasons[compiled.rule.id], priority
    option = program.response(program.default)
    return option, protocol.reasons[why.DEFAULT_ID], option.priority


def _raise_for_flags(
    option: ResponseOption, facts: Facts, program: Program
) -> tuple[ResponseOption, frozenset[Track], list[Reason]]:
    """Red flags can only raise a response: the highest-ranked one wins (ties keep OPTION).

    Also returns the tracks the flags call for and one reason per flag and source.
    """
    present = [f for f in RED_FLAG_ORDER if f in facts.screening_flags or f in facts.notes_flags]
    if not present:
        return option, frozenset(), []
    raised = {flag: program.red_flag_response(flag) for flag in present}
    top = max([TRACK_RANK[option.track], *(TRACK_RANK[o.track] for o in raised.values())])
    if TRACK_RANK[option.track] != top:
        option = next(o for o in raised.values() if TRACK_RANK[o.track] == top)
    reasons: list[Reason] = []
    for flag in present:
        if flag in facts.screening_flags:
            reasons.append(why.flag_reason(flag, from_notes=False))
        if flag in facts.notes_flags:
            reasons.append(why.flag_reason(flag, from_notes=True))
    return option, frozenset(o.track for o in raised.values()), reasons


def _unserved(facts: Facts, protocol: CompiledProtocol) -> str | None:
    """Why an eligible call is not served by the program, or None when it is."""
    if protocol.hours is not None and not any(
        a <= facts.minute_of_week < b for a, b in protocol.hours
    ):
        return why.OUTSIDE_HOURS
    if protocol.zones is not None:
        if facts.zone is None:
            return why.ZONE_UNKNOWN
        if facts.zone not in protocol.zones:
            return why.OUTSIDE_AREA
    return None


def _if_known(
    option: ResponseOption, facts: Facts, protocol: CompiledProtocol
) -> tuple[ResponseOption, tuple[str, ...]]:
    """Live mode: a civilian-only response with unanswered safety questions is raised."""
    if protocol.mode is Mode.LIVE and option.track in CIVILIAN_ONLY:
        unknown = facts.unknown_questions()
        if unknown:
            return protocol.program.response(protocol.program.unknown_answers), unknown
    return option, ()


def _deliver(option: ResponseOption, unserved: str | None, program: Program) -> ResponseOption:
    """The program's own response when it can serve the call, else the fallback."""
    if option.program and unserved is not None:
        return program.response(option.fallback or program.queue.fallback)
    return option


def decide_facts(call_id: str, facts: Facts, protocol: CompiledProtocol) -> Decision:
    """The decision for a call whose facts are already gathered (steps in docs/triage.md)."""
    program = protocol.program
    option, rule_reason, priority = _first_rule(facts, protocol)
    raised, flag_tracks, flag_reasons = _raise_for_flags(option, facts, program)
    needed, unknown = _if_known(raised, facts, protocol)
    plain, _ = _if_known(option, facts, protocol)
    unserved = _unserved(facts, protocol)
    # Deliver both the call as flagged and as if it had no flag, and send the stronger: a red
    # flag must never lower what the call would otherwise get (e.g. police after hours).
    flagged = _deliver(needed, unserved, program)
    unflagged = _deliver(plain, unserved, program)
    final = flagged if TRACK_RANK[flagged.track] >= TRACK_RANK[unflagged.track] else unflagged
    eligible = needed.program
    unserved = unserved if eligible else None
    reasons = [rule_reason, *flag_reasons, *(protocol.reasons[f"unknown:{q}"] for q in unknown)]
    if unserved is not None:
        reasons.append(protocol.reasons[unserved])
    if protocol.mode is Mode.PLANNING:
        reasons.append(why.PLANNING_REASON)
    return Decision(
        call_id=call_id,
        track=final.track,
        also=tuple(t for t in TRACK_ORDER if t in flag_tracks and t != final.track),
        eligible=eligible,
        priority=1 if flag_reasons else priority,
        reasons=tuple(reasons),
        program=program.id,
        protocol_version=program.protocol_version,
        response=final.id,
        unserved_reason=unserved,
        mode=protocol.mode,
    )


def condition_holds(condition: Condition, call: CallRecord, program: Program) -> bool:
    """Whether CALL meets CONDITION (as the protocol reads it), e.g. for a follow-up policy."""
    return _holds(_checks(condition), facts_of(call, program.timezone))
