"""The plan report: one self-contained HTML file (opens offline, prints well) and summary.json."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from altresponse.planning import charts
from altresponse.planning.analysis import Plan
from altresponse.planning.demand import DemandClasses
from altresponse.planning.html import (
    card,
    figure,
    money,
    number,
    page,
    percent,
    table,
    write_atomic,
)


def _about(s: dict[str, Any]) -> str:
    base = (
        "public-initiated calls"
        if s["category_shares_base"] == "public_initiated"
        else "all calls (the data does not say who initiated them)"
    )
    labels = DemandClasses.load().labels
    vera = list(s["category_shares"].items())[:16]
    demand = list(s["demand_shares"].items())
    types = [
        (t["incident_type"], t["name"], number(t["calls"]), percent(t["share"]))
        for t in s["incident_types"]
    ]
    return f"""<section id="about"><h2>1. What the calls are about</h2>
<div class="cards">{card(number(s["total_calls"]), "calls")}
{card(number(s["public_initiated_calls"]), "public-initiated")}
{card(number(s["officer_initiated_calls"]), "officer-initiated")}
{card(percent(s["violent_crime_share"]), "violent crime (Vera category)")}</div>
<p class="note">Shares below are of {base}. Categories are the Vera Institute / Two Sigma 911
categories, so they compare with published figures.</p>
<div class="cols">{
        figure(
            charts.hbar(
                [k for k, _ in vera], [v for _, v in vera], "Calls by Vera category", percent=True
            ),
            "Share of calls by Vera/Two Sigma category",
        )
    }
{
        figure(
            charts.hbar(
                [labels.get(k, k) for k, _ in demand],
                [v for _, v in demand],
                "Calls by demand class",
                percent=True,
            ),
            "Share of calls by demand class (Langton et al. 2022: health = mental health, "
            "overdose, suicide, welfare check)",
        )
    }</div>
<h3>Most common incident types</h3>
{table(["code", "incident type", "calls", "share"], types, {2, 3})}</section>"""


def _eligible(s: dict[str, Any]) -> str:
    u = s["uncertainty"]
    rules = s["deciding_rules"][:10]
    tracks = list(s["eligible_by_track"].items())
    unserved = s["eligible_unserved"]
    unserved_rows = [(why, number(n)) for why, n in unserved.items()]
    return f"""<section id="eligible"><h2>2. What could go to a civilian response</h2>
<div class="answer"><b>{number(s["eligible_calls"])}</b> calls ({
        percent(s["eligible_share"])
    } of all)
meet {escape(s["program_name"])}'s criteria, estimated in planning mode; between
{number(u["eligible_low"])} and {number(u["eligible_high"])} allowing for uncertain types.</div>
<div class="cols">{
        figure(
            charts.hbar(
                [r["rule"] for r in rules],
                [r["calls"] for r in rules],
                "Eligible calls by deciding rule",
                percent=False,
            ),
            "Eligible calls by the rule that decided them",
        )
    }
<div><h3>Eligible calls by response track</h3>
{table(["track", "calls"], [(k, number(v)) for k, v in tracks], {1})}
<h3>Eligible but not served under the program's hours and area</h3>
{table(["reason", "calls"], unserved_rows or [("none", "0")], {1})}
<h3>Uncertainty</h3>
{
        table(
            ["", "calls"],
            [
                ("unmapped incident type (not eligible by default)", number(u["unmapped_calls"])),
                ("low-confidence suggested type", number(u["ambiguous_type_calls"])),
                ("... of which eligible", number(u["eligible_with_ambiguous_type"])),
            ],
            {1},
        )
    }
<p class="note">{escape(u["note"])}.</p></div></div>
<h3>Deciding rules</h3>
{
        table(
            ["rule", "what it says", "calls", "share of eligible"],
            [(r["rule"], r["says"], number(r["calls"]), percent(r["share"])) for r in rules],
            {2, 3},
        )
    }
</section>"""


def _where(plan: Plan) -> str:
    s = plan.summary
    peak = s["hour_of_week_peak"]
    chosen = set(s["pilot"]["zones"])
    parts = [
        f"""<section id="when-where"><h2>3. When and where</h2>
