"""`altresponse simulate` and `altresponse staff` on a small Sample City table."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import ingest
from altresponse.calls.record import CallRecord
from altresponse.cli import app
from altresponse.programs import load_program
from altresponse.samplecity import generate
from altresponse.simulation.calls import load_calls
from altresponse.simulation.replicate import replicate
from altresponse.simulation.scenario import Choices, make_scenario
from altresponse.taxonomy import Taxonomy
from callgen import calls_table

runner = CliRunner()
FIGURES = (
    "served_share",
    "dispatch_p50",
    "arrival_p90",
    "utilisation",
    "police_hours_displaced",
    "cost_per_served_call",
)


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 Sample City calls, ingested."""
    folder = tmp_path_factory.mktemp("simulate")
    export, table = folder / "sample.csv", folder / "sample.parquet"
    generate(export, seed=2026, calls=1500)
    ingest(export, find_adapter("sample_city"), table)
    return table


@pytest.fixture(scope="module")
def police_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three assaults: no call STAR could take."""
    start = datetime(2024, 3, 4, 12, tzinfo=UTC)
    category = Taxonomy.load().incident_types["ASSAULT"].category
    calls = [
        CallRecord(
            call_id=f"a{k}",
            received_at=start + timedelta(hours=k),
            dispatched_at=start + timedelta(hours=k, minutes=2),
            cleared_at=start + timedelta(hours=k, minutes=40),
            source="911",
            local_type="ASSAULT",
            incident_type="ASSAULT",
            category=category,
            type_source="source",
            type_confidence=1.0,
        )
        for k in range(3)
    ]
    path = tmp_path_factory.mktemp("police") / "assaults.parquet"
    pq.write_table(calls_table(calls), path)
    return path


def invoke(command: str, calls: Path, *args: str) -> Result:
    return runner.invoke(app, [command, "-p", "star_denver", "--calls", str(calls), *args])


def as_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def error_line(result: Result) -> str:
    """The single `error:` line of a failed command (exit code 2)."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines: list[str] = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def test_simulate_json_is_the_replicated_summary(table: Path) -> None:
    data = as_json(
        invoke("simulate", table, "--teams", "1", "--replications", "2", "--seed", "3",
               "--workers", "1", "--json")
    )  # fmt: skip
    for key in (*FIGURES, "unserved_by_reason", "replications"):
        assert key in data, key
    assert data["replications"] == 2 and data["seed"] == 3
    assert data["teams"] == 2 and data["team_hours_per_day"] == 16.0
    assert data["max_wait_minutes"] == 30.0
    for key in FIGURES:
        assert set(data[key]) == {"mean", "low", "high"}, key
    assert 0 < data["served_share"]["mean"] <= 1
    # The command gives what the library gives for the same choices.
    star = load_program("star_denver")
    scenario, _ = make_scenario(star, load_calls(table, star), Choices(teams=1))
    expected = replicate(scenario, 2, 3).to_json_dict()
    assert {k: data[k] for k in expected} == json.loads(json.dumps(expected))


def test_simulate_with_shifts_and_synthetic_calls(table: Path) -> None:
    data = as_json(
        invoke("simulate", table, "--shifts", "mon-fri@08:00-18:00*3", "--calls-per-year", "2000",
               "--replications", "1", "--workers", "1", "--json")
    )  # fmt: skip
    assert data["shifts"] == ["star-van: mon,tue,wed,thu,fri 08:00-18:00 x3"]
    assert data["teams"] == 3 and data["team_hours_per_day"] == round(3 * 10 * 5 / 7, 2)
    assert data["synthetic_calls_per_year"] == 2000 and data["days"] == 364.0
    assert abs(data["eligible_calls"] - 2000) < 4 * 2000**0.5


def test_simulate_prints_a_table(table: Path) -> None:
    result = invoke("simulate", table, "--teams", "1", "--replications", "2", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "star_denver" in result.stdout and "2 replications" in result.stdout
    assert "eligible calls served" in result.stdout
    assert "unserved: outside-hours" in result.stdout


def test_staff_json_gives_the_least_fleet(table: Path) -> None:
    data = as_json(
        invoke("staff", table, "--target", "served>=0.5,arrival_p90<=60", "--max-teams", "3",
               "--replications", "2", "--workers", "1", "--json")
    )  # fmt: skip
    sizes = data["sizes"]
    assert [s["teams_per_shift"] for s in sizes] == [1, 2, 3]
    assert [s["team_hours_per_day"] for s in sizes] == [16.0, 32.0, 48.0]
    assert data["target"] == "served_share >= 0.5, arrival_p90 <= 60"
    meets = [s["served_share"]["mean"] >= 0.5 and s["arrival_p90"]["mean"] <= 60 for s in sizes]
    assert [s["meets_target"] for s in sizes] == meets
    least = next((s["teams_per_shift"] for s in sizes if s["meets_target"]), None)
    assert least is not None
    assert data["least_teams_per_shift"] == least
    assert data["least_team_hours_per_day"] == 16.0 * least


def test_staff_says_when_no_fleet_meets_the_target(table: Path) -> None:
    result = invoke("staff", table, "--target", "served>=0.999", "--max-teams", "1",
                    "--replications", "1", "--workers", "1")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "No fleet of up to 1 teams per shift meets served_share >= 0.999" in result.stdout


def test_bad_shifts_is_one_line(table: Path) -> None:
    found = error_line(invoke("simulate", table, "--shifts", "06:00-14:00*0", "--workers", "1"))
    assert "--shifts" in found and "06:00-14:00*0" in found


@pytest.mark.parametrize("target", ["served=0.9", "speed>=1", "served>=0.9,"])
def test_bad_target_is_one_line(table: Path, target: str) -> None:
    assert "--target" in error_line(invoke("staff", table, "--target", target))


def test_a_malformed_number_in_the_target_is_one_line(table: Path) -> None:
    assert "--target" in error_line(invoke("staff", table, "--target", "served>=0.9.1"))


@pytest.mark.parametrize("command", ["simulate", "staff"])
def test_missing_calls_file_is_one_line(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "gone.parquet"
    found = error_line(invoke(command, missing))
    assert str(missing) in found and "no such file" in found


@pytest.mark.parametrize("command", ["simulate", "staff"])
def test_a_table_with_no_eligible_call_is_one_line(police_only: Path, command: str) -> None:
    found = error_line(invoke(command, police_only, "--workers", "1"))
    assert "no call is eligible under star_denver" in found
