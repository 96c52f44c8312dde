"""The staffing simulation: Erlang C, conservation of calls, queue rules, seeds, fleets, staffing.

The golden summary is a reviewed file; to rewrite it after an intended change, review the diff of
`.venv/bin/python tests/test_simulation.py`.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import statistics
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import ingest
from altresponse.errors import InputError
from altresponse.programs import Program, Weekday, load_program
from altresponse.programs.model import ALL_DAYS
from altresponse.samplecity import generate
from altresponse.simulation.calls import CallSet, hour_of_week_profile, load_calls, synthetic_calls
from altresponse.simulation.fleet import build_fleet, parse_shifts
from altresponse.simulation.model import (
    MINUTES_PER_WEEK,
    NO_SKILLED_TEAM,
    NO_TEAM_ON_DUTY,
    WAITED_TOO_LONG,
    RunResult,
    Scenario,
    ServiceModel,
    SimCall,
    TeamSpec,
    duty_spans,
    simulate,
)
from altresponse.simulation.queueing import MMc, erlang_c
from altresponse.simulation.replicate import (
    Estimate,
    Summary,
    Target,
    replicate,
    staffing_search,
    summarise,
)
from altresponse.simulation.scenario import Choices, make_scenario
from altresponse.simulation.times import Empirical, Exponential, Fixed
from altresponse.triage.reasons import OUTSIDE_HOURS

GOLDEN = Path(__file__).parent / "golden" / "simulation_summary.json"
STAR_SKILLS = frozenset({"behavioral_health", "medical_basic"})
BH = frozenset({"behavioral_health"})
TRANSPORT = frozenset({"transport"})
ONE_HOUR = ServiceModel(travel=Fixed(10), on_scene=Fixed(50), backup_rate=0.0)
"""Every call takes a team exactly 10 minutes to reach and 50 minutes on scene."""


def team(
    name: str, duty: Sequence[tuple[int, int]] = ((0, 1000),), skills: frozenset[str] = BH
) -> TeamSpec:
    """A team with SKILLS on DUTY (minutes from the start of the run)."""
    return TeamSpec(name, skills, tuple(duty))


def run(
    calls: Sequence[SimCall],
    teams: Sequence[TeamSpec],
    *,
    service: ServiceModel = ONE_HOUR,
    max_wait: float = 30.0,
    horizon: float = 2000.0,
    **costs: float,
) -> RunResult:
    """One run of a hand-built scenario (its times are fixed, so the seed does not matter)."""
    scenario = Scenario(tuple(calls), tuple(teams), service, max_wait, horizon, **costs)
    return simulate(scenario, seed=1)


def accounted(result: RunResult) -> int:
    """Calls that left the model one way or another, or are still waiting."""
    return result.served + sum(result.unserved.values()) + result.queued_at_end


# Sample City: the fixed scenario of the golden summary ------------------------------------------


def sample_city_calls(folder: Path) -> CallSet:
    """3,000 Sample City calls (seed 2026), ingested and triaged for STAR in planning mode."""
    export, table = folder / "sample.csv", folder / "sample.parquet"
    generate(export, seed=2026, calls=3000)
    ingest(export, find_adapter("sample_city"), table)
    return load_calls(table, load_program("star_denver"))


def golden_summary(calls: CallSet) -> dict[str, Any]:
    """Three replications (seed 7) of STAR with two teams a shift, as the JSON file holds them."""
    scenario, _ = make_scenario(load_program("star_denver"), calls, Choices(teams=2))
    return json.loads(json.dumps(replicate(scenario, 3, 7).to_json_dict()))


@pytest.fixture(scope="module")
def star() -> Program:
    return load_program("star_denver")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> CallSet:
    return sample_city_calls(tmp_path_factory.mktemp("samplecity"))


@pytest.fixture(scope="module")
def sample_scenario(star: Program, sample: CallSet) -> Scenario:
    scenario, _ = make_scenario(star, sample, Choices(teams=2))
    return scenario


# Erlang C: with M/M/c assumptions the model must agree with the formula --------------------------

ERLANG_WEEKS = 4
ERLANG_SEEDS = range(100, 110)
PER_HOUR, SERVICE_MINUTES, SERVERS = 30.0, 5.0, 6


def mmc_scenario(seed: int, servers: int = SERVERS) -> Scenario:
    """Poisson calls of their own (from SEED), exponential service, no travel, no queue limit."""
    horizon = ERLANG_WEEKS * MINUTES_PER_WEEK
    # Not the run's own stream, so that gaps between calls and service times are independent.
    rng = random.Random(10**6 + seed)
    calls: list[SimCall] = []
    t = rng.expovariate(PER_HOUR / 60)
    while t < horizon:
        calls.append(SimCall(f"c{len(calls)}", t))
        t += rng.expovariate(PER_HOUR / 60)
    teams = tuple(TeamSpec(f"t{k}", frozenset(), ((0, horizon),)) for k in range(servers))
    service = ServiceModel(travel=Fixed(0), on_scene=Exponential(SERVICE_MINUTES), backup_rate=0.0)
    return Scenario(tuple(calls), teams, service, max_wait=math.inf, horizon=float(horizon))


@pytest.fixture(scope="module")
def mmc() -> Summary:
    """Ten replications, each with its own arrivals."""
    runs = [simulate(mmc_scenario(seed), seed) for seed in ERLANG_SEEDS]
    return summarise(runs, ERLANG_SEEDS[0])


def _interval(estimate: Estimate) -> tuple[float, float]:
    assert estimate.low is not None and estimate.high is not None
    return estimate.low, estimate.high


def test_wait_probability_matches_erlang_c(mmc: Summary) -> None:
    low, high = _interval(mmc.figures["wait_probability"])
    queue = MMc(PER_HOUR, SERVICE_MINUTES, SERVERS)
    assert queue.wait_probability() == pytest.approx(0.0474, abs=5e-4)
    assert low <= queue.wait_probability() <= high
    # The interval is narrow enough to tell six teams from five or seven.
    load = queue.offered_load
    assert not low <= erlang_c(SERVERS - 1, load) <= high
    assert not low <= erlang_c(SERVERS + 1, load) <= high


def test_mean_wait_matches_mmc(mmc: Summary) -> None:
    low, high = _interval(mmc.figures["mean_wait"])
    assert low <= MMc(PER_HOUR, SERVICE_MINUTES, SERVERS).mean_wait_minutes() <= high
    assert not low <= MMc(PER_HOUR, SERVICE_MINUTES, SERVERS - 1).mean_wait_minutes() <= high
    assert not low <= MMc(PER_HOUR, SERVICE_MINUTES, SERVERS + 1).mean_wait_minutes() <= high


def test_utilisation_is_offered_load_over_teams(mmc: Summary) -> None:
    low, high = _interval(mmc.figures["utilisation"])
    assert low <= MMc(PER_HOUR, SERVICE_MINUTES, SERVERS).utilization <= high
    assert high - low < 0.01


def test_without_a_queue_limit_every_call_is_served(mmc: Summary) -> None:
    assert mmc.replications == len(ERLANG_SEEDS)
    expected = PER_HOUR * 24 * 7 * ERLANG_WEEKS
    for result in mmc.runs:
        assert abs(result.arrived - expected) < 4 * math.sqrt(expected)
        assert not result.unserved
        assert result.served + result.queued_at_end == result.arrived
    assert len({result.arrived for result in mmc.runs}) > 1, "each replication has its own calls"


# Conservation: every call is served, falls back or is still waiting ----------------------------

DUTY_END = 1500
LAST_FINISH = DUTY_END + 60 + 60 + 45 + 30  # travel, scene, transport and clear at their longest
HORIZON = 1800.0
assert LAST_FINISH < HORIZON  # so no service is cut short by the end of the run

REASONS = {OUTSIDE_HOURS, NO_SKILLED_TEAM, NO_TEAM_ON_DUTY, WAITED_TOO_LONG}
SKILLS = st.frozensets(st.sampled_from(["behavioral_health", "medical_basic"]))
MINUTES = st.lists(st.integers(0, 60), min_size=1, max_size=3).map(
    lambda values: Empirical(tuple(values))
)


@st.composite
def shifts(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    """Disjoint duty spans with gaps between them (or none at all)."""
    edges = sorted(draw(st.sets(st.integers(0, DUTY_END), max_size=8)))
    return tuple(zip(edges[::2], edges[1::2], strict=False))


@st.composite
def random_scenarios(draw: st.DrawFn) -> Scenario:
    """A small scenario: random teams and shifts, calls some of which no team can take."""
    teams = tuple(
        TeamSpec(f"t{k}", draw(SKILLS), draw(shifts())) for k in range(draw(st.integers(1, 3)))
    )
    # On the minute (shift boundaries are whole minutes) or on the half minute.
    halves = draw(st.lists(st.integers(0, 2 * int(HORIZON) - 1), max_size=60))
    calls = tuple(
        SimCall(
            f"c{k}",
            half / 2,
            priority=draw(st.integers(1, 3)),
            skills=draw(SKILLS | st.just(frozenset({"behavioral_health", "transport"}))),
            unserved=draw(st.sampled_from([None, None, None, OUTSIDE_HOURS])),
            police_minutes=draw(st.none() | st.floats(0, 300)),
        )
        for k, half in enumerate(sorted(halves))
    )
    follow_up_share = draw(st.sampled_from([0.0, 0.5, 1.0]))
    transport_share = draw(st.sampled_from([0.0, 0.3]))
    service = ServiceModel(
        travel=draw(MINUTES),
        on_scene=draw(MINUTES),
        clear=draw(st.none() | st.integers(0, 30).map(Fixed)),
        transport_share=transport_share,
        transport=Fixed(45) if transport_share else None,
        backup_rate=draw(st.sampled_from([0.0, 0.1, 1.0])),
        follow_up_share=follow_up_share,
        follow_up=Fixed(draw(st.integers(1, 30))) if follow_up_share else None,
    )
    max_wait = draw(st.integers(1, 120).map(float))
    return Scenario(calls, teams, service, max_wait, HORIZON)


@settings(max_examples=150, deadline=None)
@given(scenario=random_scenarios(), seed=st.integers(0, 2**16))
def test_every_call_is_served_falls_back_or_is_still_queued(scenario: Scenario, seed: int) -> None:
    result = simulate(scenario, seed)
    calls = scenario.calls
    assert result.arrived == len(calls)
    assert result.arrived == accounted(result)
    assert set(result.unserved) <= REASONS
    assert result.unserved[OUTSIDE_HOURS] == sum(1 for c in calls if c.unserved == OUTSIDE_HOURS)
    fleet = [t.skills for t in scenario.teams]
    unskilled = [c for c in calls if c.unserved is None and not any(c.skills <= s for s in fleet)]
    assert result.unserved[NO_SKILLED_TEAM] == len(unskilled)
    assert len(result.dispatch) == len(result.arrival) == result.served
    assert all(0 <= wait <= scenario.max_wait for wait in result.dispatch)
    assert all(a >= d for a, d in zip(result.arrival, result.dispatch, strict=True))
    # Overtime running into a team's next shift counts as overtime, not twice.
    shifts_total = sum(b - a for t in scenario.teams for a, b in t.duty)
    assert result.duty_minutes <= shifts_total <= result.duty_minutes + result.overtime_minutes
    assert result.busy_minutes <= result.duty_minutes + result.overtime_minutes + 1e-9
    assert 0 <= result.follow_ups_done <= result.follow_ups_due
    assert result.backups <= result.served and result.transports <= result.served
    assert simulate(scenario, seed) == result


# Each way a call falls back, on hand-built scenarios with fixed times ---------------------------


def test_a_call_triage_sent_elsewhere_keeps_its_reason() -> None:
    result = run([SimCall("a", 5.5, skills=BH, unserved=OUTSIDE_HOURS)], [team("t")])
    assert (result.arrived, result.served) == (1, 0)
    assert result.unserved == Counter({OUTSIDE_HOURS: 1})
    assert result.busy_minutes == 0


def test_a_call_needing_a_skill_no_team_has_falls_back() -> None:
    calls = [
        SimCall("needs-transport", 5.5, skills=BH | TRANSPORT),
        SimCall("bh", 6.5, skills=BH),
        SimCall("needs-transport-off-duty", 1500.5, skills=TRANSPORT),
    ]
    result = run(calls, [team("t", ((0, 1000),), BH)])
    assert result.unserved == Counter({NO_SKILLED_TEAM: 2})
    assert (result.served, result.dispatch, result.arrival) == (1, [0.0], [10.0])


def test_a_call_when_no_capable_team_is_on_duty_falls_back() -> None:
    teams = [team("bh", ((0, 480),), BH), team("any", ((0, 1440),), frozenset())]
    calls = [
        SimCall("bh-team-off", 600.5, skills=BH),  # the team on duty lacks the skill
        SimCall("plain", 601.5),
        SimCall("everyone-off", 1500.5),
    ]
    result = run(calls, teams)
    assert result.unserved == Counter({NO_TEAM_ON_DUTY: 2})
    assert (result.served, result.dispatch, result.arrival) == (1, [0.0], [10.0])


def test_a_call_waiting_past_the_maximum_falls_back() -> None:
    """One team busy an hour a call: the second call waits exactly the maximum, the third longer."""
    calls = [SimCall("a", 0.5, skills=BH), SimCall("b", 1.5, skills=BH), SimCall("c", 2.5)]
    result = run(calls, [team("t")], max_wait=59.0)
    assert result.served == 2
    assert result.dispatch == [0.0, 59.0]
    assert result.arrival == [10.0, 69.0]
    assert result.unserved == Counter({WAITED_TOO_LONG: 1})
    assert result.queued_at_end == 0
    assert result.busy_minutes == 120.0


def test_a_call_still_waiting_when_the_run_ends_is_queued() -> None:
    calls = [SimCall("a", 0.5), SimCall("b", 1.5)]
    result = run(calls, [team("t")], max_wait=59.0, horizon=50.0)
    assert (result.arrived, result.served, result.queued_at_end) == (2, 1, 1)
    assert not result.unserved


@pytest.mark.parametrize("urgent_skills", [frozenset(), BH], ids=["same-queue", "other-queue"])
def test_the_most_urgent_call_goes_first_then_the_longest_waiting(
    urgent_skills: frozenset[str],
) -> None:
    service = ServiceModel(travel=Fixed(5), on_scene=Fixed(15), backup_rate=0.0)
    calls = [
        SimCall("first", 1.5, priority=3),
        SimCall("routine", 2.5, priority=3),
        SimCall("urgent", 3.5, priority=1, skills=urgent_skills),
        SimCall("urgent-later", 4.5, priority=1),
    ]
    result = run(calls, [team("t")], service=service, max_wait=100.0)
    # The team frees at 21.5, 41.5 and 61.5: urgent (waited 18), urgent-later (37), routine (59).
    assert result.dispatch == [0.0, 18.0, 37.0, 59.0]
    assert result.arrival == [5.0, 23.0, 42.0, 64.0]


def test_follow_ups_wait_behind_calls_and_never_fall_back() -> None:
    service = ServiceModel(
        travel=Fixed(10),
        on_scene=Fixed(20),
        backup_rate=0.0,
        follow_up_share=1.0,
        follow_up=Fixed(5),
    )
    calls = [SimCall("a", 0.5), SimCall("b", 20.5), SimCall("c", 40.5)]
    result = run(calls, [team("t", skills=frozenset())], service=service, max_wait=15.0)
    # a: 0.5-30.5; b waited 10: 30.5-60.5; c waited 20 > 15, falls back; then a's follow-up (it
    # waited 30, more than the maximum), 60.5-75.5, and b's, 75.5-90.5.
    assert result.dispatch == [0.0, 10.0]
    assert result.unserved == Counter({WAITED_TOO_LONG: 1})
    assert (result.follow_ups_due, result.follow_ups_done) == (2, 2)
    assert result.busy_minutes == 30 + 30 + 15 + 15
    assert result.police_minutes_displaced == 2 * 60.0
    assert result.arrived == accounted(result) == 3


def test_backups_transports_and_police_time() -> None:
    calls = [SimCall("a", 0.5, police_minutes=25.0), SimCall("b", 200.5)]
    service = ServiceModel(
        travel=Fixed(10),
        on_scene=Fixed(50),
        clear=Fixed(5),
        transport_share=1.0,
        transport=Fixed(45),
        backup_rate=0.0,
        police_minutes=60.0,
    )
    result = run(calls, [team("t", skills=frozenset())], service=service)
    assert (result.transports, result.backups) == (2, 0)
    assert result.busy_minutes == 2 * (10 + 50 + 45 + 5)
    assert result.police_minutes_displaced == 25.0 + 60.0
    backup = ServiceModel(travel=Fixed(10), on_scene=Fixed(50), backup_rate=1.0)
    backed = run(calls, [team("t", skills=frozenset())], service=backup)
    assert (backed.backups, backed.police_minutes_displaced) == (2, 0.0)


def test_a_call_in_hand_is_finished_as_overtime_and_costed() -> None:
    result = run(
        [SimCall("late", 90.5)],
        [team("t", ((0, 100),), frozenset())],
        horizon=1000.0,
        team_hour_cost=60.0,
        per_call_cost=5.0,
    )
    assert (result.served, result.duty_minutes, result.overtime_minutes) == (1, 100.0, 50.5)
    assert result.busy_minutes == 60.0
    assert result.cost == pytest.approx(100.0 + 5.0)
    assert result.cost_per_served == pytest.approx(105.0)
    assert result.utilisation == pytest.approx(60.0 / (100.0 + 50.5))  # overtime counts as on duty


def test_a_team_finishing_a_call_past_its_shift_is_off_duty() -> None:
    calls = [SimCall("in-hand", 470.0), SimCall("during-overtime", 485.0)]
    result = run(calls, [team("t", ((0, 480),), frozenset())])
    assert (result.served, result.overtime_minutes) == (1, 50.0)
    assert result.unserved == Counter({NO_TEAM_ON_DUTY: 1})


def test_a_call_arriving_as_an_idle_teams_shift_ends_falls_back() -> None:
    """Shifts are half-open: a team on 00:00-08:00 does not take a call at 08:00 (nor crash)."""
    calls = [SimCall("elsewhere", 100.0, unserved=OUTSIDE_HOURS), SimCall("on-the-hour", 480.0)]
    result = run(calls, [team("t", ((0, 480),), frozenset())])
    assert result.unserved == Counter({OUTSIDE_HOURS: 1, NO_TEAM_ON_DUTY: 1})
    assert result.arrived == accounted(result) == 2


# Edge cases found while writing these tests (shift boundaries, the end of the run) -----------


@pytest.mark.parametrize(
    ("calls", "duty", "served"),
    [
        ([SimCall("midnight", 0.0)], ((0, MINUTES_PER_WEEK),), 1),
        ([SimCall("evening", 1260.0), SimCall("six-am", 1800.0)], ((360, 1320), (1800, 2760)), 2),
        ([SimCall("before", 50.0), SimCall("at-the-end", 480.0)], ((100, 480),), 0),
    ],
    ids=["start-of-run", "start-of-shift", "end-of-shift"],
)
def test_a_call_on_a_shift_boundary_follows_the_half_open_shift(
    calls: list[SimCall], duty: tuple[tuple[int, int], ...], served: int
) -> None:
    result = run(calls, [team("t", duty, frozenset())], horizon=float(MINUTES_PER_WEEK))
    assert result.served == served, result.unserved
    assert result.unserved == Counter({NO_TEAM_ON_DUTY: len(calls) - served})


def test_utilisation_never_exceeds_one_when_the_run_ends_mid_call() -> None:
    calls = [SimCall("a", 0.0), SimCall("b", 20.0), SimCall("c", 40.0)]
    result = run(calls, [team("t", ((0, 100),), frozenset())], max_wait=100.0, horizon=100.0)
    assert result.busy_minutes <= result.duty_minutes + result.overtime_minutes
    assert result.utilisation <= 1.0


def test_a_call_past_its_maximum_wait_when_the_run_ends_has_fallen_back() -> None:
    service = ServiceModel(travel=Fixed(10), on_scene=Fixed(100), backup_rate=0.0)
    calls = [SimCall("a", 5.0), SimCall("b", 6.0)]
    result = run(calls, [team("t", ((0, 480),), frozenset())], service=service, horizon=100.0)
    assert result.unserved == Counter({WAITED_TOO_LONG: 1})
    assert result.queued_at_end == 0


# Seeds -----------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_run(sample_scenario: Scenario) -> None:
    first = simulate(sample_scenario, 5)
    assert simulate(sample_scenario, 5) == first
    assert simulate(sample_scenario, 6) != first
    summary = replicate(sample_scenario, 2, 5)
    assert summary.runs == (first, simulate(sample_scenario, 6))
    assert replicate(sample_scenario, 2, 5, workers=2).to_json_dict() == summary.to_json_dict()


def test_summary_matches_the_golden_file(sample: CallSet) -> None:
    got = golden_summary(sample)
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got == want, (
        f"the simulation summary differs from {GOLDEN}. If intended, review it and rewrite the "
        "file: .venv/bin/python tests/test_simulation.py"
    )
    assert want["replications"] == 3 and want["seed"] == 7
    assert want["eligible_calls"] == len(sample.calls)


def test_replications_must_be_one_or_more(sample_scenario: Scenario) -> None:
    with pytest.raises(InputError, match="--replications"):
        replicate(sample_scenario, 0)


def test_estimates_over_replications() -> None:
    assert Estimate.of([]) == Estimate.of([None]) == Estimate(None, None, None)
    assert Estimate.of([2.0, None]) == Estimate(2.0, 2.0, 2.0)
    both = Estimate.of([1.0, 3.0])
    # t(0.975, 1) = 12.706; sd = sqrt(2); half = 12.706 * sqrt(2) / sqrt(2)
    assert both.mean == 2.0
    assert both.low == pytest.approx(2.0 - 12.7062, abs=1e-3)
    assert both.high == pytest.approx(2.0 + 12.7062, abs=1e-3)


# Fleet -----------------------------------------------------------------------------------------


def _days(*names: str) -> tuple[Weekday, ...]:
    return tuple(Weekday(n) for n in names)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("06:00-14:00*3,14:00-22:00*5", [(ALL_DAYS, 360, 840, 3), (ALL_DAYS, 840, 1320, 5)]),
        (" 06:00-14:00 , 14:00-22:00 ", [(ALL_DAYS, 360, 840, None), (ALL_DAYS, 840, 1320, None)]),
        ("mon-fri@08:00-18:00", [(_days("mon", "tue", "wed", "thu", "fri"), 480, 1080, None)]),
        ("SAT+SUN@10:00-16:00*2", [(_days("sat", "sun"), 600, 960, 2)]),
        ("fri-mon@22:00-06:00", [(_days("fri", "sat", "sun", "mon"), 1320, 360, None)]),
    ],
)
def test_parse_shifts(spec: str, expected: list[tuple[Any, ...]]) -> None:
    shifts = parse_shifts(spec)
    got = [(s.window.days, s.window.start, s.window.end, s.count) for s in shifts]
    assert got == expected


def test_a_night_shift_runs_past_midnight_and_the_week_end() -> None:
    (shift,) = parse_shifts("sun@22:00-06:00*2")
    assert shift.window.intervals() == ((0, 360), (9960, 10080))
    assert shift.describe() == "sun 22:00-06:00 x2"


@pytest.mark.parametrize(
    "spec",
    [
        "6:00-14:00",
        "06:00",
        "06:00-14:00*0",
        "funday@06:00-14:00",
        "mon-xyz@06:00-14:00",
        "25:00-26:00",
        "06:00-14:00,",
        "",
    ],
)
def test_a_bad_shift_spec_names_the_option(spec: str) -> None:
    with pytest.raises(InputError, match=r"^--shifts: ") as caught:
        parse_shifts(spec)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)


def test_duty_spans_repeat_each_week_and_join_across_midnight() -> None:
    (night,) = parse_shifts("22:00-06:00")
    spans = duty_spans(night.window.intervals(), 2 * MINUTES_PER_WEEK)
    assert spans[0] == (0, 360)
    assert (9960, 10440) in spans  # Sunday night into the second Monday is one span
    assert len(spans) == 15 and spans[-1] == (20040, 20520)
    assert all(b < a2 for (_, b), (a2, _) in itertools.pairwise(spans))


def test_star_fleet_from_its_program_file(star: Program) -> None:
    fleet = build_fleet(star, 2880.0)
    assert len(fleet.teams) == 16
    assert fleet.team_hours_per_day == 128.0
    assert fleet.shifts == ("star-van: daily 06:00-14:00 x8", "star-van: daily 14:00-22:00 x8")
    first, late = fleet.teams[0], fleet.teams[8]
    assert (first.id, first.skills, first.duty) == (
        "star-van-1-1",
        STAR_SKILLS,
        ((360, 840), (1800, 2280)),
    )
    assert (late.id, late.duty) == ("star-van-2-1", ((840, 1320), (2280, 2760)))


@pytest.mark.parametrize(
    ("teams", "spec", "count", "hours"),
    [
        (3, None, 6, 48.0),
        (0, None, 0, 0.0),
        (2, "06:00-14:00*3,14:00-22:00*5", 8, 64.0),
        (2, "mon-fri@08:00-18:00", 2, 14.29),
        (None, "mon-fri@08:00-18:00", 8, 57.14),
        (None, "00:00-24:00*1", 1, 24.0),
    ],
)
def test_teams_and_shift_overrides(
    star: Program, teams: int | None, spec: str | None, count: int, hours: float
) -> None:
    shifts = parse_shifts(spec) if spec else None
    fleet = build_fleet(star, 2880.0, teams=teams, shifts=shifts)
    assert len(fleet.teams) == count
    assert fleet.team_hours_per_day == hours


def test_negative_teams_is_an_input_error(star: Program) -> None:
    with pytest.raises(InputError, match="--teams"):
        build_fleet(star, 2880.0, teams=-1)


def test_a_program_without_teams_gets_one_team_on_its_hours(star: Program) -> None:
    bare = star.model_copy(update={"teams": ()})
    fleet = build_fleet(bare, 2880.0)
    assert [(t.id, t.skills, t.duty) for t in fleet.teams] == [
        ("team-1-1", STAR_SKILLS, ((360, 1320), (1800, 2760)))
    ]
    assert fleet.team_hours_per_day == 16.0
    assert len(build_fleet(bare, 2880.0, teams=3).teams) == 3
    always = build_fleet(bare.model_copy(update={"hours": None}), 2880.0)
    assert [t.duty for t in always.teams] == [((0, MINUTES_PER_WEEK),)]
    assert always.team_hours_per_day == 24.0


# Staffing search -------------------------------------------------------------------------------

STAFF_TARGET = "served>=0.65,arrival_p90<=45"


@pytest.fixture(scope="module")
def busy_weeks(sample: CallSet) -> CallSet:
    """Two weeks of Sample City's eligible calls at 20,000 a year."""
    return synthetic_calls(sample, 20_000, seed=5, weeks=2)


