"""Batch triage: a program's protocol compiled into one Ibis query over a canonical calls table.

Every step mirrors live.py (same order, same tie-breaks), so that a table triaged here gives
exactly the decisions `decide` gives call by call; a property test holds the two together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from altresponse.programs.model import Mode, Program
from altresponse.taxonomy import Taxonomy, suggest
from altresponse.triage import reasons as why
from altresponse.triage.batch_conditions import Columns, any_of, condition_expr, is_in, within
from altresponse.triage.decision import Reason
from altresponse.triage.flags import (
    CIVILIAN_ONLY,
    RED_FLAG_ORDER,
    SAFETY_QUESTIONS,
    SCREENING_RED_FLAGS,
    SUICIDE_RED_FLAG_ANSWERS,
    TRACK_ORDER,
    TRACK_RANK,
    Need,
    RedFlag,
)
from altresponse.triage.narrative_batch import with_narrative_flags

REASON_TYPE = dt.Struct({"id": dt.string, "says": dt.string})
QUESTIONS = (*SAFETY_QUESTIONS, "caller_requests_alternative", "willing_to_wait")


@ibis.udf.scalar.builtin(
    name="timezone", signature=((dt.string, dt.Timestamp(timezone="UTC")), dt.timestamp)
)
def local_time(zone: str, moment: Any) -> Any:
    """DuckDB's timezone(name, timestamptz): the wall-clock time in that zone."""


def _suggested_type(calls: ir.Table) -> ir.Value:
    """Incident types suggested for local types that came without one (as live triage does)."""
    missing = calls.filter(calls.incident_type.isnull() & calls.local_type.notnull())
    local_types = missing.select("local_type").distinct().to_pyarrow()["local_type"].to_pylist()
    known = {local: suggest(local).incident_type for local in local_types}
    known = {local: code for local, code in known.items() if code is not None}
    if not known:
        return calls.incident_type
    lookup = ibis.cases(*((calls.local_type == local, code) for local, code in known.items()))
    return ibis.ifelse(calls.incident_type.isnull(), lookup, calls.incident_type)


def _with_types(calls: ir.Table) -> ir.Table:
    """CALLS plus t_type (incident type, suggested when absent) and whether the taxonomy knows it.

    No joins: the taxonomy lookups compile to IN lists, cheaper than a join over every call.
    """
    calls = calls.mutate(t_type=_suggested_type(calls))
    known = list(Taxonomy.load().incident_types)
    return calls.mutate(t_known=is_in(calls.t_type, known))


def facts_columns(calls: ir.Table, program: Program) -> Columns:
    """The facts live triage gathers (facts.py), as expressions over the typed calls table."""
    facts: Columns = {
        "incident_type": calls.t_type,
        "type_known": calls.t_known,
        "call_category": calls.category,
        "source": calls.source,
        "zone": calls.zone,
        "disposition": calls.disposition,
    }
    for question in QUESTIONS:
        facts[f"answer_{question}"] = calls.screening[question]
    for need in Need:
        facts[f"need_{need.value}"] = calls[f"need_{need.value}"]
    for flag in RedFlag:
        facts[f"notes_{flag.value}"] = calls[f"rf_{flag.value}"]
        facts[f"screening_{flag.value}"] = ibis.literal(False)
    for question, flag in SCREENING_RED_FLAGS.items():
        facts[f"screening_{flag.value}"] = (calls.screening[question] == True).fill_null(False)  # noqa: E712
    risk = is_in(calls.screening["suicide_risk"], sorted(SUICIDE_RED_FLAG_ANSWERS))
    facts[f"screening_{RedFlag.SUICIDE_PLAN.value}"] = risk
    local = local_time(program.timezone, calls.received_at)
    facts["minute_of_week"] = local.day_of_week.index() * 1440 + local.hour() * 60 + local.minute()
    return facts


def _by(key: ir.Value, values: dict[Any, Any], default: Any = None) -> ir.Value:
    """A constant looked up by KEY (a small CASE over the keys)."""
    return ibis.cases(*((key == k, v) for k, v in values.items()), else_=default)


def _reason(reason: Reason) -> ir.StructValue:
    """A reason as a struct literal."""
    return ibis.struct({"id": reason.id, "says": reason.says}, type=REASON_TYPE)


def _maybe(condition: ir.BooleanValue, reason: Reason) -> ir.Value:
    """The reason when CONDITION holds, else null (nulls are dropped from the list)."""
    return ibis.ifelse(condition, _reason(reason), ibis.null(REASON_TYPE))


