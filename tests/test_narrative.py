"""Narrative screening: red flags and needs from notes, live and batch giving the same answers."""

from __future__ import annotations

from pathlib import Path

import ibis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from altresponse.errors import ConfigError
from altresponse.triage.flags import Need, RedFlag
from altresponse.triage.narrative import (
    NarrativeFindings,
    NarrativeScreener,
    narrative_columns,
    screen_narrative,
)

W, V, C, D = RedFlag.WEAPON, RedFlag.VIOLENCE, RedFlag.CRIME_IN_PROGRESS, RedFlag.IMMEDIATE_DANGER
SP, M, INJ, K = (
    RedFlag.SUICIDE_PLAN,
    RedFlag.MEDICAL_EMERGENCY,
    RedFlag.INJURY,
    RedFlag.CHILD_AT_RISK,
)
BH, SI, SU, IX = (
    Need.BEHAVIORAL_HEALTH,
    Need.SUICIDAL_IDEATION,
    Need.SUBSTANCE_USE,
    Need.INTOXICATION,
)
HL, WF, BN = Need.HOMELESSNESS, Need.WELFARE, Need.BASIC_NEEDS

# (note, what must be found, what must not be found)
CASES: list[tuple[str, set[RedFlag | Need], set[RedFlag | Need]]] = [
    # plain terms and dispatch shorthand
    ("MALE YELLING AT HIMSELF W/ MACHETE UNDER HIS ARM", {W, BH}, set()),
    ("SUBJ W/ KNIFE", {W}, set()),
    ("SUBJ W/KNIFE IN HAND", {W}, set()),
    ("RP ADVS SUBJ HAS A GUN", {W}, set()),
    ("MALE SWINGING A BAT AT CARS", {W}, set()),
    ("10-52 FOR SUBJ", {M}, set()),
    ("C3 FOR POSS OD", {M, SU}, set()),
    ("FRIEND OD'D ON FENTANYL", {M, SU}, set()),
    ("UNRESP MALE IN VEH", {M}, set()),
    ("5150 PT ELOPED FROM ER", {BH}, {V, W}),
    ("SUBJ APPEARS 5150", {BH}, set()),
    ("RP STATES SI", {SI}, {SP}),
    ("SUBJ EXPRESSING HI TOWARD NEIGHBOR", {V}, set()),
    ("SUSP IN PC 245 LAST WEEK", {W, V}, set()),
    ("245 PC SUSP LS NB", {W, V}, set()),
    ("ATTEMPT TO LOCATE RE 245(A)(1)", {W, V}, set()),
    ("417 PC BRANDISHING", {W}, set()),
    ("RP WAS 242'D BY ROOMMATE", {V}, set()),
    ("245 HIGUERA ST, RP REQ CONTACT", set(), {W, V}),
    ("1245 MONTEREY, NOISE COMPLAINT", set(), {W, V}),
    ("417 MARSH ST APT 2", set(), {W}),
    ("FLAG DOWN RE 647F", {IX}, set()),
    ("HBD MALE IFO STORE", {IX}, set()),
    ("C3 E T O H MALE", {IX}, set()),
    ("TRANS SLEEPING IN DOORWAY", {HL}, set()),
    ("MALE SLEEPING ON SIDEWALK IN SLEEPING BAG", {HL}, set()),
    ("RP REQ CTW OF NEIGHBOR", {WF}, set()),
    ("FEM SLUMPED OVER IN VEH", {WF}, set()),
    ("SUBJ ASKING FOR FOOD AND A BLANKET", {BN}, set()),
    ("VETS CRISIS LINE W/ DISTRAUGHT FEMALE", {BH}, set()),
    ("MALE HEARING VOICES, OFF HIS MEDS", {BH}, set()),
    ("SUBJ SMOKING METH OUT OF A PIPE", {SU}, set()),
    ("FOUND HEROIN NEEDLE IN PARK", {SU}, set()),
    # red flags by kind
    ("TWO MALES FIGHTING IN PLOT", {V}, set()),
    ("415 PHYSICAL IFO BLDG", {V}, set()),
    ("MALE AND FEMALE 415 VERBAL", set(), {V}),
    ("TOLD RP HE WAS GOING TO KILL HER", {V}, set()),
    ("SUBJ BREAKING INTO VEH NOW", {C}, set()),
    ("459 IN PROGRESS, SUSP STILL INSIDE", {C}, set()),
    ("SMOKE SHOP JUST 211'D AT GUNPOINT", {C, W}, set()),
    ("SUBJ STANDING ON THE LEDGE OF THE PARKING STRUCTURE", {D}, set()),
    ("MALE ON THE BRIDGE THREATENING TO JUMP", {D}, set()),
    ("TREE ON FIRE THREATENING BUILDING", {D}, set()),
    ("C3 NOT BREATHING", {M}, set()),
    ("CODE 3 MALE COLD TO TOUCH, NO PULSE", {M}, set()),
    ("CPR IN PROGRESS", {M}, set()),
    ("NARCAN GIVEN, NOW BREATHING", {M}, set()),
    ("C3 MALE BLEEDING FROM HIS HEAD", {INJ}, set()),
    ("C2 PER PD ON SCENE FOR ARM LACERATION", {INJ}, set()),
    ("FEMALE LEFT 2 YOUNG KIDS INSIDE RUNNING VEH", {K}, set()),
    ("3 YOA BOY FOUND ALONE AT PARK", {K}, set()),
    # an object held or swung as a weapon
    ("FEM SCREAMING IN APT, HOLDING SCISSORS", {W}, set()),
    ("no weapons, but has a bat", {W}, set()),
    ("HOLDING A PAIR OF SCISSORS", {W}, set()),
    ("SUBJ W/CROWBAR", {W}, set()),
    ("CHASING RP WITH A SHOVEL", {W}, set()),
    ("MALE SWINGING A METAL PIPE AT CARS", {W}, set()),
    ("SMOKING METH WITH A PIPE", {SU}, {W}),
    ("JACK HAMMER NOISE FROM SITE", set(), {W}),
    ("SUBJ W/ BATTERIES", set(), {W}),
    # threats, thrown objects
    ("MALE THROWING ROCKS AT CARS", {V}, set()),
    ("THREW THINGS AT THE RP", {V}, set()),
    ("threatening to hurt his family", {V}, set()),
    ("SON IS THREATENING TO KILL", {V}, set()),
    ("threatening to kill", {V}, set()),
    ("SAID SHE WOULD STAB HIM", {V}, set()),
    ("THREATENING TO KILL HIMSELF", {SI}, {V}),
    ("THREATENING TO KILL/HURT HIMSELF", {SI}, {V}),
    ("YELLING THAT HE IS GOING TO KILL HIMS", {SI}, {V}),
    # breathing
    ("ELDERLY MALE DIFF BREATHING", {M}, set()),
    ("C3 DIFFICULTY BREATHING", {M}, set()),
    ("FEM C/O SOB", {M}, set()),
    ("NO DIFF BREATHING", set(), {M}),
    # a child near a danger or with a carer unfit to look after it
    ("INFANT IN HOT CAR", {K}, set()),
    ("DAD OFF MEDS, CHILD BEING HIT", {K, BH}, set()),
    ("FEM PASSED OUT DRUNK W/ BABY IN HOME", {K, IX}, set()),
    ("small child walking in the roadway", {K, D}, set()),
    ("DAD TOO HIGH TO CARE FOR 2 YO", {K}, set()),
    ("HIGH SCHOOL KIDS SKATEBOARDING", set(), {K}),
    # property damage going on, danger from roads, heights, water, captivity
    ("SUBJ CURRENTLY BREAKING WINDOWS", {C}, set()),
    ("SMASHING CAR WINDOWS", {C}, set()),
    ("INTOX MALE LYING IN THE ROADWAY", {D, IX}, set()),
    ("walking into oncoming traffic", {D}, set()),
    ("MALE HANGING OFF BRIDGE RAILING", {D}, set()),
    ("SUBJ WADING INTO THE RIVER", {D}, set()),
    ("RP BEING HELD AGAINST HER WILL", {D}, set()),
    ("BF NOT LETTING HER LEAVE", {D}, set()),
    ("VEH BROKEN DOWN IN ROADWAY", set(), {D}),
    ("GLASS IN ROADWAY", set(), {D}),
    ("DRIVING OVER THE BRIDGE", set(), {D}),
    # suicide: ideation versus plan, means or attempt
    ("SUBJ IS SUICIDAL, NO PLAN", {SI}, {SP}),
    ("SUICIDAL WITH A PLAN TO JUMP", {SI, SP}, set()),
    ("SI W/ PLAN, HAS MEANS", {SI, SP}, set()),
    ("RP STATES HE IS SUICIDAL, HAS A GUN AT HOME", {SI, SP, W}, set()),
    ("GF SENT PIC OF CUT WRISTS", {SP, SI}, set()),
    ("C3 SUICIDE ATTEMPT WITH PILLS", {SP, SI}, set()),
    ("THREATENING TO HANG HIMSELF WITH A BELT", {SP, SI}, set()),
    ("MALE SAYS HE IS GOING TO KILL HIMSELF WITH A KNIFE", {SP, SI, W}, set()),
    ("WANTS TO DIE", {SI}, {SP}),
    # negation
    ("NO WEAPONS SEEN", set(), {W}),
    ("NEG WPNS", set(), {W}),
    ("NEG WEAPONS SEEN. MALE GRABBED FEMALE BY NECK", {V}, {W}),
    ("DENIES SI", set(), {SI}),
    ("NO SI/HI", set(), {SI, V}),
    ("DENIES ANY SI OR HI", set(), {SI, V}),
    ("NOT SUICIDAL, FEELING DEPRESSED", {BH}, {SI}),
    ("NO INJURIES", set(), {INJ}),
    ("NON INJURY TC", set(), {INJ}),
    ("DOES NOT APPEAR TO BE INTOXICATED", set(), {IX}),
    ("NOT THREATENING ANYONE", set(), {V}),
    ("NOTHING PHYSICAL", set(), {V}),
    ("WEAPONS: NO", set(), {W}),
    ("WEAPONS? NEG", set(), {W}),
    # a negation does not reach past a clause or a second term
    ("NO WEAPONS SEEN, BUT HAS A KNIFE", {W}, set()),
    ("NO WEAPONS SEEN BUT HAS A KNIFE", {W}, set()),
    ("NO WPNS HAS KNIFE", {W}, set()),
    ("DENIES SI, HAS A KNIFE", {W}, {SI}),
    ("NO INJURIES; SUBJ NOW UNRESPONSIVE", {M}, {INJ}),
    ("NOT ARMED HOWEVER HAS A GUN IN HIS WAISTBAND", {W}, set()),
    # " / " ends a negation like a comma; "SI/HI" written tight is one list
    ("NO INJURIES / W/ GUN", {W}, {INJ}),
    ("DENIES SI / HAS A KNIFE", {W}, {SI}),
    ("NOT VIOLENT / PUNCHED RP", {V}, set()),
    ("NEG WEAPONS / UNRESP", {M}, {W}),
    ("NEG INJ/W/GUN", {W}, {INJ}),
    ("DENIES SI & HI", set(), {SI, V}),
    # a denial of SI does not cancel a plan and means in a later sentence
    ("DENIES SI TO RP. TOLD SISTER HE HAS A PLAN AND THE PILLS", {SP, SI}, set()),
    ("SUICIDAL, HAS THE PILLS", {SP, SI}, set()),
    ("HAS A PLAN TO GO TO THE SHELTER", set(), {SP}),
    # negated forms that are flags themselves
    ("NOT BREATHING", {M}, set()),
    ("SUBJ NOT CONSCIOUS", {M}, set()),
    ("NO LONGER BREATHING", {M}, set()),
    ("HAS NO PLACE TO STAY", {BN}, set()),
    ("NEIGHBOR NOT ANSWERING DOOR", {WF}, set()),
    ("SUBJ LAYING IN PARK NOT MOVING", {WF}, set()),
    # uncertainty is not negation
    ("UNK IF ARMED", {W}, set()),
    ("UNK WEAPONS", {W}, set()),
    ("NOT SURE IF HE HAS A GUN", {W}, set()),
    ("RP NOT SURE IF SUBJ IS BREATHING", set(), set()),
    ("POSS WEAPON", {W}, set()),
    ("MAY HAVE A KNIFE", {W}, set()),
    ("RP DOESN'T KNOW IF HE HAS A KNIFE", {W}, set()),
    # typos
    ("MALE W/ KNFIE", {W}, set()),
    ("POSS WEPON IN WAISTBAND", {W}, set()),
    ("SUCIDAL MALE ON OVERPASS", {SI, SP, D}, set()),
    ("C3 UNCONSIOUS MALE", {M}, set()),
    ("TRANSEINT MALE SLEEPING", {HL}, set()),
    ("SUBJ IS PYSCH PATIENT", {BH}, set()),
    ("NO WEPONS SEEN", set(), {W}),
    ("SUBJ W/ MACHETTE IN PARK", {W}, set()),
    # a real word is never taken for a typo
    ("MALE CARRYING METAL POLE", set(), {BH}),
    ("RP HEARD LOUD VOICES", set(), {BH}),
    ("DUNK TANK AT THE FAIR", set(), {IX}),
    # case, blanks, punctuation
    ("subj w/ knife", {W}, set()),
    ("Subj W/ Knife", {W}, set()),
    ("", set(), set()),
    ("   ", set(), set()),
    ("...", set(), set()),
    ("RP REQ CONTACT", set(), set()),
    ("OPEN LINE W/ NOTHING HEARD", set(), set()),
]


