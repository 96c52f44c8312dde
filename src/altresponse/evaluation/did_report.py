"""The impact report: DIR/index.html (self-contained, inline SVG event study) and DIR/did.json."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from altresponse import __version__
from altresponse.evaluation.did import Impact, Method
from altresponse.evaluation.did_words import (
    METHOD_NAMES,
    caveats,
    clean,
    digits,
    fmt,
    method_sentence,
    p_text,
    period_word,
    summary,
)

STANDARD_ERRORS = {
    Method.TWFE: {
        "type": "cluster-robust by unit (CRV1), as statsmodels OLS with cov_type='cluster'",
        "small_sample_factor": "G/(G-1) * (N-1)/(N-K), K = every column of the dummy regression",
        "distribution": "t with G-1 degrees of freedom",
        "pre_trend_test": "F(q, G-1) Wald test that all lead coefficients are zero",
    },
    Method.STAGGERED: {
        "type": "analytic influence function, clustered by unit (weights' estimation included)",
        "small_sample_factor": "each group's deviations scaled by sqrt(m/(m-1))",
        "distribution": "t with G-1 degrees of freedom",
        "pre_trend_test": "F(q, G-1) Wald test that all lead effects are zero",
    },
}


def panel_dict(impact: Impact) -> dict[str, Any]:
    """What was read: the panel's shape, its span, who got the program when."""
    panel, spec = impact.panel, impact.panel.spec
    label = panel.clock.label
    cells = panel.n_units * panel.n_periods
    return {
        "source": panel.source,
        "unit": spec.unit,
        "time": spec.time,
        "outcome": spec.outcome,
        "frequency": panel.clock.frequency.value,
        "units": panel.n_units,
        "periods": panel.n_periods,
        "rows": len(panel.y),
        "balanced": panel.balanced,
        "missing": cells - len(panel.y),
        "first": label(int(panel.periods[0])),
        "last": label(int(panel.periods[-1])),
        "treated_units": [u for u, t in zip(panel.units, panel.treated, strict=True) if t],
        "never_treated_units": int((~panel.treated).sum()),
        "starts": {label(int(g)): int((panel.start == g).sum()) for g in panel.cohorts},
    }


def impact_dict(impact: Impact) -> dict[str, Any]:
    """Every number of the report, for did.json."""
    data = {
        "method": impact.method.value,
        "method_name": METHOD_NAMES[impact.method],
        "method_reason": method_sentence(impact),
        "summary": summary(impact),
        "panel": panel_dict(impact),
        "controls": impact.controls,
        "estimate": impact.estimate.to_dict(),
        "standard_errors": {
            **STANDARD_ERRORS[impact.method],
            "clusters": impact.panel.n_units,
            "treated_clusters": int(impact.panel.treated.sum()),
        },
        "event_study": [p.to_dict() for p in impact.event_study],
        "pre_trend": impact.pre_trend.to_dict() if impact.pre_trend else None,
        "placebo": impact.placebo.to_dict(),
        "twfe_for_comparison": impact.comparison.to_dict() if impact.comparison else None,
        "cohorts": list(impact.cohorts),
        "group_time": list(impact.group_time),
        "options": {
            "leads": impact.options.leads,
            "lags": impact.options.lags,
            "placebo_periods": impact.options.placebo_periods,
        },
        "warnings": list(impact.warnings),
        "caveats": caveats(impact),
    }
    return dict(clean(data))


def event_chart(impact: Impact) -> str:
    """The event study: effect by periods since the start with 95% intervals, as inline SVG."""
    from matplotlib.figure import Figure

    from altresponse.planning.charts import ACCENT, GRID, INK, MUTED, svg

    points = impact.event_study
    fig = Figure(figsize=(7.2, 3.0))
    ax = fig.add_axes((0.1, 0.2, 0.87, 0.72))
    xs = list(range(len(points)))
    shown = [(x, p.estimate) for x, p in zip(xs, points, strict=True) if p.estimate is not None]
    ax.axhline(0, color=MUTED, linewidth=0.8)
    effects = [e.effect for _, e in shown]
    bars = [[e.effect - e.ci_low for _, e in shown], [e.ci_high - e.effect for _, e in shown]]
    ax.errorbar([x for x, _ in shown], effects, yerr=bars, fmt="o", color=ACCENT, capsize=2)
    for x, p in zip(xs, points, strict=True):
        if p.estimate is None:
            ax.plot([x], [0], marker="o", markerfacecolor="white", markeredgecolor=INK)
            ax.axvline(x + 0.5, color=MUTED, linestyle="--", linewidth=0.8)
            ax.text(x + 0.6, 0.98, "start", transform=ax.get_xaxis_transform(), va="top")
    ax.set_xticks(xs, [p.label for p in points])
    word = period_word(impact)
    ax.set_xlabel(f"{word}s since the start (open circle: the reference {word}, -1)")
    ax.set_ylabel(f"difference in {impact.panel.spec.outcome}")
    ax.yaxis.grid(True, color=GRID)
    ax.set_axisbelow(True)
    return str(svg(fig, "Event study"))


