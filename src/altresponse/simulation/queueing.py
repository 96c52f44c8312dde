"""Instant queueing formulas (Erlang B, Erlang C, M/M/c, Erlang A) for staffing crisis teams.

Erlang C comes from the Erlang B recursion rather than factorials, so it stays finite and
accurate for hundreds of servers and offered loads in the hundreds of Erlangs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from altresponse.errors import InputError

__all__ = ["MMc", "MMcPlusM", "erlang_b", "erlang_c", "servers_needed"]

_MINUTES_PER_HOUR = 60.0
_TAIL_LOG_CUTOFF = 80.0
"""Erlang A tail terms below exp(-80) of the largest term change no double-precision result."""
_TAIL_MAX_TERMS = 2_000_000


def _require_positive(name: str, value: float) -> None:
    """Raise InputError naming the field unless value is a finite number above zero."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise InputError(f"{name} must be a finite number greater than 0, got {value!r}")


def _require_non_negative(name: str, value: float) -> None:
    """Raise InputError naming the field unless value is a finite number of at least zero."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise InputError(f"{name} must be a finite number of at least 0, got {value!r}")


def _require_count(name: str, value: int, minimum: int) -> None:
    """Raise InputError naming the field unless value is an int of at least minimum."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InputError(f"{name} must be a whole number of at least {minimum}, got {value!r}")


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of M/M/c/c (Erlang B) by the stable recursion B(k) from B(k-1)."""
    _require_count("servers", servers, 0)
    _require_non_negative("offered_load", offered_load)
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return blocking


def _erlang_c_from_b(servers: int, offered_load: float, blocking: float) -> float:
    """Erlang C from the Erlang B value for the same servers and load; 1.0 when unstable."""
    if offered_load >= servers:
        return 1.0
    return servers * blocking / (servers - offered_load * (1.0 - blocking))


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability an arrival waits in M/M/c (Erlang C); 1.0 when the queue is unstable."""
    _require_count("servers", servers, 1)
    return _erlang_c_from_b(servers, offered_load, erlang_b(servers, offered_load))


def _wait_exceeds(
    servers: int, offered_load: float, wait_probability: float, minutes: float, service: float
) -> float:
    """P(W > t) = C·exp(-(c·μ − λ)·t), written with the load: (c − a)/s per minute."""
    if offered_load >= servers:
        return 1.0
    return wait_probability * math.exp(-(servers - offered_load) * minutes / service)


@dataclass(frozen=True)
class MMc:
    """An M/M/c queue: Poisson calls per hour, exponential service, c identical teams."""

    arrival_rate: float
    """Calls per hour."""
    mean_service_minutes: float
    """Mean time a team spends on one call, travel and wrap-up included."""
    servers: int
    """Teams on duty at once."""

    def __post_init__(self) -> None:
        """Reject non-positive rates and fewer than one server, naming the field."""
        _require_positive("arrival_rate", self.arrival_rate)
        _require_positive("mean_service_minutes", self.mean_service_minutes)
        _require_count("servers", self.servers, 1)

    @property
    def offered_load(self) -> float:
        """Offered load in Erlangs: a = λ·s, the mean number of teams the calls keep busy."""
        return self.arrival_rate * self.mean_service_minutes / _MINUTES_PER_HOUR

    @property
    def utilization(self) -> float:
        """Share of team time the calls ask for, a/c; at or above 1 the queue grows forever."""
        return self.offered_load / self.servers

    @property
    def stable(self) -> bool:
        """Whether the queue has a steady state (a < c)."""
        return self.offered_load < self.servers

    def wait_probability(self) -> float:
        """Probability a call waits for a team (Erlang C); 1.0 when unstable."""
        return erlang_c(self.servers, self.offered_load)

    def wait_exceeds(self, minutes: float) -> float:
        """Probability a call waits longer than minutes, P(W > t); 1.0 when unstable."""
        _require_non_negative("minutes", minutes)
        return _wait_exceeds(
            self.servers,
            self.offered_load,
            self.wait_probability(),
            minutes,
            self.mean_service_minutes,
        )

    def served_within(self, minutes: float) -> float:
        """Probability a team reaches a call within minutes of it queueing, P(W <= t)."""
        return 1.0 - self.wait_exceeds(minutes)

    def mean_wait_minutes(self) -> float:
        """Mean wait for a team over all calls, C·s/(c − a); infinite when unstable."""
        if not self.stable:
            return math.inf
        return (
            self.wait_probability() * self.mean_service_minutes / (self.servers - self.offered_load)
        )


