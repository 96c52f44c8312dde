"""Safety scenarios (tests/safety_scenarios.yaml) against every preset, live and batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import pyarrow as pa
import pytest
import yaml

from altresponse.calls.record import CallRecord, Screening, call_schema
from altresponse.programs import Mode, Program, load_program, preset_names
from altresponse.programs.model import MINUTES_PER_WEEK
from altresponse.triage import CIVILIAN_ONLY, Decision, Track, decide
from altresponse.triage.batch import triage_table
from altresponse.triage.flags import SAFETY_QUESTIONS, RedFlag

SCENARIOS = yaml.safe_load(Path(__file__).with_name("safety_scenarios.yaml").read_text())
BASE: dict[str, Any] = SCENARIOS["base"]
RED_FLAGS: list[dict[str, Any]] = SCENARIOS["red_flags"]
UNKNOWN: list[dict[str, Any]] = SCENARIOS["unknown"]
BENIGN_KINDS: dict[str, dict[str, Any]] = SCENARIOS["benign"]["kinds"]
BENIGN_PROGRAMS: dict[str, list[str]] = SCENARIOS["benign"]["programs"]
PRESETS = preset_names()
WEEK_START = datetime(2024, 6, 3)  # a Monday; no clock change that week on either hemisphere
BENIGN_SCREENING = {**BASE["screening"], "caller_requests_alternative": None}
RED_FLAG_REASONS = {
    f"{where}:{flag.value}" for flag in RedFlag for where in ("screening", "notes")
} | {f"unknown:{question}" for question in SAFETY_QUESTIONS}


@dataclass(frozen=True)
class Context:
    """When and where a call comes in, relative to the program's hours and pilot area."""

    name: str
    received_at: datetime
    zone: str | None


