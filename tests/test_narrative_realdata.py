"""Narrative screening on San Luis Obispo PD's call comments (docs/narrative.md)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import ibis
import pytest

from altresponse.triage.flags import Need, RedFlag
from altresponse.triage.narrative import NarrativeFindings, narrative_columns, screen_narrative

pytestmark = pytest.mark.realdata

SLO = "slo_pd_call_log_narratives/slopd_call_log_2021-09_2022-03.csv.gz"

# Counts over the 19,306 comments (20,076 rows); docs/narrative.md quotes them. A change to the
# lexicon that moves one is a reviewed change: update both.
EXPECTED_COUNTS = {
    "weapon": 114,
    "violence": 200,
    "crime_in_progress": 48,
    "immediate_danger": 167,
    "suicide_plan": 16,
    "medical_emergency": 132,
    "injury": 140,
    "child_at_risk": 27,
    "behavioral_health": 170,
    "suicidal_ideation": 51,
    "substance_use": 124,
    "intoxication": 264,
    "homelessness": 1118,
    "welfare": 308,
    "basic_needs": 92,
}

# Real comments (case number, comment) read one by one, and what each must give exactly.
RF, ND = RedFlag, Need
EXAMPLES: list[tuple[str, str, set[RedFlag | Need]]] = [
    (
        "210914012",
        "MALE YELLING AND TALKING TO HIMSELF W/ MACHETE UNDER HIS ARM",
        {RF.WEAPON, ND.BEHAVIORAL_HEALTH},
    ),
    (
        "211204066",
        "415P NOW BROKEN UP, NEG WEAPONS SEEN. MALE GRABBED FEMALE BY NECK",
        {RF.VIOLENCE},
    ),
    ("220119094", "2 TRANS IFO MEGANS 415 WITH EACH OTHER, NO WEAPONS SEEN", {ND.HOMELESSNESS}),
    ("220218034", "RP IN 415 W/GIRLFRIEND, NEG HBD OR WEAPONS", set()),
    ("220107007", "RP FEELING DEPRESSED, NOT SUICIDAL", {ND.BEHAVIORAL_HEALTH}),
    (
        "211028088",
        "CALL TRANSFERRED FROM NOTHERN 911, CLIENT IS SUICIDAL, NO PLAN YE",
        {ND.SUICIDAL_IDEATION},
    ),
    (
        "220215080",
        "RP STATING HE IS SUICIDAL, HAS THOUGHT ABOUT JUMPING IFO TRAIN",
        {RF.SUICIDE_PLAN, ND.SUICIDAL_IDEATION},
    ),
    (
        "220117097",
        "CLIENT THREATENING 1145, THREATENING TO HANG HIMSELF WITH A BELT",
        {RF.SUICIDE_PLAN, ND.SUICIDAL_IDEATION},
    ),
    (
        "211024022",
        "GF JUST SENT PIC OF CUT WRISTS - RP DOESNT THINK ITS LIFE THREATE",
        {RF.SUICIDE_PLAN, ND.SUICIDAL_IDEATION},
    ),
    (
        "211019038",
        "C3 OVERDOSE, NOT BREATHING, UNIT CLOSEST TO STREET",
        {RF.MEDICAL_EMERGENCY, ND.SUBSTANCE_USE},
    ),
    (
        "220113035",
        "TRANSIENT MALE POSS UNCONSIOUS AT EXIT TO SOUTH LOT, LAYING FLAT",
        {RF.MEDICAL_EMERGENCY, ND.HOMELESSNESS},
    ),
    ("211109051", "C3 FENTANYOL OVERDOSE", {RF.MEDICAL_EMERGENCY, ND.SUBSTANCE_USE}),
    (
        "210917115",
        'PT ON 5150 HOLD TRYING TO ELOPE, RP WANTS US TO "COME GET HER"',
        {ND.BEHAVIORAL_HEALTH},
    ),
    ("210928075", "FLAG DOWN RE 647F", {ND.INTOXICATION}),
    ("210923045", "MALE WAVING A KNIFE IN THE AIR, NOT THREATENING ANYONE BUT TALKIN", {RF.WEAPON}),
    ("211216071", "3 YOA CHILD LEFT ALONE IN VEH IN PARKING LOT", {RF.CHILD_AT_RISK}),
    ("220113091", "NEG INJ / 3 VEH INVOLVED", set()),
    (
        "220306004",
        "MAN LAYING ON TRUNK OF VEH, UNRESPONSIVE BUT BREATHING. RP WAS LE",
        {RF.MEDICAL_EMERGENCY, ND.WELFARE},
    ),
    ("211022082", "MALE REFUSING TO LEAVE STORE, TOLD RP HE WAS GOING TO KILL HER", {RF.VIOLENCE}),
    ("220114046", "CODE 3 MALE SUBJ COLD TO TOUCH, NO PULSE INSIDE VEH", {RF.MEDICAL_EMERGENCY}),
    ("211213075", "CLERK WAS JUST HELD AT GUN POINT FOR CASH", {RF.CRIME_IN_PROGRESS, RF.WEAPON}),
    ("220203009", "C3 DIFF BREATHING", {RF.MEDICAL_EMERGENCY}),
    (
        "211105005",
        "MALE LAYING IN ROADWAY, NEAR THE BIKE LANE AT ENTRANCE TO THE HIG",
        {RF.IMMEDIATE_DANGER, ND.WELFARE},
    ),
    (
        "211020050",
        "MALE SITTING ON TOP LEVEL WITH LEGS HANGING OVER EDGE, ON MORRO S",
        {RF.IMMEDIATE_DANGER},
    ),
    ("220107037", "FEMALE TRYING TO BREAK WINDOW W/CROW BAR", {RF.WEAPON}),
    (
        "220226068",
        "TRANSIENT SUBJ THROWING ROCKS AT VEHS PASSING BY~WEARING HAT AND",
        {RF.VIOLENCE, ND.HOMELESSNESS},
    ),
    (
        "220223049",
        "MALE ON FOOT, SMASHING CAR WINDOWS WITH BOTTLES OR SOMETHING IN H",
        {RF.CRIME_IN_PROGRESS},
    ),
    (
        "220227056",
        "HBD FEMALE ATTEMPTING TO DRIVE AWAY, HAS INFANT IN BACKSEAT AND T",
        {RF.CHILD_AT_RISK, ND.INTOXICATION},
    ),
    (
        "220113026",
        "RP IN A 415 W/ GF, SHE HAS A KNIFE AND THREATENING TO HARM HERSEL",
        {RF.WEAPON, RF.SUICIDE_PLAN, ND.SUICIDAL_IDEATION},
    ),
    ("211102032", "OPEN LINE, SOUNDS LIKE SOMEONE USING JACK HAMMER", set()),
]


@pytest.fixture(scope="module")
def comments(shared_data: Path) -> list[tuple[str, str | None, str | None]]:
    """(case number, call type, comment) of every row of the SLO log."""
    query = f"""SELECT case_number, type, call_comments
        FROM read_csv('{shared_data / SLO}', all_varchar = true)"""
    rows = duckdb.connect().execute(query).fetchall()
    assert len(rows) == 20076
    return rows


def _kinds(findings: NarrativeFindings) -> set[RedFlag | Need]:
    """Red flags and needs together."""
    return set(findings.red_flags) | set(findings.needs)


def test_batch_equals_live_on_every_comment(
    comments: list[tuple[str, str | None, str | None]],
) -> None:
    """narrative_columns in DuckDB gives screen_narrative's answer for every SLO comment."""
    notes = [note for _, _, note in comments]
    table = ibis.memtable(
        {"i": list(range(len(notes))), "note": notes}, schema={"i": "int64", "note": "string"}
    )
    query = table.select("i", **narrative_columns(table.note)).order_by("i")
    rows = ibis.duckdb.connect().to_pyarrow(query).to_pylist()
    differ = []
    for row, note in zip(rows, notes, strict=True):
        batch = {f for f in RedFlag if row[f"rf_{f.value}"]} | {
            n for n in Need if row[f"need_{n.value}"]
        }
        if batch != _kinds(screen_narrative(note)):
            differ.append(note)
    assert not differ, differ[:5]


@pytest.mark.parametrize(("case", "note", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_real_comments(
    comments: list[tuple[str, str | None, str | None]],
    case: str,
    note: str,
    expected: set[RedFlag | Need],
) -> None:
    """Comments read by hand get exactly the flags and needs a reader gives them."""
    assert (case, note) in {(c, n) for c, _, n in comments}
    assert _kinds(screen_narrative(note)) == expected


def test_counts_per_flag_and_need(comments: list[tuple[str, str | None, str | None]]) -> None:
    """How many SLO comments carry each flag and need (the figures in docs/narrative.md)."""
    counts: Counter[str] = Counter()
    for _, _, note in comments:
        counts.update(k.value for k in _kinds(screen_narrative(note)))
    assert dict(counts) == EXPECTED_COUNTS
