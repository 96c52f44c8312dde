"""Batch triage equals live triage, call for call, for every preset and both modes."""

from __future__ import annotations

from pathlib import Path

import ibis
import pytest
from hypothesis import HealthCheck, given, settings

from altresponse.calls.record import CallRecord
from altresponse.programs import Mode, Program, load_program, preset_names
from altresponse.triage import decide
from altresponse.triage.batch import triage_table
from callgen import calls_strategy, calls_table, random_calls

RIVERTON = Path(__file__).parent / "programs" / "riverton.yaml"
PROGRAMS = [str(RIVERTON), *preset_names()]


def batch_decisions(calls: list[CallRecord], program: Program, mode: Mode) -> list[dict]:
    """Decisions from the batch engine, as JSON dicts, in input order."""
    table = ibis.memtable(calls_table(calls))
    return ibis.duckdb.connect().to_pyarrow(triage_table(table, program, mode=mode)).to_pylist()


def live_decisions(calls: list[CallRecord], program: Program, mode: Mode) -> list[dict]:
    """Decisions from the live engine, as JSON dicts."""
    return [decide(call, program, mode=mode).to_json_dict() for call in calls]


def assert_same(calls: list[CallRecord], program: Program, mode: Mode) -> None:
    """Batch and live agree on every field of every call, in the same order."""
    batch = batch_decisions(calls, program, mode)
    live = live_decisions(calls, program, mode)
    assert len(batch) == len(live)
    for call, got, want in zip(calls, batch, live, strict=True):
        assert got == want, f"batch and live differ for {call.model_dump_json()}"


CORPUS = random_calls(seed=20261121, count=3_000)


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("name", PROGRAMS)
def test_batch_equals_live_on_a_random_corpus(name: str, mode: Mode) -> None:
    assert_same(CORPUS, load_program(name), mode)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls=calls_strategy())
def test_batch_equals_live_property(calls: list[CallRecord]) -> None:
    program = load_program(RIVERTON)
    for mode in Mode:
        assert_same(calls, program, mode)


def test_batch_keeps_the_input_order_and_ids() -> None:
    calls = random_calls(seed=7, count=500)
    got = [row["call_id"] for row in batch_decisions(calls, load_program(RIVERTON), Mode.LIVE)]
    assert got == [call.call_id for call in calls]


def test_the_corpus_exercises_every_outcome() -> None:
    """The random corpus reaches every path of the engine, so equality above means something."""
    decisions = live_decisions(CORPUS, load_program(RIVERTON), Mode.LIVE)
    tracks = {d["track"] for d in decisions}
    reasons = {r["id"].split(":")[0] for d in decisions for r in d["reasons"]}
    assert tracks >= {"police", "ems", "community", "crisis_line", "referral", "co_response"}
    assert {
        "screening",
        "notes",
        "unknown",
        "outside-hours",
        "outside-area",
        "zone-unknown",
    } <= reasons
    assert any(d["also"] for d in decisions)
    assert any(d["eligible"] and d["unserved_reason"] is None for d in decisions)