def _kinds(findings: NarrativeFindings) -> set[RedFlag | Need]:
    """Red flags and needs together."""
    return set(findings.red_flags) | set(findings.needs)


@pytest.mark.parametrize(("note", "found", "absent"), CASES, ids=[c[0][:40] for c in CASES])
def test_screen_narrative(
    note: str, found: set[RedFlag | Need], absent: set[RedFlag | Need]
) -> None:
    """Each note gets what it must and nothing it must not."""
    kinds = _kinds(screen_narrative(note))
    assert found <= kinds, f"missing {found - kinds}"
    assert not absent & kinds, f"unexpected {absent & kinds}"


def test_none_and_empty_find_nothing() -> None:
    """No note, no findings."""
    assert screen_narrative(None) == NarrativeFindings(frozenset(), frozenset())
    assert screen_narrative("") == NarrativeFindings(frozenset(), frozenset())


def test_plain_note_finds_nothing_at_all() -> None:
    """A note with no flag words gives exactly nothing (not only 'not the listed ones')."""
    for note in ("RP REQ CONTACT", "LOUD MUSIC FROM APT", "VEH PARKED ON SIDEWALK 3 DAYS"):
        assert _kinds(screen_narrative(note)) == set()


def _batch(texts: list[str | None]) -> list[NarrativeFindings]:
    """The batch form over a list of notes, in one DuckDB query."""
    table = ibis.memtable(
        {"i": list(range(len(texts))), "note": texts}, schema={"i": "int64", "note": "string"}
    )
    columns = narrative_columns(table.note)
    rows = ibis.duckdb.connect().to_pyarrow(table.select("i", **columns).order_by("i")).to_pylist()
    return [
        NarrativeFindings(
            frozenset(f for f in RedFlag if row[f"rf_{f.value}"]),
            frozenset(n for n in Need if row[f"need_{n.value}"]),
        )
        for row in rows
    ]


