"""What every command shares: consoles, settings, one-line errors, JSON and progress output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from altresponse.errors import AltResponseError
from altresponse.settings import Settings

out = Console(soft_wrap=True)
err = Console(stderr=True)
T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


class State:
    """Process-wide state set once by the root callback."""

    settings = Settings()


def run(action: Callable[[], T]) -> T:
    """Run a command body; a known error becomes one line on stderr and exit code 2."""
    try:
        return action()
    except AltResponseError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from exc


def print_json(data: Any) -> None:
    """JSON to stdout, for machines."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@contextmanager
def progress(enabled: bool) -> Iterator[Callable[[str, float], None] | None]:
    """A rich progress bar fed by (stage, percent) callbacks, shown on stderr."""
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(stage: str, percent: float) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=100)
        if percent >= 0:
            bar.update(tasks[stage], completed=percent)

    with bar:
        yield update
