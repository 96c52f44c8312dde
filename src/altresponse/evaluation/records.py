"""The contacts table: one row per call, what every KPI and the public dashboard count from.

Two sources give the same columns, so a metric has one definition whichever it reads:
- the operations store: what the live service recorded (the decision, the lifecycle's events,
  backups, referrals, surveys);
- a historical canonical table (Parquet from `altresponse ingest`), triaged in planning mode
  with the program. Its "served" is the planning estimate: eligible, inside the program's hours
  and area; its times are those the table records.

Intervals are minutes; a negative one (times typed out of order) or one over a day is a data
error and is left out (null), as the plan report does.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from sqlalchemy import func, select

from altresponse.calls.ingest import ingest_stamp
from altresponse.errors import InputError
from altresponse.operations.db import make_engine, readers, sessions
from altresponse.operations.lifecycle import State
from altresponse.operations.models import (
    Backup,
    Event,
    FollowUp,
    Incident,
    Referral,
    Survey,
    utcnow,
)
from altresponse.planning.table import MAX_INTERVAL_MINUTES, engine, fill_category, local_program
from altresponse.programs.model import Mode, Program
from altresponse.taxonomy import Taxonomy
from altresponse.triage.batch import triage_table

SCHEMA = pa.schema(
    [
        ("call_id", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("zone", pa.string()),
        ("source", pa.string()),
        ("incident_type", pa.string()),
        ("category", pa.string()),
        ("track", pa.string()),
        ("eligible", pa.bool_()),
        ("served", pa.bool_()),
        ("unserved_reason", pa.string()),
        ("disposition", pa.string()),
        ("transported_to", pa.string()),
        ("minutes_to_dispatch", pa.float64()),
        ("minutes_travel", pa.float64()),
        ("minutes_to_arrival", pa.float64()),
        ("minutes_on_scene", pa.float64()),
        ("backup", pa.bool_()),
        ("referrals", pa.int64()),
        ("satisfied", pa.float64()),
        ("narrative", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
    ]
)
"""The contacts table's columns. A historical table does not say whether backup came or whether
a referral was made: there `backup` and `referrals` are null (unknown), never false or 0.
`narrative`, `transported_to`, `call_id`, `lat` and `lon` are for
internal KPIs only: the public dashboard never reads them."""

KEEP = ("received_at", "dispatched_at", "arrived_at", "cleared_at", "zone", "source",
        "incident_type", "category", "disposition", "narrative", "lat", "lon")  # fmt: skip


def minutes(later: datetime | None, earlier: datetime | None) -> float | None:
    """Minutes from EARLIER to LATER; None when either is missing or the span is implausible."""
    if later is None or earlier is None:
        return None
    span = (later - earlier).total_seconds() / 60.0
    return span if 0 <= span <= MAX_INTERVAL_MINUTES else None


def _ibis_minutes(later: Any, earlier: Any) -> Any:
    span = (later.epoch_seconds() - earlier.epoch_seconds()) / 60.0
    return ibis.ifelse((span >= 0) & (span <= MAX_INTERVAL_MINUTES), span, ibis.null("float64"))


def contacts_from_calls(calls: Path, program: Program) -> pa.Table:
    """The contacts of a canonical calls table, triaged with PROGRAM in planning mode.

    The program's hours are read in the calls' own time zone (the one ingest recorded), as the
    plan report reads them.
    """
    if not calls.is_file():
        raise InputError(f"{calls}: no such file")
    try:
        zone = ingest_stamp(calls).get("timezone", program.timezone)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{calls}: not a Parquet calls table ({exc})") from exc
    program = local_program(program, zone)
    with engine() as eng:
        t = triage_table(eng.ibis.read_parquet(calls), program, mode=Mode.PLANNING, keep=KEEP)
        t = t.mutate(category=fill_category(t.category, t.incident_type))
        served = t.eligible & t.unserved_reason.isnull()
        expr = t.select(
            call_id=t.call_id, received_at=t.received_at, zone=t.zone, source=t.source,
            incident_type=t.incident_type, category=t.category, track=t.track,
            eligible=t.eligible, served=served, unserved_reason=t.unserved_reason,
            disposition=t.disposition, transported_to=ibis.null("string"),
            minutes_to_dispatch=_ibis_minutes(t.dispatched_at, t.received_at),
            minutes_travel=_ibis_minutes(t.arrived_at, t.dispatched_at),
            minutes_to_arrival=_ibis_minutes(t.arrived_at, t.received_at),
            minutes_on_scene=_ibis_minutes(t.cleared_at, t.arrived_at),
            backup=ibis.null("boolean"), referrals=ibis.null("int64"),
            satisfied=ibis.null("float64"), narrative=t.narrative, lat=t.lat, lon=t.lon,
        )  # fmt: skip
        table = eng.raw.sql(str(eng.ibis.compile(expr))).to_arrow_table()
    return _conform(table)


def _conform(table: Any) -> pa.Table:
    """TABLE (a pyarrow Table or record batch reader) with exactly SCHEMA's columns and types."""
    if not isinstance(table, pa.Table):
        table = table.read_all()
    return pa.table([table.column(f.name).cast(f.type) for f in SCHEMA], schema=SCHEMA)


