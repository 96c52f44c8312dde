"""Queueing formulas checked against textbook factorial forms computed exactly with Fraction."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altresponse.errors import AltResponseError
from altresponse.simulation.queueing import MMc, MMcPlusM, erlang_b, erlang_c, servers_needed


def textbook_erlang_b(servers: int, load: Fraction) -> Fraction:
    """B = (a^c/c!) / Σ_{k<=c} a^k/k!, exactly."""
    terms = [load**k / math.factorial(k) for k in range(servers + 1)]
    return terms[-1] / sum(terms)


def textbook_erlang_c(servers: int, load: Fraction) -> Fraction:
    """C = (a^c/c!)·c/(c − a) / (Σ_{k<c} a^k/k! + (a^c/c!)·c/(c − a)), exactly."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    return top / (sum(load**k / math.factorial(k) for k in range(servers)) + top)


def poisson_pmf(n: int, mean: float) -> float:
    return math.exp(-mean) * mean**n / math.factorial(n)


def birth_death_erlang_a(
    arrivals_per_minute: float, service: float, servers: int, patience: float, states: int
) -> list[float]:
    """Stationary distribution of M/M/c+M by solving the truncated balance equations directly."""
    weights = [1.0]
    for n in range(1, states):
        deaths = min(n, servers) / service + max(n - servers, 0) / patience
        weights.append(weights[-1] * arrivals_per_minute / deaths)
    total = sum(weights)
    return [w / total for w in weights]


# --- known values -------------------------------------------------------------------------------


def test_thirty_calls_an_hour_five_minutes_six_teams_wait_probability() -> None:
    queue = MMc(arrival_rate=30, mean_service_minutes=5, servers=6)
    expected = float(textbook_erlang_c(6, Fraction(30 * 5, 60)))
    assert queue.offered_load == pytest.approx(2.5)
    assert queue.utilization == pytest.approx(2.5 / 6)
    assert queue.wait_probability() == pytest.approx(expected, abs=5e-4)
    assert round(queue.wait_probability(), 3) == 0.047


@pytest.mark.parametrize(
    ("servers", "load", "table"),
    [(10, 5.0, 0.018385), (1, 1.0, 0.5), (2, 1.0, 0.2), (5, 2.0, 0.036697), (20, 15.0, 0.045593)],
)
def test_erlang_b_matches_table(servers: int, load: float, table: float) -> None:
    assert erlang_b(servers, load) == pytest.approx(table, abs=5e-6)
    exact = float(textbook_erlang_b(servers, Fraction(load)))
    assert erlang_b(servers, load) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize(("servers", "load"), [(1, 0.5), (3, 2.9), (6, 2.5), (40, 33.3), (90, 0.7)])
def test_erlang_c_matches_textbook_formula(servers: int, load: float) -> None:
    exact = float(textbook_erlang_c(servers, Fraction(load)))
    assert erlang_c(servers, load) == pytest.approx(exact, rel=1e-10)


def test_single_server_is_utilization() -> None:
    # M/M/1: a caller waits exactly when the one team is busy, probability ρ.
    assert MMc(arrival_rate=9, mean_service_minutes=4, servers=1).wait_probability() == (
        pytest.approx(0.6)
    )


def test_wait_beyond_zero_minutes_is_wait_probability() -> None:
    queue = MMc(arrival_rate=30, mean_service_minutes=5, servers=6)
    assert queue.wait_exceeds(0) == queue.wait_probability()
    assert queue.served_within(0) == pytest.approx(1 - queue.wait_probability())


def test_wait_tail_and_mean_match_rates_per_hour() -> None:
    queue = MMc(arrival_rate=30, mean_service_minutes=5, servers=6)
    service_rate = 60 / 5  # calls a team finishes per hour
    hours = 2 / 60
    tail = queue.wait_probability() * math.exp(-(6 * service_rate - 30) * hours)
    assert queue.wait_exceeds(2) == pytest.approx(tail, rel=1e-12)
    assert queue.served_within(2) == pytest.approx(1 - tail, rel=1e-12)
    mean_hours = queue.wait_probability() / (6 * service_rate - 30)
    assert queue.mean_wait_minutes() == pytest.approx(mean_hours * 60, rel=1e-12)


