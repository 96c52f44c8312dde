"""Safety properties over random calls, for every preset in both modes (DESIGN.md, Safety)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altresponse.calls.record import CallRecord, CallSource, Disposition, Screening, SuicideRisk
from altresponse.programs import Mode, Program, load_program, preset_names
from altresponse.taxonomy import Taxonomy
from altresponse.triage import CIVILIAN_ONLY, Decision, Track, decide
from altresponse.triage.flags import SAFETY_QUESTIONS, SCREENING_RED_FLAGS, TRACK_RANK

PRESETS = preset_names()
TYPES = sorted(Taxonomy.load().incident_types)
CATEGORIES = sorted(Taxonomy.load().categories)
LOCAL_TYPES = ("WELFARE CHECK", "MENTAL SUBJ", "TRESPASSING", "DRUNK IN PUBLIC", "SUICIDAL SUBJ")
YES_NO_QUESTIONS = (*SCREENING_RED_FLAGS, "caller_requests_alternative", "willing_to_wait")

RED_FLAG_PHRASES = (
    "has a knife",
    "W/ KNIFE",
    "GUN IN WAISTBAND",
    "W/ GUN",
    "armed with a machete",
    "pointed a gun at RP",
    "hitting his mother",
    "threatening to kill",
    "punched RP",
    "not breathing",
    "UNRESP",
    "POSS OD",
    "having a seizure",
    "chest pain",
    "unconscious",
    "SI w/ plan",
    "took pills",
    "attempted suicide",
    "toddler alone",
    "breaking into cars now",
    "standing in traffic",
    "bleeding from head",
)
"""Phrases that name a red flag outright: notes holding one never allow a civilian-only track."""

BENIGN_PHRASES = (
    "RP REQ CONTACT",
    "talking to himself",
    "HBD",
    "sleeping in doorway",
    "acting erratic",
    "TENT ON SIDEWALK",
    "yelling at cars",
    "hearing voices",
    "wants to talk to someone",
    "RP WILL MEET AT FRONT",
    "off meds",
    "asking for money",
)
NEGATED_PHRASES = (
    "NO WEAPONS SEEN",
    "denies SI",
    "NEG WEAPONS",
    "no injuries",
    "not violent",
    "denies plan",
    "no one hurt",
    "not aggressive",
    "no drugs",
)
SEPARATORS = (". ", "; ", ", ", " / ", "\n")
SETTINGS = settings(max_examples=200, deadline=None)

answers = st.one_of(st.none(), st.booleans())
risks = st.one_of(st.none(), st.sampled_from(list(SuicideRisk)))
times = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC)
)


def screenings() -> st.SearchStrategy[dict[str, Any]]:
    """Any screening answers, each possibly unanswered."""
    questions = {question: answers for question in YES_NO_QUESTIONS}
    return st.fixed_dictionaries({**questions, "suicide_risk": risks})


@st.composite
def notes(draw: st.DrawFn, *, red_flag: bool = False) -> str | None:
    """Call-taker notes from benign, negated and red-flag phrases; RED_FLAG: at least one."""
    pool = BENIGN_PHRASES + NEGATED_PHRASES + (() if red_flag else RED_FLAG_PHRASES)
    parts = draw(st.lists(st.sampled_from(pool), max_size=4))
    if red_flag:
        at = draw(st.integers(0, len(parts)))
        parts.insert(at, draw(st.sampled_from(RED_FLAG_PHRASES)))
    if not parts:
        return None
    text = draw(st.sampled_from(SEPARATORS)).join(parts)
    return text.upper() if draw(st.booleans()) else text


@st.composite
def flagged_screenings(draw: st.DrawFn) -> dict[str, Any]:
    """Screening answers with at least one red flag: a yes, or a suicide plan or attempt."""
    screening = draw(screenings())
    question = draw(st.sampled_from([*SCREENING_RED_FLAGS, "suicide_risk"]))
    if question == "suicide_risk":
        screening[question] = draw(st.sampled_from([SuicideRisk.PLAN, SuicideRisk.ATTEMPT]))
    else:
        screening[question] = True
    return screening


@st.composite
def unanswered_screenings(draw: st.DrawFn) -> dict[str, Any]:
    """Screening answers with at least one safety question unanswered."""
    screening = draw(screenings())
    for question in draw(st.sets(st.sampled_from(SAFETY_QUESTIONS), min_size=1)):
        screening[question] = None
    return screening


@st.composite
def calls(
    draw: st.DrawFn,
    program: Program,
    screening: st.SearchStrategy[dict[str, Any]] | None = None,
    narrative: st.SearchStrategy[str | None] | None = None,
) -> CallRecord:
    """A random call: any type (or only a local type), source, zone, time, answers and notes."""
    zones = [zone.id for zone in program.zones or ()][:3]
    return CallRecord(
        call_id="random",
        received_at=draw(times),
        source=draw(st.one_of(st.none(), st.sampled_from(list(CallSource)))),
        incident_type=draw(st.one_of(st.none(), st.just("ZZZ"), st.sampled_from(TYPES))),
        local_type=draw(st.one_of(st.none(), st.sampled_from(LOCAL_TYPES))),
        category=draw(st.one_of(st.none(), st.sampled_from(CATEGORIES))),
        disposition=draw(st.one_of(st.none(), st.sampled_from(list(Disposition)))),
        zone=draw(st.sampled_from([*zones, "NOT-A-PILOT-ZONE", None])),
        narrative=draw(narrative if narrative is not None else notes()),
        screening=Screening(**draw(screening if screening is not None else screenings())),
    )


def shown(call: CallRecord, decision: Decision) -> str:
    """The call and decision, for a failure message."""
    return f"{call.model_dump_json(exclude={'raw'})}\n -> {decision.to_json_dict()}"


def draw_call(data: st.DataObject, name: str, **strategies: Any) -> tuple[Program, CallRecord]:
    """The preset NAME and a random call for it."""
    program = load_program(name)
    return program, data.draw(calls(program, **strategies))


@pytest.mark.parametrize("name", PRESETS)
@SETTINGS
@given(data=st.data())
def test_screening_red_flag_is_never_civilian_only(name: str, data: st.DataObject) -> None:
    """(a) A red-flag screening answer rules out a civilian-only track, live or planning."""
    program, call = draw_call(data, name, screening=flagged_screenings())
    for mode in Mode:
        decision = decide(call, program, mode=mode)
        assert decision.track not in CIVILIAN_ONLY, shown(call, decision)
        assert decision.priority == 1, shown(call, decision)


@pytest.mark.parametrize("name", PRESETS)
@SETTINGS
@given(data=st.data())
def test_unanswered_question_is_never_civilian_only_live(name: str, data: st.DataObject) -> None:
    """(a) In live triage, a call with an unanswered safety question is never civilian-only."""
    program, call = draw_call(data, name, screening=unanswered_screenings())
    decision = decide(call, program, mode=Mode.LIVE)
    assert decision.track not in CIVILIAN_ONLY, shown(call, decision)


@pytest.mark.parametrize("name", PRESETS)
@SETTINGS
@given(data=st.data())
def test_red_flag_in_the_notes_is_never_civilian_only(name: str, data: st.DataObject) -> None:
    """(b) Notes naming a red flag, whatever else they say, rule out civilian-only in both modes."""
    program, call = draw_call(data, name, narrative=notes(red_flag=True))
    for mode in Mode:
        decision = decide(call, program, mode=mode)
        assert decision.track not in CIVILIAN_ONLY, shown(call, decision)
        assert decision.priority == 1, shown(call, decision)


def assert_never_lower(program: Program, call: CallRecord, flagged: CallRecord) -> None:
    """In both modes, the flagged call's track ranks at least as high as the call's own."""
    for mode in Mode:
        before = decide(call, program, mode=mode)
        after = decide(flagged, program, mode=mode)
        message = f"before: {shown(call, before)}\nafter: {shown(flagged, after)}"
        assert TRACK_RANK[after.track] >= TRACK_RANK[before.track], message


@pytest.mark.parametrize("name", PRESETS)
@SETTINGS
@given(data=st.data())
def test_a_red_flag_phrase_only_raises_the_track(name: str, data: st.DataObject) -> None:
    """(c) Adding a red-flag phrase to any call's notes never lowers its track."""
    program, call = draw_call(data, name)
    phrase = data.draw(st.sampled_from(RED_FLAG_PHRASES))
    separator = data.draw(st.sampled_from(SEPARATORS))
    text = phrase if call.narrative is None else f"{call.narrative}{separator}{phrase}"
    flagged = call.model_copy(update={"narrative": text})
    assert_never_lower(program, call, flagged)


