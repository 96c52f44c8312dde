"""`altresponse demo` (`make run`): Sample City planned, then run live with its consoles."""

from __future__ import annotations

from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from altresponse.clikit import JsonOpt, State, err, out, print_json, progress, run

if TYPE_CHECKING:
    from altresponse.demo import DemoInfo, DemoOptions, DemoResult


def demo_cmd(
    directory: Annotated[Path, typer.Option("--dir", help="Where to write the demo files.")] = Path(
        "out/demo"
    ),
    seed: Annotated[int, typer.Option(help="Random seed for Sample City.")] = 2026,
    program: Annotated[
        str, typer.Option("--program", "-p", help="Program to plan and run.")
    ] = "star_denver",
    plan: Annotated[
        bool, typer.Option(help="Print what the calls are about and write the plan report first.")
    ] = True,
    live: Annotated[
        bool, typer.Option(help="Run the service and its consoles on a replayed day.")
    ] = True,
    speed: Annotated[
        float, typer.Option(min=1, max=10_000, help="How much faster than real time the day runs.")
    ] = 60.0,
    start: Annotated[str, typer.Option(help="Local time the replayed day starts at.")] = "07:00",
    minutes: Annotated[
        float | None, typer.Option(min=0.1, help="Stop after this many real minutes.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address the consoles listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the consoles.")] = 8000,
    as_json: JsonOpt = False,
) -> None:
    """Generate Sample City and plan from its calls; then run the live service and its consoles
    on one of its days, replayed at SPEED times real time, until the day ends or Ctrl-C."""
    from altresponse.demo import DemoOptions

    def body() -> None:
        directory.mkdir(parents=True, exist_ok=True)
        calls = _sample_city(directory, seed, quiet=as_json)
        found: dict[str, Any] = {"calls": str(calls)}
        if plan:
            found |= _plan_part(calls, directory, program, quiet=as_json)
        if live:
            options = DemoOptions(
                directory=directory, program=program, seed=seed, host=host, port=port,
                speed=speed, start=start, minutes=minutes, calls=calls,
            )  # fmt: skip
            found["live"] = _live_part(options, quiet=as_json)
        if as_json:
            print_json(found)

    run(body)


def _sample_city(directory: Path, seed: int, *, quiet: bool) -> Path:
    """Sample City's CAD export, generated and ingested to canonical Parquet in DIRECTORY."""
    from altresponse.calls.adapter import find_adapter
    from altresponse.calls.ingest import ingest
    from altresponse.samplecity import generate

    export = directory / "sample_city_cad.csv"
    parquet = directory / "calls.parquet"
    if not quiet:
        out.print(f"Generating Sample City's CAD export in {export} ...", highlight=False)
    generate(export, seed=seed)
    adapter = find_adapter("sample_city", State.settings.sources_path)
    with progress(not quiet and err.is_terminal) as shown:
        result = ingest(export, adapter, parquet, progress=shown)
    if not quiet:
        out.print(
            f"Ingested {result.rows_read:,} rows: {result.rows_written:,} calls written to "
            f"{parquet}, {result.rows_quarantined:,} quarantined.\n",
            highlight=False,
        )
    return parquet


def _plan_part(calls: Path, directory: Path, program: str, *, quiet: bool) -> dict[str, Any]:
    """What the calls are about, the planning triage and the plan report."""
    from altresponse.calls.summary import summarize
    from altresponse.cli import print_summary
    from altresponse.cli_triage import triage_planning
    from altresponse.planning.analysis import make_plan
    from altresponse.planning.report import write_plan
    from altresponse.programs import load_program

    decisions = directory / "decisions.parquet"
    if not quiet:
        print_summary(calls, as_json=False)
    triaged = triage_planning(calls, program, decisions, show=not quiet)
    status = err.status("writing the plan report", spinner="dots")
    with status if not quiet and err.is_terminal else nullcontext():
        report, _ = write_plan(make_plan(calls, load_program(program)), directory / "plan")
    if not quiet:
        out.print(f"Plan report (open it in a browser): [bold]{report}[/]\n", highlight=False)
    summary = summarize(calls).to_json_dict() if quiet else {}
    return {"summary": summary, "triage": triaged, "plan": str(report)}


def _live_part(options: DemoOptions, *, quiet: bool) -> dict[str, Any]:
    """The live service on a replayed day, until it is over; what happened, for --json."""
    from altresponse.demo import run_demo

    if not quiet:
        out.print("Starting the live service and its consoles ...", highlight=False)
    result = run_demo(options, on_ready=None if quiet else partial(_tell_ready, options.start))
    if not quiet:
        _tell_result(result, options.program)
    counts = result.counts
    return {
        "url": result.url, "day": result.day.isoformat(), "calls_in_day": result.calls_in_day,
        "real_seconds": round(result.real_seconds, 1),
        "simulated_until": result.simulated_until.isoformat(),
        "finished_day": result.finished_day, "interrupted": result.interrupted,
        "counts": {name: getattr(counts, name) for name in counts.__dataclass_fields__},
        "database": str(result.database), "log": str(result.log),
    }  # fmt: skip


def _tell_ready(start: str, info: DemoInfo) -> None:
    """Where the consoles are and how to sign in."""
    from altresponse.demo import DEMO_PASSWORD, DEMO_USERS

    day_minutes = 24 * 60 / info.speed
    logins = ", ".join(DEMO_USERS.values())
    out.print(
        f"\n[bold]Live:[/] the {info.calls:,} Sample City calls of {info.day:%A %d %B %Y}, "
        f"replayed from {start} at {info.speed:g}x (a day in {day_minutes:.0f} minutes).\n"
        f"  Call-taker and dispatcher  {info.url}/console\n"
        f"  Responder (phone)          {info.url}/responder\n"
        f"  Supervisor board           {info.url}/supervisor\n"
        f"  Sign in as {logins}; password [bold]{DEMO_PASSWORD}[/] (this demo only).\n"
        f"  Log: {info.log}. Press Ctrl-C to stop.",
        highlight=False,
    )


def _tell_result(result: DemoResult, program: str) -> None:
    """How the run went, in one line."""
    from zoneinfo import ZoneInfo

    from altresponse.programs import load_program

    until = result.simulated_until.astimezone(ZoneInfo(load_program(program).timezone))
    counts = result.counts
    how = "interrupted" if result.interrupted else "day over" if result.finished_day else "stopped"
    out.print(
        f"\nDemo {how} after {result.real_seconds / 60:.1f} minutes, at "
        f"{until:%H:%M} of the day: {counts.calls_posted:,} calls taken, "
        f"{counts.dispatched:,} teams dispatched, {counts.closed:,} calls closed, "
        f"{counts.errors:,} errors. Database: {result.database}",
        highlight=False,
    )
