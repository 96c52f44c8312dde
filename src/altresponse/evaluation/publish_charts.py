"""The public dashboard's charts as inline SVG, drawn by matplotlib: no script, no network.

Suppressed numbers are never drawn as values: a stacked bar shows the published parts, and the
rest of a published total (the sum of its suppressed parts, which the total already tells) as
one hatched grey segment; a line has a gap where its value is suppressed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from altresponse.planning.charts import GRID, INK, MUTED, plain, svg

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
"""Okabe-Ito colours: told apart with the common kinds of colour blindness."""
HIDDEN = "#c5cbd3"
Series = tuple[str, Sequence[float | None]]


def _ticks(labels: Sequence[str]) -> tuple[list[int], list[str]]:
    """At most about 14 evenly spaced tick positions and their labels."""
    step = max(1, math.ceil(len(labels) / 14))
    positions = list(range(0, len(labels), step))
    return positions, [plain(labels[k]) for k in positions]


def stacked(
    labels: Sequence[str],
    series: Sequence[Series],
    totals: Sequence[int | None],
    title: str,
    *,
    horizontal: bool = False,
) -> str:
    """Stacked bars by LABELS; the hidden rest of each published total in hatched grey."""
    count = len(labels)
    size = (6.8, 1.0 + 0.26 * count) if horizontal else (7.2, 3.0)
    fig = Figure(figsize=size)
    ax = fig.add_axes((0.24, 0.1, 0.56, 0.85) if horizontal else (0.08, 0.24, 0.68, 0.68))
    positions = list(range(count))
    base = [0.0] * count
    bar = ax.barh if horizontal else ax.bar
    for k, (name, values) in enumerate(series):
        heights = [v or 0.0 for v in values]
        if any(heights):
            bar(positions, heights, 0.8, base, color=PALETTE[k % len(PALETTE)], label=plain(name))
        base = [b + h for b, h in zip(base, heights, strict=True)]
    rest = [
        max((t or 0) - b, 0.0) if t is not None else 0.0 for t, b in zip(totals, base, strict=True)
    ]
    if any(rest):
        bar(positions, rest, 0.8, base, color=HIDDEN, hatch="///", edgecolor="white",
            linewidth=0, label="suppressed (together)")  # fmt: skip
    _axes(ax, labels, horizontal=horizontal)
    if horizontal and len(series) == 1:
        _values(ax, series[0][1])  # one series: numbers on the bars say more than a legend
    else:
        _legend(ax)
    return svg(fig, title, tight=True)


def _values(ax: Axes, values: Sequence[float | None]) -> None:
    """Each bar's number at its end, or the word for a suppressed one."""
    top = max((v or 0 for v in values), default=0) or 1
    for y, v in enumerate(values):
        text = "suppressed" if v is None else f"{v:,.0f}"
        ax.text((v or 0) + top * 0.01, y, text, va="center", fontsize=7,
                color=MUTED if v is None else INK)  # fmt: skip
    ax.set_xlim(0, top * 1.18)


def _axes(ax: Axes, labels: Sequence[str], *, horizontal: bool) -> None:
    """Category ticks, a light value grid, the first category at the top for horizontal bars."""
    if horizontal:
        ax.set_yticks(range(len(labels)), [plain(x) for x in labels], fontsize=8)
        ax.invert_yaxis()
        ax.xaxis.grid(True, color=GRID)
    else:
        positions, shown = _ticks(labels)
        ax.set_xticks(positions, shown, rotation=45, ha="right", fontsize=7)
        ax.yaxis.grid(True, color=GRID)
        ax.set_xlim(-0.7, len(labels) - 0.3)
    ax.tick_params(length=0)
    ax.set_axisbelow(True)


def lines(
    labels: Sequence[str], series: Sequence[Series], title: str, *, percent: bool, unit: str
) -> str:
    """Lines by LABELS with a gap where a value is suppressed; markers so one point shows."""
    fig = Figure(figsize=(7.2, 2.8))
    ax = fig.add_axes((0.08, 0.26, 0.68, 0.66))
    xs = list(range(len(labels)))
    for k, (name, values) in enumerate(series):
        if all(v is None for v in values):
            continue
        ys = [math.nan if v is None else v * (100 if percent else 1) for v in values]
        ax.plot(xs, ys, color=PALETTE[k % len(PALETTE)], marker="o", markersize=3,
                linewidth=1.4, label=plain(name))  # fmt: skip
    _axes(ax, labels, horizontal=False)
    ax.set_ylim(0, 100 if percent else None)
    ax.set_ylabel(unit, color=INK)
    _legend(ax)
    return svg(fig, title, tight=True)


def _legend(ax: Axes) -> None:
    """The series' names beside the plot, or a word that nothing could be drawn."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    else:
        ax.text(0.5, 0.5, "every value suppressed", transform=ax.transAxes, ha="center",
                va="center", color=MUTED)  # fmt: skip