def _meets(summary: Summary) -> bool:
    served, p90 = summary.figures["served_share"].mean, summary.figures["arrival_p90"].mean
    assert served is not None and p90 is not None
    return served >= 0.65 and p90 <= 45


def test_staffing_search_finds_the_least_fleet_that_meets_the_target(
    star: Program, busy_weeks: CallSet
) -> None:
    base, _ = make_scenario(star, busy_weeks, Choices())
    target = Target.parse(STAFF_TARGET)
    found = staffing_search(base, star, target, range(1, 7), replications=3, seed=11)
    assert [n for n, _, _ in found.sizes] == [1, 2, 3, 4, 5, 6]
    assert [hours for _, hours, _ in found.sizes] == [16.0 * n for n in range(1, 7)]
    best = found.best
    assert best is not None and 1 < best < 6, "a target that tells fleet sizes apart"
    for n, _, summary in found.sizes:
        assert _meets(summary) == target.met(summary)
        if n < best:
            assert not _meets(summary), n
    assert _meets(found.sizes[best - 1][2])
    table = found.to_json_dict()
    assert table["least_teams_per_shift"] == best
    assert table["least_team_hours_per_day"] == 16.0 * best
    parallel = staffing_search(base, star, target, range(1, 7), replications=3, seed=11, workers=2)
    assert parallel.to_json_dict() == table
    assert [s.runs for _, _, s in parallel.sizes] == [s.runs for _, _, s in found.sizes]