def _rule_stage(t: ir.Table, program: Program, mode: Mode, facts: Columns) -> ir.Table:
    """First matching rule: its response, priority and reason (live.py: _first_rule)."""
    rules = program.rules_for(mode)
    matches = []
    for i, rule in enumerate(rules):
        holds = condition_expr(rule.when, facts) if rule.when is not None else ibis.literal(True)
        exception = any_of([condition_expr(c, facts) for c in rule.unless])
        matches.append((holds & ~exception, i))
    t = t.mutate(r_idx=ibis.cases(*matches, else_=len(rules)))
    default = program.response(program.default)
    options = {i: rule.respond for i, rule in enumerate(rules)}
    priorities = {
        i: rule.priority or program.response(rule.respond).priority for i, rule in enumerate(rules)
    }
    reasons = {i: _reason(Reason(rule.id, rule.says)) for i, rule in enumerate(rules)}
    return t.mutate(
        r_option=_by(t.r_idx, options, default.id),
        r_priority=_by(t.r_idx, priorities, default.priority),
        r_reason=_by(t.r_idx, reasons, _reason(why.default_reason(program))),
    )


def _flag_stage(t: ir.Table, program: Program) -> ir.Table:
    """Red flags raise the response to the highest-ranked one (live.py: _raise_for_flags)."""
    rank = {option.id: TRACK_RANK[option.track] for option in program.responses}
    present = {f: t[f"screening_{f.value}"] | t[f"notes_{f.value}"] for f in RED_FLAG_ORDER}
    raised = {f: program.red_flag_response(f) for f in RED_FLAG_ORDER}
    rank0 = _by(t.r_option, rank)
    top = ibis.greatest(
        rank0, *(ibis.ifelse(present[f], TRACK_RANK[raised[f].track], -1) for f in RED_FLAG_ORDER)
    )
    t = t.mutate(f_rank0=rank0, f_top=top, f_any=any_of(list(present.values())))
    choices = [(t.f_rank0 == t.f_top, t.r_option)]
    choices += [
        (present[f] & (TRACK_RANK[raised[f].track] == t.f_top), raised[f].id) for f in present
    ]
    return t.mutate(f_option=ibis.cases(*choices, else_=t.r_option))


def _unknown_stage(t: ir.Table, program: Program, mode: Mode) -> ir.Table:
    """Live mode: a civilian-only response with an unanswered safety question is raised.

    Done for the flagged response (u_option) and for the rule's own (p_option): see _service_stage.
    """
    if mode is not Mode.LIVE:
        return t.mutate(u_raise=ibis.literal(False), u_option=t.f_option, p_option=t.r_option)
    civilian = [o.id for o in program.responses if o.track in CIVILIAN_ONLY]
    unknown = any_of([t[f"answer_{q}"].isnull() for q in SAFETY_QUESTIONS])
    t = t.mutate(u_raise=is_in(t.f_option, civilian) & unknown)
    plain = ibis.ifelse(is_in(t.r_option, civilian) & unknown, program.unknown_answers, t.r_option)
    return t.mutate(
        u_option=ibis.ifelse(t.u_raise, program.unknown_answers, t.f_option), p_option=plain
    )


def _unserved(t: ir.Table, program: Program) -> ir.StringValue:
    """Why the program could not serve this call now: hours, then area (live.py: _unserved)."""
    cases: list[tuple[ir.BooleanValue, str]] = []
    if program.hours is not None:
        spans = tuple(span for window in program.hours for span in window.intervals())
        cases.append((~within(t.minute_of_week, spans), why.OUTSIDE_HOURS))
    if program.zones is not None:
        zones = [zone.id for zone in program.zones]
        cases.append((t.zone.isnull(), why.ZONE_UNKNOWN))
        cases.append((~is_in(t.zone, zones), why.OUTSIDE_AREA))
    return (ibis.cases(*cases, else_=None) if cases else ibis.null(dt.string)).cast(dt.string)


