"""The command line as a user meets it: outputs, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from altresponse.cli import app

runner = CliRunner()
CANONICAL_CSV = (
    "call_id,received_at,local_type,source\n"
    "c1,2024-05-01T14:03:00-06:00,WELFARE CHECK,911\n"
    "c2,2024-05-01T15:10:00-06:00,DISTURBANCE,officer\n"
    "c3,2024-05-01T16:00:00-06:00,MENTAL SUBJ,911\n"
)


def test_sources_lists_the_shipped_adapters() -> None:
    result = runner.invoke(app, ["sources", "--json"])
    assert result.exit_code == 0, result.output
    names = {s["name"] for s in json.loads(result.stdout)}
    assert {"canonical", "sample_city"} <= names


def test_ingest_json_summary_and_output(tmp_path: Path) -> None:
    src = tmp_path / "calls.csv"
    src.write_text(CANONICAL_CSV, encoding="utf-8")
    out = tmp_path / "calls.parquet"
    result = runner.invoke(
        app, ["ingest", str(src), "--source", "canonical", "-o", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["rows_read"], summary["rows_written"], summary["rows_quarantined"]) == (3, 3, 0)
    assert summary["typed_share"] == 1.0
    assert out.is_file()


def test_ingest_human_summary_counts(tmp_path: Path) -> None:
    src = tmp_path / "calls.csv"
    src.write_text(CANONICAL_CSV, encoding="utf-8")
    result = runner.invoke(
        app, ["ingest", str(src), "-s", "canonical", "-o", str(tmp_path / "c.parquet")]
    )
    assert result.exit_code == 0, result.output
    assert "3 rows read, 3 written" in result.stdout
    assert "0 quarantined" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"a,b\n1,2\n", "missing column(s) call_id, received_at"),
        (b"call_id,received_at\nx,not a time\ny,never\n", "cannot be read"),
        ("call_id,received_at\n".encode("utf-16"), "not valid utf-8"),
    ],
)
def test_malformed_input_is_one_line_exit_2_and_no_output(
    tmp_path: Path, content: bytes, message: str
) -> None:
    src = tmp_path / "bad.csv"
    src.write_bytes(content)
    out = tmp_path / "out" / "calls.parquet"
    result = runner.invoke(app, ["ingest", str(src), "-s", "canonical", "-o", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    assert str(src) in lines[0]
    assert not out.exists() and list(out.parent.iterdir()) == []


def test_unknown_source_is_exit_2() -> None:
    result = runner.invoke(app, ["ingest", "x.csv", "-s", "atlantis", "-o", "y.parquet"])
    assert result.exit_code == 2
    assert "unknown source 'atlantis'" in result.stderr


def test_taxonomy_suggest_reads_stdin_writes_json_lines() -> None:
    result = runner.invoke(app, ["taxonomy", "suggest"], input="WELFARE CHECK\n\nEDP\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["local_type"] for d in lines] == ["WELFARE CHECK", "EDP"]
    assert {"local_type", "incident_type", "category", "vera_category", "confidence"} <= set(
        lines[0]
    )
    assert lines[1]["incident_type"] == "EDP"


def test_taxonomy_unmapped_and_summary(tmp_path: Path) -> None:
    src = tmp_path / "calls.csv"
    src.write_text(CANONICAL_CSV + "c4,2024-05-01T17:00:00-06:00,QQQQ ZZZZ,911\n", encoding="utf-8")
    out = tmp_path / "calls.parquet"
    runner.invoke(app, ["ingest", str(src), "-s", "canonical", "-o", str(out)])
    unmapped = runner.invoke(app, ["taxonomy", "unmapped", str(out), "--json"])
    assert unmapped.exit_code == 0, unmapped.output
    assert json.loads(unmapped.stdout) == [{"local_type": "QQQQ ZZZZ", "calls": 1}]
    summary = runner.invoke(app, ["summary", str(out), "--json"])
    assert summary.exit_code == 0, summary.output
    data = json.loads(summary.stdout)
    assert data["total_calls"] == 4 and data["unmapped_calls"] == 1
    assert sum(s["calls"] for s in data["by_vera_category"]) == 4


def test_installed_command_runs() -> None:
    exe = Path(sys.executable).with_name("altresponse")
    done = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("altresponse ")