def test_batch_columns_are_named_and_never_null() -> None:
    """One column per red flag and need, False (not null) for a null note."""
    table = ibis.memtable({"note": [None, "", "SUBJ W/ KNIFE"]}, schema={"note": "string"})
    columns = narrative_columns(table.note)
    expected = {f"rf_{f.value}" for f in RedFlag} | {f"need_{n.value}" for n in Need}
    assert set(columns) == expected
    rows = ibis.duckdb.connect().to_pyarrow(table.select(**columns)).to_pylist()
    assert all(value is not None for row in rows for value in row.values())
    assert rows[0]["rf_weapon"] is False and rows[2]["rf_weapon"] is True


def test_batch_equals_live_on_the_cases() -> None:
    """Every table case gives the same answer in DuckDB as in Python."""
    notes: list[str | None] = [c[0] for c in CASES] + [None]
    assert _batch(notes) == [screen_narrative(n) for n in notes]


# Lexicon fragments, cues, signs and noise that random notes are assembled from.
_FRAGMENT_TEXT = (
    "knife|knfie|gun|w/|w/knife|no|not|neg|denies|unk if|not sure if|si|hi|si/hi|"
    "suicidal|sucidal|plan|pills|od|unresp|not breathing|no pulse|5150|pc 245|245|"
    "(a)|'d|417|10-52|but|however|or|/|weapons|wpns|seen|any|injuries|bleeding|trans|"
    "camp|hbd|647f|fighting|415|physical|verbal|kids|left|in|car|alone|on the bridge|"
    "jump|in progress|suspect|still|inside|ctw|food|no food|himself|kill|threatening|"
    "to|rp|male|subj|fire|on|the|ledge|meth|using|x:|:|?|=|-|_|'|threatening to kill|"
    "hims| / |has a plan|the pills|bat|holding|scissors|machette|roadway|"
    "lying in the|hanging off|bridge|railing|wading into|the river|against her will|"
    "diff breathing|sob|hot car|infant|2 yo|too high|breaking windows|currently|"
    "throwing rocks at|w/crowbar"
)
FRAGMENTS = [*_FRAGMENT_TEXT.split("|"), "\u0130", "\u212a", "é", "ß", "\u0130nife"]
SEPARATORS = [" ", " ", " ", ", ", ". ", "; ", "/", "-", "  ", "\n", "\t", "", "(", ")"]