@pytest.mark.parametrize("name", PRESETS)
@SETTINGS
@given(data=st.data())
def test_a_red_flag_answer_only_raises_the_track(name: str, data: st.DataObject) -> None:
    """(c) Changing a safety answer to a red flag (yes, a suicide plan) never lowers the track."""
    program, call = draw_call(data, name)
    question = data.draw(st.sampled_from([*SCREENING_RED_FLAGS, "suicide_risk"]))
    value = SuicideRisk.PLAN if question == "suicide_risk" else True
    flagged = call.model_copy(
        update={"screening": call.screening.model_copy(update={question: value})}
    )
    assert_never_lower(program, call, flagged)


@pytest.mark.parametrize("name", PRESETS)
@SETTINGS
@given(data=st.data())
def test_one_track_and_eligibility_is_accounted_for(name: str, data: st.DataObject) -> None:
    """(d) One track per call, its response's; an eligible call is served or says why not."""
    program, call = draw_call(data, name)
    for mode in Mode:
        decision = decide(call, program, mode=mode)
        response = program.response(decision.response)
        message = shown(call, decision)
        assert isinstance(decision.track, Track), message
        assert response.track is decision.track, message
        assert decision.track not in decision.also, message
        assert len(set(decision.also)) == len(decision.also), message
        if decision.eligible:
            assert response.program or decision.unserved_reason is not None, message
        else:
            assert not response.program and decision.unserved_reason is None, message
        if decision.unserved_reason is not None:
            assert not response.program, message