def servers_needed(
    arrival_rate: float,
    mean_service_minutes: float,
    *,
    max_wait_minutes: float,
    target: float = 0.9,
    limit: int = 1000,
) -> int:
    """Least number of teams with a stable queue and P(W <= max_wait_minutes) >= target."""
    _require_non_negative("arrival_rate", arrival_rate)
    _require_positive("mean_service_minutes", mean_service_minutes)
    _require_non_negative("max_wait_minutes", max_wait_minutes)
    if not (isinstance(target, int | float) and 0 < target < 1):
        raise InputError(f"target must be a probability strictly between 0 and 1, got {target!r}")
    _require_count("limit", limit, 1)
    if arrival_rate == 0:
        return 0
    load = arrival_rate * mean_service_minutes / _MINUTES_PER_HOUR
    blocking = 1.0
    for servers in range(1, limit + 1):
        # Same recursion as erlang_b, so the answer agrees exactly with MMc(...).served_within.
        blocking = load * blocking / (servers + load * blocking)
        if load >= servers:
            continue
        waits = _erlang_c_from_b(servers, load, blocking)
        late = _wait_exceeds(servers, load, waits, max_wait_minutes, mean_service_minutes)
        if 1.0 - late >= target:
            return servers
    raise InputError(
        f"no staffing up to limit={limit} servers answers {target:.0%} of calls within "
        f"{max_wait_minutes:g} minutes (offered load {load:.1f} Erlangs); raise limit"
    )


@dataclass(frozen=True)
class _Tail:
    """Erlang A queue sums relative to the state with all c teams busy, scaled by exp(-scale).

    With w(c) = 1 and w(c+k) = Π_{j=1..k} a/(c + j·s/p), weight = Σ_{k>=1} w(c+k) and
    queued = Σ_{k>=1} k·w(c+k), both multiplied by exp(-scale) to keep them finite.
    """

    weight: float
    queued: float
    scale: float


def _abandonment_tail(servers: int, offered_load: float, patience_ratio: float) -> _Tail:
    """Sum the queue states of M/M/c+M in log space until further terms cannot matter."""
    scale = 0.0  # log of the largest term seen; the k = 0 term is w(c) = 1
    weight = 0.0
    queued = 0.0
    log_term = 0.0
    for k in range(1, _TAIL_MAX_TERMS + 1):
        departures = servers + k * patience_ratio
        log_term += math.log(offered_load / departures)
        if log_term > scale:
            shrink = math.exp(scale - log_term)
            weight, queued, scale = weight * shrink, queued * shrink, log_term
        weight += math.exp(log_term - scale)
        queued += k * math.exp(log_term - scale)
        # Once departures outpace arrivals the terms only shrink, so a tiny one ends the sum.
        if departures > offered_load and log_term < scale - _TAIL_LOG_CUTOFF:
            return _Tail(weight, queued, scale)
    raise InputError(
        "mean_patience_minutes is too long for this overload to sum the queue; "
        "use MMc or a shorter patience"
    )


@dataclass(frozen=True)
class MMcPlusM:
    """Erlang A (M/M/c+M): an M/M/c queue whose callers hang up after exponential patience."""

    arrival_rate: float
    """Calls per hour."""
    mean_service_minutes: float
    """Mean time a team spends on one call."""
    servers: int
    """Teams on duty at once."""
    mean_patience_minutes: float
    """Mean time a waiting caller stays before abandoning (hanging up or going elsewhere)."""

    def __post_init__(self) -> None:
        """Reject non-positive rates and fewer than one server, naming the field."""
        _require_positive("arrival_rate", self.arrival_rate)
        _require_positive("mean_service_minutes", self.mean_service_minutes)
        _require_count("servers", self.servers, 1)
        _require_positive("mean_patience_minutes", self.mean_patience_minutes)

    @property
    def offered_load(self) -> float:
        """Offered load in Erlangs, a = λ·s."""
        return self.arrival_rate * self.mean_service_minutes / _MINUTES_PER_HOUR

    def _parts(self) -> tuple[float, _Tail, float]:
        """Erlang B for the busy states, the queue tail, and their common denominator."""
        load = self.offered_load
        blocking = erlang_b(self.servers, load)
        tail = _abandonment_tail(
            self.servers, load, self.mean_service_minutes / self.mean_patience_minutes
        )
        # P(all busy) = B/(1 + B·T); with T scaled by exp(-scale) it is B·e^-s/(e^-s + B·T').
        denominator = math.exp(-tail.scale) + blocking * tail.weight
        return blocking, tail, denominator

    def wait_probability(self) -> float:
        """Probability a call finds every team busy and waits (it may then abandon)."""
        blocking, tail, denominator = self._parts()
        return blocking * (math.exp(-tail.scale) + tail.weight) / denominator

    def mean_queue_length(self) -> float:
        """Mean number of callers waiting for a team."""
        blocking, tail, denominator = self._parts()
        return blocking * tail.queued / denominator

    def mean_wait_minutes(self) -> float:
        """Mean time in queue over all calls, those who abandon included (Little's law)."""
        return self.mean_queue_length() * _MINUTES_PER_HOUR / self.arrival_rate

    def abandon_probability(self) -> float:
        """Share of calls that give up before a team takes them, θ·E[Q]/λ."""
        return self.mean_wait_minutes() / self.mean_patience_minutes

    def mean_busy_servers(self) -> float:
        """Mean number of busy teams, the carried load; equals a·(1 − P(abandon))."""
        blocking, tail, denominator = self._parts()
        load = self.offered_load
        below = load * (1.0 - blocking) * math.exp(-tail.scale)
        return (below + self.servers * blocking * tail.weight) / denominator
