"""The general suggester against real call-type lists: Vera's human labels and other cities."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from altresponse.taxonomy import Taxonomy, TypeMapper, evaluate_vera

pytestmark = pytest.mark.realdata

VERA = "vera_twosigma_911_taxonomy/call_types_crosswalk.csv"
BAR = 0.85  # call-weighted agreement of the suggester alone with Vera's human category
COVERAGE = 0.95  # share of calls (with a call type) that get an incident type


def _csv(path: Path) -> str:
    """A DuckDB table expression reading a CSV (or .csv.gz) as text."""
    return (
        f"read_csv('{path}', all_varchar=true, quote='\"', escape='\"', delim=',', "
        "header=true, auto_detect=true, sample_size=-1)"
    )


# City -> (file, call-type column, calls). None of these files is the Vera file.
SOURCES: dict[str, tuple[str, str, str]] = {
    "nypd": (
        "nypd_cfs_radio_code_taxonomy_2024/nypd_radio_code_categorization_2024.csv",
        "TYP_DESC",
        "sum(CAST(Count AS BIGINT))",
    ),
    # Langton's Detroit list has no counts: every call type counts once.
    "detroit_langton": (
        "detroit_cfs_categorization_langton/categorization_summary.csv",
        "calldescription_original",
        "count(*)",
    ),
    "san_antonio": (
        "san_antonio_pd_cfs/sapd_calls_partial_months_2022-2026.csv.gz",
        "ProblemType",
        "count(*)",
    ),
    "nashville": (
        "nashville_mnpd_cfs/mnpd_calls_2024_sample.csv",
        '"Tencode Description"',
        "count(*)",
    ),
    "alexandria": ("alexandria_va_decc_cad/decc_cad_2025_weeks35-52.csv.gz", "Problem", "count(*)"),
    "slo": ("slo_pd_call_log_narratives/slopd_call_log_2021-09_2022-03.csv.gz", "type", "count(*)"),
    "berkeley": ("berkeley_pd_cfs/Berkeley_PD_-_Calls_for_Service.csv", "OFFENSE", "count(*)"),
    "toronto": (
        "toronto_persons_in_crisis/tps_persons_in_crisis_2014_partial.csv",
        "event_type",
        "count(*)",
    ),
    "lane_county": (
        "lane_county_mcslc_mobile_crisis/mcslc_dispatches_2024-08_2025-12.csv",
        '"Reason for Dispatch #1"',
        "count(*)",
    ),
}
SAN_DIEGO = "san_diego_pd_cfs"


def _call_types(data: Path, city: str) -> dict[str, int]:
    """Calls per non-blank local call type in one city's data."""
    if city == "san_diego":  # calls carry a code; the call-type table spells it out
        calls = _csv(data / SAN_DIEGO / "pd_calls_for_service_2023_datasd.csv")
        types = _csv(data / SAN_DIEGO / "pd_cfs_calltypes_datasd.csv")
        sql = (
            f"SELECT t.d, count(*) FROM {calls} c JOIN (SELECT call_type, min(description) AS d "
            f"FROM {types} GROUP BY 1) t ON c.call_type = t.call_type GROUP BY 1"
        )
    else:
        path, column, calls_sql = SOURCES[city]
        sql = f"SELECT {column}, {calls_sql} FROM {_csv(data / path)} GROUP BY 1"
    rows = duckdb.connect().execute(sql).fetchall()
    return {str(t): int(n) for t, n in rows if t is not None and str(t).strip()}


# A few high-volume call types per city and what a dispatcher would call them.
SPOT_CHECKS = {
    "san_diego": {
        "MENTAL CASE": "EDP",
        "CHECK THE WELFARE": "WELFARE",
        "DISTURBING PEACE": "DISORD",
        "BURGLARY ALARM": "ALRBS",
        "UNK EMERG, HANG UP/OPEN LINE": "911H",
        "AMBULANCE CALL, OVERDOSE": "OD",
        "SLEEPER": "HOMELESS",
    },
    "nypd": {
        "AMBULANCE CASE: EDP/INSIDE": "EDP",
        "VISIBILITY PATROL: DIRECTED": "PATROL",
        "ALARMS: COMMERCIAL/BURGLARY": "ALRBS",
        "DISPUTE: FAMILY": "DVNA",
        "VEHICLE ACCIDENT: INJURY": "MVAINJY",
    },
    "san_antonio": {
        "Welfare Check": "WELFARE",
        "Disturbance Loud Music": "NOISE",
        "Suspicious Vehicle": "VEHSUSP",
        "Major Accident": "MVAINJY",
        "Minor Accident": "MVA",
        "Panhandler": "PHANDLE",
    },
    "nashville": {
        "DISORDERLY PERSON": "DISORD",
        "MENTALLY ILL PERSON": "EDP",
        "SUICIDAL PERSON": "SUICTHRT",
        "INVESTIGATE 911 HANG-UP CALL": "911H",
    },
    "alexandria": {
        "MENTAL HEALTH CASE": "EDP",
        "DIP - DRUNK/INTOX PERSON": "INTOX",
        "TROUBLE BREATHING ALS 1": "RESP",
        "DISORDERLY CONDUCT": "DISORD",
    },
    "slo": {"Welfare Check": "WELFARE", "MENTAL SUBJ": "EDP", "9-1-1 ABANDON": "911H"},
    "berkeley": {"BURGLARY AUTO": "BURGLARY", "VEHICLE STOLEN": "VEHSTLN"},
    "toronto": {"Person in Crisis": "EDP", "Suicide-related": "SUICTHRT", "Overdose": "OD"},
    "lane_county": {"Suicidality or suicide attempt": "SUICTHRT", "Paranoia": "EDP"},
}


def test_every_apco_code_is_shipped(shared_data: Path) -> None:
    path = shared_data / "apco_common_incident_types/apco_incident_category_codes.csv"
    rows = duckdb.connect().execute(f"SELECT code_type, code FROM {_csv(path)}").fetchall()
    apco = {code for kind, code in rows if kind == "IncidentCategoryCodeSimpleType"}
    shipped = {c for c, t in Taxonomy.load().incident_types.items() if t.apco}
    assert len(apco) == 197
    assert shipped == apco


def test_vera_agreement_bar(shared_data: Path) -> None:
    result = evaluate_vera(shared_data / VERA)
    assert {c.city for c in result.cities} == {"New Orleans", "Seattle", "Detroit"}
    for agreement in (result.overall, *result.cities):
        assert agreement.strict >= BAR, agreement
        assert agreement.with_alternates >= agreement.strict
        assert agreement.excluded_calls > 0  # rows with a blank Category are left out
    assert result.overall.calls == sum(c.calls for c in result.cities)
    assert result.misses[0].labelled.count >= result.misses[-1].labelled.count


@pytest.mark.parametrize("city", sorted([*SOURCES, "san_diego"]))
def test_coverage_on_other_cities(shared_data: Path, city: str) -> None:
    counts = _call_types(shared_data, city)
    assert counts, f"{city}: no call types read"
    found = dict(zip(counts, TypeMapper().map_many(counts), strict=True))
    typed = sum(n for t, n in counts.items() if found[t].incident_type is not None)
    assert typed / sum(counts.values()) >= COVERAGE
    for local_type, expected in SPOT_CHECKS.get(city, {}).items():
        assert local_type in counts, f"{city}: {local_type!r} not in the data"
        assert found[local_type].incident_type == expected, found[local_type]
