"""The live engine's semantics on a test program that uses every part of the format."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from altresponse.calls.record import CallRecord
from altresponse.programs import Mode, load_program
from altresponse.triage import Decision, decide

RIVERTON = Path(__file__).parent / "programs" / "riverton.yaml"
CLEAN = {
    "weapon": False,
    "violence": False,
    "injury": False,
    "medical_emergency": False,
    "crime_in_progress": False,
    "immediate_danger": False,
    "suicide_risk": "none",
}
WEDNESDAY_NOON = "2025-05-07 12:00"


def call(when: str = WEDNESDAY_NOON, **fields: Any) -> CallRecord:
    """A call in Riverton (America/Chicago) at local time WHEN; clean answers unless given."""
    local = datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("America/Chicago"))
    screening = {**CLEAN, **fields.pop("screening", {})}
    fields.setdefault("incident_type", "WELFARE")
    fields.setdefault("zone", "A1")
    return CallRecord(call_id="t1", received_at=local, screening=screening, **fields)


def triage(record: CallRecord, mode: Mode = Mode.LIVE) -> Decision:
    """Decide with the Riverton program."""
    return decide(record, load_program(RIVERTON), mode=mode)


def reason_ids(decision: Decision) -> list[str]:
    """The ids of a decision's reasons, in order."""
    return [reason.id for reason in decision.reasons]


def test_a_clean_welfare_check_goes_to_the_community_team() -> None:
    d = triage(call())
    assert (d.track, d.response, d.eligible, d.priority) == ("community", "crt", True, 4)
    assert reason_ids(d) == ["bh"]
    assert d.also == () and d.unserved_reason is None and d.mode is Mode.LIVE
    assert d.reasons[0].says == "Behavioral health, welfare or intoxication"


def test_the_decision_names_the_program_and_a_hash_of_its_file() -> None:
    d = triage(call())
    assert d.program == "riverton"
    assert d.protocol_version == hashlib.sha256(RIVERTON.read_bytes()).hexdigest()[:16]
    assert set(d.to_json_dict()) == {
        "call_id", "track", "also", "eligible", "priority", "reasons", "program",
        "protocol_version", "response", "unserved_reason", "mode",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("when", "served"),
    [
        ("2025-05-07 06:59", False),  # Wednesday before 07:00
        ("2025-05-07 07:00", True),
        ("2025-05-07 22:59", True),
        ("2025-05-07 23:00", False),
        ("2025-05-10 19:59", False),  # Saturday before the evening window
        ("2025-05-10 20:00", True),
        ("2025-05-11 01:59", True),  # Sunday small hours belong to Saturday's window
        ("2025-05-11 02:00", False),
        ("2025-05-12 01:30", True),  # Monday small hours belong to Sunday's window (week wraps)
        ("2025-05-12 02:30", False),
    ],
)
def test_program_hours_in_local_time_including_windows_past_midnight(
    when: str, served: bool
) -> None:
    d = triage(call(when))
    assert d.eligible
    if served:
        assert (d.track, d.unserved_reason) == ("community", None)
    else:
        assert (d.track, d.unserved_reason) == ("police", "outside-hours")
        assert reason_ids(d) == ["bh", "outside-hours"]


def test_hours_follow_daylight_saving_time() -> None:
    """07:00 local is 12:00 UTC in summer and 13:00 UTC in winter; both open the window."""
    summer = CallRecord(
        call_id="s",
        received_at="2025-07-02T12:00:00Z",
        incident_type="WELFARE",
        zone="A1",
        screening=CLEAN,
    )
    winter = CallRecord(
        call_id="w",
        received_at="2025-01-08T12:30:00Z",
        incident_type="WELFARE",
        zone="A1",
        screening=CLEAN,
    )
    assert triage(summer).unserved_reason is None
    assert triage(winter).unserved_reason == "outside-hours"


@pytest.mark.parametrize(
    ("zone", "reason"), [("A2", None), ("B1", None), ("Z9", "outside-area"), (None, "zone-unknown")]
)
def test_pilot_area(zone: str | None, reason: str | None) -> None:
    d = triage(call(zone=zone))
    assert d.eligible and d.unserved_reason == reason
    assert d.track == ("community" if reason is None else "police")


@pytest.mark.parametrize("question", sorted(CLEAN))
def test_an_unanswered_safety_question_never_gives_a_civilian_only_response(question: str) -> None:
    d = triage(call(screening={question: None}))
    assert (d.track, d.response, d.eligible) == ("police", "police", False)
    assert reason_ids(d) == ["bh", f"unknown:{question}"]
    planned = triage(call(screening={question: None}), Mode.PLANNING)
    assert (planned.track, planned.eligible) == ("community", True)
    assert reason_ids(planned) == ["bh", "planning-estimate"]


def test_unknown_answers_do_not_matter_when_the_response_is_not_civilian_only() -> None:
    d = triage(call(incident_type="ASSAULT", screening={"weapon": None}))
    assert (d.track, reason_ids(d)) == ("police", ["default"])


