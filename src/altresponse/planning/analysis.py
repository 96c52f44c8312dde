"""The plan's numbers: planning-mode triage of every call (table.py), then the report's sections.

Every query is an Ibis expression (so it would run on another engine); DuckDB runs them here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis.expr.types as ir

from altresponse.calls.ingest import ingest_stamp
from altresponse.calls.record import CALL_COLUMNS
from altresponse.errors import InputError
from altresponse.planning.demand import UNMAPPED, DemandClasses
from altresponse.planning.pilot import Pilot, design, pilot_grid
from altresponse.planning.quality import data_quality, workload, zone_hours
from altresponse.planning.table import (
    KEEP,
    PUBLIC_SOURCES,
    Engine,
    engine,
    local_program,
    slim_table,
)
from altresponse.programs.model import Mode, Program
from altresponse.taxonomy import Taxonomy
from altresponse.triage.files import BATCH_COLUMNS, check_batch_columns, check_batch_values

TOP_TYPES = 20
Progress = Callable[[str], None]
"""Called with the name of each stage as it starts."""


@dataclass
class Plan:
    """Everything the report shows: the summary (summary.json) and the series the charts draw."""

    summary: dict[str, Any]
    hour_of_week: list[list[int]]
    months: list[dict[str, Any]]
    zones: list[dict[str, Any]]
    points: list[dict[str, Any]] = field(default_factory=list)
    grid: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class PlanOptions:
    """The analyst's choices: pilot size and window, and the calls' time zone."""

    pilot_zones: int = 3
    pilot_hours: int = 10
    timezone: str | None = None


def _share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def make_plan(
    path: Path,
    program: Program,
    options: PlanOptions | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Analyse the canonical calls table at PATH for PROGRAM (planning-mode triage)."""
    options = options or PlanOptions()
    step = progress or (lambda _stage: None)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    check_batch_columns(path, [*BATCH_COLUMNS, *(c for c in KEEP if c in CALL_COLUMNS)])
    stamp = ingest_stamp(path)
    timezone = options.timezone or stamp.get("timezone") or program.timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"{path}: unknown time zone {timezone!r} (use an IANA name)") from exc
    program = local_program(program, timezone)
    with engine() as eng:
        calls = eng.ibis.read_parquet(path)
        check_batch_values(eng.raw, path)
        step("triaging calls (planning mode)")
        planned = eng.materialise("planned", slim_table(calls, program))
        step("counting")
        return _Analysis(eng, planned, calls, program, options, path, stamp).plan(step)