def _event_rows(impact: Impact) -> list[list[str]]:
    """The event study as table rows."""
    rows = []
    for p in impact.event_study:
        if p.estimate is None:
            rows.append([p.label, "0 (reference)", "", ""])
            continue
        e = p.estimate
        n = digits(e.se, e.ci_low, e.ci_high)
        interval = f"{fmt(e.ci_low, n)} to {fmt(e.ci_high, n)}"
        rows.append([p.label, fmt(e.effect, n), interval, p_text(e.p_value)])
    return rows


def _cards(impact: Impact) -> str:
    """The headline numbers as cards."""
    from altresponse.planning.html import card

    e = impact.estimate
    n = digits(e.se, e.ci_low, e.ci_high)
    cards = [
        card(
            fmt(e.effect, n),
            f"effect on {impact.panel.spec.outcome} ({METHOD_NAMES[impact.method]})",
        ),
        card(f"{fmt(e.ci_low, n)} to {fmt(e.ci_high, n)}", "95% interval"),
        card(p_text(impact.pre_trend.p_value) if impact.pre_trend else "n/a", "pre-trend test"),
    ]
    placebo = impact.placebo.estimate
    if placebo is not None:
        cards.append(
            card(
                fmt(placebo.effect, digits(placebo.se, placebo.ci_low, placebo.ci_high)),
                "placebo effect",
            )
        )
    treated = int(impact.panel.treated.sum())
    cards.append(
        card(f"{treated} of {impact.panel.n_units}", f"{impact.panel.spec.unit}s with the program")
    )
    return f'<div class="cards">{"".join(cards)}</div>'


def _cohort_table(impact: Impact) -> str:
    """Each start cohort's own average effect (staggered timing only)."""
    from altresponse.planning.html import table

    if not impact.cohorts:
        return ""
    rows = []
    for c in impact.cohorts:
        n = digits(c["se"], c["ci_low"], c["ci_high"])
        interval = f"{fmt(c['ci_low'], n)} to {fmt(c['ci_high'], n)}"
        rows.append([c["start"], c["units"], c["periods_after"], fmt(c["effect"], n), interval])
    headers = [
        "start",
        impact.panel.spec.unit + "s",
        f"{period_word(impact)}s after",
        "effect",
        "95% interval",
    ]
    return "<h3>By start</h3>" + table(headers, rows, {1, 2, 3, 4})


def render(impact: Impact) -> str:
    """The whole report as one self-contained HTML page."""
    from altresponse.planning.html import STYLE, figure, table

    data = panel_dict(impact)
    spec, word = impact.panel.spec, period_word(impact)
    balance = "balanced" if data["balanced"] else f"unbalanced, {data['missing']:,} missing"
    lede = (
        f"{escape(data['source'])}: {data['units']} {escape(spec.unit)}s x {data['periods']} "
        f"{escape(word)}s ({data['first']} to {data['last']}, {balance}); "
        f"{len(data['treated_units'])} with the program."
    )
    answer = "".join(f"<p>{escape(s)}</p>" for s in summary(impact))
    caption = (
        f"Difference between {spec.unit}s with the program and the others, by {word}s since the "
        f"start, against the {word} before it. Bars: 95% intervals. The ends collect everything "
        "beyond them."
    )
    headers = [f"{word}s since start", "effect", "95% interval", "p"]
    items = "".join(f"<li>{escape(c)}</li>" for c in caveats(impact))
    body = (
        f"<h1>Impact estimate: {escape(spec.outcome)} per {escape(spec.unit)}-{escape(word)}</h1>"
        f'<p class="lede">{lede}</p><div class="answer">{answer}</div>{_cards(impact)}'
        f"<h2>Before and after the start</h2>{figure(event_chart(impact), caption)}"
        f"{table(headers, _event_rows(impact), {1, 2, 3})}"
        f"<h2>How it was estimated</h2><p>{escape(method_sentence(impact))}</p>"
        f"{_cohort_table(impact)}<h2>Read with care</h2><ul>{items}</ul>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Impact estimate</title><style>{STYLE}</style></head><body>{body}"
        f"<footer>Made by altresponse {escape(__version__)}. Every number is in did.json."
        "</footer></body></html>\n"
    )


def write_report(impact: Impact, directory: Path) -> tuple[Path, Path]:
    """Write DIRECTORY/index.html and DIRECTORY/did.json; return their paths."""
    from altresponse.planning.html import write_atomic

    html, numbers = directory / "index.html", directory / "did.json"
    write_atomic(numbers, json.dumps(impact_dict(impact), indent=2) + "\n")
    write_atomic(html, render(impact))
    return html, numbers