<p class="note">Local time ({escape(s["timezone"])}). The busiest hour for eligible calls is
{escape(peak["day"])} {peak["hour"]:02d}:00 with {number(peak["eligible_calls"])} calls over the
period.</p>
{
            figure(
                charts.heatmap(plan.hour_of_week, "Eligible calls by hour of week"),
                "Eligible calls by day of week and hour of day",
            )
        }"""
    ]
    top = [z for z in plan.zones[:15]]
    map_points = [(p["label"], p["lat"], p["lon"], p["eligible"]) for p in plan.points]
    cols = []
    if top:
        cols.append(
            figure(
                charts.hbar(
                    [z["zone"] for z in top],
                    [z["eligible"] for z in top],
                    "Eligible calls by zone",
                    percent=False,
                ),
                "Zones ranked by eligible calls",
            )
        )
    if map_points:
        cols.append(
            figure(
                charts.zone_map(map_points, chosen, "Map of eligible calls"),
                "Zone centroids sized by eligible calls (pilot zones in green); no map tiles",
            )
        )
    if cols:
        parts.append(f'<div class="cols">{"".join(cols)}</div>')
    else:
        parts.append('<p class="note">The data has no zones or coordinates.</p>')
    if len(plan.months) >= 2:
        parts.append(
            figure(
                charts.trend(
                    [m["month"] for m in plan.months],
                    [m["calls"] for m in plan.months],
                    [m["eligible"] for m in plan.months],
                    "Calls by month",
                ),
                "All calls (grey, left scale) and eligible calls (green, right scale) by month",
                narrow=True,
            )
        )
    parts.append("</section>")
    return "\n".join(parts)


def _workload(s: dict[str, Any]) -> str:
    w = s["workload"]
    rows = [
        ("calls with time on scene (arrival to clear)", number(w["calls_with_on_scene_time"])),
        ("time on scene, all calls (hours)", number(w["on_scene_hours"])),
        ("officer time, dispatch to clear, all calls (hours)", number(w["officer_hours"])),
        ("eligible calls with time on scene", number(w["eligible_calls_with_on_scene_time"])),
        (
            "median time on scene, eligible calls (minutes)",
            number(w["eligible_median_on_scene_minutes"]),
        ),
        ("officer hours on eligible calls", number(w["eligible_officer_hours"])),
        ("officer hours on eligible calls, per year", number(w["eligible_officer_hours_per_year"])),
        (
            "officer hours the pilot would free, per year",
            number(w["pilot_officer_hours_freed_per_year"]),
        ),
    ]
    source = (
        "measured in the data (mean dispatch to clear of eligible calls)"
        if w["service_minutes_source"] == "data"
        else "assumed (the data has too few timed eligible calls)"
    )
    return f"""<section id="workload"><h2>4. Workload</h2>
{table(["", "value"], rows, {1})}
<p class="note">One unit per call: the data does not say how many officers went. Time per call
for a team is {number(w["service_minutes"])} minutes, {source}. Hours freed count only calls whose
response is civilian-only (a co-responder still takes an officer).</p></section>"""


def _pilot(plan: Plan) -> str:
    s = plan.summary
    p = s["pilot"]
    where = ", ".join(p["zones"]) or "no zone"
    sizes = sorted({g["zones_k"] for g in plan.grid})
    hours = sorted({g["hours"] for g in plan.grid})
    shares = {(g["zones_k"], g["hours"]): g["covered_share"] for g in plan.grid}
    rows = [
        (
            g["zones_k"],
            g["hours"],
            f"{g['window_start']}\u2013{g['window_end']}",
            ", ".join(g["zones"]),
            number(g["covered_calls"]),
            percent(g["covered_share"]),
            g["teams_estimate"],
            number(g["calls_per_team_shift"]),
            money(g["cost_per_call"], g["currency"]),
        )
        for g in plan.grid
    ]
    chosen = {
        i
        for i, g in enumerate(plan.grid)
        if g["zones_k"] == p["zones_k"] and g["hours"] == p["hours"]
    }
    if not p["covered_calls"]:
        return (
            '<section id="pilot"><h2>5. Pilot design</h2><div class="answer">No call in this '
            "table is eligible under the program, so there is no pilot to design.</div></section>"
        )
    grid = charts.pilot_grid(sizes, hours, shares, "Eligible calls covered by pilot size")
    return f"""<section id="pilot"><h2>5. Pilot design</h2>