def test_erlang_b_edges() -> None:
    assert erlang_b(0, 3.0) == 1.0  # no teams: every call is blocked
    assert erlang_b(4, 0.0) == 0.0
    assert erlang_c(4, 0.0) == 0.0


# --- large systems ------------------------------------------------------------------------------


@pytest.mark.parametrize(("servers", "load"), [(300, 280.0), (500, 400.0), (500, 499.5)])
def test_large_systems_stay_finite_and_exact(servers: int, load: float) -> None:
    queue = MMc(arrival_rate=load, mean_service_minutes=60, servers=servers)
    probability = queue.wait_probability()
    assert math.isfinite(probability)
    assert 0 <= probability <= 1
    exact = float(textbook_erlang_c(servers, Fraction(load)))
    assert probability == pytest.approx(exact, rel=1e-9)
    assert math.isfinite(queue.mean_wait_minutes())


def test_erlang_b_with_tiny_load_and_many_servers_underflows_to_zero_not_nan() -> None:
    assert erlang_b(500, 0.01) == 0.0
    assert erlang_c(500, 0.01) == 0.0


# --- properties ---------------------------------------------------------------------------------

loads = st.floats(min_value=0.01, max_value=400, allow_nan=False)
server_counts = st.integers(min_value=1, max_value=500)


@given(servers=server_counts, load=loads)
@settings(deadline=None)
def test_more_servers_never_raise_wait_probability(servers: int, load: float) -> None:
    fewer, more = erlang_c(servers, load), erlang_c(servers + 1, load)
    assert 0 <= more <= fewer <= 1
    if load < servers and fewer > 1e-12:
        assert more < fewer


@given(servers=server_counts, load=loads)
@settings(deadline=None)
def test_erlang_c_is_at_least_erlang_b_and_a_probability(servers: int, load: float) -> None:
    blocking, waiting = erlang_b(servers, load), erlang_c(servers, load)
    assert 0 <= blocking <= waiting <= 1


@given(
    servers=st.integers(min_value=1, max_value=60),
    rate=st.floats(min_value=0.1, max_value=300),
    service=st.floats(min_value=0.5, max_value=120),
    earlier=st.floats(min_value=0, max_value=60),
    later=st.floats(min_value=0, max_value=60),
)
@settings(deadline=None)
def test_wait_tail_falls_with_minutes_and_servers(
    servers: int, rate: float, service: float, earlier: float, later: float
) -> None:
    earlier, later = sorted((earlier, later))
    queue = MMc(arrival_rate=rate, mean_service_minutes=service, servers=servers)
    bigger = MMc(arrival_rate=rate, mean_service_minutes=service, servers=servers + 1)
    assert queue.wait_exceeds(later) <= queue.wait_exceeds(earlier) <= 1
    assert bigger.wait_exceeds(earlier) <= queue.wait_exceeds(earlier)
    assert queue.served_within(earlier) == pytest.approx(1 - queue.wait_exceeds(earlier))


# --- staffing -----------------------------------------------------------------------------------


def assert_least(rate: float, service: float, wait: float, target: float) -> int:
    needed = servers_needed(rate, service, max_wait_minutes=wait, target=target)
    enough = MMc(arrival_rate=rate, mean_service_minutes=service, servers=needed)
    assert enough.stable
    assert enough.served_within(wait) >= target
    if needed > 1:
        short = MMc(arrival_rate=rate, mean_service_minutes=service, servers=needed - 1)
        assert not short.stable or short.served_within(wait) < target
    return needed


def test_servers_needed_for_the_worked_example() -> None:
    # a = 2.5 Erlangs: 4 teams reach ~76% of calls within a minute, 5 teams ~92%.
    assert assert_least(30, 5, wait=1, target=0.9) == 5
    four = MMc(arrival_rate=30, mean_service_minutes=5, servers=4)
    assert four.served_within(1) == pytest.approx(0.763, abs=5e-4)


def test_servers_needed_only_asks_for_stability_when_the_target_is_lax() -> None:
    # a = 4 Erlangs: 5 teams is the first stable count and easily meets a 10% target.
    assert servers_needed(48, 5, max_wait_minutes=30, target=0.1) == 5


