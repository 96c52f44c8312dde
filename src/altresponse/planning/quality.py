"""Workload, the pilot's input and data quality, each from one or two queries on the slim table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from altresponse.calls.ingest import quarantine_path
from altresponse.planning.pilot import ZoneHour
from altresponse.planning.table import Engine
from altresponse.programs.model import Program
from altresponse.programs.vocabulary import CIVILIAN_ONLY

TOP_UNMAPPED = 15
MIN_TIMED_CALLS = 30
"""Fewer eligible calls with times than this: the team's time per call is assumed, not measured."""
DEFAULT_SERVICE_MINUTES = 60.0
"""Assumed team time per call (dispatch to clear) when the data has no times: about an hour."""


def workload(engine: Engine, p: ir.Table, days: int) -> dict[str, Any]:
    """Time on scene and officer time, for all calls and eligible ones; the team's time a call."""
    row = engine.one(
        p.aggregate(
            timed=p.on_scene.count(),
            on_scene=p.on_scene.sum(),
            committed_n=p.committed.count(),
            committed=p.committed.sum(),
            e_timed=p.on_scene.count(where=p.eligible),
            e_on_scene=p.on_scene.sum(where=p.eligible),
            e_median=p.on_scene.median(where=p.eligible),
            e_committed_n=p.committed.count(where=p.eligible),
            e_committed=p.committed.sum(where=p.eligible),
            e_committed_mean=p.committed.mean(where=p.eligible),
        )
    )
    timed, on_scene, committed_n, committed = row[:4]
    e_timed, e_on_scene, e_median, e_committed_n, e_committed, e_mean = row[4:]
    measured = bool(e_committed_n and e_committed_n >= MIN_TIMED_CALLS)
    service = float(e_mean) if measured and e_mean else DEFAULT_SERVICE_MINUTES
    return {
        "calls_with_on_scene_time": int(timed),
        "on_scene_hours": _hours(on_scene),
        "calls_with_committed_time": int(committed_n),
        "officer_hours": _hours(committed),
        "eligible_calls_with_on_scene_time": int(e_timed),
        "eligible_on_scene_hours": _hours(e_on_scene),
        "eligible_median_on_scene_minutes": round(float(e_median), 1) if e_median else None,
        "eligible_calls_with_committed_time": int(e_committed_n),
        "eligible_officer_hours": _hours(e_committed),
        "eligible_officer_hours_per_year": _hours(
            (e_committed or 0.0) * 365 / days if days else 0.0
        ),
        "service_minutes": round(service, 1),
        "service_minutes_source": "data" if measured else "assumed",
    }


def zone_hours(engine: Engine, planned: ir.Table, program: Program) -> list[ZoneHour]:
    """Eligible calls by zone, local hour and whether the response is civilian-only."""
    p = planned.filter(planned.eligible)
    civilian = [o.id for o in program.responses if o.track in CIVILIAN_ONLY]
    rows = engine.rows(
        p.group_by(["zone", "hour", p.option.isin(civilian).name("civilian")]).aggregate(
            n=p.count(), timed=p.committed.count(), minutes=p.committed.sum()
        )
    )
    return [
        ZoneHour(zone, int(hour), bool(civ), int(n), int(timed), float(minutes or 0.0))
        for zone, hour, civ, n, timed, minutes in rows
    ]


def data_quality(
    engine: Engine, p: ir.Table, calls: ir.Table, path: Path, stamp: dict[str, str], total: int
) -> dict[str, Any]:
    """What ingest set aside, what is missing or implausible, and the unmapped types."""
    row = engine.one(
        p.aggregate(
            no_dispatch=(~p.has_dispatch).sum(),
            no_arrival=(~p.has_arrival).sum(),
            no_clear=(~p.has_clear).sum(),
            no_zone=p.zone.isnull().sum(),
            no_coords=p.lat.isnull().sum(),
            bad_on_scene=(p.has_arrival & p.has_clear & p.on_scene.isnull()).sum(),
            bad_committed=(p.has_dispatch & p.has_clear & p.committed.isnull()).sum(),
        )
    )
    c = calls.filter(calls.category.isnull())
    unmapped = engine.rows(
        c.group_by("local_type")
        .aggregate(n=c.count())
        .order_by([ibis.desc("n"), "local_type"])
        .limit(TOP_UNMAPPED)
    )
    quarantine = quarantine_path(path)
    stamped = stamp.get("rows_quarantined")
    return {
        "rows_read_at_ingest": int(stamp["rows_read"]) if "rows_read" in stamp else None,
        "rows_quarantined_at_ingest": int(stamped) if stamped is not None else None,
        "duplicates_merged_at_ingest": (
            int(stamp["duplicates"]) if "duplicates" in stamp else None
        ),
        "quarantine_file": str(quarantine) if quarantine.is_file() else None,
        "source": stamp.get("source"),
        "missing": {
            "dispatched_at": int(row[0]),
            "arrived_at": int(row[1]),
            "cleared_at": int(row[2]),
            "zone": int(row[3]),
            "coordinates": int(row[4]),
        },
        "implausible_intervals": {"on_scene": int(row[5]), "dispatch_to_clear": int(row[6])},
        "unmapped_types": [
            {"local_type": local if local is not None else "(blank)", "calls": int(n)}
            for local, n in unmapped
        ],
        "total_calls": total,
    }


def _hours(minutes: float | None) -> float:
    return round(float(minutes or 0.0) / 60.0, 1)
