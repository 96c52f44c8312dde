"""The public dashboard's one page: cards, a chart and a table per published table, no script."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from altresponse import __version__
from altresponse.evaluation import publish_charts as charts
from altresponse.evaluation.privacy import SafeTable
from altresponse.evaluation.publish_tables import Period, StatTable
from altresponse.planning.html import STYLE, card, figure, percent

EXTRA_STYLE = """
td.s { color: var(--muted); font-style: italic; }
tbody th { white-space: nowrap; font-weight: 600; }
details { margin: 4px 0 14px; }
summary { cursor: pointer; color: var(--accent); }
.privacy { border-left: 4px solid var(--accent); padding: 6px 12px; background: #f3f7fb;
  margin: 12px 0; }
.table-wrap { overflow-x: auto; }
ul.files { columns: 2; padding-left: 18px; }
@media (max-width: 760px) { ul.files { columns: 1; } }
"""
SUPPRESSED = "suppressed"
WORDS: dict[str, str] = {
    "ems": "EMS",
    "community": "community team",
    "co_response": "co-response",
    "crisis_line": "crisis line",
    "served": "served by the program",
    "eligible_unserved": "eligible, not served",
    "outcome:other": "other calls",
    "outside-hours": "outside program hours",
    "outside-area": "outside the program area",
    "zone-unknown": "zone unknown",
    "waited-too-long": "waited too long for a team",
    "not_recorded": "not recorded",
    "no_contact": "no contact",
    "handed_to_police": "handed to police",
    "not_requested": "not requested",
}


def words(code: str, dim: str = "") -> str:
    """A vocabulary code as a reader says it."""
    return WORDS.get(f"{dim}:{code}") or WORDS.get(code) or code.replace("_", " ")


@dataclass(frozen=True)
class Site:
    """Everything the page shows, already protected."""

    program_name: str
    period: Period
    timezone: str
    threshold: int
    tables: dict[str, SafeTable]
    times: StatTable
    rates: StatTable
    files: dict[str, str]
    generated_at: datetime
    notes: tuple[str, ...] = ()


def render(site: Site) -> str:
    """The page as HTML."""
    p = site.period.value
    t = site.tables
    body = [
        _header(site),
        _section(site, "calls-track", f"Calls by {p} and track", t[f"calls_by_{p}_track"]),
        _section(site, "calls-zone", "Calls by zone and track", t["calls_by_zone_track"], True),
        _served(site),
        _section(
            site,
            "unserved",
            f"Eligible calls not served, by {p} and reason",
            t[f"unserved_by_{p}_reason"],
        ),
        _section(
            site,
            "dispositions",
            f"How the program's calls ended, by {p}",
            t[f"dispositions_by_{p}"],
        ),
        _transports(site),
        _times(site),
        _backup(site),
        _about(site),
    ]
    return _page(f"{site.program_name}: public dashboard", "".join(body), site)


def _header(site: Site) -> str:
    """Title, what the page covers, the privacy promise and the headline numbers."""
    p = site.period.value
    calls = site.tables[f"calls_by_{p}_track"]
    outcome = site.tables[f"calls_by_{p}_outcome"]
    dispositions = site.tables[f"dispositions_by_{p}"]
    rows = calls.rows
    span = f"{rows[0]} to {rows[-1]}" if len(rows) > 1 else rows[0]
    when = "ISO weeks, Monday to Sunday" if site.period is Period.WEEK else "calendar days"
    served, unserved, _, _ = outcome.grid[-1]
    cards = [
        card(_n(calls.total), "calls"),
        card(_n(served), "served by the program"),
        card(_n(unserved), "eligible, not served"),
        card(_pct(site.rates.values[-1][0]), "of eligible calls served"),
        card(_n(dispositions.grid[-1][dispositions.cols.index("transported")]), "transports"),
        card(_minutes(site.times.values[-1][2]), "median minutes to arrival"),
    ]
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in site.notes)
    return (
        f"<header><h1>{escape(site.program_name)}: public dashboard</h1>"
        f'<p class="lede">{escape(span)}, counted by local {p} ({when}, {escape(site.timezone)}).'
        f"</p>{notes}"
        f'<p class="privacy">No number on this page describes fewer than {site.threshold} calls. '
        f"Smaller counts, and the counts that would let anyone work them out, are shown as "
        f'"{SUPPRESSED}" (<a href="#suppression">why</a>). Zeros are shown.</p>'
        f'<div class="cards">{"".join(cards)}</div></header>'
    )


def _section(site: Site, anchor: str, title: str, t: SafeTable, horizontal: bool = False) -> str:
    """A count table's chart, its table and its CSV; by period, the whole span's totals too."""
    series = [(words(c, t.col_dim), [row[j] for row in t.grid[:-1]]) for j, c in enumerate(t.cols)]
    totals = [row[-1] for row in t.grid[:-1]]
    chart = figure(charts.stacked(t.rows, series, totals, title, horizontal=horizontal),
                   _caption(t))  # fmt: skip
    if t.row_dim == site.period.value:
        overall = f"All {t.row_dim}s together, by {t.col_dim}"
        labels = [words(c, t.col_dim) for c in t.cols]
        bars = charts.stacked(labels, [("calls", t.grid[-1][:-1])], [None] * len(labels),
                              overall, horizontal=True)  # fmt: skip
        chart += figure(bars, f"{overall} (the table's total row).", narrow=True)
    return (
        f'<section id="{anchor}"><h2>{escape(title)}</h2>'
        f"{chart}{_details(site, t.name, _count_table(t))}</section>"
    )


def _served(site: Site) -> str:
    """Eligible calls served and not served, and the share served (Safety principle 6)."""
    p = site.period.value
    t = site.tables[f"calls_by_{p}_outcome"]
    bars = [
        (words(c, "outcome"), [row[j] for row in t.grid[:-1]]) for j, c in enumerate(t.cols[:2])
    ]
    title = f"Eligible calls served and not served, by {p}"
    share = [v[0] for v in site.rates.values[:-1]]
    line = charts.lines(t.rows, [("served", share)], f"Share of eligible calls served, by {p}",
                        percent=True, unit="% of eligible calls")  # fmt: skip
    return (
        f'<section id="served"><h2>{escape(title)}</h2>'
        '<p class="note">Eligible: the call met the program\'s criteria, whether or not a team '
        "was free. Calls the program served and eligible calls it did not serve; the share "
        "shows only where both counts are published.</p>"
        f"{figure(charts.stacked(t.rows, bars, [None] * len(t.rows), title), _caption(t))}"
        f"{figure(line, 'Served / (served + eligible, not served).')}"
        f"{_details(site, t.name, _count_table(t))}</section>"
    )


def _transports(site: Site) -> str:
    """Transports: the dispositions table's transported column (destinations are never read)."""
    t = site.tables[f"dispositions_by_{site.period.value}"]
    j = t.cols.index("transported")
    values = [row[j] for row in t.grid[:-1]]
    title = f"Transports by {site.period.value}"
    chart = charts.stacked(t.rows, [("transported", values)], [None] * len(t.rows), title)
    return (
        f'<section id="transports"><h2>{escape(title)}</h2>'
        '<p class="note">Program calls whose disposition is "transported" (the same numbers as '
        "that column above). Where a person was taken is free text and is never published.</p>"
        f"{figure(chart, 'The transported column of the table above.')}</section>"
    )