@given(
    rate=st.floats(min_value=0.1, max_value=400),
    service=st.floats(min_value=1, max_value=90),
    wait=st.floats(min_value=0, max_value=30),
    target=st.floats(min_value=0.05, max_value=0.99),
)
@settings(deadline=None)
def test_servers_needed_is_the_least_count_meeting_the_target(
    rate: float, service: float, wait: float, target: float
) -> None:
    assert_least(rate, service, wait, target)


def test_no_calls_need_no_teams() -> None:
    assert servers_needed(0, 5, max_wait_minutes=1) == 0


def test_servers_needed_gives_up_at_the_limit() -> None:
    with pytest.raises(ValueError, match="limit=10"):
        servers_needed(600, 5, max_wait_minutes=1, limit=10)


@pytest.mark.parametrize("target", [0, 1, 1.5, -0.1, math.nan])
def test_servers_needed_rejects_targets_outside_zero_one(target: float) -> None:
    with pytest.raises(ValueError, match="target"):
        servers_needed(30, 5, max_wait_minutes=1, target=target)


@pytest.mark.parametrize(
    ("field", "rate", "service", "wait", "limit"),
    [
        ("arrival_rate", -1.0, 5.0, 1.0, 100),
        ("arrival_rate", math.nan, 5.0, 1.0, 100),
        ("mean_service_minutes", 30.0, 0.0, 1.0, 100),
        ("max_wait_minutes", 30.0, 5.0, -1.0, 100),
        ("limit", 30.0, 5.0, 1.0, 0),
    ],
)
def test_servers_needed_rejects_bad_inputs(
    field: str, rate: float, service: float, wait: float, limit: int
) -> None:
    with pytest.raises(ValueError, match=field):
        servers_needed(rate, service, max_wait_minutes=wait, limit=limit)


# --- instability and validation -----------------------------------------------------------------


@pytest.mark.parametrize("servers", [4, 5])
def test_unstable_queue_always_waits(servers: int) -> None:
    queue = MMc(arrival_rate=60, mean_service_minutes=5, servers=servers)  # a = 5 Erlangs
    assert not queue.stable
    assert queue.utilization >= 1
    assert queue.wait_probability() == 1.0
    assert queue.wait_exceeds(30) == 1.0
    assert queue.served_within(30) == 0.0
    assert queue.mean_wait_minutes() == math.inf


def test_stable_just_above_the_load() -> None:
    queue = MMc(arrival_rate=60, mean_service_minutes=5, servers=6)
    assert queue.stable
    assert queue.wait_probability() < 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("arrival_rate", 0),
        ("arrival_rate", -3),
        ("arrival_rate", math.nan),
        ("arrival_rate", math.inf),
        ("mean_service_minutes", 0),
        ("mean_service_minutes", -5),
        ("servers", 0),
        ("servers", 2.5),
        ("servers", True),
    ],
)
def test_mmc_rejects_bad_fields_by_name(field: str, value: float) -> None:
    fields: dict[str, float] = {"arrival_rate": 30, "mean_service_minutes": 5, "servers": 6}
    fields[field] = value
    with pytest.raises(ValueError, match=field) as raised:
        MMc(**fields)  # type: ignore[arg-type]
    assert isinstance(raised.value, AltResponseError)


def test_negative_minutes_rejected() -> None:
    with pytest.raises(ValueError, match="minutes"):
        MMc(arrival_rate=30, mean_service_minutes=5, servers=6).wait_exceeds(-1)


