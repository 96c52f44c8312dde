"""Time distributions in minutes: fixed, exponential, lognormal, empirical and zero-inflated.

`sample` is called about a million times per simulated year, so it uses `random.Random` only.
simulation/times.py fits them to real dispatch records.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from typing import Protocol

from altresponse.errors import InputError

_NORMAL = statistics.NormalDist()


def _finite(name: str, value: float, *, minimum: float | None = None, above: bool = False) -> None:
    """Raise InputError naming the field unless value is a finite number in range."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and minimum is not None:
        ok = value > minimum if above else value >= minimum
    if not ok:
        bound = "" if minimum is None else f" {'above' if above else 'of at least'} {minimum:g}"
        raise InputError(f"{name} must be a finite number{bound}, got {value!r}")


def _check_q(q: float) -> None:
    """Raise InputError unless q is a probability."""
    if not (isinstance(q, int | float) and 0.0 <= q <= 1.0):
        raise InputError(f"q must be between 0 and 1, got {q!r}")


class TimeDistribution(Protocol):
    """A time in minutes: drawn by the simulation, summarised for reports."""

    def sample(self, rng: random.Random) -> float:
        """One draw, in minutes."""
        ...

    @property
    def mean(self) -> float:
        """The expected value, in minutes."""
        ...

    @property
    def median(self) -> float:
        """The 50th percentile, in minutes."""
        ...

    def quantile(self, q: float) -> float:
        """The q-th quantile (0 <= q <= 1), in minutes."""
        ...

    def describe(self) -> str:
        """One line for people, e.g. `lognormal(mu=2.69, sigma=0.71): median 14.7 min`."""
        ...


@dataclass(frozen=True, slots=True)
class Fixed:
    """Always the same time; for tests and for steps that take a set time."""

    value: float

    def __post_init__(self) -> None:
        _finite("value", self.value, minimum=0.0)

    def sample(self, rng: random.Random) -> float:
        """The value."""
        return self.value

    @property
    def mean(self) -> float:
        """The value."""
        return self.value

    @property
    def median(self) -> float:
        """The value."""
        return self.value

    def quantile(self, q: float) -> float:
        """The value, whatever q."""
        _check_q(q)
        return self.value

    def describe(self) -> str:
        """E.g. `fixed 10 min`."""
        return f"fixed {self.value:g} min"


@dataclass(frozen=True, slots=True)
class Exponential:
    """Memoryless times of the given mean; what M/M/c assumes, to check the model on Erlang C."""

    mean: float

    def __post_init__(self) -> None:
        _finite("mean", self.mean, minimum=0.0, above=True)

    def sample(self, rng: random.Random) -> float:
        """One draw."""
        return rng.expovariate(1.0 / self.mean)

    @property
    def median(self) -> float:
        """mean x ln 2."""
        return self.mean * math.log(2.0)

    def quantile(self, q: float) -> float:
        """-mean x ln(1 - q); infinite at q = 1."""
        _check_q(q)
        return math.inf if q == 1.0 else -self.mean * math.log1p(-q)

    def describe(self) -> str:
        """E.g. `exponential: mean 30 min`."""
        return f"exponential: mean {self.mean:.4g} min"


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Times whose natural log (of minutes) is normal with mean mu and standard deviation sigma."""

    mu: float
    sigma: float

    def __post_init__(self) -> None:
        _finite("mu", self.mu)
        _finite("sigma", self.sigma, minimum=0.0, above=True)

    def sample(self, rng: random.Random) -> float:
        """One draw."""
        return rng.lognormvariate(self.mu, self.sigma)

    @property
    def mean(self) -> float:
        """exp(mu + sigma^2 / 2)."""
        return math.exp(self.mu + self.sigma * self.sigma / 2.0)

    @property
    def median(self) -> float:
        """exp(mu)."""
        return math.exp(self.mu)

    def quantile(self, q: float) -> float:
        """exp(mu + sigma z_q); 0 at q = 0 and infinite at q = 1."""
        _check_q(q)
        if q in (0.0, 1.0):
            return 0.0 if q == 0.0 else math.inf
        return math.exp(self.mu + self.sigma * _NORMAL.inv_cdf(q))

    def cdf(self, x: float) -> float:
        """The share of times at or below x minutes."""
        return 0.0 if x <= 0.0 else _NORMAL.cdf((math.log(x) - self.mu) / self.sigma)

    def describe(self) -> str:
        """E.g. `lognormal(mu=2.689, sigma=0.7133): median 14.7 min, mean 19 min`."""
        return (
            f"lognormal(mu={self.mu:.4g}, sigma={self.sigma:.4g}): "
            f"median {self.median:.3g} min, mean {self.mean:.3g} min"
        )


@dataclass(frozen=True, slots=True)
class Empirical:
    """Resamples observed times with equal weight; the values are kept sorted."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.values, tuple) or not self.values:
            raise InputError("values must be a non-empty tuple of times in minutes")
        for value in self.values:
            _finite("values", value, minimum=0.0)
        object.__setattr__(self, "values", tuple(sorted(float(v) for v in self.values)))

    def sample(self, rng: random.Random) -> float:
        """One of the values, each as likely."""
        return rng.choice(self.values)

    @property
    def mean(self) -> float:
        """The mean of the values."""
        return statistics.fmean(self.values)

    @property
    def median(self) -> float:
        """The median of the values."""
        return self.quantile(0.5)

    def quantile(self, q: float) -> float:
        """Linear interpolation between order statistics (numpy's default, DuckDB quantile_cont)."""
        _check_q(q)
        position = (len(self.values) - 1) * q
        low = math.floor(position)
        if low + 1 >= len(self.values):
            return self.values[-1]
        return self.values[low] + (position - low) * (self.values[low + 1] - self.values[low])

    def describe(self) -> str:
        """E.g. `empirical (4,202 values): median 14 min, mean 16.8 min`."""
        return (
            f"empirical ({len(self.values):,} values): "
            f"median {self.median:.3g} min, mean {self.mean:.3g} min"
        )


@dataclass(frozen=True, slots=True)
class ZeroInflated:
    """Zero minutes with probability zero_share, otherwise a draw from base."""

    zero_share: float
    base: TimeDistribution

    def __post_init__(self) -> None:
        _finite("zero_share", self.zero_share, minimum=0.0)
        if self.zero_share >= 1.0:
            raise InputError(f"zero_share must be below 1, got {self.zero_share!r}")

    def sample(self, rng: random.Random) -> float:
        """One draw."""
        return 0.0 if rng.random() < self.zero_share else self.base.sample(rng)

    @property
    def mean(self) -> float:
        """(1 - zero_share) x the base mean."""
        return (1.0 - self.zero_share) * self.base.mean

    @property
    def median(self) -> float:
        """The 50th percentile."""
        return self.quantile(0.5)

    def quantile(self, q: float) -> float:
        """0 up to zero_share, then the base's quantile of the rest."""
        _check_q(q)
        if q <= self.zero_share:
            return 0.0
        return self.base.quantile((q - self.zero_share) / (1.0 - self.zero_share))

    def describe(self) -> str:
        """E.g. `10.7% zero, else lognormal(...)`."""
        return f"{self.zero_share:.1%} zero, else {self.base.describe()}"
