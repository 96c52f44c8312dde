"""Program presets, the program loader's errors, and time windows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from altresponse.errors import ConfigError
from altresponse.programs import Mode, TimeWindow, Weekday, load_program, preset_names
from altresponse.programs.model import MINUTES_PER_DAY, MINUTES_PER_WEEK, Condition
from altresponse.triage.flags import CIVILIAN_ONLY, RedFlag

DOC = Path(__file__).resolve().parents[1] / "docs" / "programs.md"

CITY_TIMEZONES = {
    "acs_albuquerque": "America/Denver",
    "aurora_amrt": "America/Denver",
    "austin_ccd": "America/Chicago",
    "bheard_nyc": "America/New_York",
    "cahoots_eugene": "America/Los_Angeles",
    "call_st_petersburg": "America/New_York",
    "care_chicago": "America/Chicago",
    "heart_durham": "America/New_York",
    "plymouth_opioid_outreach": "America/New_York",
    "psr_portland": "America/Los_Angeles",
    "star_denver": "America/Denver",
}
PRESETS = sorted(CITY_TIMEZONES)


def _at(day: Weekday, clock: str) -> int:
    """Minutes since Monday 00:00 of DAY at CLOCK (HH:MM)."""
    hours, minutes = clock.split(":")
    return list(Weekday).index(day) * MINUTES_PER_DAY + int(hours) * 60 + int(minutes)


def _covers(spans: tuple[tuple[int, int], ...], minute: int) -> bool:
    """MINUTE lies in one of the half-open SPANS."""
    return any(start <= minute < end for start, end in spans)


# ---------------------------------------------------------------- presets


def test_every_shipped_preset_has_a_known_city_timezone() -> None:
    assert preset_names() == PRESETS


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_with_its_file_name_as_id_and_its_city_timezone(name: str) -> None:
    program = load_program(name)
    assert program.id == name
    assert program.timezone == CITY_TIMEZONES[name]
    assert re.fullmatch(r"[0-9a-f]{16}", program.protocol_version)
    assert program.sources, "a preset names the public sources it rests on"


@pytest.mark.parametrize("name", PRESETS)
def test_preset_red_flags_and_unknown_answers_never_go_civilian_only(name: str) -> None:
    program = load_program(name)
    assert {"police", "ems"} <= {option.id for option in program.responses}
    for flag in RedFlag:
        assert program.red_flag_response(flag).track not in CIVILIAN_ONLY, flag
    assert program.response(program.unknown_answers).track not in CIVILIAN_ONLY


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("mode", list(Mode))
def test_preset_has_a_rule_for_its_own_team_in_each_mode(name: str, mode: Mode) -> None:
    program = load_program(name)
    own = {option.id for option in program.responses if option.program}
    assert own, "a preset has a response option of its own"
    assert any(rule.respond in own for rule in program.rules_for(mode))


def _needs_an_answer(condition: Condition | None) -> bool:
    """CONDITION requires a screening answer, which historical calls never have."""
    if condition is None or condition.screening is None:
        return False
    return any("unknown" not in accepted for accepted in condition.screening.required().values())


@pytest.mark.parametrize("name", PRESETS)
def test_preset_planning_rules_can_match_calls_nobody_screened(name: str) -> None:
    program = load_program(name)
    dead = [rule.id for rule in program.rules_for(Mode.PLANNING) if _needs_an_answer(rule.when)]
    assert dead == [], "these rules can never match in planning; mark them `mode: live`"


def test_st_petersburg_hours_run_past_midnight() -> None:
    program = load_program("call_st_petersburg")
    assert program.hours is not None
    spans = tuple(span for window in program.hours for span in window.intervals())
    assert _covers(spans, _at(Weekday.SAT, "01:59"))
    assert not _covers(spans, _at(Weekday.SAT, "02:00"))
    assert _covers(spans, _at(Weekday.MON, "01:00")), "Sunday's shift runs into Monday"
    assert not _covers(spans, _at(Weekday.WED, "07:59"))


def test_follow_up_windows_of_outreach_programs() -> None:
    plymouth = {f.id: f.within_hours for f in load_program("plymouth_opioid_outreach").follow_up}
    care = {f.within_hours for f in load_program("care_chicago").follow_up}
    assert plymouth["post-overdose-visit"] == 72
    assert {24, 168, 720} <= care


def test_docs_describe_every_preset() -> None:
    text = DOC.read_text(encoding="utf-8")
    headings = set(re.findall(r"^## `([a-z0-9_]+)`", text, flags=re.MULTILINE))
    assert headings == set(PRESETS)


def test_docs_example_program_loads(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    assert example is not None
    path = tmp_path / "sample_city.yaml"
    path.write_text(example.group(1), encoding="utf-8")
    program = load_program(path)
    assert program.id == "sample_city"
    assert [option.id for option in program.responses if option.program] == ["team"]


# ---------------------------------------------------------------- loader errors

BASE = """\
id: tiny
name: Tiny program
city: Testville
summary: A small program for loader tests.
timezone: America/Chicago
responses:
  - {id: team, label: Civilian team, track: community, program: true}
  - {id: police, label: Police, track: police}
  - {id: ems, label: EMS, track: ems}
