"""The plan's charts as inline SVG, drawn by matplotlib: no script, no network, prints sharply."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence

from matplotlib import rcParams
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

INK = "#1f2933"
MUTED = "#7b8794"
ACCENT = "#2f6f9f"
ELIGIBLE = "#2f855a"
GRID = "#e4e7eb"
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: selectable, small, crisp in print
        "svg.hashsalt": "altresponse",  # the same data gives the same file
        "font.family": "sans-serif",
        "font.size": 9,
        "axes.edgecolor": MUTED,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)

_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')


def plain(label: str | None) -> str:
    """LABEL drawn as written: matplotlib would read text between dollar signs as TeX."""
    return "" if label is None else label.replace("$", r"\$")


def svg(fig: Figure, title: str, *, tight: bool = False) -> str:
    """FIG as an inline <svg> element that scales to its container, labelled for screen readers.

    TIGHT grows the picture to hold what sits outside the axes (a legend beside the plot).
    """
    buffer = io.StringIO()
    metadata = {"Date": None, "Title": title}
    if tight:
        fig.savefig(buffer, format="svg", metadata=metadata, bbox_inches="tight", pad_inches=0.08)
    else:
        fig.savefig(buffer, format="svg", metadata=metadata)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    label = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return _SIZE.sub(rf'<svg\1 class="chart-svg" role="img" aria-label="{label}"', text, count=1)


def hbar(labels: Sequence[str], values: Sequence[float], title: str, *, percent: bool) -> str:
    """A horizontal bar chart, largest at the top."""
    height = 0.8 + 0.24 * max(len(labels), 1)
    fig = Figure(figsize=(6.4, height))
    ax = fig.add_axes((0.42, 0.12 / height * 2, 0.52, 1 - 0.3 / height * 2))
    ys = list(range(len(labels)))[::-1]
    scaled = [v * 100 if percent else v for v in values]
    ax.barh(ys, scaled, color=ACCENT, height=0.7)
    ax.set_yticks(ys, [plain(label) for label in labels])
    ax.tick_params(axis="y", length=0)
    top = max(scaled, default=0) or 1
    for y, v in zip(ys, scaled, strict=True):
        ax.text(v + top * 0.01, y, f"{v:.1f}%" if percent else f"{v:,.0f}", va="center", fontsize=8)
    ax.set_xlim(0, top * 1.15)
    ax.xaxis.grid(True, color=GRID)
    ax.set_axisbelow(True)
    return svg(fig, title)


def heatmap(grid: list[list[int]], title: str) -> str:
    """Calls by day of week (rows) and hour of day (columns)."""
    fig = Figure(figsize=(7.2, 2.6))
    ax = fig.add_axes((0.07, 0.18, 0.84, 0.75))
    mesh = ax.pcolormesh(grid, cmap="Greens", edgecolors="white", linewidth=0.5)
    ax.set_yticks([d + 0.5 for d in range(7)], DAY_LABELS)
    ax.set_xticks([h + 0.5 for h in range(0, 24, 2)], [f"{h:02d}" for h in range(0, 24, 2)])
    ax.invert_yaxis()
    ax.set_xlabel("hour of day (local)")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = fig.colorbar(mesh, ax=ax, fraction=0.03, pad=0.02)
    bar.ax.tick_params(labelsize=7)
    return svg(fig, title)


def trend(months: Sequence[str], calls: Sequence[int], eligible: Sequence[int], title: str) -> str:
    """Calls and eligible calls by month (two scales: eligible calls are a small share)."""
    fig = Figure(figsize=(7.2, 2.6))
    ax = fig.add_axes((0.09, 0.22, 0.82, 0.7))
    xs = list(range(len(months)))
    ax.plot(xs, calls, color=MUTED, marker="o", markersize=3, label="all calls")
    ax.set_ylabel("all calls", color=MUTED)
    right = ax.twinx()
    right.plot(xs, eligible, color=ELIGIBLE, marker="o", markersize=3, label="eligible")
    right.set_ylabel("eligible calls", color=ELIGIBLE)
    right.spines["right"].set_visible(True)
    step = max(1, math.ceil(len(months) / 12))
    ax.set_xticks(xs[::step], list(months)[::step], rotation=45, ha="right", fontsize=7)
    ax.set_ylim(bottom=0)
    right.set_ylim(bottom=0)
    ax.yaxis.grid(True, color=GRID)
    return svg(fig, title)


def zone_map(
    points: Sequence[tuple[str | None, float, float, int]], chosen: set[str], title: str
) -> str:
    """Zone centroids (or grid cells) as circles sized by eligible calls; the pilot's in green."""
    fig = Figure(figsize=(5.6, 4.6))
    ax = fig.add_axes((0.12, 0.1, 0.84, 0.84))
    lats = [p[1] for p in points]
    mid = sum(lats) / len(lats)
    ax.set_aspect(1 / max(math.cos(math.radians(mid)), 0.1))
    top = max((p[3] for p in points), default=1) or 1
    for label, lat, lon, n in points:
        colour = ELIGIBLE if label is not None and label in chosen else ACCENT
        ax.scatter([lon], [lat], s=20 + 600 * n / top, color=colour, alpha=0.55, linewidths=0)
        if label is not None:
            ax.annotate(plain(label), (lon, lat), fontsize=7, ha="center", va="center", color=INK)
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.grid(True, color=GRID)
    ax.set_axisbelow(True)
    ax.margins(0.12)
    return svg(fig, title)


def pilot_grid(
    zone_sizes: Sequence[int],
    hours: Sequence[int],
    shares: dict[tuple[int, int], float],
    title: str,
) -> str:
    """Share of eligible calls covered for each pilot size (zones by hours a day)."""
    fig = Figure(figsize=(5.6, 0.9 + 0.38 * len(zone_sizes)))
    ax = fig.add_axes((0.14, 0.25, 0.82, 0.68))
    values = [[shares.get((k, h), 0.0) * 100 for h in hours] for k in zone_sizes]
    ax.pcolormesh(values, cmap="Greens", vmin=0, vmax=100, edgecolors="white", linewidth=1)
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            ax.text(
                j + 0.5,
                i + 0.5,
                f"{v:.0f}%",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if v > 60 else INK,
            )
    ax.set_xticks([j + 0.5 for j in range(len(hours))], [f"{h} h" for h in hours])
    ax.set_yticks(
        [i + 0.5 for i in range(len(zone_sizes))],
        [f"{k} zone{'s' if k != 1 else ''}" for k in zone_sizes],
    )
    ax.set_xlabel("daily window")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return svg(fig, title)
