"""`altresponse publish`: the public dashboard, a static folder that never exposes a person."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from altresponse.clikit import JsonOpt, State, out, print_json, run
from altresponse.errors import InputError
from altresponse.evaluation.publish_tables import Period

if TYPE_CHECKING:
    import pyarrow as pa

    from altresponse.programs.model import Program

HISTORICAL_NOTE = (
    "Counted from historical calls triaged in planning mode: nobody was asked the screening "
    "questions, and a call counts as served when it was eligible inside the program's hours "
    "and area (an estimate)."
)


def publish_cmd(
    output: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for index.html, data/*.csv, metadata.json.")
    ] = Path("site"),
    calls: Annotated[
        Path | None,
        typer.Option(
            "--calls",
            help="A canonical calls table (.parquet from `altresponse ingest`) instead of the "
            "operations database.",
        ),
    ] = None,
    program: Annotated[
        str | None,
        typer.Option(
            "--program", "-p", help="Preset name or program YAML (default: the settings' program)."
        ),
    ] = None,
    threshold: Annotated[
        int, typer.Option(min=2, help="Counts from 1 to threshold - 1 are never published.")
    ] = 11,
    period: Annotated[
        Period, typer.Option(help="Publish by local ISO week (Monday start) or by day.")
    ] = Period.WEEK,
    as_json: JsonOpt = False,
) -> None:
    """Write the public dashboard: counts by week or day, zone and track, small counts hidden."""
    from altresponse.evaluation.publish import publish
    from altresponse.programs import load_program

    def body() -> dict[str, Any]:
        from altresponse.evaluation.records import contacts_from_calls

        chosen = load_program(program or State.settings.program)
        if calls is not None:
            if not calls.is_file() or not calls.name.endswith(".parquet"):
                raise InputError(f"{calls}: give a canonical .parquet from `altresponse ingest`")
            from altresponse.calls.ingest import ingest_stamp

            contacts = contacts_from_calls(calls, chosen)
            zone = ingest_stamp(calls).get("timezone", chosen.timezone)
            notes: tuple[str, ...] = (HISTORICAL_NOTE,)
        else:
            contacts = _from_store(State.settings.database_url, chosen)
            zone, notes = chosen.timezone, ()
        if contacts.num_rows == 0:
            raise InputError("no calls to publish")
        result = publish(contacts, zone, output, program_name=chosen.name, threshold=threshold,
                         period=period, notes=notes)  # fmt: skip
        return {
            "site": str(result.folder),
            "index": str(result.index),
            "files": [str(p) for p in result.files],
            "threshold": threshold,
            "period": period.value,
            "suppressed_cells": result.metadata["suppressed_cells"],
            "left_out": result.left_out,
        }

    result = run(body)
    if as_json:
        print_json(result)
        return
    out.print(
        f"Published {len(result['files'])} files to [bold]{result['site']}[/] "
        f"({result['suppressed_cells']:,} numbers suppressed below {threshold}).\n"
        f"Open [bold]{result['index']}[/]; host the folder as it is (links are relative).",
        highlight=False,
    )


def _from_store(url: str, program: Program) -> pa.Table:
    """The operations database's contacts; a database that cannot be read is one clear line."""
    from sqlalchemy.exc import SQLAlchemyError

    from altresponse.evaluation.records import contacts_from_store

    try:
        return contacts_from_store(url, program)
    except SQLAlchemyError as exc:
        raise InputError(
            f"cannot read the operations database ({type(exc).__name__}); "
            "check ALTRESPONSE_DATABASE_URL and run `altresponse db upgrade`, or give --calls"
        ) from exc
