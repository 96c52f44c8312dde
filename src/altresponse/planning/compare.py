"""Several plans side by side: headline figures, demand classes and Vera categories."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from altresponse.planning.analysis import Plan
from altresponse.planning.demand import DemandClasses
from altresponse.planning.html import money, number, page, percent, table, write_atomic
from altresponse.planning.report import write_plan

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
        return percent(v) if key.endswith("_share") else number(v)

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
    rows.append(["pilot: covered calls", *(number(s["pilot"]["covered_calls"]) for s in summaries)])
    rows.append(
        [
            "pilot: cost per call",
            *(money(s["pilot"]["cost_per_call"], s["pilot"]["currency"]) for s in summaries),
        ]
    )
    categories = sorted(
        {c for s in summaries for c in s["category_shares"]},
        key=lambda c: -max(s["category_shares"].get(c, 0.0) for s in summaries),
    )
    shares = [
        [c, *(percent(s["category_shares"].get(c, 0.0)) for s in summaries)] for c in categories
    ]
    labels_d = DemandClasses.load().labels
    demand = sorted({c for s in summaries for c in s["demand_shares"]})
    demand_rows = [
        [labels_d.get(c, c), *(percent(s["demand_shares"].get(c, 0.0)) for s in summaries)]
        for c in demand
    ]
    numeric = set(range(1, len(head)))
    program = summaries[0]["program_name"] if summaries else ""
    body = f"""<header><h1>Side by side: {escape(program)}</h1>
<p class="lede">{len(plans)} call tables triaged with the same program in planning mode.</p>
<ul>{links}</ul></header>
<section><h2>Headline figures</h2>{table(head, rows, numeric)}</section>
<section><h2>Demand classes</h2>{table(head, demand_rows, numeric)}</section>
<section><h2>Vera categories</h2>
<p class="note">Shares of public-initiated calls where the data says who initiated them, else of
all calls.</p>{table(head, shares, numeric)}</section>"""
    return page(f"Side by side: {program}", body)


def write_compare(labels: Sequence[str], plans: Sequence[Plan], directory: Path) -> Path:
    """DIRECTORY/index.html and summary.json for the comparison, each plan in its own folder."""
    for label, plan in zip(labels, plans, strict=True):
        write_plan(plan, directory / label)
    summary = {
        "plans": [dict(p.summary, label=label) for label, p in zip(labels, plans, strict=True)]
    }
    write_atomic(directory / "summary.json", json.dumps(summary, indent=2) + "\n")
    html = directory / "index.html"
    write_atomic(html, render_compare(labels, plans))
    return html