<div class="answer">Start in <b>{escape(where)}</b> from <b>{p["window_start"]} to
{p["window_end"]}</b> every day: it covers <b>{number(p["covered_calls"])}</b> eligible calls
({percent(p["covered_share"])} of eligible), {number(p["calls_per_day"])} a day. About
<b>{p["teams_estimate"]} team{"s" if p["teams_estimate"] != 1 else ""}</b> on shift keep 9 in 10
calls at the busiest hour ({number(p["peak_calls_per_hour"])} calls an hour) waiting under
{number(p["max_wait_minutes"])} minutes: {number(p["calls_per_team_shift"])} calls per team-shift,
{money(p["annual_cost"], p["currency"])} a year, {money(p["cost_per_call"], p["currency"])}
per call.</div>
<p class="note">For each size, the best choice of zones and start hour. Teams from Erlang C
(M/M/c) at the window's busiest hour with {number(p["service_minutes"])} minutes a call; the
simulation refines this. Cost = team-hours x the program's hourly cost + per-call and fixed
costs, over a year.</p>
{figure(grid, "Share of eligible calls covered by zones and hours a day", narrow=True)}
{
        table(
            [
                "zones",
                "hours",
                "window",
                "which zones",
                "covered",
                "share",
                "teams",
                "calls per team-shift",
                "cost per call",
            ],
            rows,
            {0, 1, 2, 4, 5, 6, 7, 8},
            chosen,
        )
    }
</section>"""


def _quality(s: dict[str, Any]) -> str:
    q = s["data_quality"]
    missing = q["missing"]
    rows = [
        ("rows read at ingest", number(q["rows_read_at_ingest"])),
        ("rows quarantined at ingest", number(q["rows_quarantined_at_ingest"])),
        ("duplicates merged at ingest", number(q["duplicates_merged_at_ingest"])),
        ("calls with no incident type", number(s["uncertainty"]["unmapped_calls"])),
        ("calls with no dispatch time", number(missing["dispatched_at"])),
        ("calls with no arrival time", number(missing["arrived_at"])),
        ("calls with no clear time", number(missing["cleared_at"])),
        ("calls with no zone", number(missing["zone"])),
        ("calls with no coordinates", number(missing["coordinates"])),
        (
            "implausible on-scene intervals (negative or over a day)",
            number(q["implausible_intervals"]["on_scene"]),
        ),
    ]
    unmapped = [(u["local_type"], number(u["calls"])) for u in q["unmapped_types"]]
    where = (
        f"Quarantined rows are in {escape(q['quarantine_file'])}." if q["quarantine_file"] else ""
    )
    return f"""<section id="quality"><h2>6. Data quality</h2>
<div class="cols"><div>{table(["", "calls"], rows, {1})}<p class="note">{where}</p></div>
<div><h3>Unmapped call types by volume</h3>
{table(["local type", "calls"], unmapped or [("none", "0")], {1})}
<p class="note">Map them with <code>altresponse taxonomy unmapped</code> and a crosswalk.</p>
</div></div></section>"""


def render_plan(plan: Plan) -> str:
    """The report as one HTML document."""
    s = plan.summary
    title = f"{s['program_name']}: what the calls say"
    head = f"""<header><h1>{escape(title)}</h1>
<p class="lede">{number(s["total_calls"])} calls from {escape(s["first_call"][:10])} to
{escape(s["last_call"][:10])} ({number(s["days"])} days with calls) in {escape(s["input"])},
triaged with the <b>{escape(s["program"])}</b> program (protocol
{escape(s["protocol_version"])}) in planning mode.</p>
<div class="cards">{card(percent(s["eligible_share"]), "of calls eligible")}
{card(number(s["eligible_calls"]), "eligible calls")}
{card(str(s["pilot"]["teams_estimate"]), "teams for the pilot")}
{card(money(s["pilot"]["cost_per_call"], s["pilot"]["currency"]), "cost per pilot call")}
</div></header>"""
    body = "\n".join(
        [head, _about(s), _eligible(s), _where(plan), _workload(s), _pilot(plan), _quality(s)]
    )
    return page(title, body)


def write_plan(plan: Plan, directory: Path) -> tuple[Path, Path]:
    """Write DIRECTORY/index.html and DIRECTORY/summary.json."""
    html = directory / "index.html"
    summary = directory / "summary.json"
    write_atomic(summary, json.dumps(plan.summary, indent=2) + "\n")
    write_atomic(html, render_plan(plan))
    return html, summary
