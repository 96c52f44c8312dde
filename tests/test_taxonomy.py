"""The taxonomy: data files, normalisation, crosswalks, the mapper and the general suggester."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from altresponse.errors import ConfigError, NotFoundError
from altresponse.taxonomy import (
    Suggestion,
    Taxonomy,
    TypeMapper,
    VeraCategory,
    evaluate_vera,
    load_crosswalk,
    normalize_local_type,
    rules,
    suggest,
)
from altresponse.taxonomy._datafile import Row, package_text, read_rows
from altresponse.taxonomy.suggest import default_suggester

# ---------------------------------------------------------------- data files


def _incident_type_rows() -> list[Row]:
    """incident_types.csv as shipped, one Row per line."""
    text, source = package_text("incident_types.csv")
    return list(read_rows(text, source, ("code", "name", "description", "category", "apco")))


def test_every_apco_code_is_an_incident_type() -> None:
    text, source = package_text("incident_types.csv")
    shipped = {
        r.values["code"]
        for r in read_rows(text, source, ("code",), ("name", "description", "category", "apco"))
    }
    apco = {
        r.values["code"]
        for r in read_rows(text, source, ("code",), ("name", "description", "category", "apco"))
        if r.values["apco"] == "true"
    }
    taxonomy = Taxonomy.load()
    assert shipped == set(taxonomy.incident_types)
    assert len(apco) >= 190  # the APCO common incident type list, every code kept
    for code in ("WELFARE", "EDP", "SUICTHRT", "INTOX", "TRESPASS", "DISORD", "PHANDLE", "ASSAULT"):
        assert taxonomy.incident_types[code].apco


def test_codes_are_unique_and_categories_map_to_vera() -> None:
    taxonomy = Taxonomy.load()
    assert len(_incident_type_rows()) == len(taxonomy.incident_types)
    for category in taxonomy.categories.values():
        assert isinstance(category.vera_category, VeraCategory)
    used = {t.category for t in taxonomy.incident_types.values()}
    assert used == set(taxonomy.categories), "every category holds at least one incident type"


def test_category_chain_and_unknown_type() -> None:
    taxonomy = Taxonomy.load()
    assert taxonomy.category_of("EDP").code == "behavioral_health"
    assert taxonomy.category_of("EDP").vera_category == "Behavioral Health"
    assert taxonomy.category_of("WELFARE").vera_category == VeraCategory.STATUSES
    assert Taxonomy.load() is taxonomy  # cached
    with pytest.raises(NotFoundError):
        taxonomy.category_of("NOSUCH")


def test_every_rule_names_a_known_type_and_rule_ids_are_unique() -> None:
    suggester = default_suggester()
    ids = [r.id for r in suggester.rules]
    assert len(ids) == len(set(ids))
    assert {r.incident_type for r in suggester.rules} <= set(Taxonomy.load().incident_types)


# ---------------------------------------------------------------- normalisation


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_local_type(text)
    assert normalize_local_type(once) == once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  suspicious   person ", "SUSPICIOUS PERSON"),
        ("DIST-IP/JO", "DIST-IP/JO"),
        ("DIST - IP / JO", "DIST - IP/JO"),
        ("ASLT–DV", "ASLT-DV"),
        ("Assault ,  other", "ASSAULT, OTHER"),
        ("( P ) FIGHT", "(P) FIGHT"),
        ("--DISTURBANCE - OTHER", "DISTURBANCE - OTHER"),
    ],
)
def test_normalize_examples(raw: str, expected: str) -> None:
    assert normalize_local_type(raw) == expected


# ---------------------------------------------------------------- the general suggester

TRICKY: list[tuple[str, str | None]] = [
    # abbreviations
    ("SUSP VEH", "VEHSUSP"),
    ("SUBJ W/ GUN", "WEAPON"),
    ("DIST - IP/JO", "DISORD"),
    ("ACC W/ INJ", "MVAINJY"),
    ("ACC PDO", "MVA"),
    ("BURG ALRM", "ALRBS"),
    ("ASLT", "ASSAULT"),
    ("DOM DIST", "DVNA"),
    ("DV", "DVA"),
    ("EDP", "EDP"),
    ("MVA UNK INJ", "MVAUNK"),
    ("AUTO X OR PED X - INJURIES", "MVAINJY"),
    ("INTOX PERS", "INTOX"),
    ("WELF CHK", "WELFARE"),
    # ten-codes and numbers with text; California codes
    ("10-52 AMBULANCE", "SICK"),
    ("44 DISORDERLY PERSON", "DISORD"),
    ("415 DISTURBANCE", "DISORD"),
    ("5150", "EDP"),
    ("5150 MENTAL CASE", "EDP"),
    ("459 ALARM", "ALRBS"),
    ("10851 REPORT", "VEHSTLN"),
    ("9-1-1 ABANDON", "911H"),
    # behavioural health wording
    ("MENTAL HEALTH CASE", "EDP"),
    ("PSYCHIATRIC EMERGENCY", "EDP"),
    ("Person in Crisis", "EDP"),
    ("Suicide-related", "SUICTHRT"),
    ("SUICIDE ATTEMPT", "SUICTHRT"),
    ("ATTEMPTED SUICIDE BY OVERDOSE", "SUICTHRT"),
    ("Overdose", "OD"),
    ("JUMPER ON BRIDGE", "SUICTHRT"),
    # typos, word order, punctuation, qualifiers
    ("DISTURBENCE", "DISORD"),
    ("WELFAIR CHECK", "WELFARE"),
    ("CHECK WELFARE", "WELFARE"),
    ("PERSON, SUSPICIOUS", "PERSUSP"),
    ("THEFT - IN PROGRESS", "LARCENY"),
    ("(P) FIGHT", "FIGHT"),
    ("PRI 1 ROBBERY JUST OCCURRED", "ROBBERY"),
    ("BURGLARY REPORT", "BURGLARY"),
    ("TRAFFIC - D.U.I.", "DUI"),
    ("CORPSE / D. O. A.", "DEATH"),
    # specific beats general
    ("DOMESTIC W/ WEAPON", "DVA"),
    ("DISTURBANCE W/ WEAPON", "WEAPON"),
    ("BURGLARY ALARM", "ALRBS"),
    ("ROBBERY ALARM", "ALRROBS"),
    ("FIRE ALARM", "ALRF"),
    ("STOLEN VEHICLE RECOVERED", "VEHREC"),
    ("RECOVERED STOLEN PROPERTY", "PROPFND"),
    ("THEFT FROM VEHICLE", "LARCENY"),
    ("STOLEN VEHICLE", "VEHSTLN"),
    ("VEHICLE FIRE", "FVEH"),
    ("ANIMAL BITE", "BITE"),
    ("DEAD ANIMAL", "ANIMAL"),
    ("ASSAULT WITH DEADLY WEAPON", "ASSAULT"),
    ("SHOOTING - NO INJURIES", "WEAPON"),
    ("SHOTS FIRED", "WEAPON"),
    ("PERSON SHOT", "SHOOT"),
    ("ASSIST FIRE DEPT", "ASSIST"),
    ("ASSIST CITIZEN", "CITASST"),
    ("SIMPLE BATTERY", "SIMPASLT"),
    ("AGGRAVATED BATTERY", "ASSAULT"),
    ("CHILD ABUSE", "ABUSE"),
    ("SEXUAL ASSAULT", "SEXOFFNS"),
    ("MISSING - ENDANGERED ELDERLY", "PERMISS"),
    ("FAMILY DISTURBANCE", "DVNA"),
    ("DISTURBANCE FAMILY", "DVNA"),
    # negation: a negated word does not count
    ("DIST - DV - NO ASLT", "DVNA"),
    ("ACCIDENT - NON INJURY", "MVA"),
    ("NO INJURY ACCIDENT", "MVA"),
    ("WEAPON - GUN (NO THREATS/ASSAULT)", "WEAPON"),
    ("HARASSMENT - NO THREATS", "HARR"),
    # statuses, public assistance, traffic
    ("SPECIAL ATTENTION", "PATROL"),
    ("BUSINESS CHECK", "PATROL"),
    ("MEAL BREAK", "OFCSTAT"),
    ("OUT OF SERVICE", "OFCSTAT"),
    ("FOLLOW UP", "ADMIN"),
    ("TRAFFIC STOP", "TSTOP"),
    ("LOCKOUT - VEHICLE", "VEHLOCK"),
    ("CHILD LOCKED IN CAR", "RESCUE"),
    ("FOUND PROPERTY", "PROPFND"),
    ("ILLEGAL PARKING", "PARKING"),
    ("LOUD MUSIC", "NOISE"),
    ("HOMELESS ENCAMPMENT", "HOMELESS"),
    ("PANHANDLER", "PHANDLE"),
    ("UNWANTED PERSON", "TRESPASS"),
    ("911 HANG UP", "911H"),
    ("OPEN LINE", "911OPN"),
    # false friends
    ("HEART ATTACK", "CARDIAC"),
    ("PANIC ATTACK", "EDP"),
    ("DOG ATTACK", "BITE"),
    ("DEAD BATTERY", "VEHASST"),
    ("FIRE HYDRANT LEAKING", "PUBWKS"),
    ("PARKING IN FIRE LANE", "PARKING"),
    ("HOT DOG VENDOR", "COMPLAINT"),
    ("LANDLORD TENANT DISPUTE", "CIVIL"),
    ("CIVIL STANDBY", "CITASST"),
    ("LTD ACC HWY DISPUTE", "DISORD"),
    ("HAZ MAT: INSIDE", "HAZMAT"),
    ("ASSAULT (IN PROGRESS): SHOTS/OUTSIDE", "ASSAULT"),
    ("BUS BOARDING", None),
    ("CRITICAL MISSING PERSON", "PERMISS"),
    ("WARRANT - SEARCH. EXECUTED, SECURED", "WARRANT"),
    ("THROWING OBJECTS AT AN OCC VEH", "ASSAULT"),
]


@pytest.mark.parametrize(
    "word", ["CALLING", "CRITICAL", "STRANGER", "SITUATION", "THROWING", "SECURED", "VISITING"]
)
def test_ordinary_words_are_not_corrected_into_keywords(word: str) -> None:
    analysis = default_suggester().lexicon.analyse(f"PERSON {word} AROUND")
    assert word in analysis.text.split()
    assert analysis.corrected == ()


@pytest.mark.parametrize(("local_type", "expected"), TRICKY)
def test_tricky_call_types(local_type: str, expected: str | None) -> None:
    suggestion = suggest(local_type)
    assert suggestion.incident_type == expected, default_suggester().explain(local_type)


@pytest.mark.parametrize(
    "local_type",
    ["", "   ", "10-4", "1234", "XYZZY", "PLUGH QWERTZ", "-", "(P)"],
)
def test_nothing_known_means_no_suggestion(local_type: str) -> None:
    suggestion = suggest(local_type)
    assert suggestion.incident_type is None
    assert suggestion.category is None and suggestion.vera_category is None
    assert (suggestion.confidence, suggestion.method) == (0.0, "none")


def test_confidence_is_meaningful() -> None:
    strong, typo, vague = suggest("SUICIDE ATTEMPT"), suggest("WELFAIR CHECK"), suggest("MISC")
    assert strong.method == "rule" and strong.confidence >= 0.9
    assert typo.method == "fuzzy" and 0.5 <= typo.confidence < strong.confidence
    assert vague.incident_type == "OTHER" and vague.confidence < typo.confidence
    assert all(0.0 <= s.confidence <= 1.0 for s in (strong, typo, vague))


def test_suggestion_json() -> None:
    found = suggest("MENTAL HEALTH CASE").to_json_dict()
    assert found == {
        "local_type": "MENTAL HEALTH CASE",
        "incident_type": "EDP",
        "category": "behavioral_health",
        "vera_category": "Behavioral Health",
        "confidence": 0.95,
        "method": "rule",
    }
    assert isinstance(suggest("x"), Suggestion)


# ---------------------------------------------------------------- crosswalks and the mapper


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crosswalk.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_crosswalk_beats_suggester(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "local_type,incident_type,note\n  disturbance ,welfare,our own meaning\n"
    )
    crosswalk = load_crosswalk(path)
    assert crosswalk == {"DISTURBANCE": "WELFARE"}
    mapper = TypeMapper(crosswalk)
    hit = mapper.map("Disturbance")
    assert (hit.incident_type, hit.confidence, hit.method) == ("WELFARE", 1.0, "crosswalk")
    assert hit.vera_category == "Statuses"
    other = mapper.map("LOUD MUSIC")
    assert (other.incident_type, other.method) == ("NOISE", "rule")


def test_mapper_threshold_blank_and_memo() -> None:
    mapper = TypeMapper(min_confidence=0.9)
    assert mapper.map("MISC").method == "none"  # 'OTHER' is a weak guess, below the bar
    assert mapper.map("MISC").incident_type is None
    assert mapper.map(None).incident_type is None
    many = mapper.map_many(["SUSP VEH", None, "SUSP VEH", "XYZZY"])
    assert [s.incident_type for s in many] == ["VEHSUSP", None, "VEHSUSP", None]
    assert many[0] is many[2]
    assert TypeMapper().map("MISC").incident_type == "OTHER"


def test_mapper_rejects_unknown_codes() -> None:
    with pytest.raises(ConfigError, match="NOPE"):
        TypeMapper({"X": "NOPE"})


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("local_type,incident_type\nA,WELFARE\nB,NOPE\n", 3, "unknown incident type 'NOPE'"),
        (
            "local_type,incident_type\nA,WELFARE\n\n a ,EDP\n",
            4,
            "already mapped to WELFARE at line 2",
        ),
        ("local_type,incident_type\n,WELFARE\n", 2, "local_type is blank"),
        ("local_type,code\nA,WELFARE\n", 1, "missing incident_type"),
        ("local_type,incident_type\nA,WELFARE,x,y\n", 2, "4 fields"),
        ("", 1, "empty file"),
    ],
)
def test_crosswalk_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_crosswalk(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert message in str(caught.value)


def test_crosswalk_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_crosswalk(tmp_path / "absent.csv")


def test_crosswalk_same_mapping_twice_is_fine(tmp_path: Path) -> None:
    path = _write(tmp_path, "local_type,incident_type\nA,EDP\n# comment\na,edp\n")
    assert load_crosswalk(path) == {"A": "EDP"}


# ---------------------------------------------------------------- the rules file


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("r1,NOPE,0.9,WORD,,", "unknown incident type 'NOPE'"),
        ("r1,EDP,high,WORD,,", "weight 'high' is not a number"),
        ("r1,EDP,1.5,WORD,,", "must be in (0, 1]"),
        ("r1,EDP,0.9,A|B & C,,", "put its alternatives in (...)"),
        ("r1,EDP,0.9,(UNCLOSED,,", "bad pattern"),
        (",EDP,0.9,WORD,,", "id is blank"),
        ("r0,EDP,0.9,WORD,,", "duplicate rule id 'r0'"),
    ],
)
def test_bad_rules_name_file_and_line(
    monkeypatch: pytest.MonkeyPatch, row: str, message: str
) -> None:
    text = f"id,incident_type,weight,match,unless,note\n# comment\nr0,EDP,0.9,WORD,,\n{row}\n"
    monkeypatch.setattr(rules, "package_text", lambda name: (text, f"data/{name}"))
    with pytest.raises(ConfigError) as caught:
        rules.load_rules(Taxonomy.load().incident_types)
    assert str(caught.value).startswith("data/rules.csv:4: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("local_type", "text"),
    [
        ("DIST - DV - NO ASLT", " DISTURBANCE DOMESTIC VIOLENCE NO assault "),
        ("CASUALTY,NON-TRAF - NON-DRUG", " CASUALTY NON traffic NON drug "),
        ("ASLT W/O WPNS (NO SHOOTINGS) - IP", " ASSAULT WITHOUT weapons NO shootings IN PROGRESS "),
        ("NO PARKING ZONE", " NO PARKING ZONE "),  # a leading NO names the problem
        ("10-52 AMB", " AMBULANCE "),
    ],
)
def test_analysis_expands_and_scopes_negation(local_type: str, text: str) -> None:
    assert default_suggester().lexicon.analyse(local_type).text == text


# ---------------------------------------------------------------- agreement with Vera

VERA_SAMPLE = """City,Column_name,Field 1,Count,Category,Category - Alternate
Here,Type,MENTAL CASE,60,Behavioral Health,
Here,Type,BAR CHECK,30,Call Related Isuues,Statuses ?
Here,Type,REMARKS,500,,??
There,Type,CHEST PAIN,"1,000",Medical,
There,Type,XYZZY,10,Property Crime ,
"""


def test_evaluate_vera_weights_by_calls_and_cleans_labels(tmp_path: Path) -> None:
    path = tmp_path / "vera.csv"
    path.write_text(VERA_SAMPLE, encoding="utf-8")
    result = evaluate_vera(path)
    here, there = result.city("Here"), result.city("There")
    # BAR CHECK is a patrol (Statuses): wrong strictly, right with the alternate label
    assert (here.calls, here.strict_calls, here.alternate_calls) == (90, 60, 90)
    assert here.excluded_calls == 500  # blank Category: out of the denominator
    assert (there.calls, there.strict_calls) == (1010, 1000)  # "Medical" = Medical Emergencies
    assert result.overall.strict == pytest.approx(1060 / 1100)
    assert result.overall.with_alternates == pytest.approx(1090 / 1100)
    assert [m.labelled.local_type for m in result.misses] == ["BAR CHECK", "XYZZY"]


def test_evaluate_vera_rejects_unknown_labels(tmp_path: Path) -> None:
    path = tmp_path / "vera.csv"
    path.write_text("City,Field 1,Count,Category\nHere,X,1,Nonsense\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{path}:2: unknown Vera category 'Nonsense'"):
        evaluate_vera(path)
