"""A day of Sample City calls for the demo: which day, and each call as a CAD would post it."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from altresponse.errors import InputError
from altresponse.programs.model import Program
from altresponse.programs.vocabulary import SCREENING_RED_FLAGS, RedFlag
from altresponse.triage.narrative import screen_narrative

OUTCOME_FIELDS = frozenset(
    {"received_at", "dispatched_at", "arrived_at", "cleared_at", "disposition",
     "local_disposition", "screening"}
)  # fmt: skip
"""What a CAD does not know yet when it sends a call in (received_at is set when it is posted)."""
TYPICAL_SHARE = 0.05
"""A day is typical when its volume is within this share of the median day's."""
ASKS_FOR_CIVILIANS = ("NO POLICE", "CRISIS TEAM", "REQ OUTREACH")
"""Notes in which the caller asked for a civilian response (Sample City's phrases)."""
SUICIDE_CATEGORY = "suicide"
CANDIDATES = 9
"""Days of typical volume looked at for one typical in the program's own calls too."""


@dataclass(frozen=True)
class DayCall:
    """One call of the day: when it comes (seconds after the day's start) and its body."""

    offset: float
    body: dict[str, Any]


@dataclass(frozen=True)
class DayOfCalls:
    """The calls of one day of Sample City, from its start time to the same time the next day."""

    day: date
    start: datetime
    calls: tuple[DayCall, ...]


def _stamp_timezone(calls: Path) -> ZoneInfo:
    """The local time zone ingest recorded for a canonical Parquet file (UTC if none)."""
    from altresponse.calls.ingest import ingest_stamp

    return ZoneInfo(ingest_stamp(calls).get("timezone", "UTC"))


def day_counts(received: Any, zone: ZoneInfo, start: time) -> dict[date, int]:
    """Calls per day, where a day runs from START local time to START the next day.

    RECEIVED is a pyarrow column of UTC timestamps.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    local = pc.local_timestamp(received.cast(pa.timestamp("us", tz=zone.key)))
    since = timedelta(hours=start.hour, minutes=start.minute)
    days = pc.subtract(local, pa.scalar(since, type=pa.duration("us"))).cast(pa.date32())
    return {row["values"]: row["counts"] for row in pc.value_counts(days).to_pylist()}


def typical_days(counts: dict[date, int], seed: int) -> list[date]:
    """Days of typical volume (within TYPICAL_SHARE of the median), in an order drawn by SEED.

    The first and last days are left out, as they may be partial (the year's edges).
    """
    days = sorted(counts)[1:-1]
    if not days:
        raise InputError("calls: the demo needs calls on at least three days")
    median = statistics.median(counts[d] for d in days)
    typical = [d for d in days if abs(counts[d] - median) <= TYPICAL_SHARE * median] or days
    return random.Random(seed).sample(typical, len(typical))


def served_by(program: Program, rows: list[dict[str, Any]], zone: ZoneInfo) -> int:
    """How many of the calls (ROWS, local time in ZONE) PROGRAM's own teams would take.

    Each call keeps its wall-clock time in the program's zone, as the replay posts it.
    """
    from altresponse.calls.record import CallRecord
    from altresponse.programs.model import Mode
    from altresponse.triage.live import decide

    here, served = ZoneInfo(program.timezone), 0
    for row in rows:
        local = row["received_at"].astimezone(zone).replace(tzinfo=here)
        call = CallRecord.model_validate({**call_body(row), "received_at": local})
        decision = decide(call, program, mode=Mode.LIVE)
        own = program.response(decision.response).program
        served += 1 if own and decision.unserved_reason is None else 0
    return served


def screening_for(row: dict[str, Any]) -> dict[str, Any]:
    """The screening answers a call-taker would have recorded, read from the call's notes.

    A red flag in the notes ("W/ KNIFE") is a yes to its question; every other question is a
    no, the caller will wait, and suicide risk is "none" unless the call is about suicide.
    """
    found = screen_narrative(row.get("narrative")).red_flags
    answers: dict[str, Any] = {q: flag in found for q, flag in SCREENING_RED_FLAGS.items()}
    if RedFlag.SUICIDE_PLAN in found:
        answers["suicide_risk"] = "plan"
    elif row.get("category") == SUICIDE_CATEGORY:
        answers["suicide_risk"] = "ideation"
    else:
        answers["suicide_risk"] = "none"
    notes = (row.get("narrative") or "").upper()
    answers["caller_requests_alternative"] = any(p in notes for p in ASKS_FOR_CIVILIANS)
    answers["willing_to_wait"] = True
    return answers


def call_body(row: dict[str, Any]) -> dict[str, Any]:
    """A canonical Parquet row as a CAD posts it live: no outcome, no raw columns, no nulls."""
    body = {
        key: value
        for key, value in row.items()
        if value is not None and key not in OUTCOME_FIELDS and not key.startswith("raw_")
    }
    body["screening"] = screening_for(row)
    return body


def _rows(table: Any, zone: ZoneInfo, day: date, start: time) -> list[dict[str, Any]]:
    """The rows of TABLE received from START on DAY to START the next day, in order."""
    import pyarrow.compute as pc

    begin = datetime.combine(day, start, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), start, tzinfo=zone)
    column = table.column("received_at")
    inside = pc.and_(pc.greater_equal(column, begin), pc.less(column, end))
    rows: list[dict[str, Any]] = table.filter(inside).to_pylist()
    return sorted(rows, key=lambda r: (r["received_at"], r["call_id"]))


def day_of_calls(
    calls: Path, *, seed: int, start: time, program: Program | None = None
) -> DayOfCalls:
    """A typical day of CALLS (canonical Parquet), from START local time on, the same by SEED.

    Typical in volume and, given PROGRAM, in how many calls its teams take: of CANDIDATES days
    of typical volume drawn by the seed, the one with the median number (Sample City's days
    differ more in crisis calls than in calls, and a demo day should not be the quietest).
    """
    import pyarrow.parquet as pq

    if not calls.is_file():
        raise InputError(f"{calls}: no such file")
    zone = _stamp_timezone(calls)
    table = pq.read_table(calls)
    days = typical_days(day_counts(table.column("received_at"), zone, start), seed)[:CANDIDATES]
    candidates = {day: _rows(table, zone, day, start) for day in days}
    if program is not None:
        days.sort(key=lambda day: served_by(program, candidates[day], zone))
    day = days[len(days) // 2]
    begin = datetime.combine(day, start, tzinfo=zone)
    return DayOfCalls(
        day=day,
        start=begin,
        calls=tuple(
            DayCall((row["received_at"] - begin).total_seconds(), call_body(row))
            for row in candidates[day]
        ),
    )
