"""Command-line interface: `altresponse --help`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from altresponse import __version__
from altresponse.cli_demo import demo_cmd
from altresponse.cli_evaluate import evaluate_app
from altresponse.cli_ops import db_app, serve_cmd, users_app
from altresponse.cli_plan import plan_cmd
from altresponse.cli_publish import publish_cmd
from altresponse.cli_simulate import simulate_cmd, staff_cmd
from altresponse.cli_triage import programs_app, triage_cmd
from altresponse.clikit import JsonOpt, err, out
from altresponse.clikit import State as _State
from altresponse.clikit import print_json as _print_json
from altresponse.clikit import progress as _progress
from altresponse.clikit import run as _run
from altresponse.settings import Settings

app = typer.Typer(
    help="altresponse: plan, operate and evaluate civilian crisis response to 911 calls.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
taxonomy_app = typer.Typer(help="Incident types, categories and the local-type mapper.")
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(programs_app, name="programs")
app.command("triage")(triage_cmd)
app.command("plan")(plan_cmd)
app.command("simulate")(simulate_cmd)
app.command("staff")(staff_cmd)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.command("serve")(serve_cmd)
app.command("demo")(demo_cmd)
app.add_typer(evaluate_app, name="evaluate")
app.command("publish")(publish_cmd)
T = TypeVar("T")


def _print_version(value: bool) -> None:
    """--version: print and stop."""
    if value:
        out.print(f"altresponse {__version__}", highlight=False)
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """Read settings once at start-up."""
    _State.settings = Settings.from_env()


@app.command("sources")
def sources_cmd(as_json: JsonOpt = False) -> None:
    """List the source adapters (one YAML file per data source)."""
    from altresponse.calls.adapter import iter_adapter_files, load_adapter

    def body() -> None:
        adapters = [load_adapter(p) for p in iter_adapter_files(_State.settings.sources_path)]
        if as_json:
            _print_json(
                [
                    {
                        "name": a.name,
                        "title": a.title,
                        "agency": a.agency,
                        "timezone": a.timezone,
                        "path": str(a.path),
                    }
                    for a in adapters
                ]
            )
            return
        table = Table("source", "agency", "timezone", "title", box=None, header_style="bold")
        for a in adapters:
            table.add_row(a.name, a.agency, a.timezone, a.title)
        out.print(table)

    _run(body)


@app.command("ingest")
def ingest_cmd(
    file: Annotated[Path, typer.Argument(help="CAD export: CSV, CSV.GZ, XLSX or Parquet.")],
    source: Annotated[str, typer.Option("--source", "-s", help="Adapter name or YAML path.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Canonical Parquet to write.")],
    max_quarantine: Annotated[
        float, typer.Option(help="Refuse the file if more than this share of rows is bad.")
    ] = 0.05,
    as_json: JsonOpt = False,
) -> None:
    """Read a CAD export into canonical Parquet; bad rows go to OUTPUT's .quarantine.csv."""
    from altresponse.calls.adapter import find_adapter
    from altresponse.calls.ingest import ingest

    def body() -> None:
        adapter = find_adapter(source, _State.settings.sources_path)
        with _progress(not as_json and err.is_terminal) as progress:
            result = ingest(file, adapter, output, progress=progress, max_quarantine=max_quarantine)
        if as_json:
            _print_json(result.to_json_dict())
            return
        out.print(
            f"[bold]{result.rows_read:,}[/] rows read, [bold green]{result.rows_written:,}[/] "
            f"written to {result.output}, [bold yellow]{result.rows_quarantined:,}[/] "
            f"quarantined, {result.duplicates:,} duplicates merged ({result.seconds:.1f} s)",
            highlight=False,
        )
        out.print(
            f"{result.typed_share:.1%} of calls have an incident type and category",
            highlight=False,
        )
        if result.quarantine:
            reasons = ", ".join(f"{kind} ({n:,})" for kind, n in result.top_reasons)
            out.print(f"set aside in {result.quarantine}: {reasons}", highlight=False)

    _run(body)


def _share_table(title: str, rows: list[Any]) -> Table:
    """A small table of labelled shares."""
    table = Table(title=title, title_justify="left", box=None, header_style="bold")
    table.add_column("")
    table.add_column("calls", justify="right")
    table.add_column("share", justify="right")
    for r in rows:
        table.add_row(r.label, f"{r.calls:,}", f"{r.share:.1%}")
    return table


def print_summary(path: Path, *, as_json: bool) -> None:
    """Print what the calls in a canonical table are about."""
    from altresponse.calls.summary import summarize

    summary = summarize(path)
    if as_json:
        _print_json(summary.to_json_dict())
        return
    out.print(
        f"[bold]{summary.total_calls:,}[/] calls from {summary.first_call} to "
        f"{summary.last_call} ({summary.unmapped_calls:,} without an incident type)",
        highlight=False,
    )
    out.print(_share_table("By source", summary.by_source))
    out.print(_share_table("By Vera/Two Sigma category", summary.by_vera_category))
    out.print(_share_table("By category", summary.by_category))
    out.print(_share_table("Top incident types", summary.top_incident_types))


@app.command("summary")
def summary_cmd(
    calls: Annotated[Path, typer.Argument(help="Canonical calls Parquet.")],
    as_json: JsonOpt = False,
) -> None:
    """What the calls are about: volume, sources, categories, incident types."""
    _run(lambda: print_summary(calls, as_json=as_json))


@taxonomy_app.command("suggest")
def taxonomy_suggest_cmd(
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="Use this source's crosswalk first.")
    ] = None,
) -> None:
    """Read one local call type per line on stdin; write one JSON object per line."""
    from altresponse.calls.adapter import find_adapter
    from altresponse.taxonomy import TypeMapper, load_crosswalk

    def body() -> None:
        crosswalk = None
        if source is not None:
            path = find_adapter(source, _State.settings.sources_path).crosswalk_path()
            crosswalk = load_crosswalk(path) if path else None
        mapper = TypeMapper(crosswalk)
        for line in sys.stdin:
            text = line.rstrip("\r\n")
            if text.strip():
                sys.stdout.write(json.dumps(mapper.map(text).to_json_dict()) + "\n")

    _run(body)


@taxonomy_app.command("unmapped")
def taxonomy_unmapped_cmd(
    calls: Annotated[Path, typer.Argument(help="Canonical calls Parquet.")],
    limit: Annotated[int, typer.Option(help="How many types to list.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List local types that got no incident type, by call volume."""
    from altresponse.calls.summary import unmapped_types

    def body() -> None:
        rows = unmapped_types(calls, limit)
        if as_json:
            _print_json([{"local_type": t, "calls": n} for t, n in rows])
            return
        table = Table("local type", "calls", box=None, header_style="bold")
        for t, n in rows:
            table.add_row(t, f"{n:,}")
        out.print(table if rows else "every call has an incident type")

    _run(body)


@app.command("sample-city")
def sample_city_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV export to write.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
    calls: Annotated[int | None, typer.Option(help="Number of calls (default: a year).")] = None,
) -> None:
    """Generate Sample City's CAD export (synthetic, from published figures)."""
    from altresponse.samplecity import generate

    def body() -> None:
        result = generate(output, seed=seed, calls=calls)
        out.print(f"wrote {result}", highlight=False)

    _run(body)


def main() -> None:
    """Entry point of the `altresponse` command."""
    app()
