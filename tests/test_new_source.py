"""The docs stay true: the worked example of docs/new-source.md runs, call-record.md is complete."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import ingest
from altresponse.calls.record import CALL_COLUMNS, SCREENING_FIELDS, CallRecord

DOCS = Path(__file__).resolve().parents[1] / "docs"


def blocks(page: str) -> list[str]:
    """The fenced code blocks of a docs page."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(r"```(?:yaml)?\n(.*?)```", text, flags=re.S)


def test_worked_example_ingests(tmp_path: Path) -> None:
    csv_text, yaml_text, crosswalk_text = blocks("new-source.md")[:3]
    sources = tmp_path / "my-sources"
    sources.mkdir()
    (sources / "riverton_pd.yaml").write_text(yaml_text, encoding="utf-8")
    (sources / "riverton_pd.crosswalk.csv").write_text(crosswalk_text, encoding="utf-8")
    export = tmp_path / "riverton.csv"
    export.write_text(csv_text, encoding="utf-8")
    adapter = find_adapter("riverton_pd", (sources,))
    out = tmp_path / "riverton.parquet"
    result = ingest(export, adapter, out)
    assert (result.rows_written, result.rows_quarantined) == (2, 0)
    welfare, family = pq.read_table(out).to_pylist()
    assert welfare["received_at"] == datetime(2024, 3, 10, 5, 51, tzinfo=UTC)
    assert (welfare["incident_type"], welfare["type_source"]) == ("WELFARE", "crosswalk")
    assert (family["incident_type"], family["source"]) == ("DVNA", "officer")
    assert (welfare["disposition"], family["disposition"]) == ("no_contact", "report")
    assert family["lat"] is None and welfare["narrative"].startswith("RP STATES")


def test_adapter_by_path_needs_no_search_path(tmp_path: Path) -> None:
    _, yaml_text, crosswalk_text = blocks("new-source.md")[:3]
    (tmp_path / "riverton_pd.yaml").write_text(yaml_text, encoding="utf-8")
    (tmp_path / "riverton_pd.crosswalk.csv").write_text(crosswalk_text, encoding="utf-8")
    adapter = find_adapter(str(tmp_path / "riverton_pd.yaml"))
    assert adapter.crosswalk_path() == tmp_path / "riverton_pd.crosswalk.csv"


def test_call_record_page_lists_every_field() -> None:
    text = (DOCS / "call-record.md").read_text(encoding="utf-8")
    for name in (*CALL_COLUMNS, *(f.name for f in SCREENING_FIELDS)):
        assert f"`{name}`" in text, f"docs/call-record.md does not describe {name}"
    assert set(CallRecord.model_fields) == {*CALL_COLUMNS, "raw"}