@pytest.mark.parametrize(
    ("servers", "load", "field"), [(-1, 2.0, "servers"), (3, -2.0, "offered_load")]
)
def test_erlang_functions_reject_bad_inputs(servers: int, load: float, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        erlang_b(servers, load)
    with pytest.raises(ValueError, match=field):
        erlang_c(servers, load)


def test_erlang_c_needs_a_server() -> None:
    with pytest.raises(ValueError, match="servers"):
        erlang_c(0, 1.0)


# --- Erlang A -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("servers", "load"), [(3, 2.0), (6, 2.5), (10, 14.0), (40, 35.0)])
def test_erlang_a_with_patience_equal_to_service_is_poisson(servers: int, load: float) -> None:
    # When callers leave the queue as fast as teams finish calls, N is Poisson(a) like M/M/∞.
    queue = MMcPlusM(
        arrival_rate=load * 60 / 10,
        mean_service_minutes=10,
        servers=servers,
        mean_patience_minutes=10,
    )
    below = [poisson_pmf(n, load) for n in range(servers)]
    waiting = 1 - sum(below)
    queued = load - servers + sum((servers - n) * p for n, p in enumerate(below))
    assert queue.wait_probability() == pytest.approx(waiting, rel=1e-9)
    assert queue.mean_queue_length() == pytest.approx(queued, rel=1e-9)
    assert queue.abandon_probability() == pytest.approx(queued / load, rel=1e-9)


@pytest.mark.parametrize(("servers", "load"), [(6, 2.5), (20, 18.0), (300, 280.0)])
def test_erlang_a_with_endless_patience_is_erlang_c(servers: int, load: float) -> None:
    queue = MMcPlusM(
        arrival_rate=load, mean_service_minutes=60, servers=servers, mean_patience_minutes=1e9
    )
    assert queue.wait_probability() == pytest.approx(erlang_c(servers, load), rel=1e-5)
    plain = MMc(arrival_rate=load, mean_service_minutes=60, servers=servers)
    assert queue.mean_wait_minutes() == pytest.approx(plain.mean_wait_minutes(), rel=1e-5)


@pytest.mark.parametrize(
    ("rate", "service", "servers", "patience"),
    [(30, 5, 2, 3), (120, 12, 20, 4), (40, 20, 5, 30), (10, 30, 3, 1)],
)
def test_erlang_a_matches_direct_balance_equations(
    rate: float, service: float, servers: int, patience: float
) -> None:
    distribution = birth_death_erlang_a(rate / 60, service, servers, patience, states=4000)
    queue = MMcPlusM(
        arrival_rate=rate,
        mean_service_minutes=service,
        servers=servers,
        mean_patience_minutes=patience,
    )
    waiting = sum(distribution[servers:])
    queued = sum((n - servers) * p for n, p in enumerate(distribution) if n > servers)
    busy = sum(min(n, servers) * p for n, p in enumerate(distribution))
    assert queue.wait_probability() == pytest.approx(waiting, rel=1e-9)
    assert queue.mean_queue_length() == pytest.approx(queued, rel=1e-9)
    assert queue.mean_busy_servers() == pytest.approx(busy, rel=1e-9)


@given(
    servers=st.integers(min_value=1, max_value=300),
    load=st.floats(min_value=0.05, max_value=400),
    patience=st.floats(min_value=0.5, max_value=120),
)
@settings(deadline=None, max_examples=60)
def test_erlang_a_conserves_calls(servers: int, load: float, patience: float) -> None:
    queue = MMcPlusM(
        arrival_rate=load * 6,
        mean_service_minutes=10,
        servers=servers,
        mean_patience_minutes=patience,
    )
    abandon = queue.abandon_probability()
    assert 0 <= abandon <= queue.wait_probability() <= 1
    # Calls served per service time equal busy teams; teams cannot exceed c.
    assert queue.mean_busy_servers() == pytest.approx(load * (1 - abandon), rel=1e-9, abs=1e-12)
    assert queue.mean_busy_servers() <= servers * (1 + 1e-12)
    assert abandon >= 1 - servers / load - 1e-9


def test_erlang_a_stays_finite_when_badly_overloaded() -> None:
    queue = MMcPlusM(
        arrival_rate=6000, mean_service_minutes=5, servers=400, mean_patience_minutes=60
    )
    assert queue.wait_probability() == pytest.approx(1.0)
    assert queue.abandon_probability() == pytest.approx(0.2, rel=1e-6)  # 1 − c/a
    assert math.isfinite(queue.mean_wait_minutes())


def test_erlang_a_rejects_bad_patience() -> None:
    with pytest.raises(ValueError, match="mean_patience_minutes"):
        MMcPlusM(arrival_rate=30, mean_service_minutes=5, servers=6, mean_patience_minutes=0)
