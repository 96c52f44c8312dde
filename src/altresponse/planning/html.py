"""The HTML pieces the plan reports share: style, numbers, tables, figures, the page, the writer."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from altresponse import __version__

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


def number(value: float | int | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.1f}%"


def money(value: float | None, currency: str) -> str:
    return "n/a" if value is None else f"{currency} {value:,.0f}"


def table(
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


def card(value: str, label: str) -> str:
    return f'<div class="card"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


def figure(svg: str, caption: str, *, narrow: bool = False) -> str:
    kind = "chart narrow" if narrow else "chart"
    return f'<figure class="{kind}">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}"
        f"<footer>Made by altresponse {escape(__version__)}. Estimates from historical calls "
        "in planning mode: nobody was asked the screening questions, so eligibility is read "
        "from each call's type, notes and outcome.</footer></body></html>\n"
    )


def write_atomic(path: Path, text: str) -> None:
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
