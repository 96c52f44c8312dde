"""Commands for programs and triage: `altresponse programs`, `programs check`, `triage`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from altresponse.clikit import JsonOpt, err, out, print_json, run
from altresponse.errors import InputError

if TYPE_CHECKING:
    from altresponse.triage.files import TriageCounts

programs_app = typer.Typer(
    help="Program files: list the presets, validate your own.", invoke_without_command=True
)


def _program_row(program: Any) -> dict[str, Any]:
    """The facts of a program a list shows."""
    own = [o for o in program.responses if o.program]
    hours = "; ".join(w.describe() for w in program.hours) if program.hours else "24/7"
    return {
        "id": program.id,
        "name": program.name,
        "city": program.city,
        "hours": hours,
        "tracks": sorted({o.track.value for o in own}),
        "rules": len(program.protocol),
        "zones": None if program.zones is None else [z.id for z in program.zones],
        "protocol_version": program.protocol_version,
    }


@programs_app.callback()
def programs_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the program presets (use `programs check FILE` to validate your own)."""
    if ctx.invoked_subcommand is not None:
        return
    from altresponse.programs import load_program, preset_names

    def body() -> None:
        rows = [_program_row(load_program(name)) for name in preset_names()]
        if as_json:
            print_json(rows)
            return
        table = Table(box=None)
        table.add_column("program", no_wrap=True)
        for heading in ("name", "city", "hours", "own tracks", "rules"):
            table.add_column(heading)
        for row in rows:
            table.add_row(
                row["id"], row["name"], row["city"], row["hours"], ", ".join(row["tracks"]),
                str(row["rules"]),
            )  # fmt: skip
        out.print(table)

    run(body)


@programs_app.command("check")
def programs_check_cmd(
    file: Annotated[Path, typer.Argument(help="A program YAML file.")],
    as_json: JsonOpt = False,
) -> None:
    """Validate a program file; an error names the file, line and field (exit code 2)."""
    from altresponse.programs import load_program

    def body() -> None:
        if not file.is_file():
            raise InputError(f"{file}: no such file")
        program = load_program(file)
        row = _program_row(program)
        if as_json:
            print_json(row)
        else:
            out.print(
                f"{file}: ok: {program.name} ({program.city}), {row['rules']} rules, "
                f"hours {row['hours']}, version {program.protocol_version}",
                highlight=False,
            )

    run(body)


def triage_cmd(
    program: Annotated[str, typer.Option("--program", "-p", help="Preset name or YAML file.")],
    planning: Annotated[
        bool,
        typer.Option(
            "--planning", help="Estimate eligibility of historical calls (nobody asked them)."
        ),
    ] = False,
    input_path: Annotated[
        Path | None,
        typer.Option(
            "--in", help="Calls: .parquet, .csv or .jsonl (default: JSON lines on stdin)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Decisions: .parquet or .jsonl (default: JSON lines on stdout)."
        ),
    ] = None,
) -> None:
    """Triage calls with a program: one JSON decision per line, or a Parquet table."""
    from altresponse.programs import Mode, load_program
    from altresponse.triage import files

    def body() -> TriageCounts:
        chosen = load_program(program)
        mode = Mode.PLANNING if planning else Mode.LIVE
        if output is not None and output.suffix not in (".parquet", ".jsonl", ".json"):
            raise InputError(f"{output}: --out must end in .parquet or .jsonl")
        suffix = "" if input_path is None else "".join(input_path.suffixes[-2:]).lower()
        if input_path is not None and not input_path.is_file():
            raise InputError(f"{input_path}: no such file")
        with err.status("triaging calls", spinner="dots") if err.is_terminal else nullcontext():
            if suffix.endswith(".parquet"):
                return _batch(files.triage_parquet, input_path, chosen, mode, output)
            if suffix.endswith((".csv", ".csv.gz")):
                return _batch(files.triage_csv, input_path, chosen, mode, output)
            return _stream(input_path, chosen, mode, output)

    counts = run(body)
    share = counts.eligible / counts.calls if counts.calls else 0.0
    tracks = ", ".join(f"{track} {n:,}" for track, n in counts.tracks.most_common())
    err.print(
        f"triaged {counts.calls:,} calls: {counts.eligible:,} eligible ({share:.1%}), "
        f"{counts.unserved:,} eligible but unserved; {tracks}",
        highlight=False,
    )


def _batch(
    reader: Callable[..., TriageCounts],
    path: Path | None,
    program: Any,
    mode: Any,
    output: Path | None,
) -> TriageCounts:
    """Parquet or CSV through the batch engine; JSON lines output goes to stdout or a file."""
    if output is not None and output.suffix != ".parquet":
        from altresponse.triage.files import staged

        with staged(output) as path_out, path_out.open("w", encoding="utf-8") as stream:
            return reader(path, program, mode, None, stream)
    return reader(path, program, mode, output, sys.stdout)


def _stream(path: Path | None, program: Any, mode: Any, output: Path | None) -> TriageCounts:
    """JSON lines, decided call by call by the live engine."""
    from altresponse.triage import files

    counts = files.TriageCounts()
    source = "stdin" if path is None else str(path)
    with nullcontext(sys.stdin) if path is None else path.open(encoding="utf-8") as lines:
        rows = (d.to_json_dict() for d in files.decide_all(
            files.read_json_lines(lines, source), program, mode
        ))  # fmt: skip
        if output is None:
            files.write_json_lines(rows, sys.stdout, counts)
        elif output.suffix == ".parquet":
            files.write_parquet_rows(rows, output, counts)
        else:
            with files.staged(output) as staged_path, staged_path.open("w") as stream:
                files.write_json_lines(rows, stream, counts)
    return counts


def triage_planning(calls: Path, program_name: str, output: Path, *, show: bool) -> dict[str, Any]:
    """Batch-triage a calls table in planning mode, write OUTPUT and print what it found."""
    from altresponse.programs import Mode, load_program
    from altresponse.triage.files import triage_parquet
    from altresponse.triage.report import summarize_decisions

    program = load_program(program_name)
    with (
        err.status("triaging calls", spinner="dots") if show and err.is_terminal else nullcontext()
    ):
        triage_parquet(calls, program, Mode.PLANNING, output, sys.stdout)
    summary = summarize_decisions(output)
    if show:
        _print_triage(program.name, summary, output)
    return {"program": program.id, "decisions": str(output), **summary.to_json_dict()}


def _print_triage(name: str, summary: Any, output: Path) -> None:
    """The planning triage of a calls table, as a user reads it."""
    out.print(
        f"\n[bold]{name}[/], planning estimate: [bold]{summary.eligible:,}[/] of "
        f"{summary.calls:,} calls eligible ({summary.eligible_share:.1%}); {summary.served:,} "
        f"inside its hours and area. Decisions in {output}.",
        highlight=False,
    )
    table = Table("track", "calls", box=None, title="Recommended track", title_justify="left")
    for track, n in summary.by_track.items():
        table.add_row(track, f"{n:,}")
    out.print(table)
    rules = Table("rule", "eligible calls", box=None, title="Rules behind eligible calls",
                  title_justify="left")  # fmt: skip
    for rule, n in list(summary.eligible_by_rule.items())[:8]:
        rules.add_row(rule, f"{n:,}")
    out.print(rules)
    if summary.unserved:
        unserved = ", ".join(f"{reason} {n:,}" for reason, n in summary.unserved.items())
        out.print(f"Eligible but not served: {unserved}", highlight=False)
