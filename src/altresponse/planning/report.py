"""The plan report: one self-contained HTML file (opens offline, prints well) and summary.json."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from altresponse import __version__
from altresponse.planning import charts
from altresponse.planning.analysis import Plan
from altresponse.planning.demand import DemandClasses

STYLE = """
:root { --ink:#1f2933; --muted:#616e7c; --rule:#d9dde2; --accent:#2f6f9f; --ok:#2f855a; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  margin: 0 auto; max-width: 1080px; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-top: 12px; border-top: 2px solid var(--ink); }
h3 { font-size: 14px; margin: 18px 0 6px; }
p.lede, p.note { color: var(--muted); margin: 4px 0 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px;
  margin: 12px 0; }
.card { border: 1px solid var(--rule); border-radius: 4px; padding: 8px 10px; }
.card b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; }
.card span { color: var(--muted); font-size: 12px; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; align-items: start; }
figure.chart { margin: 8px 0 12px; }
figure.narrow { max-width: 760px; }
figure.chart figcaption { font-size: 12px; color: var(--muted); }
svg.chart-svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 12px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--rule);
  vertical-align: top; }
th { font-weight: 600; background: #f5f7fa; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.chosen td { background: #eaf6ee; font-weight: 600; }
.answer { border-left: 4px solid var(--ok); padding: 6px 12px; background: #f4faf6;
  margin: 10px 0; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media (max-width: 760px) { .cols { grid-template-columns: 1fr; } }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; }
  section, figure, table, .cards { break-inside: avoid; }
  .cols { grid-template-columns: 1fr 1fr; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 14mm; }
"""


def _n(value: float | int | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.1f}%"


def _money(value: float | None, currency: str) -> str:
    return "n/a" if value is None else f"{currency} {value:,.0f}"


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    numeric: set[int],
    chosen: set[int] | None = None,
) -> str:
    head = "".join(
        f'<th class="n">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = []
    for r, row in enumerate(rows):
        cells = "".join(
            f'<td class="n">{escape(str(v))}</td>' if i in numeric else f"<td>{escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        mark = ' class="chosen"' if chosen and r in chosen else ""
        body.append(f"<tr{mark}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _card(value: str, label: str) -> str:
    return f'<div class="card"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


def _figure(svg: str, caption: str, *, narrow: bool = False) -> str:
    kind = "chart narrow" if narrow else "chart"
    return f'<figure class="{kind}">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}"
        f"<footer>Made by altresponse {escape(__version__)}. Estimates from historical calls "
        "in planning mode: nobody was asked the screening questions, so eligibility is read "
        "from each call's type, notes and outcome.</footer></body></html>\n"
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
        (t["incident_type"], t["name"], _n(t["calls"]), _pct(t["share"]))
        for t in s["incident_types"]
    ]
    return f"""<section id="about"><h2>1. What the calls are about</h2>
<div class="cards">{_card(_n(s["total_calls"]), "calls")}
{_card(_n(s["public_initiated_calls"]), "public-initiated")}
{_card(_n(s["officer_initiated_calls"]), "officer-initiated")}
{_card(_pct(s["violent_crime_share"]), "violent crime (Vera category)")}</div>
<p class="note">Shares below are of {base}. Categories are the Vera Institute / Two Sigma 911
categories, so they compare with published figures.</p>
<div class="cols">{
        _figure(
            charts.hbar(
                [k for k, _ in vera], [v for _, v in vera], "Calls by Vera category", percent=True
            ),
            "Share of calls by Vera/Two Sigma category",
        )
    }
{
        _figure(
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
{_table(["code", "incident type", "calls", "share"], types, {2, 3})}</section>"""


def _eligible(s: dict[str, Any]) -> str:
    u = s["uncertainty"]
    rules = s["deciding_rules"][:10]
    tracks = list(s["eligible_by_track"].items())
    unserved = s["eligible_unserved"]
    unserved_rows = [(why, _n(n)) for why, n in unserved.items()]
    return f"""<section id="eligible"><h2>2. What could go to a civilian response</h2>
<div class="answer"><b>{_n(s["eligible_calls"])}</b> calls ({_pct(s["eligible_share"])} of all)
meet {escape(s["program_name"])}'s criteria, estimated in planning mode; between
{_n(u["eligible_low"])} and {_n(u["eligible_high"])} allowing for uncertain types.</div>
<div class="cols">{
        _figure(
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
{_table(["track", "calls"], [(k, _n(v)) for k, v in tracks], {1})}
<h3>Eligible but not served under the program's hours and area</h3>
{_table(["reason", "calls"], unserved_rows or [("none", "0")], {1})}
<h3>Uncertainty</h3>
{
        _table(
            ["", "calls"],
            [
                ("unmapped incident type (not eligible by default)", _n(u["unmapped_calls"])),
                ("low-confidence suggested type", _n(u["ambiguous_type_calls"])),
                ("... of which eligible", _n(u["eligible_with_ambiguous_type"])),
            ],
            {1},
        )
    }
<p class="note">{escape(u["note"])}.</p></div></div>
<h3>Deciding rules</h3>
{
        _table(
            ["rule", "what it says", "calls", "share of eligible"],
            [(r["rule"], r["says"], _n(r["calls"]), _pct(r["share"])) for r in rules],
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
{escape(peak["day"])} {peak["hour"]:02d}:00 with {_n(peak["eligible_calls"])} calls over the
period.</p>
{
            _figure(
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
            _figure(
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
            _figure(
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
            _figure(
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
        ("calls with time on scene (arrival to clear)", _n(w["calls_with_on_scene_time"])),
        ("time on scene, all calls (hours)", _n(w["on_scene_hours"])),
        ("officer time, dispatch to clear, all calls (hours)", _n(w["officer_hours"])),
        ("eligible calls with time on scene", _n(w["eligible_calls_with_on_scene_time"])),
        (
            "median time on scene, eligible calls (minutes)",
            _n(w["eligible_median_on_scene_minutes"]),
        ),
        ("officer hours on eligible calls", _n(w["eligible_officer_hours"])),
        ("officer hours on eligible calls, per year", _n(w["eligible_officer_hours_per_year"])),
        (
            "officer hours the pilot would free, per year",
            _n(w["pilot_officer_hours_freed_per_year"]),
        ),
    ]
    source = (
        "measured in the data (mean dispatch to clear of eligible calls)"
        if w["service_minutes_source"] == "data"
        else "assumed (the data has too few timed eligible calls)"
    )
    return f"""<section id="workload"><h2>4. Workload</h2>
{_table(["", "value"], rows, {1})}
<p class="note">One unit per call: the data does not say how many officers went. Time per call
for a team is {_n(w["service_minutes"])} minutes, {source}. Hours freed count only calls whose
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
            _n(g["covered_calls"]),
            _pct(g["covered_share"]),
            g["teams_estimate"],
            _n(g["calls_per_team_shift"]),
            _money(g["cost_per_call"], g["currency"]),
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
{p["window_end"]}</b> every day: it covers <b>{_n(p["covered_calls"])}</b> eligible calls
({_pct(p["covered_share"])} of eligible), {_n(p["calls_per_day"])} a day. About
<b>{p["teams_estimate"]} team{"s" if p["teams_estimate"] != 1 else ""}</b> on shift keep 9 in 10
calls at the busiest hour ({_n(p["peak_calls_per_hour"])} calls an hour) waiting under
{_n(p["max_wait_minutes"])} minutes: {_n(p["calls_per_team_shift"])} calls per team-shift,
{_money(p["annual_cost"], p["currency"])} a year, {_money(p["cost_per_call"], p["currency"])}
per call.</div>
<p class="note">For each size, the best choice of zones and start hour. Teams from Erlang C
(M/M/c) at the window's busiest hour with {_n(p["service_minutes"])} minutes a call; the
simulation refines this. Cost = team-hours x the program's hourly cost + per-call and fixed
costs, over a year.</p>
{_figure(grid, "Share of eligible calls covered by zones and hours a day", narrow=True)}
{
        _table(
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
        ("rows read at ingest", _n(q["rows_read_at_ingest"])),
        ("rows quarantined at ingest", _n(q["rows_quarantined_at_ingest"])),
        ("duplicates merged at ingest", _n(q["duplicates_merged_at_ingest"])),
        ("calls with no incident type", _n(s["uncertainty"]["unmapped_calls"])),
        ("calls with no dispatch time", _n(missing["dispatched_at"])),
        ("calls with no arrival time", _n(missing["arrived_at"])),
        ("calls with no clear time", _n(missing["cleared_at"])),
        ("calls with no zone", _n(missing["zone"])),
        ("calls with no coordinates", _n(missing["coordinates"])),
        (
            "implausible on-scene intervals (negative or over a day)",
            _n(q["implausible_intervals"]["on_scene"]),
        ),
    ]
    unmapped = [(u["local_type"], _n(u["calls"])) for u in q["unmapped_types"]]
    where = (
        f"Quarantined rows are in {escape(q['quarantine_file'])}." if q["quarantine_file"] else ""
    )
    return f"""<section id="quality"><h2>6. Data quality</h2>
<div class="cols"><div>{_table(["", "calls"], rows, {1})}<p class="note">{where}</p></div>
<div><h3>Unmapped call types by volume</h3>
{_table(["local type", "calls"], unmapped or [("none", "0")], {1})}
<p class="note">Map them with <code>altresponse taxonomy unmapped</code> and a crosswalk.</p>
</div></div></section>"""


def render_plan(plan: Plan) -> str:
    """The report as one HTML document."""
    s = plan.summary
    title = f"{s['program_name']}: what the calls say"
    head = f"""<header><h1>{escape(title)}</h1>
<p class="lede">{_n(s["total_calls"])} calls from {escape(s["first_call"][:10])} to
{escape(s["last_call"][:10])} ({_n(s["days"])} days with calls) in {escape(s["input"])},
triaged with the <b>{escape(s["program"])}</b> program (protocol
{escape(s["protocol_version"])}) in planning mode.</p>
<div class="cards">{_card(_pct(s["eligible_share"]), "of calls eligible")}
{_card(_n(s["eligible_calls"]), "eligible calls")}
{_card(str(s["pilot"]["teams_estimate"]), "teams for the pilot")}
{_card(_money(s["pilot"]["cost_per_call"], s["pilot"]["currency"]), "cost per pilot call")}
</div></header>"""
    body = "\n".join(
        [head, _about(s), _eligible(s), _where(plan), _workload(s), _pilot(plan), _quality(s)]
    )
    return _page(title, body)


def _write(path: Path, text: str) -> None:
    """Write TEXT to PATH whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        Path(staged).chmod(0o644)
        Path(staged).replace(path)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise


def write_plan(plan: Plan, directory: Path) -> tuple[Path, Path]:
    """Write DIRECTORY/index.html and DIRECTORY/summary.json."""
    html = directory / "index.html"
    summary = directory / "summary.json"
    _write(summary, json.dumps(plan.summary, indent=2) + "\n")
    _write(html, render_plan(plan))
    return html, summary


COMPARE_ROWS: tuple[tuple[str, str], ...] = (
    ("total_calls", "calls"),
    ("public_initiated_calls", "public-initiated calls"),
    ("violent_crime_share", "violent crime share"),
    ("eligible_calls", "eligible calls"),
    ("eligible_share", "eligible share"),
    ("days", "days with calls"),
)


def render_compare(labels: Sequence[str], plans: Sequence[Plan]) -> str:
    """Several plans side by side: headline figures, category and demand shares."""

    def value(s: dict[str, Any], key: str) -> str:
        v = s[key]
        return _pct(v) if key.endswith("_share") else _n(v)

    summaries = [p.summary for p in plans]
    links = "".join(
        f'<li><a href="{escape(label)}/index.html">{escape(label)}</a>: {escape(s["input"])}</li>'
        for label, s in zip(labels, summaries, strict=True)
    )
    head = ["", *labels]
    rows: list[list[str]] = [
        [name, *(value(s, key) for s in summaries)] for key, name in COMPARE_ROWS
    ]
    rows.append(["pilot: teams", *(str(s["pilot"]["teams_estimate"]) for s in summaries)])
    rows.append(["pilot: covered calls", *(_n(s["pilot"]["covered_calls"]) for s in summaries)])
    rows.append(
        [
            "pilot: cost per call",
            *(_money(s["pilot"]["cost_per_call"], s["pilot"]["currency"]) for s in summaries),
        ]
    )
    categories = sorted(
        {c for s in summaries for c in s["category_shares"]},
        key=lambda c: -max(s["category_shares"].get(c, 0.0) for s in summaries),
    )
    shares = [[c, *(_pct(s["category_shares"].get(c, 0.0)) for s in summaries)] for c in categories]
    labels_d = DemandClasses.load().labels
    demand = sorted({c for s in summaries for c in s["demand_shares"]})
    demand_rows = [
        [labels_d.get(c, c), *(_pct(s["demand_shares"].get(c, 0.0)) for s in summaries)]
        for c in demand
    ]
    numeric = set(range(1, len(head)))
    program = summaries[0]["program_name"] if summaries else ""
    body = f"""<header><h1>Side by side: {escape(program)}</h1>
<p class="lede">{len(plans)} call tables triaged with the same program in planning mode.</p>
<ul>{links}</ul></header>
<section><h2>Headline figures</h2>{_table(head, rows, numeric)}</section>
<section><h2>Demand classes</h2>{_table(head, demand_rows, numeric)}</section>
<section><h2>Vera categories</h2>
<p class="note">Shares of public-initiated calls where the data says who initiated them, else of
all calls.</p>{_table(head, shares, numeric)}</section>"""
    return _page(f"Side by side: {program}", body)


def write_compare(labels: Sequence[str], plans: Sequence[Plan], directory: Path) -> Path:
    """DIRECTORY/index.html and summary.json for the comparison, each plan in its own folder."""
    for label, plan in zip(labels, plans, strict=True):
        write_plan(plan, directory / label)
    summary = {
        "plans": [dict(p.summary, label=label) for label, p in zip(labels, plans, strict=True)]
    }
    _write(directory / "summary.json", json.dumps(summary, indent=2) + "\n")
    html = directory / "index.html"
    _write(html, render_compare(labels, plans))
    return html