def test_staffing_search_when_no_size_meets_the_target(star: Program, busy_weeks: CallSet) -> None:
    base, _ = make_scenario(star, busy_weeks, Choices())
    found = staffing_search(base, star, Target.parse("served>=0.99"), [1, 2], replications=1)
    assert found.best is None
    assert found.to_json_dict()["least_team_hours_per_day"] is None
    with pytest.raises(InputError, match="--max-teams"):
        staffing_search(base, star, Target.parse("served>=0.5"), [], replications=1)


def test_target_parse() -> None:
    assert Target.parse(" served >= 0.9 , arrival_p90<=20,utilization<0.8").conditions == (
        ("served_share", ">=", 0.9),
        ("arrival_p90", "<=", 20.0),
        ("utilisation", "<", 0.8),
    )
    for bad in ("served=0.9", "speed>=1", "served>=-1", ""):
        with pytest.raises(InputError, match=r"^--target: "):
            Target.parse(bad)


# Synthetic arrivals ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic(sample: CallSet) -> CallSet:
    return synthetic_calls(sample, 5000, seed=3)


def test_synthetic_calls_come_at_the_yearly_volume(synthetic: CallSet) -> None:
    assert synthetic.horizon == 52 * MINUTES_PER_WEEK
    assert abs(len(synthetic.calls) - 5000) < 4 * math.sqrt(5000)
    arrivals = [c.arrival for c in synthetic.calls]
    assert arrivals == sorted(arrivals)  # the model takes calls in order
    assert arrivals[0] >= 0 and arrivals[-1] < synthetic.horizon
    assert len({c.call_id for c in synthetic.calls}) == len(synthetic.calls)


