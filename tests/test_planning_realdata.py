"""The plan on real data: Detroit's published demand shares, and every shared city dataset."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import IngestResult, ingest
from altresponse.planning.analysis import local_program, make_plan
from altresponse.planning.report import write_plan
from altresponse.programs import Mode, load_program
from altresponse.triage.files import triage_parquet
from altresponse.triage.report import summarize_decisions

pytestmark = pytest.mark.realdata

DETROIT = "detroit_cfs_categorization_langton"
CITIES = {
    "san_antonio_pd": "san_antonio_pd_cfs/sapd_calls_partial_months_2022-2026.csv.gz",
    "nashville_mnpd": "nashville_mnpd_cfs/mnpd_calls_2024_sample.csv",
    "san_diego_pd": "san_diego_pd_cfs/pd_calls_for_service_2023_datasd.csv",
    "alexandria_decc": "alexandria_va_decc_cad/decc_cad_2025_weeks35-52.csv.gz",
    "san_luis_obispo_pd": "slo_pd_call_log_narratives/slopd_call_log_2021-09_2022-03.csv.gz",
    "berkeley_pd": "berkeley_pd_cfs/Berkeley_PD_-_Calls_for_Service.csv",
    "toronto_pic": "toronto_persons_in_crisis/tps_persons_in_crisis_2014_partial.csv",
    "lane_county_mcslc": "lane_county_mcslc_mobile_crisis/mcslc_dispatches_2024-08_2025-12.csv",
}


def _published(shared: Path) -> dict[str, tuple[int, float]]:
    """Table 1 of Langton et al.: demand type -> (calls, percent of calls)."""
    with (shared / DETROIT / "table1_revisions.csv").open(encoding="utf-8") as handle:
        return {
            row["Demand type"]: (int(row["Count"]), float(row["Count (%)"]))
            for row in csv.DictReader(handle)
        }


@pytest.fixture(scope="module")
def detroit_plan(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Detroit's 258,786 calls rebuilt from the description frequencies, ingested and planned.

    Only the call description is given (no type, no category): the project's own mapper types
    each one, so the demand shares are its mapping's, end to end through `make_plan`.
    """
    work = tmp_path_factory.mktemp("detroit")
    source = shared_data / DETROIT / "prop_breakdown_tos.csv"
    calls = work / "detroit.csv"
    con = duckdb.connect()
    con.execute(
        f"""COPY (
          SELECT 'D' || row_number() OVER () AS call_id,
            TIMESTAMPTZ '2019-01-01 00:00:00+00' + to_minutes(CAST(k AS BIGINT) % 525600)
              AS received_at,
            calldescription2 AS local_type
          FROM read_csv('{source}', header = true) d, range(d.freq) r(k)
        ) TO '{calls}' (FORMAT csv, HEADER)"""
    )
    con.close()
    table = work / "detroit.parquet"
    ingest(calls, find_adapter("canonical"), table)
    return make_plan(table, load_program("cahoots_eugene")).summary


def test_detroit_health_and_crime_shares_match_the_published_table(
    detroit_plan: dict[str, object], shared_data: Path
) -> None:
    published = _published(shared_data)
    total = sum(n for n, _ in published.values())
    assert total == 258_786
    assert published["health"][1] == 7.68
    assert published["crime"][1] == 44.36
    assert detroit_plan["total_calls"] == total
    assert detroit_plan["category_shares_base"] == "all_calls"  # Detroit's file has no source
    shares = detroit_plan["demand_shares"]
    assert isinstance(shares, dict)
    for demand in ("health", "crime"):
        ours = shares[demand] * 100
        assert abs(ours - published[demand][1]) <= 1.5, (demand, ours, published[demand])


@pytest.fixture(scope="module")
def cities(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[IngestResult, Path]]:
    """Every shared city dataset ingested with its adapter."""
    work = tmp_path_factory.mktemp("cities")
    found = {}
    for name, relative in CITIES.items():
        table = work / f"{name}.parquet"
        found[name] = (ingest(shared_data / relative, find_adapter(name), table), table)
    return found


@pytest.mark.parametrize("name", sorted(CITIES))
def test_plan_runs_on_every_city(
    name: str, cities: dict[str, tuple[IngestResult, Path]], tmp_path: Path
) -> None:
    result, table = cities[name]
    program = load_program("cahoots_eugene")
    plan = make_plan(table, program)
    s = plan.summary
    html, summary_file = write_plan(plan, tmp_path / "report")
    assert json.loads(summary_file.read_text()) == s
    page = html.read_text()
    for section in ("about", "eligible", "when-where", "workload", "pilot", "quality"):
        assert f'id="{section}"' in page

    adapter = find_adapter(name)
    assert s["timezone"] == adapter.timezone
    assert s["total_calls"] == result.rows_written
    quality = s["data_quality"]
    assert quality["rows_quarantined_at_ingest"] == result.rows_quarantined
    assert quality["rows_read_at_ingest"] == result.rows_read
    calls = s["total_calls"]
    assert s["public_initiated_calls"] + s["officer_initiated_calls"] <= calls
    assert sum(s["category_shares"].values()) == pytest.approx(1.0, abs=0.005)
    assert s["uncertainty"]["unmapped_calls"] == calls - result.typed_calls

    # Eligibility agrees with batch triage of the same table (hours read in the data's zone).
    decisions = tmp_path / "decisions.parquet"
    local = local_program(program, adapter.timezone)
    triage_parquet(table, local, Mode.PLANNING, decisions, io.StringIO())
    triaged = summarize_decisions(decisions)
    assert s["eligible_calls"] == triaged.eligible
    assert s["by_track"] == triaged.by_track
    assert sum(map(sum, plan.hour_of_week)) == s["eligible_calls"]
    assert sum(m["calls"] for m in plan.months) == calls
    assert sum(r["calls"] for r in s["deciding_rules"]) == s["eligible_calls"]
    assert s["pilot"]["covered_calls"] <= s["eligible_calls"]