def _times(site: Site) -> str:
    """Median and 90th percentile minutes, by period."""
    t = site.times
    columns = [[row[k] for row in t.values[:-1]] for k in range(len(t.cols))]
    names = ("to dispatch, median", "to dispatch, 90th pct", "to arrival, median",
             "to arrival, 90th pct")  # fmt: skip
    title = f"Response times of the program's calls, by {site.period.value}"
    chart = charts.lines(t.rows[:-1], list(zip(names, columns, strict=True)), title,
                         percent=False, unit="minutes")  # fmt: skip
    note = (
        f"Minutes from the call to dispatch and to arrival. A statistic shows only when at "
        f"least {t.min_n} calls stand behind it and the {site.period.value}'s count of served "
        "calls is published."
    )
    rows = [[r, *(_minutes(v) for v in vals)] for r, vals in zip(t.rows, t.values, strict=True)]
    html = _html_table([site.period.value, *names], rows)
    return (
        f'<section id="times"><h2>{escape(title)}</h2><p class="note">{escape(note)}</p>'
        f"{figure(chart, title)}{_details(site, t.name, html)}</section>"
    )


def _backup(site: Site) -> str:
    """Backup requested by the program's teams, when the data records it."""
    t = site.tables.get(f"backup_by_{site.period.value}")
    if t is None:
        return (
            '<section id="backup"><h2>Backup requested</h2><p class="note">Not recorded in this '
            "data (historical calls do not say whether a team asked for backup).</p></section>"
        )
    share = [v[1] for v in site.rates.values[:-1]]
    title = f"Share of the program's calls where the team asked for backup, by {site.period.value}"
    chart = charts.lines(t.rows, [("backup requested", share)], title, percent=True,
                         unit="% of calls with a record")  # fmt: skip
    return (
        f'<section id="backup"><h2>{escape(title)}</h2>'
        f"{figure(chart, 'Requested / (requested + not requested).')}"
        f"{_details(site, t.name, _count_table(t))}</section>"
    )


