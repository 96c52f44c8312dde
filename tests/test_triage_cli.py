"""`altresponse programs` and `altresponse triage` as a user meets them: outputs, files, errors."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from altresponse.calls.record import SCREENING_FIELDS, CallRecord, call_schema
from altresponse.cli import app
from altresponse.programs import load_program, preset_names, presets_dir

# ibis 12 calls duckdb's deprecated fetch_arrow_table() and fetch_record_batch(): not ours to fix.
runner = CliRunner()
DECISION_FIELDS = {
    "call_id",
    "track",
    "also",
    "eligible",
    "priority",
    "reasons",
    "program",
    "protocol_version",
    "response",
    "unserved_reason",
    "mode",
}
SAFETY_QUESTIONS = (
    "weapon",
    "violence",
    "injury",
    "medical_emergency",
    "crime_in_progress",
    "immediate_danger",
    "suicide_risk",
)
ALL_NO = {q: False for q in SAFETY_QUESTIONS} | {"suicide_risk": "none"}
NOON_DENVER = "2024-05-01T12:00:00-06:00"

# A small valid program; the broken variants below replace one line, so each error's line is known.
PROGRAM_LINES = (
    "id: test_program",  # 1
    "name: Test program",  # 2
    "city: Testville",  # 3
    "summary: A small program for tests.",  # 4
    "timezone: America/Denver",  # 5
    "responses:",  # 6
    "  - id: team",  # 7
    "    label: Civilian team",  # 8
    "    track: community",  # 9
    "    program: true",  # 10
    "  - id: police",  # 11
    "    label: Police",  # 12
    "    track: police",  # 13
    "  - id: ems",  # 14
    "    label: EMS",  # 15
    "    track: ems",  # 16
    "hours:",  # 17
    '  - start: "06:00"',  # 18
    '    end: "22:00"',  # 19
    "queue:",  # 20
    "  max_wait_minutes: 30",  # 21
    "  fallback: police",  # 22
    "costs:",  # 23
    "  team_hour: 100",  # 24
    "red_flags:",  # 25
    "  suicide_plan: police",  # 26
    "protocol:",  # 27
    "  - id: welfare",  # 28
    "    says: Welfare check with no reason for police",  # 29
    "    when:",  # 30
    "      incident_type: WELFARE",  # 31
    "    respond: team",  # 32
)


def write_program(path: Path, replace: dict[int, str] | None = None) -> Path:
    """PROGRAM_LINES with some lines (numbered from 1) replaced, written to PATH."""
    lines = list(PROGRAM_LINES)
    for number, text in (replace or {}).items():
        lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def error_line(result: Any) -> str:
    """The single `error:` line of a failed command (exit code 2), with nothing else on stderr."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def call(call_id: str, **fields: Any) -> dict[str, Any]:
    """A welfare check at noon in Denver with every safety answer 'no', changed by FIELDS."""
    base: dict[str, Any] = {
        "call_id": call_id,
        "received_at": NOON_DENVER,
        "source": "911",
        "incident_type": "WELFARE",
        "screening": dict(ALL_NO),
    }
    return base | fields


def json_lines(calls: list[dict[str, Any]]) -> str:
    """Calls as JSON lines, as a call-taking system would pipe them."""
    return "".join(json.dumps(c) + "\n" for c in calls)


def triage(stdin: str, *extra: str, program: str = "star_denver") -> Any:
    """Run `altresponse triage --program PROGRAM EXTRA...` with STDIN."""
    return runner.invoke(app, ["triage", "--program", program, *extra], input=stdin)


def decisions_of(stdin: str, *extra: str) -> list[dict[str, Any]]:
    """The decisions `triage` prints for STDIN, one JSON object per stdout line."""
    result = triage(stdin, *extra)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def reason_ids(decision: dict[str, Any]) -> list[str]:
    """The ids of a decision's reasons, in order."""
    return [reason["id"] for reason in decision["reasons"]]


# --- altresponse programs -------------------------------------------------------------------


def test_programs_lists_every_preset() -> None:
    """The plain listing names every shipped preset."""
    result = runner.invoke(app, ["programs"])
    assert result.exit_code == 0, result.output
    assert preset_names()
    for name in preset_names():
        assert name in result.stdout


