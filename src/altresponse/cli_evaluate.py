"""`altresponse evaluate ...`: KPIs, the impact estimate and the community measures."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from altresponse.cli_community import community_cmd
from altresponse.cli_did import did_cmd
from altresponse.clikit import JsonOpt, State, out, print_json, run

if TYPE_CHECKING:
    from altresponse.evaluation.kpis import Kpis, Spread

evaluate_app = typer.Typer(help="Evaluate a program: KPIs, impact, community measures.")
evaluate_app.command("community")(community_cmd)
evaluate_app.command("did")(did_cmd)


@evaluate_app.command("kpis")
def kpis_cmd(
    calls: Annotated[
        Path | None,
        typer.Option(help="A canonical calls table (else the live service's database)."),
    ] = None,
    program: Annotated[
        str | None, typer.Option("--program", "-p", help="Program (default: the service's).")
    ] = None,
    own_records: Annotated[
        bool,
        typer.Option(help="CALLS are the program's own responses (every row answered)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Every KPI of docs/metrics.md, from the live service's store or a historical table."""
    from altresponse.evaluation.kpis import kpis
    from altresponse.evaluation.records import (
        contacts_from_calls,
        contacts_from_store,
        follow_ups_from_store,
    )
    from altresponse.programs import load_program

    def body() -> None:
        chosen = load_program(program or State.settings.program)
        if calls is not None:
            contacts = contacts_from_calls(calls, chosen)
        else:
            contacts = contacts_from_store(State.settings.database_url, chosen)
        found = kpis(contacts, chosen, responded="all" if own_records else "served")
        if calls is None:
            found.follow_ups = follow_ups_from_store(State.settings.database_url)
        if as_json:
            print_json(found.to_json_dict())
        else:
            _show(found, chosen.name)

    run(body)


@evaluate_app.command("panel")
def panel_cmd(
    calls: Annotated[Path, typer.Argument(help="A canonical calls table (Parquet).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The panel: .csv or .parquet.")],
    program: Annotated[
        str | None, typer.Option("--program", "-p", help="Program (default: the service's).")
    ] = None,
    time: Annotated[str, typer.Option(help="Period: month or week (local).")] = "month",
    as_json: JsonOpt = False,
) -> None:
    """Outcomes per zone and period from a calls table: what `evaluate did` reads."""
    from altresponse.calls.ingest import ingest_stamp
    from altresponse.evaluation.panel import make_panel, write_panel
    from altresponse.evaluation.records import contacts_from_calls
    from altresponse.programs import load_program

    def body() -> None:
        chosen = load_program(program or State.settings.program)
        contacts = contacts_from_calls(calls, chosen)
        zone = ingest_stamp(calls).get("timezone", chosen.timezone)
        panel = make_panel(contacts, zone, period=time)
        write_panel(panel, output)
        zones = len(set(panel.column("zone").to_pylist()))
        said = {"panel": str(output), "rows": panel.num_rows, "zones": zones, "time": time}
        if as_json:
            print_json(said)
        else:
            out.print(f"{panel.num_rows:,} rows ({zones} zones by {time}) in {output}",
                      highlight=False)  # fmt: skip

    run(body)


def _spread(name: str, spread: Spread) -> tuple[str, str, str]:
    if spread.n == 0:
        return name, "no calls with both times", ""
    return (name, f"{spread.p50:.1f} / {spread.p90:.1f} min",
            f"{spread.n:,} calls ({spread.excluded:,} left out)")  # fmt: skip


def _show(found: Kpis, program: str) -> None:
    """The KPIs as one table."""
    table = Table(title=f"{program}: {found.calls:,} calls, {found.days:.0f} days")
    for column in ("KPI", "value", "out of"):
        table.add_column(column)
    served = found.served
    table.add_row("eligible calls served", _pct(served.share), f"{served.base:,} eligible")
    for reason, count in found.unserved_by_reason.items():
        table.add_row(f"  eligible, not served: {reason}", f"{count:,}", "")
    for name, spread in (("to dispatch p50 / p90", found.to_dispatch),
                         ("travel p50 / p90", found.travel),
                         ("to arrival p50 / p90", found.to_arrival),
                         ("on scene p50 / p90", found.on_scene)):  # fmt: skip
        table.add_row(*_spread(name, spread))
    for name, part in (("police backup", found.backup),
                       ("arrest after a response", found.arrests_after_response),
                       ("transported", found.transports), ("referred", found.referrals),
                       ("repeat contacts (place, 30 days)", found.repeat_contacts)):  # fmt: skip
        table.add_row(name, _pct(part.share), f"{part.base:,}")
    cost = found.cost
    per_call = f"{cost['currency']} {cost['per_call']:,.0f}" if cost["per_call"] else "n/a"
    table.add_row("cost per call answered", per_call, f"{cost['team_hours']:,.0f} team-hours")
    out.print(table)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"