def _spans(program: Program) -> list[tuple[int, int]]:
    """The program's hours as merged minute-of-week spans (the whole week when it has none)."""
    if program.hours is None:
        return [(0, MINUTES_PER_WEEK)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for window in program.hours for s in window.intervals()):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _gaps(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The minute-of-week spans outside SPANS."""
    edges = [0, *(m for span in spans for m in span), MINUTES_PER_WEEK]
    return [(a, b) for a, b in zip(edges[::2], edges[1::2], strict=True) if b > a]


def _local(program: Program, minute: int) -> datetime:
    """Minute MINUTE of the test week, on the program's own clock."""
    start = WEEK_START.replace(tzinfo=ZoneInfo(program.timezone))
    return start + timedelta(minutes=minute)


def _middle(spans: list[tuple[int, int]]) -> int:
    """The middle minute of the longest span."""
    start, end = max(spans, key=lambda span: span[1] - span[0])
    return (start + end) // 2


@cache
def contexts(name: str) -> tuple[Context, ...]:
    """Inside hours and area, then each way a program can leave an eligible call unserved."""
    program = load_program(name)
    spans = _spans(program)
    zone = program.zones[0].id if program.zones else "1"
    found = [Context("inside", _local(program, _middle(spans)), zone)]
    if _gaps(spans):
        found.append(Context("outside-hours", _local(program, _middle(_gaps(spans))), zone))
    if program.zones:
        inside_time = found[0].received_at
        found.append(Context("outside-area", inside_time, "NOT-A-PILOT-ZONE"))
        found.append(Context("zone-unknown", inside_time, None))
    return tuple(found)


def make_call(
    spec: dict[str, Any], context: Context, call_id: str, screening: dict[str, Any]
) -> CallRecord:
    """A call from a scenario SPEC: its type, source, notes and SCREENING answers."""
    return CallRecord(
        call_id=call_id,
        received_at=context.received_at,
        source=spec.get("source", BASE["source"]),
        incident_type=spec.get("type"),
        local_type=spec.get("local_type"),
        zone=context.zone,
        narrative=spec.get("notes"),
        screening=Screening(**screening),
    )


def red_flag_call(spec: dict[str, Any], context: Context, mode: Mode) -> CallRecord:
    """The base call with the scenario's answers and notes."""
    screening = {**BASE["screening"], **spec.get("screening", {})}
    return make_call(spec, context, f"red:{spec['id']}:{mode}:{context.name}", screening)


def unknown_call(spec: dict[str, Any], context: Context, *, answered: bool = False) -> CallRecord:
    """The base call with the scenario's questions unanswered (or, ANSWERED, answered safely)."""
    screening = {**BASE["screening"], **spec.get("screening", {})}
    for question in spec["unanswered"]:
        screening[question] = BASE["screening"][question] if answered else None
    suffix = ":answered" if answered else ""
    return make_call(spec, context, f"unknown:{spec['id']}:{context.name}{suffix}", screening)


def benign_call(kind: str, notes: str | None, context: Context, mode: Mode) -> CallRecord:
    """A benign call of KIND: live, all answers safe; planning, nothing asked (historical)."""
    spec = {**BENIGN_KINDS[kind], "notes": notes}
    live = mode is Mode.LIVE
    screening = {**BENIGN_SCREENING, **spec.get("screening", {})} if live else {}
    call_id = f"benign:{kind}:{notes}:{mode}:{context.name}"
    return make_call(spec, context, call_id, screening)


def describe(call: CallRecord, decision: Decision) -> str:
    """The call and decision in one line, for a failure message."""
    answers = call.screening.model_dump(exclude_none=True, mode="json")
    return (
        f"{call.call_id}: type={call.incident_type or call.local_type!r} notes={call.narrative!r} "
        f"source={call.source} zone={call.zone!r} at {call.received_at.isoformat()} "
        f"answers={answers} -> track={decision.track} also={list(decision.also)} "
        f"response={decision.response} priority={decision.priority} "
        f"reasons={[r.id for r in decision.reasons]}"
    )


def red_flag_problems(spec: dict[str, Any], decision: Decision) -> list[str]:
    """What is wrong with DECISION for red-flag scenario SPEC (empty when all is right)."""
    ids = {reason.id for reason in decision.reasons}
    sent = {decision.track.value, *(track.value for track in decision.also)}
    problems = []
    if decision.track in CIVILIAN_ONLY:
        problems.append(f"civilian-only track {decision.track} despite a red flag")
    if decision.priority != 1:
        problems.append(f"priority {decision.priority}, want 1")
    missing = [reason for reason in spec.get("reasons", ()) if reason not in ids]
    if missing:
        problems.append(f"reasons missing {missing}")
    if "reasons_any" in spec and not ids & set(spec["reasons_any"]):
        problems.append(f"none of the reasons {spec['reasons_any']}")
    for group in spec["sends"]:
        if not sent & set(group):
            problems.append(f"sends none of {group}")
    return problems


def scenario_modes(spec: dict[str, Any]) -> list[Mode]:
    """The modes a red-flag scenario runs in."""
    return [Mode(mode) for mode in spec.get("modes", ("live", "planning"))]


def cases(scenarios: list[dict[str, Any]]) -> list[Any]:
    """Every scenario against every preset."""
    return [
        pytest.param(name, spec, id=f"{name}/{spec['id']}")
        for name in PRESETS
        for spec in scenarios
    ]


@pytest.mark.parametrize(("name", "spec"), cases(RED_FLAGS))
def test_red_flag_never_gets_a_civilian_only_track(name: str, spec: dict[str, Any]) -> None:
    """Safety principles 1 and 2: any red flag, from answers or notes, rules out civilian-only."""
    program = load_program(name)
    failures = []
    for mode in scenario_modes(spec):
        for context in contexts(name):
            call = red_flag_call(spec, context, mode)
            decision = decide(call, program, mode=mode)
            problems = red_flag_problems(spec, decision)
            if problems:
                failures.append(f"{'; '.join(problems)}\n    {describe(call, decision)}")
    assert not failures, "\n".join(failures)


def unknown_problems(
    spec: dict[str, Any], program: Program, context: Context
) -> tuple[list[str], bool]:
    """What is wrong with the decision on SPEC's call, and whether the unknown stage decided it."""
    call = unknown_call(spec, context)
    decision = decide(call, program, mode=Mode.LIVE)
    problems = []
    if decision.track in CIVILIAN_ONLY:
        problems.append(f"civilian-only {decision.track}, unanswered {spec['unanswered']}")
    twin = decide(unknown_call(spec, context, answered=True), program, mode=Mode.LIVE)
    by_unknown = (
        context.name == "inside"
        and twin.track in CIVILIAN_ONLY
        and twin.reasons[0].id == decision.reasons[0].id
    )
    if by_unknown:
        ids = {reason.id for reason in decision.reasons}
        missing = [f"unknown:{q}" for q in spec["unanswered"] if f"unknown:{q}" not in ids]
        if missing:
            problems.append(f"reasons missing {missing}")
        if decision.response != program.unknown_answers:
            problems.append(f"response {decision.response}, want {program.unknown_answers}")
    failures = [f"{'; '.join(problems)}\n    {describe(call, decision)}"] if problems else []
    return failures, by_unknown


@pytest.mark.parametrize(("name", "spec"), cases(UNKNOWN))
def test_unanswered_question_never_gets_civilian_only(name: str, spec: dict[str, Any]) -> None:
    """Safety principle 3: in live triage an unanswered safety question never goes civilian-only."""
    program = load_program(name)
    failures = []
    for context in contexts(name):
        failures += unknown_problems(spec, program, context)[0]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", PRESETS)
def test_unknown_scenarios_reach_every_question(name: str) -> None:
    """For each safety question, some scenario is one the program would take but for that gap."""
    program = load_program(name)
    inside = contexts(name)[0]
    reached = set()
    for spec in UNKNOWN:
        if unknown_problems(spec, program, inside)[1]:
            reached.update(spec["unanswered"])
    assert reached == set(SAFETY_QUESTIONS), f"no scenario tests {set(SAFETY_QUESTIONS) - reached}"


def benign_cases() -> list[Any]:
    """Each preset with each kind of call it takes."""
    return [
        pytest.param(name, kind, id=f"{name}/{kind}")
        for name in PRESETS
        for kind in BENIGN_PROGRAMS.get(name, ())
    ]


def benign_problems(program: Program, decision: Decision, context: Context) -> list[str]:
    """What is wrong with the decision on a benign call the program takes, in CONTEXT."""
    own = program.response(decision.response).program
    flagged = [reason.id for reason in decision.reasons if reason.id in RED_FLAG_REASONS]
    problems = [f"safety reasons {flagged} on a benign call"] if flagged else []
    if not decision.eligible:
        problems.append("not eligible")
    if context.name == "inside":
        if not own or decision.unserved_reason is not None:
            problems.append(f"not served by the program ({decision.unserved_reason})")
        if decision.track not in CIVILIAN_ONLY and decision.track is not Track.CO_RESPONSE:
            problems.append(f"track {decision.track} is not a civilian or co-response track")
    else:
        if decision.unserved_reason != context.name:
            problems.append(f"unserved_reason {decision.unserved_reason}, want {context.name}")
        if own:
            problems.append("served by the program outside its hours or area")
    return problems


@pytest.mark.parametrize(("name", "kind"), benign_cases())
def test_benign_call_goes_to_the_program(name: str, kind: str) -> None:
    """The issue's bar: a safe call the program takes gets its team, or is recorded as unserved."""
    program = load_program(name)
    spec = BENIGN_KINDS[kind]
    modes = [Mode.LIVE, Mode.PLANNING] if spec.get("planning", True) else [Mode.LIVE]
    failures = []
    for mode in modes:
        for notes in spec["notes"]:
            for context in contexts(name):
                call = benign_call(kind, notes, context, mode)
                decision = decide(call, program, mode=mode)
                problems = benign_problems(program, decision, context)
                if problems:
                    failures.append(f"{'; '.join(problems)}\n    {describe(call, decision)}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", [n for n in PRESETS if not _gaps(_spans(load_program(n)))])
def test_round_the_clock_program_serves_at_any_hour(name: str) -> None:
    """A program without a gap in its hours takes a benign call at 3 a.m. on a Sunday as well."""
    program = load_program(name)
    kind = BENIGN_PROGRAMS[name][0]
    zone = program.zones[0].id if program.zones else "1"
    night = Context("inside", _local(program, 6 * 1440 + 3 * 60), zone)
    decision = decide(benign_call(kind, BENIGN_KINDS[kind]["notes"][0], night, Mode.LIVE), program)
    assert decision.eligible and decision.unserved_reason is None


def test_every_preset_lists_the_calls_it_takes() -> None:
    """A new preset must say which benign calls it takes, so the bar above covers it."""
    assert sorted(BENIGN_PROGRAMS) == PRESETS
    for name, kinds in BENIGN_PROGRAMS.items():
        assert kinds, f"{name} lists no benign calls"
        assert set(kinds) <= set(BENIGN_KINDS), f"{name}: unknown kinds"


def test_scenario_file_is_well_formed() -> None:
    """Ids are unique, reasons and tracks exist, and there are enough scenarios."""
    specs = RED_FLAGS + UNKNOWN
    ids = [spec["id"] for spec in specs]
    assert len(ids) == len(set(ids)) >= 150
    tracks = {track.value for track in Track}
    for spec in RED_FLAGS:
        assert spec["sends"], spec["id"]
        assert spec.get("reasons") or spec.get("reasons_any"), spec["id"]
        assert set(spec.get("reasons", [])) | set(spec.get("reasons_any", [])) <= RED_FLAG_REASONS
        assert all(set(group) <= tracks - CIVILIAN_ONLY for group in spec["sends"]), spec["id"]
    for spec in UNKNOWN:
        assert set(spec["unanswered"]) <= set(SAFETY_QUESTIONS), spec["id"]


def all_calls(name: str, mode: Mode) -> list[tuple[str, CallRecord]]:
    """Every scenario's calls for preset NAME in MODE, each with what it is."""
    found = []
    for context in contexts(name):
        for spec in RED_FLAGS:
            if mode in scenario_modes(spec):
                found.append(("red", red_flag_call(spec, context, mode)))
        if mode is Mode.LIVE:
            found += [("unknown", unknown_call(spec, context)) for spec in UNKNOWN]
        for kind in BENIGN_PROGRAMS.get(name, ()):
            for notes in BENIGN_KINDS[kind]["notes"]:
                found.append(("benign", benign_call(kind, notes, context, mode)))
    return found


@pytest.fixture(scope="module")
def duckdb() -> Any:
    """One in-memory DuckDB connection for the batch queries."""
    return ibis.duckdb.connect()


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("name", PRESETS)
def test_batch_gives_the_same_safe_decisions(name: str, mode: Mode, duckdb: Any) -> None:
    """All scenarios in one batch query per program and mode: the same decisions as live."""
    program = load_program(name)
    calls = all_calls(name, mode)
    rows = [call.model_dump(exclude={"raw"}) for _, call in calls]
    table = ibis.memtable(pa.Table.from_pylist(rows, schema=call_schema()))
    batch = duckdb.to_pyarrow(triage_table(table, program, mode=mode)).to_pylist()
    assert [row["call_id"] for row in batch] == [call.call_id for _, call in calls]
    failures = []
    for (what, call), row in zip(calls, batch, strict=True):
        live = decide(call, program, mode=mode)
        if row != live.to_json_dict():
            failures.append(f"batch {row}\n    live {describe(call, live)}")
        if what != "benign" and row["track"] in CIVILIAN_ONLY:
            failures.append(f"batch gives civilian-only {row['track']}: {describe(call, live)}")
    assert not failures, "\n".join(failures)
