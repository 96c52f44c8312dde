"""`altresponse evaluate community`: the community measures per 100,000 residents, by area and
period, with exact intervals and the change from one period to the next."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from altresponse.clikit import JsonOpt, out, print_json, run

if TYPE_CHECKING:
    from altresponse.evaluation.community import Change, CommunityMeasures


def community_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV or Parquet: area, year (or period), population, and counts of "
            "injury_deaths, property_crimes, violent_crimes and/or juvenile_arrests."
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Deaths due to injury, property and violent crimes, juvenile arrests per 100,000 residents
    (the Urban Institute's community self-assessment), with exact 95% intervals."""
    from altresponse.evaluation.community import community

    found = run(lambda: community(file))
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    _show(found)


def _show(found: CommunityMeasures) -> None:
    """The rates, then the changes, as a user reads them in the terminal."""
    per = f"per {found.per:,}"
    share = f"{found.confidence:.0%}"
    rates = Table(title=f"{found.source}: community measures {per} residents")
    for name in ("area", "period", "measure", "count", "population", per, f"{share} interval",
                 "unstable"):  # fmt: skip
        rates.add_column(name, justify="right" if name in ("count", "population", per) else "left")
    for r in found.rates:
        rates.add_row(
            r.area, r.period, r.measure.label, f"{r.count:,}", f"{r.population:,}",
            f"{r.rate:,.1f}", f"{r.low:,.1f}–{r.high:,.1f}", "yes" if r.unstable else "",
        )  # fmt: skip
    out.print(rates)
    if found.changes:
        changes = Table(title=f"Change from one period to the next ({per})")
        for name in ("area", "measure", "from", "to", "difference", f"ratio ({share} interval)",
                     "unstable"):  # fmt: skip
            changes.add_column(name, justify="right" if name == "difference" else "left")
        for c in found.changes:
            changes.add_row(
                c.area, c.measure.label, c.before, c.after, f"{c.difference:+,.1f}", _ratio(c),
                "yes" if c.unstable else "",
            )  # fmt: skip
        out.print(changes)
    if any(r.unstable for r in found.rates):
        out.print(
            f"Unstable: fewer than {found.unstable_below} events; the rate can move a lot by "
            "chance alone.",
            highlight=False,
        )


def _ratio(c: Change) -> str:
    if c.ratio is None or c.ratio_low is None or c.ratio_high is None:
        return "undefined: no events before"
    return f"{c.ratio:.2f} ({c.ratio_low:.2f}–{c.ratio_high:.2f})"
