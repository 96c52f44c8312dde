"""Replaying Lane County's mobile crisis dispatches with the fitted model (issue bar: the median
dispatch-to-arrival time within 20% of the observed one)."""

from __future__ import annotations

import statistics
from pathlib import Path

import duckdb
import pytest

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import ingest
from altresponse.programs import load_program
from altresponse.simulation.calls import load_calls
from altresponse.simulation.replicate import replicate
from altresponse.simulation.scenario import Choices, make_scenario

pytestmark = pytest.mark.realdata

LANE = "lane_county_mcslc_mobile_crisis/mcslc_dispatches_2024-08_2025-12.csv"
EVERY_DISPATCH = Path(__file__).parent / "programs" / "every_dispatch.yaml"


@pytest.fixture(scope="module")
def lane(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    table = tmp_path_factory.mktemp("lane") / "lane.parquet"
    ingest(shared_data / LANE, find_adapter("lane_county_mcslc"), table)
    return table


def _observed_median_travel(table: Path) -> float:
    """Median minutes from dispatch to arrival in the records (both times present, under a day)."""
    con = duckdb.connect()
    row = con.execute(
        f"""SELECT median(epoch(arrived_at) - epoch(dispatched_at)) / 60 FROM '{table}'
        WHERE arrived_at >= dispatched_at AND epoch(arrived_at) - epoch(dispatched_at) < 86400"""
    ).fetchone()
    con.close()
    assert row is not None
    return float(row[0])


def test_replay_reproduces_the_observed_median_dispatch_to_arrival(lane: Path) -> None:
    program = load_program(EVERY_DISPATCH)
    calls = load_calls(lane, program)
    # Calls whose notes carry a red flag go to police by the engine's safety rules, whatever the
    # program says; the rest (about three in four) are replayed at their own request times.
    assert 0.7 * calls.total_calls < len(calls.calls) <= calls.total_calls
    scenario, _ = make_scenario(program, calls, Choices())
    summary = replicate(scenario, 5, 2026)
    travel = [a - d for run in summary.runs for a, d in zip(run.arrival, run.dispatch, strict=True)]
    simulated = statistics.median(travel)
    observed = _observed_median_travel(lane)
    assert observed == 14.0
    assert abs(simulated - observed) / observed <= 0.20, (simulated, observed)
    assert summary.figures["served_share"].mean == pytest.approx(1.0, abs=0.01)