def test_synthetic_calls_keep_the_hour_of_week_profile(sample: CallSet, synthetic: CallSet) -> None:
    real, made = hour_of_week_profile(sample), hour_of_week_profile(synthetic)
    assert statistics.correlation(real, made) > 0.9
    assert all(m == 0 for r, m in zip(real, made, strict=True) if r == 0)
    kinds: dict[int, set[tuple[Any, ...]]] = {}
    for call in sample.calls:
        hour = int(call.arrival % MINUTES_PER_WEEK) // 60
        kinds.setdefault(hour, set()).add((call.priority, call.skills, call.unserved))
    for call in synthetic.calls:
        hour = int(call.arrival % MINUTES_PER_WEEK) // 60
        assert (call.priority, call.skills, call.unserved) in kinds[hour]


def test_synthetic_calls_follow_the_seed(sample: CallSet, synthetic: CallSet) -> None:
    assert synthetic_calls(sample, 5000, seed=3) == synthetic
    assert synthetic_calls(sample, 5000, seed=4).calls != synthetic.calls
    four_weeks = synthetic_calls(sample, 5000, seed=3, weeks=4)
    assert four_weeks.horizon == 4 * MINUTES_PER_WEEK
    assert abs(len(four_weeks.calls) - 5000 * 4 / 52) < 4 * math.sqrt(5000 * 4 / 52)
    with pytest.raises(InputError, match="--calls-per-year"):
        synthetic_calls(sample, 0, seed=3)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        summary = golden_summary(sample_city_calls(Path(tmp)))
    GOLDEN.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