hours:
  - {start: "08:00", end: "20:00"}
queue: {max_wait_minutes: 30, fallback: police}
costs: {team_hour: 100}
default: police
protocol:
  - id: welfare
    says: Welfare checks go to the team
    when: {category: welfare_check}
    respond: team
"""

CATCH_ALL = """\
  - id: everything
    says: Everything else goes to police
    always: true
    respond: police
  - id: later
    says: Noise calls go to the team
    when: {category: noise}
    respond: team
"""


def _write(tmp_path: Path, text: str) -> Path:
    """TEXT as a program file in TMP_PATH."""
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, marker: str) -> int:
    """The 1-based number of the first line of TEXT that contains MARKER."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def test_base_program_of_the_error_tests_loads(tmp_path: Path) -> None:
    assert load_program(_write(tmp_path, BASE)).id == "tiny"


BAD_FILES = {
    "typo-in-key": (
        "default: police",
        "defualt: police",
        "defualt:",
        "defualt",
    ),
    "unknown-incident-type": (
        "when: {category: welfare_check}",
        "when: {incident_type: WELFAIR}",
        "WELFAIR",
        "protocol.0.when.incident_type",
    ),
    "respond-to-undefined-option": (
        "respond: team",
        "respond: teem",
        "respond: teem",
        "protocol.0.respond",
    ),
    "red-flag-to-community-team": (
        "default: police",
        "default: police\nred_flags:\n  weapon: team",
        "weapon: team",
        "red_flags.weapon",
    ),
    "unknown-answers-civilian": (
        "default: police",
        "default: police\nunknown_answers: team",
        "unknown_answers: team",
        "unknown_answers",
    ),
    "rule-after-catch-all": (
        "    respond: team\n",
        "    respond: team\n" + CATCH_ALL,
        "- id: later",
        "protocol.2",
    ),
    "bad-time": (
        'end: "20:00"',
        'end: "25:00"',
        '"25:00"',
        "hours.0.end",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_program_file_names_file_line_and_field(tmp_path: Path, case: str) -> None:
    old, new, marker, field = BAD_FILES[case]
    assert old in BASE
    text = BASE.replace(old, new, 1)
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_program(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{_line_of(text, marker)}: {field}"), message
    assert "\n" not in message


def test_missing_protocol_is_reported_at_the_top_of_the_file(tmp_path: Path) -> None:
    text = BASE[: BASE.index("protocol:")]
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=r"protocol: Field required") as caught:
        load_program(path)
    assert str(caught.value).startswith(f"{path}:1: protocol")


# ---------------------------------------------------------------- time windows


def _window(**fields: object) -> TimeWindow:
    """A TimeWindow as a program file would write it."""
    return TimeWindow.model_validate(fields)


def test_window_past_midnight_runs_into_the_next_day() -> None:
    window = _window(days="fri", start="22:00", end="02:00")
    assert window.intervals() == ((_at(Weekday.FRI, "22:00"), _at(Weekday.SAT, "02:00")),)


def test_window_past_midnight_on_sunday_wraps_to_monday() -> None:
    window = _window(days="sun", start="22:00", end="02:00")
    assert window.intervals() == ((0, 120), (_at(Weekday.SUN, "22:00"), MINUTES_PER_WEEK))
    spans = window.intervals()
    assert _covers(spans, _at(Weekday.SUN, "23:59"))
    assert _covers(spans, _at(Weekday.MON, "01:59"))
    assert not _covers(spans, _at(Weekday.MON, "02:00"))
    assert not _covers(spans, _at(Weekday.SUN, "21:59"))


def test_window_of_a_whole_day_every_day_covers_the_week() -> None:
    spans = _window(start="00:00", end="24:00").intervals()
    assert len(spans) == 7
    assert sum(end - start for start, end in spans) == MINUTES_PER_WEEK
    assert _window(start="00:00", end="24:00").describe() == "daily 00:00-24:00"


@pytest.mark.parametrize("clock", ["25:00", "24:30", "7:00", "12:60"])
def test_window_rejects_a_clock_time_that_does_not_exist(clock: str) -> None:
    with pytest.raises(ValidationError, match="HH:MM"):
        _window(start=clock, end="08:00")