def test_programs_json_describes_every_preset() -> None:
    """`programs --json` is a JSON list with one entry per preset and the facts a user needs."""
    result = runner.invoke(app, ["programs", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == preset_names()
    for row in rows:
        assert {"id", "name", "city", "hours", "tracks", "protocol_version"} <= set(row)
        assert row["name"] and row["city"] and row["hours"]
        assert row["tracks"] and isinstance(row["tracks"], list)
        assert row["protocol_version"] == load_program(row["id"]).protocol_version != ""
    star = next(row for row in rows if row["id"] == "star_denver")
    assert star["tracks"] == ["community"] and "06:00-22:00" in star["hours"]


@pytest.mark.parametrize("name", preset_names())
def test_programs_check_accepts_a_copy_of_each_preset(tmp_path: Path, name: str) -> None:
    """A user's copy of a preset validates, in words and as JSON."""
    copy = tmp_path / f"my_{name}.yaml"
    shutil.copyfile(presets_dir() / f"{name}.yaml", copy)
    result = runner.invoke(app, ["programs", "check", str(copy)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{copy}: ok: ")
    as_json = runner.invoke(app, ["programs", "check", str(copy), "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["id"] == load_program(name).id


def test_programs_check_accepts_the_test_program(tmp_path: Path) -> None:
    """The base of the broken variants below is itself valid (so each break is the only error)."""
    path = write_program(tmp_path / "program.yaml")
    result = runner.invoke(app, ["programs", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: ok: Test program (Testville)" in result.stdout


@pytest.mark.parametrize(
    ("line", "text", "field", "message"),
    [
        (10, "    progam: true", "responses.0.progam", "Extra inputs are not permitted"),
        (31, "      incident_type: WELFAIR", "protocol.0.when.incident_type", "'WELFAIR'"),
        (32, "    respond: van", "protocol.0.respond", "'van' is not defined"),
        (18, '  - start: "25:00"', "hours.0.start", "'25:00'"),
        (26, "  suicide_plan: team", "red_flags.suicide_plan", "'team' is a community response"),
    ],
    ids=["typo-key", "unknown-incident-type", "undefined-option", "bad-clock", "red-flag-civilian"],
)
def test_programs_check_names_file_line_and_field(
    tmp_path: Path, line: int, text: str, field: str, message: str
) -> None:
    """A broken program file: exit 2 and one line `error: FILE:LINE: FIELD...` at the right line."""
    path = write_program(tmp_path / "program.yaml", {line: text})
    found = error_line(runner.invoke(app, ["programs", "check", str(path)]))
    assert found.startswith(f"error: {path}:{line}: {field}"), found
    assert message in found


def test_programs_check_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    """A YAML syntax error names the file and the line it is on."""
    path = write_program(tmp_path / "program.yaml", {12: "    label: Police: city"})
    found = error_line(runner.invoke(app, ["programs", "check", str(path)]))
    assert found.startswith(f"error: {path}:12: invalid YAML"), found


def test_programs_check_missing_file(tmp_path: Path) -> None:
    """A path that does not exist is one error line, exit 2."""
    path = tmp_path / "nowhere.yaml"
    assert str(path) in error_line(runner.invoke(app, ["programs", "check", str(path)]))


# --- altresponse triage: JSON lines on stdin ------------------------------------------------


def test_benign_welfare_check_goes_to_star() -> None:
    """All safety answers 'no' at noon: STAR's community team, eligible, with the rule's reason."""
    (decision,) = decisions_of(json_lines([call("c1")]))
    assert set(decision) == DECISION_FIELDS
    assert decision["call_id"] == "c1"
    assert (decision["track"], decision["response"], decision["eligible"]) == (
        "community",
        "star",
        True,
    )
    assert decision["also"] == [] and decision["unserved_reason"] is None
    assert decision["program"] == "star_denver" and decision["mode"] == "live"
    assert decision["protocol_version"] == load_program("star_denver").protocol_version
    assert isinstance(decision["priority"], int)
    assert reason_ids(decision) == ["star-only"]
    assert all(set(r) == {"id", "says"} and r["says"] for r in decision["reasons"])


def test_knife_in_the_notes_sends_police() -> None:
    """The same call with a knife in the call-taker's notes goes to police, saying why."""
    narrative = "Caller says her brother is waving a knife in the kitchen"
    (decision,) = decisions_of(json_lines([call("c1", narrative=narrative)]))
    assert decision["track"] == "police" and decision["eligible"] is False
    assert "notes:weapon" in reason_ids(decision)


def test_unknown_answers_never_go_civilian_only() -> None:
    """Nobody asked the safety questions: not community, one `unknown:*` reason per question."""
    (decision,) = decisions_of(json_lines([call("c1", screening={})]))
    assert decision["track"] != "community" and decision["eligible"] is False
    unknown = [i for i in reason_ids(decision) if i.startswith("unknown:")]
    assert unknown == [f"unknown:{q}" for q in SAFETY_QUESTIONS]


def test_planning_mode_marks_every_decision_as_an_estimate() -> None:
    """--planning: mode planning and a planning-estimate reason; unknown answers do not block."""
    decisions = decisions_of(json_lines([call("c1"), call("c2", screening={})]), "--planning")
    assert [d["mode"] for d in decisions] == ["planning", "planning"]
    assert all("planning-estimate" in reason_ids(d) for d in decisions)
    assert decisions[1]["track"] == "community"


def test_outside_hours_is_eligible_but_unserved() -> None:
    """At 23:00 in Denver STAR is off shift: eligible, unserved, sent to the fallback."""
    late = call("c1", received_at="2024-05-01T23:00:00-06:00")
    (decision,) = decisions_of(json_lines([late]))
    assert decision["eligible"] is True and decision["unserved_reason"] == "outside-hours"
    assert decision["track"] == "police"


def test_local_type_alone_is_enough() -> None:
    """A call with only the agency's own type text is typed by the suggester and triaged."""
    only_local = call("c1", local_type="WELFARE CHECK")
    del only_local["incident_type"]
    (decision,) = decisions_of(json_lines([only_local]))
    assert decision["track"] == "community" and reason_ids(decision) == ["star-only"]


def test_blank_lines_skipped_and_summary_on_stderr() -> None:
    """Blank lines are skipped; stdout holds only decisions, the summary goes to stderr."""
    stdin = "\n" + json.dumps(call("a")) + "\n  \n\n" + json.dumps(call("b", screening={})) + "\n"
    result = triage(stdin)
    assert result.exit_code == 0, result.output
    decisions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["call_id"] for d in decisions] == ["a", "b"]
    assert "triaged" not in result.stdout
    assert "triaged 2 calls: 1 eligible" in result.stderr


# --- bad input ------------------------------------------------------------------------------

GOOD = json.dumps(call("ok"))
BAD_INPUTS = {
    "not-json": (GOOD + "\n{not json\n", "stdin:2: not valid JSON"),
    "no-received_at": (
        GOOD + "\n\n" + json.dumps({"call_id": "x", "incident_type": "WELFARE"}) + "\n",
        "stdin:3: received_at:",
    ),
    "naive-time": (
        json.dumps(call("x", received_at="2024-05-01T12:00:00")) + "\n",
        "stdin:1: received_at:",
    ),
    "bad-suicide-risk": (
        GOOD + "\n" + json.dumps(call("x", screening=ALL_NO | {"suicide_risk": "maybe"})) + "\n",
        "stdin:2: screening.suicide_risk:",
    ),
}


@pytest.mark.parametrize(("stdin", "where"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_one_line_naming_line_and_field(stdin: str, where: str) -> None:
    """A bad call stops the run: exit 2, one error line naming stdin's line and the field."""
    found = error_line(triage(stdin))
    assert found.startswith(f"error: {where}"), found


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
@pytest.mark.parametrize(("stdin", "where"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_leaves_no_output_file(
    tmp_path: Path, stdin: str, where: str, suffix: str
) -> None:
    """With --out nothing is half-written: no new file, no temporary, an old file untouched."""
    new = tmp_path / "new" / f"decisions{suffix}"
    new.parent.mkdir()
    assert where in error_line(triage(stdin, "--out", str(new)))
    assert list(new.parent.iterdir()) == []
    old = tmp_path / "old" / f"decisions{suffix}"
    old.parent.mkdir()
    old.write_bytes(b"earlier decisions\n")
    assert where in error_line(triage(stdin, "--out", str(old)))
    assert old.read_bytes() == b"earlier decisions\n"
    assert list(old.parent.iterdir()) == [old]


# --- files: Parquet and CSV through the batch engine ----------------------------------------

TYPES: tuple[tuple[str | None, str | None], ...] = (
    ("WELFARE", None),
    (None, "WELFARE CHECK"),
    ("EDP", "MENTAL SUBJ"),
    ("SUICTHRT", None),
    ("TRESPASS", "TRESPASS"),
    ("INTOX", None),
    ("ASSAULT", None),
    ("CARDIAC", None),
    ("FSTRU", None),
    (None, "QQQQ ZZZZ"),
    ("INDECENT", None),
    (None, None),
)
SCREENINGS: tuple[dict[str, Any], ...] = (
    ALL_NO,
    {},
    ALL_NO | {"weapon": True},
    ALL_NO | {"suicide_risk": "plan"},
    ALL_NO | {"suicide_risk": "ideation", "willing_to_wait": False},
    ALL_NO | {"caller_requests_alternative": True, "willing_to_wait": True},
    ALL_NO | {"medical_emergency": True, "violence": True},
    {"weapon": False, "violence": False},
    ALL_NO | {"willing_to_wait": False},
)
NARRATIVES = (
    None,
    "man sleeping in the doorway, appears homeless",
    "caller says he has a knife",
    "intoxicated female yelling at cars",
    "",
    "RP states neighbor hearing voices, no weapons seen",
    "subject is bleeding from the head",
)
TIMES = (
    NOON_DENVER,
    "2024-05-01T05:59:00-06:00",
    "2024-05-01T06:00:00-06:00",
    "2024-05-02T03:59:00Z",  # 21:59 in Denver
    "2024-05-02T04:00:00Z",  # 22:00 in Denver
    "2024-01-15T21:30:00-07:00",
    "2024-03-10T09:30:00Z",  # 03:30 MDT on the day the clocks change
    "2024-11-03T13:00:00+00:00",
)
SOURCES = ("911", "911", "officer", None, "311")
DISPOSITIONS = (None, None, "arrest", "resolved")


def varied_calls(count: int = 50) -> list[dict[str, Any]]:
    """COUNT calls in JSON form that walk through types, answers, notes, hours and sources."""
    calls = []
    for i in range(count):
        incident_type, local_type = TYPES[i % len(TYPES)]
        data: dict[str, Any] = {
            "call_id": f"call-{i:03d}",
            "received_at": TIMES[i % len(TIMES)],
            "screening": SCREENINGS[i % len(SCREENINGS)],
        }
        optional = {
            "incident_type": incident_type,
            "local_type": local_type,
            "narrative": NARRATIVES[i % len(NARRATIVES)],
            "source": SOURCES[i % len(SOURCES)],
            "disposition": DISPOSITIONS[i % len(DISPOSITIONS)],
            "zone": f"D{i % 6}" if i % 5 else None,
        }
        calls.append(data | {k: v for k, v in optional.items() if v is not None})
    return calls


def parquet_row(data: dict[str, Any]) -> dict[str, Any]:
    """A JSON call as a row of the canonical Parquet table."""
    row = CallRecord.model_validate(data).model_dump(mode="json", exclude={"raw"})
    row["received_at"] = datetime.fromisoformat(row["received_at"])
    return row


def write_calls_parquet(path: Path, calls: list[dict[str, Any]]) -> Path:
    """A canonical calls table holding CALLS."""
    rows = [parquet_row(c) for c in calls]
    pq.write_table(pa.Table.from_pylist(rows, schema=call_schema()), path)
    return path


def write_calls_csv(path: Path, calls: list[dict[str, Any]]) -> Path:
    """A canonical CSV holding CALLS, screening answers as flat `screening.NAME` columns."""
    answers = [f"screening.{f.name}" for f in SCREENING_FIELDS]
    columns = ["call_id", "received_at", "source", "local_type", "incident_type"]
    columns += ["disposition", "zone", "narrative", *answers]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, columns)
        writer.writeheader()
        for c in calls:
            flat = {k: v for k, v in c.items() if k != "screening"}
            flat |= {f"screening.{k}": str(v).lower() for k, v in c["screening"].items()}
            writer.writerow(flat)
    return path


@pytest.fixture(scope="module")
def calls() -> list[dict[str, Any]]:
    """The varied calls every file test triages."""
    return varied_calls()


@pytest.fixture(scope="module")
def live(calls: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The live engine's decisions for the varied calls (JSON lines through the CLI), by mode."""
    stdin = json_lines(calls)
    return {"live": decisions_of(stdin), "planning": decisions_of(stdin, "--planning")}


def test_varied_calls_reach_many_decisions(live: dict[str, list[dict[str, Any]]]) -> None:
    """The varied calls exercise many paths, so batch-equals-live below compares something."""
    decisions = live["live"]
    assert len(decisions) == 50
    assert {"community", "police", "ems", "fire", "co_response"} <= {d["track"] for d in decisions}
    ids = {i for d in decisions for i in reason_ids(d)}
    assert {"notes:weapon", "screening:weapon", "outside-hours", "unknown:weapon"} <= ids
    assert any(d["also"] for d in decisions)


@pytest.mark.parametrize("mode", ["live", "planning"])
def test_parquet_in_parquet_out_equals_live(
    tmp_path: Path,
    calls: list[dict[str, Any]],
    live: dict[str, list[dict[str, Any]]],
    mode: str,
) -> None:
    """Batch equals live through the CLI: one decision row per call, in order, equal as dicts."""
    source = write_calls_parquet(tmp_path / "calls.parquet", calls)
    output = tmp_path / "decisions.parquet"
    flags = ["--planning"] if mode == "planning" else []
    result = triage("", "--in", str(source), "--out", str(output), *flags)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "triaged 50 calls" in result.stderr
    rows = pq.read_table(output).to_pylist()
    assert [r["call_id"] for r in rows] == [c["call_id"] for c in calls]
    for row, expected in zip(rows, live[mode], strict=True):
        assert row == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.parquet", "decisions.parquet"]


def test_parquet_in_json_lines_out_equals_live(
    tmp_path: Path, calls: list[dict[str, Any]], live: dict[str, list[dict[str, Any]]]
) -> None:
    """`--in calls.parquet` without --out prints the same JSON lines as the live engine."""
    source = write_calls_parquet(tmp_path / "calls.parquet", calls)
    assert decisions_of("", "--in", str(source)) == live["live"]


def test_csv_in_equals_live(
    tmp_path: Path, calls: list[dict[str, Any]], live: dict[str, list[dict[str, Any]]]
) -> None:
    """A canonical CSV (screening as flat columns) is triaged like the same calls as JSON."""
    source = write_calls_csv(tmp_path / "calls.csv", calls)
    assert decisions_of("", "--in", str(source)) == live["live"]


def test_json_lines_file_in_parquet_out(
    tmp_path: Path, calls: list[dict[str, Any]], live: dict[str, list[dict[str, Any]]]
) -> None:
    """`--in calls.jsonl --out decisions.parquet` writes the live decisions as a table."""
    source = tmp_path / "calls.jsonl"
    source.write_text(json_lines(calls), encoding="utf-8")
    output = tmp_path / "decisions.parquet"
    result = triage("", "--in", str(source), "--out", str(output))
    assert result.exit_code == 0, result.output
    assert pq.read_table(output).to_pylist() == live["live"]


# --- refused arguments ----------------------------------------------------------------------


def test_parquet_that_is_not_a_calls_table(tmp_path: Path) -> None:
    """A Parquet without the canonical columns: exit 2 naming the file and what is missing."""
    path = tmp_path / "export.parquet"
    pq.write_table(pa.table({"call_id": ["a"], "when": ["2024-05-01"]}), path)
    output = tmp_path / "decisions.parquet"
    found = error_line(triage("", "--in", str(path), "--out", str(output)))
    assert str(path) in found
    for column in ("received_at", "screening", "narrative"):
        assert column in found
    assert "call_id," not in found.split("missing", 1)[1]
    assert not output.exists()


ODD_VALUES = {
    "suicide-risk-PLAN": ("screening", {"suicide_risk": "PLAN"}),
    "no-received_at": ("received_at", None),
}


@pytest.mark.parametrize(("column", "value"), ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_parquet_values_live_triage_refuses_are_refused(
    tmp_path: Path, column: str, value: Any
) -> None:
    """Batch equals live: a value the live engine refuses is refused, never triaged as benign."""
    row = parquet_row(call("c1"))
    row[column] = row[column] | value if isinstance(value, dict) else value
    path = tmp_path / "calls.parquet"
    pq.write_table(pa.Table.from_pylist([row], schema=call_schema()), path)
    found = error_line(triage("", "--in", str(path)))
    assert str(path) in found and column in found


def test_parquet_with_wrong_column_types(tmp_path: Path) -> None:
    """Canonical names with the wrong types: one error line naming the file, not a traceback."""
    path = tmp_path / "calls.parquet"
    columns = ["call_id", "received_at", "source", "local_type", "incident_type", "category"]
    columns += ["disposition", "zone", "narrative", "screening"]
    pq.write_table(pa.table({name: ["x"] for name in columns}), path)
    assert str(path) in error_line(triage("", "--in", str(path)))


def test_out_must_be_parquet_or_json_lines(tmp_path: Path) -> None:
    """`--out x.txt` is refused before anything is read or written."""
    output = tmp_path / "x.txt"
    found = error_line(triage(json_lines([call("c1")]), "--out", str(output)))
    assert "x.txt" in found and "--out" in found
    assert not output.exists()


def test_unknown_program_lists_the_presets() -> None:
    """An unknown program name: exit 2, and the line lists the presets to choose from."""
    found = error_line(triage(json_lines([call("c1")]), program="atlantis"))
    assert "atlantis" in found
    for name in preset_names():
        assert name in found


def test_missing_input_file(tmp_path: Path) -> None:
    """`--in` a file that does not exist: exit 2 naming it."""
    path = tmp_path / "calls.parquet"
    assert str(path) in error_line(triage("", "--in", str(path)))
