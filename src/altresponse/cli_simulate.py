"""`altresponse simulate` and `altresponse staff`: what a fleet delivers, the least that will do."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from altresponse.clikit import JsonOpt, err, out, print_json, run

if TYPE_CHECKING:
    from altresponse.simulation.calls import CallSet
    from altresponse.simulation.scenario import Choices

ProgramOpt = Annotated[
    str, typer.Option("--program", "-p", help="Preset name or program YAML file.")
]
CallsOpt = Annotated[
    Path,
    typer.Option(
        "--calls", help="Canonical calls table (.parquet from `altresponse ingest`); triaged here."
    ),
]
ShiftsOpt = Annotated[
    str | None,
    typer.Option(help="Shifts, e.g. '06:00-14:00*3,14:00-22:00*5' or 'mon-fri@08:00-18:00'."),
]
ReplicationsOpt = Annotated[int, typer.Option(min=1, help="Seeded runs to average.")]
SeedOpt = Annotated[int, typer.Option(help="Seed of the first replication.")]
PerYearOpt = Annotated[
    float | None,
    typer.Option(
        "--calls-per-year",
        help="Synthetic arrivals at this yearly volume, with the table's hour-of-week profile.",
    ),
]
BackupOpt = Annotated[
    float, typer.Option("--backup-rate", min=0, max=1, help="Share of calls needing police backup.")
]
TransportOpt = Annotated[
    float, typer.Option("--transport-share", min=0, max=1, help="Share of calls with a transport.")
]
WorkersOpt = Annotated[int, typer.Option(min=1, help="Processes to run replications on.")]
FollowUpOpt = Annotated[
    float,
    typer.Option(
        "--follow-up-share",
        min=0,
        max=1,
        help="Share of served calls that get a follow-up visit (team time, after every call).",
    ),
]
SpeedOpt = Annotated[
    float | None,
    typer.Option(
        "--speed-kmh",
        min=1,
        help="Travel from distance at this speed where calls have coordinates "
        "(default: the fitted dispatch-to-arrival time).",
    ),
]
WORKERS = min(2, os.cpu_count() or 1)


@contextmanager
def _bar(show: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for the runs, when on a terminal."""
    if not show:
        yield None
        return
    bar = Progress(
        TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total} runs"),
        TimeElapsedColumn(), console=err, transient=True,
    )  # fmt: skip
    task = bar.add_task(label, total=None)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _calls(path: Path, program: Any, per_year: float | None, seed: int, show: bool) -> CallSet:
    from altresponse.simulation.calls import load_calls, synthetic_calls

    with err.status("triaging calls", spinner="dots") if show else _null():
        calls = load_calls(path, program)
    return calls if per_year is None else synthetic_calls(calls, per_year, seed)


@contextmanager
def _null() -> Iterator[None]:
    yield


def _choices(
    teams: int | None,
    shifts: str | None,
    backup: float,
    transport: float,
    speed: float | None,
    follow_up: float = 0.0,
) -> Choices:
    from altresponse.simulation.fleet import parse_shifts
    from altresponse.simulation.scenario import Choices

    return Choices(
        teams=teams,
        shifts=parse_shifts(shifts) if shifts else None,
        backup_rate=backup,
        transport_share=transport,
        speed_kmh=speed,
        follow_up_share=follow_up,
    )


def simulate_cmd(
    program: ProgramOpt,
    calls: CallsOpt,
    teams: Annotated[
        int | None, typer.Option(min=0, help="Teams on each shift (default: the program's).")
    ] = None,
    shifts: ShiftsOpt = None,
    replications: ReplicationsOpt = 5,
    seed: SeedOpt = 2026,
    per_year: PerYearOpt = None,
    backup_rate: BackupOpt = 0.006,
    transport_share: TransportOpt = 0.0,
    speed_kmh: SpeedOpt = None,
    follow_up_share: FollowUpOpt = 0.0,
    workers: WorkersOpt = WORKERS,
    as_json: JsonOpt = False,
) -> None:
    """Simulate the program's teams on the calls: service, response times, use and cost."""
    from altresponse.programs import load_program
    from altresponse.simulation.replicate import replicate
    from altresponse.simulation.scenario import make_scenario

    show = not as_json and err.is_terminal

    def body() -> dict[str, Any]:
        choices = _choices(teams, shifts, backup_rate, transport_share, speed_kmh, follow_up_share)
        chosen = load_program(program)
        call_set = _calls(calls, chosen, per_year, seed, show)
        scenario, fleet = make_scenario(chosen, call_set, choices)
        with _bar(show, "simulating") as progress:
            summary = replicate(scenario, replications, seed, workers=workers, progress=progress)
        return {
            "program": chosen.id,
            "calls": str(calls),
            "synthetic_calls_per_year": per_year,
            "timezone": call_set.timezone,
            "origin": call_set.origin,
            "days": round(call_set.horizon / 1440, 1),
            "teams": len(fleet.teams),
            "shifts": list(fleet.shifts),
            "team_hours_per_day": fleet.team_hours_per_day,
            "max_wait_minutes": scenario.max_wait,
            "police_minutes_per_call": round(call_set.police_minutes, 1),
            "police_minutes_source": call_set.police_minutes_source,
            **summary.to_json_dict(),
        }

    result = run(body)
    if as_json:
        print_json(result)
        return
    _print_simulation(result)