def _about(site: Site) -> str:
    """How the numbers are protected and coarsened, and the downloads."""
    files = "".join(
        f'<li><a href="{escape(path)}">{escape(path)}</a></li>' for path in site.files.values()
    )
    return (
        '<section id="about"><h2>About these numbers</h2>'
        f'<p id="suppression"><b>Suppressed.</b> A count from 1 to {site.threshold - 1} is never '
        "published, nor is a total in that range. Where a row or column would then give a "
        "hidden count away by subtraction, more counts in it are hidden too, and a linear "
        "programming check confirms that no hidden count can be worked out from everything "
        "published on this page, the totals included. A hidden count is at least 1: zeros are "
        "published, since a zero describes nobody. Bars show the hidden part of a published "
        "total as one hatched grey segment.</p>"
        f"<p>Times are local ({escape(site.timezone)}), counted by {site.period.value}; places "
        "are the agency's zones, zones with few calls merged into \u201cother zones\u201d. No "
        "call's id, notes, address, coordinates or destination is read.</p>"
        f'<h3>Downloads</h3><ul class="files">{files}</ul></section>'
    )


def _caption(t: SafeTable) -> str:
    """The caption under a count table's chart: how much of it is hidden."""
    hidden = f"{t.suppressed} numbers suppressed." if t.suppressed else "Nothing suppressed."
    return f"Table {t.name}: {hidden} Hatched grey: suppressed counts, together."


def _details(site: Site, name: str, table_html: str) -> str:
    """A table folded under its chart (opens without script), with its CSV link."""
    link = site.files.get(name, "")
    csv = f' <a href="{escape(link)}">CSV</a>' if link else ""
    return f"<details><summary>Table{csv}</summary>{table_html}</details>"


def _count_table(t: SafeTable) -> str:
    """A count table with its totals as HTML."""
    head = [t.row_dim, *(words(c, t.col_dim) for c in t.cols), "total"]
    labels = (*t.rows, "total")
    rows = [[label, *(_n(v) for v in row)] for label, row in zip(labels, t.grid, strict=True)]
    return _html_table(head, rows)


def _html_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table with row headers; suppressed cells marked for the eye and for screen readers."""
    th = "".join(f'<th scope="col"{"" if k == 0 else " class=n"}>{escape(h)}</th>'
                 for k, h in enumerate(head))  # fmt: skip
    body = "".join(
        f'<tr><th scope="row">{escape(row[0])}</th>'
        + "".join(
            f'<td class="n{" s" if v == SUPPRESSED else ""}">{escape(v)}</td>' for v in row[1:]
        )
        + "</tr>"
        for row in rows
    )
    table = f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="table-wrap">{table}</div>'


def _page(title: str, body: str, site: Site) -> str:
    """The whole document: style inline, no script, a footer saying what made it."""
    stamp = site.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}{EXTRA_STYLE}</style></head>"
        f"<body><main>{body}</main><footer>Made by altresponse {escape(__version__)} on "
        f"{escape(stamp)}. Only counts, shares and percentiles are published.</footer>"
        "</body></html>\n"
    )


def _n(value: int | None) -> str:
    return SUPPRESSED if value is None else f"{value:,}"


def _pct(share: float | None) -> str:
    return SUPPRESSED if share is None else percent(share)


def _minutes(value: float | None) -> str:
    return SUPPRESSED if value is None else f"{value:.1f}"
