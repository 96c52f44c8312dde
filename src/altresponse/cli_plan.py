"""`altresponse plan`: the planning report for a calls table, or several side by side."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from altresponse.clikit import JsonOpt, err, out, print_json, run
from altresponse.errors import InputError

if TYPE_CHECKING:
    from altresponse.planning.analysis import Plan, PlanOptions
    from altresponse.programs.model import Program


@contextmanager
def _parquet(path: Path) -> Iterator[Path]:
    """PATH as canonical Parquet: a canonical CSV is ingested first (no bad row allowed)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = "".join(path.suffixes[-2:]).lower()
    if suffix.endswith(".parquet"):
        yield path
        return
    if not suffix.endswith((".csv", ".csv.gz")):
        raise InputError(
            f"{path}: give a canonical calls table (.parquet from `altresponse ingest`, or .csv)"
        )
    from altresponse.calls.adapter import find_adapter
    from altresponse.calls.ingest import ingest

    with tempfile.TemporaryDirectory(prefix="altresponse-plan-") as work:
        table = Path(work) / "calls.parquet"
        ingest(path, find_adapter("canonical"), table, max_quarantine=0.0)
        yield table


def _check_zone(name: str) -> None:
    """--timezone must be an IANA name."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"--timezone: unknown time zone {name!r} (use an IANA name)") from exc


def _label(path: Path, taken: set[str]) -> str:
    """A folder name for PATH's report in a comparison, unique among TAKEN."""
    stem = path.name.split(".")[0] or "calls"
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "calls"
    label, k = base, 2
    while label in taken:
        label, k = f"{base}-{k}", k + 1
    taken.add(label)
    return label


def _one(path: Path, program: Program, options: PlanOptions, show: bool) -> Plan:
    """The plan for one table, with the stage shown on a terminal."""
    from altresponse.planning.analysis import make_plan

    status = err.status(f"{path.name}: reading", spinner="dots") if show else nullcontext()
    with status as spinner:

        def step(stage: str) -> None:
            if spinner is not None:
                spinner.update(f"{path.name}: {stage}")

        with _parquet(path) as table:
            plan = make_plan(table, program, options, progress=step)
    plan.summary["input"] = str(path)
    return plan


def plan_cmd(
    calls: Annotated[
        list[Path],
        typer.Argument(
            help="Canonical calls table(s): .parquet from `altresponse ingest`, or .csv."
        ),
    ],
    program: Annotated[
        str, typer.Option("--program", "-p", help="Preset name or program YAML file.")
    ] = "star_denver",
    output: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for index.html and summary.json.")
    ] = Path("out/plan"),
    compare: Annotated[
        bool, typer.Option("--compare", help="Several tables side by side (cities or years).")
    ] = False,
    pilot_zones: Annotated[
        int, typer.Option("--pilot-zones", min=1, help="Zones in the pilot area.")
    ] = 3,
    pilot_hours: Annotated[
        int, typer.Option("--pilot-hours", min=1, max=24, help="Hours a day the pilot runs.")
    ] = 10,
    timezone: Annotated[
        str | None,
        typer.Option(
            help="Local time zone of the calls (default: the one ingest recorded, else the "
            "program's)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """What a city's calls say about a civilian response program: a report for the council."""
    from altresponse.planning.analysis import PlanOptions
    from altresponse.planning.compare import write_compare
    from altresponse.planning.report import write_plan
    from altresponse.programs import load_program

    def body() -> dict[str, Any]:
        if len(calls) > 1 and not compare:
            raise InputError("several calls tables: add --compare to put them side by side")
        if compare and len(calls) < 2:
            raise InputError("--compare needs at least two calls tables")
        if timezone is not None:
            _check_zone(timezone)
        chosen = load_program(program)
        options = PlanOptions(pilot_zones=pilot_zones, pilot_hours=pilot_hours, timezone=timezone)
        show = not as_json and err.is_terminal
        plans = [_one(path, chosen, options, show) for path in calls]
        if compare:
            taken: set[str] = set()
            labels = [_label(path, taken) for path in calls]
            html = write_compare(labels, plans, output)
            return {"report": str(html), "plans": [p.summary for p in plans]}
        html, summary = write_plan(plans[0], output)
        return {"report": str(html), "summary": str(summary), **plans[0].summary}

    result = run(body)
    if as_json:
        print_json(result)
        return
    if compare:
        for s in result["plans"]:
            _print_plan(s)
    else:
        _print_plan(result)
    out.print(f"\nReport: [bold]{result['report']}[/]", highlight=False)


def _print_plan(s: dict[str, Any]) -> None:
    """The headline of a plan, as a user reads it in the terminal."""
    p = s["pilot"]
    base = (
        "public-initiated calls" if s["category_shares_base"] == "public_initiated" else "all calls"
    )
    cost = "n/a" if p["cost_per_call"] is None else f"{p['currency']} {p['cost_per_call']:,.0f}"
    out.print(
        f"[bold]{s['input']}[/]: {s['total_calls']:,} calls, {s['eligible_calls']:,} eligible "
        f"({s['eligible_share']:.1%}) for {s['program_name']}; violent crime "
        f"{s['violent_crime_share']:.1%} of {base}.\n"
        f"  pilot: {', '.join(p['zones']) or 'no zone'}, {p['window_start']}-{p['window_end']}: "
        f"{p['covered_calls']:,} calls ({p['covered_share']:.0%} of eligible), "
        f"{p['teams_estimate']} teams, {cost} per call",
        highlight=False,
    )
