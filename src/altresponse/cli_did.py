"""`altresponse evaluate did`: the program's impact by difference in differences, in plain words."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from altresponse.clikit import JsonOpt, err, out, print_json, run
from altresponse.errors import InputError


def _treatment(
    treated: str | None, start: str | None, start_column: str | None
) -> tuple[tuple[str, ...], str | None, str | None]:
    """The treated units and start, or the start column: one way, complete."""
    units = tuple(u.strip() for u in (treated or "").split(",") if u.strip())
    if start_column is not None and (units or start is not None):
        raise InputError("give either --start-column or --treated with --start, not both")
    if start_column is None and not (units and start):
        raise InputError(
            "say who got the program: --treated UNIT,UNIT with --start, or --start-column COLUMN"
        )
    return units, start, start_column


def did_cmd(
    panel: Annotated[
        Path,
        typer.Argument(
            help="Panel: one row per unit and period with the outcome (.csv, .parquet)."
        ),
    ],
    unit: Annotated[str, typer.Option(help="Column of the unit (zone, precinct, ...).")] = "zone",
    time: Annotated[
        str, typer.Option(help="Column of the period: a month (YYYY-MM), a date or a number.")
    ] = "month",
    outcome: Annotated[str, typer.Option(help="Column of the outcome (a number).")] = "calls",
    treated: Annotated[
        str | None, typer.Option(help="Units with the program, comma-separated (with --start).")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="The period the treated units started (with --treated).")
    ] = None,
    start_column: Annotated[
        str | None,
        typer.Option(help="Column with each unit's start (staggered); empty = never treated."),
    ] = None,
    placebo_periods: Annotated[
        int, typer.Option(min=1, help="How many periods before the real start the placebo goes.")
    ] = 6,
    leads: Annotated[
        int,
        typer.Option(
            min=1, help="Periods before the start in the event study (first: all earlier)."
        ),
    ] = 6,
    lags: Annotated[
        int,
        typer.Option(min=0, help="Periods after the start in the event study (last: all later)."),
    ] = 6,
    output: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for index.html and did.json.")
    ] = Path("out/evaluate"),
    as_json: JsonOpt = False,
) -> None:
    """Did the program change the outcome? Difference in differences with honest uncertainty."""
    from altresponse.evaluation.did import DidOptions, PanelSpec, estimate_impact, load_panel
    from altresponse.evaluation.did_report import impact_dict, write_report

    def body() -> dict[str, Any]:
        """Read, estimate, write; every number for --json."""
        units, first, column = _treatment(treated, start, start_column)
        spec = PanelSpec(
            unit=unit, time=time, outcome=outcome, treated=units, start=first, start_column=column
        )
        options = DidOptions(leads=leads, lags=lags, placebo_periods=placebo_periods)
        impact = estimate_impact(load_panel(panel, spec), options)
        html, numbers = write_report(impact, output)
        return {"report": str(html), "numbers": str(numbers), **impact_dict(impact)}

    result = run(body)
    if as_json:
        print_json(result)
    else:
        _print_impact(result)


def _print_impact(result: dict[str, Any]) -> None:
    """The report's sentences and warnings, as a user reads them in the terminal."""
    for sentence in result["summary"]:
        out.print(sentence, highlight=False)
    out.print(f"\n{result['method_reason']}", highlight=False)
    for warning in result["warnings"]:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    out.print(
        f"\nReport: [bold]{result['report']}[/] (every number in {result['numbers']})",
        highlight=False,
    )
