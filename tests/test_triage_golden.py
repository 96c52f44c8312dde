"""Golden decisions: a fixed corpus triaged with two presets; a change here is a reviewed change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from altresponse.programs import Mode, load_program
from altresponse.triage import decide
from callgen import random_calls

GOLDEN = Path(__file__).parent / "golden"
CASES = [("star_denver", Mode.LIVE), ("star_denver", Mode.PLANNING), ("care_chicago", Mode.LIVE)]


def decisions(program: str, mode: Mode) -> list[dict[str, object]]:
    """The corpus's decisions, without the file hash (a comment edit must not move the golden)."""
    chosen = load_program(program)
    found = []
    for call in random_calls(seed=2026, count=150):
        row = decide(call, chosen, mode=mode).to_json_dict()
        row.pop("protocol_version")
        found.append(row)
    return found


def golden_path(program: str, mode: Mode) -> Path:
    """Where the golden decisions of PROGRAM in MODE live."""
    return GOLDEN / f"triage_{program}_{mode.value}.jsonl"


@pytest.mark.parametrize(("program", "mode"), CASES)
def test_decisions_match_the_golden_file(program: str, mode: Mode) -> None:
    got = decisions(program, mode)
    path = golden_path(program, mode)
    want = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    changed = [g["call_id"] for g, w in zip(got, want, strict=True) if g != w]
    assert not changed, (
        f"{len(changed)} decisions differ from {path} (first: {changed[:5]}). If intended, "
        "review it and rewrite the file: .venv/bin/python tests/test_triage_golden.py"
    )


if __name__ == "__main__":
    for name, how in CASES:
        lines = [json.dumps(row, ensure_ascii=False) for row in decisions(name, how)]
        golden_path(name, how).write_text("\n".join(lines) + "\n", encoding="utf-8")