def _service_stage(t: ir.Table, program: Program) -> ir.Table:
    """Deliver the flagged and the unflagged response; send the stronger (live.py: decide_facts)."""
    own = [o.id for o in program.responses if o.program]
    fallback = {o.id: o.fallback or program.queue.fallback for o in program.responses if o.program}
    rank = {option.id: TRACK_RANK[option.track] for option in program.responses}
    t = t.mutate(s_now=_unserved(t, program))

    def deliver(option: ir.StringValue) -> ir.StringValue:
        return ibis.ifelse(is_in(option, own) & t.s_now.notnull(), _by(option, fallback), option)

    t = t.mutate(s_flagged=deliver(t.u_option), s_plain=deliver(t.p_option))
    stronger = _by(t.s_flagged, rank) >= _by(t.s_plain, rank)
    t = t.mutate(
        s_response=ibis.ifelse(stronger, t.s_flagged, t.s_plain), s_eligible=is_in(t.u_option, own)
    )
    tracks = {option.id: option.track.value for option in program.responses}
    return t.mutate(
        s_track=_by(t.s_response, tracks),
        s_unserved=ibis.ifelse(t.s_eligible, t.s_now, ibis.null(dt.string)),
    )


def _also(t: ir.Table, program: Program) -> ir.ArrayValue:
    """Tracks the red flags call for, besides the chosen one, in the fixed track order."""
    present = {f: t[f"screening_{f.value}"] | t[f"notes_{f.value}"] for f in RED_FLAG_ORDER}
    items = []
    for track in TRACK_ORDER:
        wanted = [present[f] for f in RED_FLAG_ORDER if program.red_flag_response(f).track == track]
        if wanted:
            keep = any_of(wanted) & (t.s_track != track.value)
            items.append(ibis.ifelse(keep, track.value, ibis.null(dt.string)))
    none = ibis.literal([], type=dt.Array(dt.string))
    if not items:
        return none
    # Most calls have no red flag: skip building the list for them.
    return ibis.ifelse(t.f_any, ibis.array(items).filter(lambda item: item.notnull()), none)


def _reasons(t: ir.Table, program: Program, mode: Mode) -> ir.ArrayValue:
    """The decision's reasons in live.py's order: rule, red flags, unknowns, service, planning."""
    items: list[ir.Value] = [t.r_reason]
    for flag in RED_FLAG_ORDER:
        items.append(_maybe(t[f"screening_{flag.value}"], why.flag_reason(flag, from_notes=False)))
        items.append(_maybe(t[f"notes_{flag.value}"], why.flag_reason(flag, from_notes=True)))
    if mode is Mode.LIVE:
        for question in SAFETY_QUESTIONS:
            asked = t.u_raise & t[f"answer_{question}"].isnull()
            items.append(_maybe(asked, why.unknown_reason(question)))
    for reason_id, reason in why.unserved_reasons(program).items():
        items.append(_maybe((t.s_unserved == reason_id).fill_null(False), reason))
    common = [t.r_reason]
    if mode is Mode.PLANNING:
        items.append(_reason(why.PLANNING_REASON))
        common.append(_reason(why.PLANNING_REASON))
    # Most calls (85-90%) carry only their rule's reason: skip building the full list for them.
    simple = ~(t.f_any | t.u_raise | t.s_unserved.notnull())
    full = ibis.array(items).filter(lambda item: item.notnull())
    return ibis.ifelse(simple, ibis.array(common), full)


def triage_table(
    calls: ir.Table, program: Program, *, mode: Mode = Mode.LIVE, keep: Sequence[str] = ()
) -> ir.Table:
    """One decision row per call of CALLS (a canonical calls table), exactly as `decide` gives.

    KEEP names further columns to carry along: call columns (`incident_type` is the typed one,
    suggested when absent) or the engine's own, such as `r_idx` (the deciding rule's place in
    `program.rules_for(mode)`, their count for the default) and `u_option` (the response the
    protocol chose before service: the program's own option for an eligible call).
    """
    t = with_narrative_flags(_with_types(calls), "narrative")
    facts = facts_columns(t, program)
    t = t.mutate(**facts)
    columns: Columns = {name: t[name] for name in facts}
    t = _rule_stage(t, program, mode, columns)
    t = _flag_stage(t, program)
    t = _unknown_stage(t, program, mode)
    t = _service_stage(t, program)
    decisions = t.select(
        call_id=t.call_id,
        track=t.s_track,
        also=_also(t, program),
        eligible=t.s_eligible,
        priority=ibis.ifelse(t.f_any, 1, t.r_priority).cast(dt.int32),
        reasons=_reasons(t, program, mode),
        program=ibis.literal(program.id),
        protocol_version=ibis.literal(program.protocol_version),
        response=t.s_response,
        unserved_reason=t.s_unserved,
        mode=ibis.literal(mode.value),
        **{name: t[name] for name in keep},
    )
    return decisions