@pytest.mark.parametrize(
    ("screening", "track", "reason"),
    [
        ({"weapon": True}, "police", "screening:weapon"),
        ({"violence": True}, "police", "screening:violence"),
        ({"crime_in_progress": True}, "police", "screening:crime_in_progress"),
        ({"immediate_danger": True}, "police", "screening:immediate_danger"),
        ({"medical_emergency": True}, "ems", "screening:medical_emergency"),
        ({"injury": True}, "ems", "screening:injury"),
        ({"suicide_risk": "plan"}, "co_response", "screening:suicide_plan"),
        ({"suicide_risk": "attempt"}, "co_response", "screening:suicide_plan"),
    ],
)
def test_red_flags_from_screening_raise_the_response(
    screening: dict[str, Any], track: str, reason: str
) -> None:
    d = triage(call(screening=screening))
    assert d.track == track and d.priority == 1
    assert reason_ids(d) == ["bh", reason]


def test_a_flag_mapped_to_the_programs_own_co_response_keeps_the_call_eligible() -> None:
    d = triage(call(screening={"suicide_risk": "plan"}))
    assert (d.response, d.eligible) == ("co", True)


def test_several_red_flags_the_strongest_decides_and_the_rest_go_to_also() -> None:
    d = triage(call(screening={"weapon": True, "injury": True, "suicide_risk": "attempt"}))
    assert (d.track, d.also) == ("police", ("ems", "co_response"))
    assert reason_ids(d) == ["bh", "screening:weapon", "screening:suicide_plan", "screening:injury"]


def test_a_red_flag_never_gets_less_than_the_call_would_without_it() -> None:
    """After hours a welfare check falls back to police; a suicide plan must not lower that to
    the program's co-response, which is off duty too."""
    late = "2025-05-07 03:00"
    assert triage(call(late)).response == "police"
    flagged = triage(call(late, screening={"suicide_risk": "plan"}))
    assert (flagged.track, flagged.also, flagged.eligible) == ("police", ("co_response",), True)
    assert reason_ids(flagged) == ["bh", "screening:suicide_plan", "outside-hours"]


def test_red_flags_never_lower_a_response() -> None:
    assault = triage(call(incident_type="ASSAULT", screening={"suicide_risk": "plan"}))
    assert (assault.track, assault.also) == ("police", ("co_response",))
    medical = triage(call(incident_type="CHESPAIN", screening={"weapon": True}))
    assert (medical.track, medical.also) == ("ems", ("police",))


def test_the_first_matching_rule_decides_and_unless_skips_a_rule() -> None:
    no_wait = triage(call(incident_type="EDP", screening={"willing_to_wait": False}))
    assert (no_wait.response, reason_ids(no_wait)) == ("co", ["bh-co"])
    night_a2 = triage(call("2025-05-07 22:30", zone="A2", incident_type="EDP"))
    assert reason_ids(night_a2) == ["bh-co"]
    night_a1 = triage(call("2025-05-07 22:30", zone="A1", incident_type="EDP"))
    assert reason_ids(night_a1) == ["bh"]


def test_rules_of_one_mode_only() -> None:
    noise = call(incident_type="NOISE")
    assert triage(noise).response == "next-day"
    assert triage(noise, Mode.PLANNING).response == "police"
    arrested = call(disposition="arrest")
    assert triage(arrested).response == "crt"
    assert reason_ids(triage(arrested, Mode.PLANNING)) == ["arrest", "planning-estimate"]


def test_the_callers_request_is_honoured_when_the_call_is_safe() -> None:
    asks = {"caller_requests_alternative": True}
    assert triage(call(incident_type="THREATS", screening=asks)).response == "crt"
    assert triage(call(incident_type="ASSAULT", screening=asks)).response == "police"
    armed = triage(call(incident_type="THREATS", screening={**asks, "weapon": True}))
    assert armed.track == "police"


def test_suicidal_ideation_goes_to_the_crisis_line_and_its_own_fallback() -> None:
    ideation = {"suicide_risk": "ideation"}
    d = triage(call(incident_type="SUICTHRT", screening=ideation))
    assert (d.track, d.response) == ("crisis_line", "phone")
    late = triage(call("2025-05-07 03:00", incident_type="SUICTHRT", screening=ideation))
    assert (late.response, late.unserved_reason) == ("county-mct", "outside-hours")


def test_the_type_is_suggested_from_the_local_type_when_absent() -> None:
    d = triage(call(incident_type=None, local_type="WELFARE CHECK"))
    assert (d.response, reason_ids(d)) == ("crt", ["bh"])


def test_the_calls_category_counts_when_its_type_is_unknown() -> None:
    assert triage(call(incident_type=None, category="welfare_check")).response == "crt"
    assert triage(call(incident_type="ZZZ", category="welfare_check")).response == "crt"
    typed = triage(call(incident_type="ASSAULT", category="welfare_check"))
    assert typed.response == "police"


def test_no_rule_gives_the_default_with_its_reason() -> None:
    d = triage(call(incident_type="BURGLARY"))
    assert (d.response, d.eligible, reason_ids(d)) == ("police", False, ["default"])
    assert d.reasons[0].says == "No rule of this protocol takes the call: Police"


def test_officer_initiated_activity_is_never_a_civilian_call() -> None:
    assert triage(call(source="officer")).response == "police"