def _fmt(estimate: dict[str, float | None], scale: float = 1.0, unit: str = "") -> str:
    mean, low, high = (estimate[k] for k in ("mean", "low", "high"))
    if mean is None or low is None or high is None:
        return "n/a"
    if unit == "%":
        return f"{mean * 100:.1f}% ({low * 100:.1f}-{high * 100:.1f})"
    return f"{mean * scale:,.1f}{unit} ({low * scale:,.1f}-{high * scale:,.1f})"


def _print_simulation(r: dict[str, Any]) -> None:
    out.print(
        f"[bold]{r['program']}[/]: {r['eligible_calls']:,} eligible calls over {r['days']:g} days, "
        f"{r['teams']} teams ({r['team_hours_per_day']:g} team-hours a day: "
        f"{'; '.join(r['shifts'])}), {r['replications']} replications; mean (95% interval)",
        highlight=False,
    )
    table = Table(box=None)
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("eligible calls served", _fmt(r["served_share"], unit="%")),
        ("time to dispatch p50 / p90 (min)",
         f"{_fmt(r['dispatch_p50'])} / {_fmt(r['dispatch_p90'])}"),
        ("time to arrival p50 / p90 (min)",
         f"{_fmt(r['arrival_p50'])} / {_fmt(r['arrival_p90'])}"),
        ("mean queue wait (min)", _fmt(r["mean_wait"])),
        ("team utilisation", _fmt(r["utilisation"], unit="%")),
        ("police hours displaced", _fmt(r["police_hours_displaced"])),
        ("cost per call served", _fmt(r["cost_per_served_call"])),
        ("backup requests", _fmt(r["backup_rate"], unit="%")),
    ]  # fmt: skip
    for reason, estimate in r["unserved_by_reason"].items():
        rows.append((f"unserved: {reason}", _fmt(estimate)))
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)


def staff_cmd(
    program: ProgramOpt,
    calls: CallsOpt,
    target: Annotated[
        str,
        typer.Option(help="Figures to reach (means over replications), e.g. 'served>=0.9'."),
    ] = "served>=0.9,arrival_p90<=45",
    max_teams: Annotated[
        int, typer.Option("--max-teams", min=1, help="Try 1 to this many teams per shift.")
    ] = 30,
    shifts: ShiftsOpt = None,
    replications: ReplicationsOpt = 5,
    seed: SeedOpt = 2026,
    per_year: PerYearOpt = None,
    backup_rate: BackupOpt = 0.006,
    transport_share: TransportOpt = 0.0,
    speed_kmh: SpeedOpt = None,
    follow_up_share: FollowUpOpt = 0.0,
    workers: WorkersOpt = WORKERS,
    as_json: JsonOpt = False,
) -> None:
    """The least team-hours a day (teams per shift) that reach a target, by simulation."""
    from altresponse.programs import load_program
    from altresponse.simulation.replicate import Target, staffing_search
    from altresponse.simulation.scenario import make_scenario

    show = not as_json and err.is_terminal

    def body() -> dict[str, Any]:
        goal = Target.parse(target)
        choices = _choices(None, shifts, backup_rate, transport_share, speed_kmh, follow_up_share)
        chosen = load_program(program)
        call_set = _calls(calls, chosen, per_year, seed, show)
        base, _ = make_scenario(chosen, call_set, choices)
        with _bar(show, "staffing search") as progress:
            found = staffing_search(
                base, chosen, goal, range(1, max_teams + 1), shifts=choices.shifts,
                replications=replications, seed=seed, workers=workers, progress=progress,
            )  # fmt: skip
        return {"program": chosen.id, "calls": str(calls), **found.to_json_dict()}

    result = run(body)
    if as_json:
        print_json(result)
        return
    table = Table(box=None)
    for heading in ("teams per shift", "team-hours a day", "served", "arrival p90 (min)", "meets"):
        table.add_column(heading, justify="right")
    for size in result["sizes"]:
        table.add_row(
            str(size["teams_per_shift"]), f"{size['team_hours_per_day']:g}",
            _fmt(size["served_share"], unit="%"), _fmt(size["arrival_p90"]),
            "yes" if size["meets_target"] else "",
        )  # fmt: skip
    out.print(table)
    best = result["least_teams_per_shift"]
    if best is None:
        out.print(
            f"No fleet of up to {max_teams} teams per shift meets {result['target']}: "
            "raise --max-teams or change the shifts.",
            highlight=False,
        )
        return
    out.print(
        f"Least that meets {result['target']}: [bold]{best}[/] teams per shift, "
        f"{result['least_team_hours_per_day']:g} team-hours a day.",
        highlight=False,
    )
