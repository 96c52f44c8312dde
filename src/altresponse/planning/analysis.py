"""The plan's numbers: one pass of planning-mode triage, kept as a slim table, then small queries.

Every query is an Ibis expression (so it would run on another engine); DuckDB runs them here. The
triaged calls are materialised once in DuckDB (spilling to disk past the memory limit), because
every section of the report reads them and triage is the expensive part.
"""

from __future__ import annotations

import math
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import ibis.expr.types as ir

from altresponse.calls.ingest import ingest_stamp, quarantine_path
from altresponse.calls.record import CALL_COLUMNS
from altresponse.errors import InputError
from altresponse.planning.demand import UNMAPPED, DemandClasses
from altresponse.planning.pilot import Pilot, ZoneHour, design, pilot_grid
from altresponse.programs.model import Mode, Program
from altresponse.programs.vocabulary import CIVILIAN_ONLY
from altresponse.taxonomy import Taxonomy
from altresponse.triage.batch import _local_time, triage_table
from altresponse.triage.files import BATCH_COLUMNS, check_batch_columns, check_batch_values

PUBLIC_SOURCES = ("911", "311", "988", "text", "other")
"""Sources that are a member of the public asking (`other` is the non-emergency line, walk-ins)."""
UNCERTAIN_CONFIDENCE = 0.8
"""A suggested incident type below this confidence counts as ambiguous."""
MAX_INTERVAL_MINUTES = 24 * 60
"""Longer (or negative) intervals between timestamps are data errors, left out of workload."""
MEMORY_LIMIT = "3GB"
TOP_TYPES = 20
TOP_UNMAPPED = 15
KEEP = (
    "source",
    "zone",
    "received_at",
    "dispatched_at",
    "arrived_at",
    "cleared_at",
    "incident_type",
    "category",
    "type_source",
    "type_confidence",
    "lat",
    "lon",
    "r_idx",
    "u_option",
)
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