class _Analysis:
    """The report's sections, each from one or two small queries over the planned table."""

    def __init__(
        self,
        engine: Engine,
        planned: ir.Table,
        calls: ir.Table,
        program: Program,
        options: PlanOptions,
        path: Path,
        stamp: dict[str, str],
    ) -> None:
        self.engine = engine
        self.p = planned
        self.calls = calls
        self.program = program
        self.options = options
        self.path = path
        self.stamp = stamp
        self.taxonomy = Taxonomy.load()
        self.demand = DemandClasses.load()

    def plan(self, step: Progress) -> Plan:
        p = self.p
        total, public, officer, known, first, last, days = self.engine.one(
            p.aggregate(
                n=p.count(),
                public=p.source.isin(PUBLIC_SOURCES).sum(),
                officer=(p.source == "officer").sum(),
                known=p.source.notnull().sum(),
                first=p.received_at.epoch_seconds().min(),
                last=p.received_at.epoch_seconds().max(),
                days=p.day.nunique(),
            )
        )
        if not total:
            raise InputError(f"{self.path}: the table holds no calls")
        public, officer, known, days = int(public or 0), int(officer or 0), int(known), int(days)
        summary: dict[str, Any] = {
            "input": str(self.path),
            "program": self.program.id,
            "program_name": self.program.name,
            "protocol_version": self.program.protocol_version,
            "mode": Mode.PLANNING.value,
            "timezone": self.program.timezone,
            "first_call": _utc(first),
            "last_call": _utc(last),
            "days": days,
            "total_calls": int(total),
            "public_initiated_calls": public,
            "officer_initiated_calls": officer,
            "source_unknown_calls": int(total) - known,
        }
        step("what the calls are about")
        summary |= self._about(int(total), public)
        step("what a civilian response could take")
        summary |= self._eligibility(int(total))
        step("when and where")
        hour_of_week = self._hour_of_week()
        months = self._months()
        zones, points = self._zones()
        step("workload")
        summary["workload"] = workload(self.engine, self.p, days)
        step("pilot design")
        cells = zone_hours(self.engine, self.p, self.program)
        service = summary["workload"]["service_minutes"]
        grid = pilot_grid(cells, days, self.program, service)
        chosen = design(
            cells, days, self.program, service, self.options.pilot_zones, self.options.pilot_hours
        )
        summary["pilot"] = chosen.to_json_dict()
        summary["workload"]["pilot_officer_hours_freed_per_year"] = chosen.officer_hours_freed
        step("data quality")
        summary["data_quality"] = data_quality(
            self.engine, self.p, self.calls, self.path, self.stamp, int(total)
        )
        summary["hour_of_week_peak"] = _peak(hour_of_week)
        return Plan(
            summary=summary,
            hour_of_week=hour_of_week,
            months=months,
            zones=zones,
            points=points,
            grid=[g.to_json_dict() for g in grid],
        )

    # 1. What the calls are about
    def _about(self, total: int, public: int) -> dict[str, Any]:
        p = self.p
        rows = self.engine.rows(
            p.group_by(["category", "incident_type"]).aggregate(
                n=p.count(), public=p.source.isin(PUBLIC_SOURCES).sum()
            )
        )
        base_is_public = public > 0
        base = public if base_is_public else total
        vera: dict[str, int] = defaultdict(int)
        ours: dict[str, int] = defaultdict(int)
        demand: dict[str, int] = defaultdict(int)
        types: dict[str, int] = defaultdict(int)
        for category, incident_type, n, from_public in rows:
            counted = int(from_public or 0) if base_is_public else int(n)
            known = self.taxonomy.categories.get(category) if category else None
            vera[str(known.vera_category) if known else UNMAPPED] += counted
            ours[category or UNMAPPED] += counted
            demand[self.demand.class_of(incident_type, category)] += counted
            types[incident_type or UNMAPPED] += int(n)
        violent = vera.get("Violent Crime", 0)
        return {
            "category_shares_base": "public_initiated" if base_is_public else "all_calls",
            "category_shares": _shares(vera, base),
            "categories": [
                {
                    "category": code,
                    "label": self._category_label(code),
                    "calls": n,
                    "share": _share(n, base),
                }
                for code, n in _largest(ours)
            ],
            "demand_shares": _shares(demand, base),
            "violent_crime_calls": violent,
            "violent_crime_share": _share(violent, base),
            "incident_types": [
                {
                    "incident_type": code,
                    "name": self._type_name(code),
                    "calls": n,
                    "share": _share(n, total),
                }
                for code, n in _largest(types)[:TOP_TYPES]
            ],
        }

    def _category_label(self, code: str) -> str:
        known = self.taxonomy.categories.get(code)
        return known.label if known else "Unmapped type"

    def _type_name(self, code: str) -> str:
        known = self.taxonomy.incident_types.get(code)
        return known.name.capitalize() if known else "Unmapped type"

    # 2. What could go to a civilian response
    def _eligibility(self, total: int) -> dict[str, Any]:
        p = self.p
        rows = self.engine.rows(
            p.group_by(["eligible", "track", "option", "rule", "unserved", "uncertain"]).aggregate(
                n=p.count(), unmapped=p.incident_type.isnull().sum()
            )
        )
        rules = self.program.rules_for(Mode.PLANNING)
        by_track: dict[str, int] = defaultdict(int)
        eligible_by_track: dict[str, int] = defaultdict(int)
        by_rule: dict[int, int] = defaultdict(int)
        unserved: dict[str, int] = defaultdict(int)
        eligible = uncertain_eligible = unmapped = uncertain_all = 0
        for is_eligible, track, option, rule, why, uncertain, n, no_type in rows:
            n = int(n)
            by_track[track] += n
            unmapped += int(no_type)
            uncertain_all += n if uncertain else 0
            if not is_eligible:
                continue
            eligible += n
            uncertain_eligible += n if uncertain else 0
            eligible_by_track[self.program.response(option).track.value] += n
            by_rule[int(rule)] += n
            if why is not None:
                unserved[why] += n
        typed = total - unmapped
        typed_share = eligible / typed if typed else 0.0
        deciding = []
        for idx, n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
            rule_id, says = (
                (rules[idx].id, rules[idx].says) if idx < len(rules) else ("default", "default")
            )
            deciding.append(
                {"rule": rule_id, "says": says, "calls": n, "share": _share(n, eligible)}
            )
        return {
            "eligible_calls": eligible,
            "eligible_share": _share(eligible, total),
            "by_track": dict(_largest(by_track)),
            "eligible_by_track": dict(_largest(eligible_by_track)),
            "eligible_unserved": dict(_largest(unserved)),
            "deciding_rules": deciding,
            "uncertainty": {
                "unmapped_calls": unmapped,
                "ambiguous_type_calls": uncertain_all,
                "eligible_with_ambiguous_type": uncertain_eligible,
                "eligible_low": eligible - uncertain_eligible,
                "eligible_high": eligible + round(unmapped * typed_share),
                "note": (
                    "low leaves out eligible calls whose type was a low-confidence suggestion; "
                    "high adds unmapped calls at the eligible share of typed calls"
                ),
            },
        }

    # 3. When and where
    def _hour_of_week(self) -> list[list[int]]:
        p = self.p.filter(self.p.eligible)
        grid = [[0] * 24 for _ in range(7)]
        for how, n in self.engine.rows(p.group_by("how").aggregate(n=p.count())):
            grid[int(how) // 24][int(how) % 24] = int(n)
        return grid

    def _months(self) -> list[dict[str, Any]]:
        p = self.p
        rows = self.engine.rows(
            p.group_by("month").aggregate(n=p.count(), eligible=p.eligible.sum()).order_by("month")
        )
        return [
            {"month": f"{m // 100:04d}-{m % 100:02d}", "calls": int(n), "eligible": int(e)}
            for m, n, e in rows
        ]

    def _zones(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        p = self.p
        rows = self.engine.rows(
            p.group_by("zone").aggregate(
                n=p.count(), eligible=p.eligible.sum(), lat=p.lat.mean(), lon=p.lon.mean()
            )
        )
        zones = sorted(
            (
                {
                    "zone": zone,
                    "calls": int(n),
                    "eligible": int(e),
                    "lat": _coord(lat),
                    "lon": _coord(lon),
                }
                for zone, n, e, lat, lon in rows
                if zone is not None
            ),
            key=lambda z: (-z["eligible"], z["zone"]),
        )
        points: list[dict[str, Any]] = [
            {"label": z["zone"], "lat": z["lat"], "lon": z["lon"], "eligible": z["eligible"]}
            for z in zones
            if z["lat"] is not None
        ]
        if not points:  # no zones with coordinates: a 0.01-degree grid of eligible calls
            cells = p.filter(p.eligible & p.lat.notnull())
            rows = self.engine.rows(
                cells.group_by(lat=cells.lat.round(2), lon=cells.lon.round(2)).aggregate(
                    n=cells.count()
                )
            )
            points = [
                {"label": None, "lat": float(la), "lon": float(lo), "eligible": int(n)}
                for la, lo, n in rows
            ]
        return zones, points


def _peak(grid: list[list[int]]) -> dict[str, Any]:
    """The busiest hour of the week for eligible calls."""
    day, hour = max(
        ((d, h) for d in range(7) for h in range(24)), key=lambda dh: grid[dh[0]][dh[1]]
    )
    return {"day": DAYS[day], "hour": hour, "eligible_calls": grid[day][hour]}


DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _utc(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(float(epoch_seconds), UTC).isoformat()


def _coord(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 5)


def _largest(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _shares(counts: dict[str, int], base: int) -> dict[str, float]:
    return {key: _share(n, base) for key, n in _largest(counts) if n}


__all__ = ["Pilot", "Plan", "PlanOptions", "local_program", "make_plan"]
