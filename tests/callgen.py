"""Random canonical calls for triage tests: every field, nulls included, notes from fragments."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st

from altresponse.calls.record import CallRecord, CallSource, Disposition, SuicideRisk, call_schema
from altresponse.taxonomy import Taxonomy

NOTE_FRAGMENTS = (
    "has a knife",
    "W/ KNIFE",
    "no weapons seen",
    "no weapons seen, but has a bat",
    "denies SI",
    "SI w/ plan",
    "male sleeping in doorway",
    "transient sleeping",
    "OD",
    "UNRESP",
    "not breathing",
    "10-52",
    "5150",
    "intox subj",
    "yelling at cars",
    "hearing voices",
    "kids left alone in car",
    "gun in waistband",
    "unk if armed",
    "wants to talk to someone",
    "",
)
LOCAL_TYPES = ("WELFARE CHECK", "MENTAL SUBJ", "Trespassing", "DRUNK IN PUBLIC", "zzz unknown")
ZONES = ("A1", "A2", "B1", "Z9", None)
SAFETY_ANSWERS = (
    "weapon", "violence", "injury", "medical_emergency", "crime_in_progress", "immediate_danger"
)  # fmt: skip
START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_MINUTES = 366 * 24 * 60


def _answer(rng: random.Random) -> bool | None:
    """A screening answer: mostly clean, sometimes a red flag, sometimes nobody asked."""
    return rng.choice((False, False, False, True, None, None))


def random_call(rng: random.Random, number: int) -> CallRecord:
    """One random call; every field may be missing, as in real data."""
    codes = list(Taxonomy.load().incident_types)
    incident_type = rng.choice(
        [*rng.sample(codes, 3), "WELFARE", "EDP", "TRESPASS", "SUICTHRT", "NOISE", None, "ZZZ"]
    )
    notes = " ".join(rng.sample(NOTE_FRAGMENTS, rng.randint(0, 3))) or None
    screening = {
        name: _answer(rng)
        for name in (
            "weapon", "violence", "injury", "medical_emergency", "crime_in_progress",
            "immediate_danger", "caller_requests_alternative", "willing_to_wait",
        )
    }  # fmt: skip
    risk = rng.choice([*SuicideRisk, None, None, SuicideRisk.NONE])
    if rng.random() < 0.4:  # a call where the call-taker asked everything and all is clear
        screening.update({q: False for q in SAFETY_ANSWERS})
        risk = rng.choice((SuicideRisk.NONE, SuicideRisk.IDEATION))
    categories = list(Taxonomy.load().categories)
    return CallRecord(
        call_id=f"c{number}",
        received_at=START
        + timedelta(minutes=rng.randrange(YEAR_MINUTES), seconds=rng.randrange(60)),
        source=rng.choice([*CallSource, None]),
        local_type=rng.choice([*LOCAL_TYPES, None]),
        incident_type=incident_type,
        category=rng.choice([*rng.sample(categories, 2), None]),
        disposition=rng.choice([*Disposition, None, None]),
        zone=rng.choice(ZONES),
        narrative=notes,
        screening={**screening, "suicide_risk": risk},
    )


def random_calls(seed: int, count: int) -> list[CallRecord]:
    """COUNT random calls from a fixed SEED."""
    rng = random.Random(seed)
    return [random_call(rng, i) for i in range(count)]


def calls_strategy(max_size: int = 40) -> st.SearchStrategy[list[CallRecord]]:
    """Hypothesis: lists of random calls (drawn from seeds, so shrinking stays meaningful)."""
    return st.lists(
        st.integers(0, 2**32).map(lambda seed: random_call(random.Random(seed), seed)),
        min_size=1,
        max_size=max_size,
        unique_by=lambda call: call.call_id,
    )


def calls_table(calls: list[CallRecord]) -> pa.Table:
    """Calls as a canonical Arrow table (what ingest writes)."""
    rows: list[dict[str, Any]] = [call.model_dump(exclude={"raw"}) for call in calls]
    return pa.Table.from_pylist(rows, schema=call_schema())