def contacts_from_store(database_url: str, program: Program) -> pa.Table:
    """The contacts of the operations store: every incident, with what its log says happened."""
    factory = sessions(make_engine(database_url))
    try:
        with readers(factory)() as session:
            incidents = list(session.scalars(select(Incident).order_by(Incident.id)))
            firsts = _first_times(session)
            backups = set(session.scalars(select(Backup.incident_id).distinct()))
            query = select(Referral.incident_id, func.count()).group_by(Referral.incident_id)
            referred = {incident_id: count for incident_id, count in session.execute(query)}
            satisfied = _satisfaction(session)
    finally:
        factory.kw["bind"].dispose()
    rows = [_row(i, firsts[i.id], i.id in backups, referred.get(i.id, 0), satisfied.get(i.id),
                 program) for i in incidents]  # fmt: skip
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def _first_times(session: Any) -> dict[int, dict[str, datetime]]:
    """For each incident, when it first entered each state (from its log)."""
    found: dict[int, dict[str, datetime]] = defaultdict(dict)
    query = (
        select(Event.incident_id, Event.after, func.min(Event.at))
        .where(Event.after.is_not(None))
        .group_by(Event.incident_id, Event.after)
    )
    for incident_id, state, at in session.execute(query):
        found[incident_id][state] = at
    return found


def _satisfaction(session: Any) -> dict[int, float]:
    """Each incident's mean survey score (1-5), for incidents with surveys."""
    query = select(Survey.incident_id, func.avg(Survey.satisfied)).group_by(Survey.incident_id)
    return {incident_id: float(score) for incident_id, score in session.execute(query)}


def _row(incident: Incident, first: dict[str, datetime], backup: bool, referrals: int,
         satisfied: float | None, program: Program) -> dict[str, Any]:  # fmt: skip
    """One incident as a contact."""
    call = incident.call or {}
    dispatched = first.get(State.DISPATCHED.value)
    arrived = first.get(State.ON_SCENE.value)
    cleared = first.get(State.CLEARED.value)
    own = program.response(incident.response).program if _known(program, incident) else False
    served = dispatched is not None and (own or incident.team_id is not None)
    category = call.get("category") or _category(call.get("incident_type"))
    return {
        "call_id": incident.agency_call_id, "received_at": incident.received_at,
        "zone": incident.zone, "source": call.get("source"),
        "incident_type": call.get("incident_type"), "category": category,
        "track": incident.track, "eligible": incident.eligible, "served": served,
        "unserved_reason": incident.unserved_reason, "disposition": incident.disposition,
        "transported_to": incident.transported_to,
        "minutes_to_dispatch": minutes(dispatched, incident.received_at),
        "minutes_travel": minutes(arrived, dispatched),
        "minutes_to_arrival": minutes(arrived, incident.received_at),
        "minutes_on_scene": minutes(cleared, arrived), "backup": backup,
        "referrals": referrals, "satisfied": satisfied, "narrative": call.get("narrative"),
        "lat": incident.lat, "lon": incident.lon,
    }  # fmt: skip


def _known(program: Program, incident: Incident) -> bool:
    return any(option.id == incident.response for option in program.responses)


def _category(incident_type: str | None) -> str | None:
    if not incident_type:
        return None
    found = Taxonomy.load().incident_types.get(incident_type)
    return found.category if found else None


def follow_ups_from_store(database_url: str, now: datetime | None = None) -> dict[str, Any]:
    """docs/metrics.md, Follow-up completion: follow-ups owed, done on time, late, due, overdue."""
    now = now or utcnow()
    factory = sessions(make_engine(database_url))
    try:
        with readers(factory)() as session:
            rows = list(session.execute(select(FollowUp.state, FollowUp.due_at)))
    finally:
        factory.kw["bind"].dispose()
    owed = len(rows)
    done = sum(1 for state, _ in rows if state == "done")
    late = sum(1 for state, _ in rows if state == "late")
    due = [at for state, at in rows if state == "due"]
    return {
        "owed": owed, "done_on_time": done, "done_late": late, "still_due": len(due),
        "overdue": sum(1 for at in due if at < now),
        "completion": round((done + late) / owed, 6) if owed else None,
        "on_time": round(done / owed, 6) if owed else None,
    }  # fmt: skip