def _minutes(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    """Minutes from EARLIER to LATER; null when either is missing or the span is implausible."""
    span = (later.epoch_seconds() - earlier.epoch_seconds()) / 60.0
    return ibis.ifelse((span >= 0) & (span <= MAX_INTERVAL_MINUTES), span, ibis.null("float64"))


def _category(category: ir.StringValue, incident_type: ir.StringValue) -> ir.StringValue:
    """The table's category, else the one of the incident type triage found (as triage types it).

    Ingest always fills the category of a typed call; a table from elsewhere may leave it out.
    """
    taxonomy = Taxonomy.load()
    by_type = ibis.cases(
        *((incident_type == code, t.category) for code, t in taxonomy.incident_types.items()),
        else_=ibis.null("string"),
    )
    return ibis.ifelse(category.isnull() & incident_type.notnull(), by_type, category)


def _slim(calls: ir.Table, program: Program) -> ir.Table:
    """Triaged calls with only what the report needs, times already local."""
    t = triage_table(calls, program, mode=Mode.PLANNING, keep=KEEP)
    local = _local_time(program.timezone, t.received_at)
    uncertain = (t.type_source == "suggested") & (t.type_confidence < UNCERTAIN_CONFIDENCE)
    return t.select(
        source=t.source,
        incident_type=t.incident_type,
        category=_category(t.category, t.incident_type),
        uncertain=uncertain.fill_null(False),
        eligible=t.eligible,
        track=t.track,
        option=t.u_option,
        rule=t.r_idx,
        unserved=t.unserved_reason,
        hour=local.hour(),
        how=local.day_of_week.index() * 24 + local.hour(),
        month=local.year() * 100 + local.month(),
        day=local.date(),
        zone=t.zone,
        lat=ibis.ifelse((t.lat != 0) & (t.lon != 0), t.lat, ibis.null("float64")),
        lon=ibis.ifelse((t.lat != 0) & (t.lon != 0), t.lon, ibis.null("float64")),
        on_scene=_minutes(t.cleared_at, t.arrived_at),
        committed=_minutes(t.cleared_at, t.dispatched_at),
        received_at=t.received_at,
        has_dispatch=t.dispatched_at.notnull(),
        has_arrival=t.arrived_at.notnull(),
        has_clear=t.cleared_at.notnull(),
    )


class _Engine:
    """An Ibis DuckDB connection whose compiled queries run on DuckDB directly."""

    def __init__(self, work: Path) -> None:
        self.ibis = ibis.duckdb.connect()
        self.raw = self.ibis.con  # ibis 12's own fetch helpers predate DuckDB 2
        self.raw.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.raw.execute(f"SET temp_directory = '{work}'")
        self.raw.execute("SET preserve_insertion_order = false")

    def rows(self, expr: ir.Table) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = self.raw.execute(str(self.ibis.compile(expr))).fetchall()
        return found

    def one(self, expr: ir.Table) -> tuple[Any, ...]:
        found = self.rows(expr)
        return found[0]

    def materialise(self, name: str, expr: ir.Table) -> ir.Table:
        self.raw.execute(f"CREATE TABLE {name} AS {self.ibis.compile(expr)}")
        return self.ibis.table(name)


@contextmanager
def _engine() -> Iterator[_Engine]:
    with tempfile.TemporaryDirectory(prefix="altresponse-plan-") as work:
        engine = _Engine(Path(work))
        try:
            yield engine
        finally:
            engine.raw.close()


def _share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def local_program(program: Program, timezone: str) -> Program:
    """PROGRAM with its hours read in TIMEZONE: a preset's hours are local wherever it runs."""
    if timezone == program.timezone:
        return program
    return program.model_copy(update={"timezone": timezone})


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
    with _engine() as engine:
        calls = engine.ibis.read_parquet(path)
        check_batch_values(engine.raw, path)
        step("triaging calls (planning mode)")
        planned = engine.materialise("planned", _slim(calls, program))
        step("counting")
        return _Analysis(engine, planned, calls, program, options, path, stamp).plan(step)


class _Analysis:
    """The report's sections, each from one or two small queries over the planned table."""

    def __init__(
        self,
        engine: _Engine,
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
        summary["workload"] = self._workload(days)
        step("pilot design")
        cells = self._zone_hours()
        service = summary["workload"]["service_minutes"]
        grid = pilot_grid(cells, days, self.program, service)
        chosen = design(
            cells, days, self.program, service, self.options.pilot_zones, self.options.pilot_hours
        )
        summary["pilot"] = chosen.to_json_dict()
        summary["workload"]["pilot_officer_hours_freed_per_year"] = chosen.officer_hours_freed
        step("data quality")
        summary["data_quality"] = self._quality(int(total))
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

    # 4. Workload
    def _workload(self, days: int) -> dict[str, Any]:
        p = self.p
        row = self.engine.one(
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

    # 5. Pilot design
    def _zone_hours(self) -> list[ZoneHour]:
        p = self.p.filter(self.p.eligible)
        civilian = [o.id for o in self.program.responses if o.track in CIVILIAN_ONLY]
        rows = self.engine.rows(
            p.group_by(["zone", "hour", p.option.isin(civilian).name("civilian")]).aggregate(
                n=p.count(), timed=p.committed.count(), minutes=p.committed.sum()
            )
        )
        return [
            ZoneHour(zone, int(hour), bool(civ), int(n), int(timed), float(minutes or 0.0))
            for zone, hour, civ, n, timed, minutes in rows
        ]

    # 6. Data quality
    def _quality(self, total: int) -> dict[str, Any]:
        p = self.p
        row = self.engine.one(
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
        c = self.calls.filter(self.calls.category.isnull())
        unmapped = self.engine.rows(
            c.group_by("local_type")
            .aggregate(n=c.count())
            .order_by([ibis.desc("n"), "local_type"])
            .limit(TOP_UNMAPPED)
        )
        quarantine = quarantine_path(self.path)
        stamped = self.stamp.get("rows_quarantined")
        return {
            "rows_read_at_ingest": int(self.stamp["rows_read"])
            if "rows_read" in self.stamp
            else None,
            "rows_quarantined_at_ingest": int(stamped) if stamped is not None else None,
            "duplicates_merged_at_ingest": (
                int(self.stamp["duplicates"]) if "duplicates" in self.stamp else None
            ),
            "quarantine_file": str(quarantine) if quarantine.is_file() else None,
            "source": self.stamp.get("source"),
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


MIN_TIMED_CALLS = 30
"""Fewer eligible calls with times than this: the team's time per call is assumed, not measured."""
DEFAULT_SERVICE_MINUTES = 60.0
"""Assumed team time per call (dispatch to clear) when the data has no times: about an hour."""


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


def _hours(minutes: float | None) -> float:
    return round(float(minutes or 0.0) / 60.0, 1)


def _largest(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _shares(counts: dict[str, int], base: int) -> dict[str, float]:
    return {key: _share(n, base) for key, n in _largest(counts) if n}


__all__ = ["Pilot", "Plan", "PlanOptions", "make_plan"]