@st.composite
def _notes(draw: st.DrawFn) -> str:
    """A note assembled from lexicon fragments, negation cues, noise and punctuation."""
    parts = draw(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=12))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(parts), max_size=len(parts)))
    note = "".join(p + s for p, s in zip(parts, seps, strict=True))
    return note.upper() if draw(st.booleans()) else note


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_notes(), min_size=100, max_size=150))
def test_batch_equals_live_property(notes: list[str]) -> None:
    """Batch equals live over random notes (many per DuckDB query, to keep it quick)."""
    clean = [n.replace("\x00", "") for n in notes]
    assert _batch(clean) == [screen_narrative(n) for n in clean]


def test_city_shorthand_extends_the_lexicon(tmp_path: Path) -> None:
    """A city file adds its own shorthand; the shipped terms still work."""
    extra = tmp_path / "city.yaml"
    extra.write_text(
        "red_flags:\n  weapon:\n    shorthand: [10-99x]\n    codes: 12022\n", encoding="utf-8"
    )
    screener = NarrativeScreener.load(extra)
    assert RedFlag.WEAPON in screener.screen("UNIT ADVS 10-99X AT LOC").red_flags
    assert RedFlag.WEAPON in screener.screen("SUSP WANTED FOR PC 12022").red_flags
    assert RedFlag.WEAPON not in screener.screen("12022 MAIN ST").red_flags
    assert RedFlag.WEAPON in screener.screen("SUBJ W/ KNIFE").red_flags
    assert RedFlag.WEAPON not in screen_narrative("UNIT ADVS 10-99X AT LOC").red_flags


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("red_flags:\n  weapon:\n    words: Knife\n", "lower case"),
        ("red_flags:\n  weapon:\n    patterns: ['(?=gun)']\n", "not read alike"),
        ("red_flags:\n  weapon:\n    words: '{nosuch} gun'\n", "unknown macro"),
        ("red_flags:\n  weapn:\n    words: gun\n", "weapn"),
        ("needs:\n  welfare:\n    implied_by: nosuch\n", "nosuch"),
        ("red_flags:\n  weapon:\n    codes: 626.10\n", "in quotes"),
        ("red_flags:\n  violence:\n    words: '{!self} now'\n", "must end the term"),
        ("red_flags:\n  violence:\n    words: 'kill {!nosuch}'\n", "unknown macro"),
        ("red_flags:\n  violence:\n    words: 'kill {!person}'\n", "macro of words"),
    ],
)
def test_bad_city_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    """A bad lexicon file raises ConfigError naming the file."""
    extra = tmp_path / "city.yaml"
    extra.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        NarrativeScreener.load(extra)
    assert "city.yaml" in str(caught.value)


def test_real_word_list_is_current_and_protects() -> None:
    """Each listed real word is one a keyword's typo would become, and is read as nothing.

    The list is regenerated from a dictionary when keywords change (docs/narrative.md, Typos);
    this keeps it free of stale words and checks that it does its job, with no dictionary.
    """
    from altresponse.triage.narrative_lexicon import REAL_WORDS, load_lexicon
    from altresponse.triage.narrative_regex import typo_collisions

    lines = REAL_WORDS.read_text(encoding="utf-8").splitlines()
    listed = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert typo_collisions(load_lexicon(), listed) == listed
    for word in sorted(listed):
        assert _kinds(screen_narrative(word.upper())) == set(), word
