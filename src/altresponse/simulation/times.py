"""Time distributions in minutes for the staffing simulation, fitted to real dispatch records.

A call's times are three intervals: request to dispatch, dispatch to arrival on scene, and on
scene (arrival to the team's departure). Each is fitted as a zero-inflated lognormal: records
are to the minute, and a recorded zero is a real outcome (Lane County's team had arrived "at
once" on 11% of its dispatches, against under 1% at one minute), so the share of zeros is kept
as a point mass and the lognormal is fitted by maximum likelihood to the positive values alone.
docs/simulation.md explains the choice and gives the fit to Lane County's mobile crisis team.

`sample` is called about a million times per simulated year, so it uses `random.Random` only.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from altresponse.errors import InputError
from altresponse.simulation.distributions import (
    Empirical,
    Exponential,
    Fixed,
    LogNormal,
    TimeDistribution,
    ZeroInflated,
    _finite,
)

__all__ = [
    "DEFAULT_TIMES",
    "Empirical",
    "Exponential",
    "FitSummary",
    "FittedTimes",
    "Fixed",
    "LogNormal",
    "TimeDistribution",
    "ZeroInflated",
    "fit_lognormal",
    "fit_minutes",
    "fit_times",
    "ks_distance",
]

MIN_RECORDS = 30
"""Fewer usable records than this for a time and the fit is refused."""
MAX_MINUTES = 24 * 60.0
"""An interval of a day or more is a typing slip in a date (a dispatch four days after the
request, a departure in 2005), not a time a crisis team takes; it is dropped like a negative."""
SEGMENTS = (
    ("request_to_dispatch", "received_at", "dispatched_at"),
    ("dispatch_to_arrival", "dispatched_at", "arrived_at"),
    ("on_scene", "arrived_at", "cleared_at"),
)
"""Each fitted time: its name, and the canonical call fields it runs from and to."""


def fit_lognormal(values: Iterable[float]) -> LogNormal:
    """Maximum-likelihood lognormal: the mean and population standard deviation of the logs."""
    logs: list[float] = []
    for value in values:
        _finite("values", value, minimum=0.0, above=True)
        logs.append(math.log(value))
    if len(logs) < 2:
        raise InputError(f"values: a lognormal needs at least 2 positive times, got {len(logs)}")
    mu = statistics.fmean(logs)
    sigma = statistics.pstdev(logs, mu)
    if sigma == 0.0:
        raise InputError("values: every time is the same, so there is no spread to fit")
    return LogNormal(mu, sigma)


def fit_minutes(values: Sequence[float]) -> ZeroInflated:
    """The share of zeros as a point mass, and a lognormal fitted to the positive times."""
    if any(value < 0 for value in values):
        raise InputError("values: times must be at least 0 minutes")
    positive = [value for value in values if value > 0]
    zero_share = 1.0 - len(positive) / len(values) if values else 0.0
    return ZeroInflated(zero_share, fit_lognormal(positive))


def ks_distance(values: Iterable[float], fitted: LogNormal) -> float:
    """Kolmogorov-Smirnov distance of the positive values from a lognormal.

    Whole minutes are spread evenly across their minute first (k records of 7 become 6.5 to
    7.5), so that ties from rounding to the minute do not count as misfit.
    """
    positive = sorted(value for value in values if value > 0)
    if all(value.is_integer() for value in positive):
        counts: dict[float, int] = {}
        for value in positive:
            counts[value] = counts.get(value, 0) + 1
        positive = [v - 0.5 + (i + 0.5) / n for v, n in counts.items() for i in range(n)]
    n = len(positive)
    return max(
        max(i / n - p, p - (i - 1) / n)
        for i, p in enumerate((fitted.cdf(value) for value in positive), start=1)
    )


@dataclass(frozen=True)
class FitSummary:
    """The records behind one fitted time and how closely the fit follows them (minutes)."""

    used: int
    missing: int
    """Records with no time at one end (not recorded, or a placeholder the adapter nulled)."""
    implausible: int
    """Records whose interval is negative or a day or more."""
    observed_median: float
    observed_p90: float
    observed_mean: float
    ks_distance: float

    @property
    def dropped(self) -> int:
        """Records not used: missing or implausible."""
        return self.missing + self.implausible


@dataclass(frozen=True)
class FittedTimes:
    """The three times of a call, fitted to one source's records, with what they rest on."""

    request_to_dispatch: ZeroInflated
    dispatch_to_arrival: ZeroInflated
    on_scene: ZeroInflated
    request_to_dispatch_fit: FitSummary
    dispatch_to_arrival_fit: FitSummary
    on_scene_fit: FitSummary
    source: str

    def segments(self) -> tuple[tuple[str, ZeroInflated, FitSummary], ...]:
        """(name, distribution, summary) for each time, in the order of a call."""
        return tuple(
            (name, getattr(self, name), getattr(self, f"{name}_fit")) for name, _, _ in SEGMENTS
        )

    def table(self) -> str:
        """A Markdown table of the fit against the observed times (docs/simulation.md has one)."""
        lines = [
            "| time | used | dropped (missing + implausible) | observed median / p90 / mean "
            "| fitted median / p90 / mean | zero share | mu | sigma | KS distance |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for name, dist, fit in self.segments():
            base = dist.base
            assert isinstance(base, LogNormal), "a fitted time has a lognormal base"
            lines.append(
                f"| {name.replace('_', ' ')} | {fit.used:,} | {fit.dropped:,} "
                f"({fit.missing:,} + {fit.implausible:,}) "
                f"| {fit.observed_median:.1f} / {fit.observed_p90:.1f} / {fit.observed_mean:.1f} "
                f"| {dist.median:.1f} / {dist.quantile(0.9):.1f} / {dist.mean:.1f} "
                f"| {dist.zero_share:.2%} | {base.mu:.4f} | {base.sigma:.4f} "
                f"| {fit.ks_distance:.3f} |"
            )
        return "\n".join(lines)


def _summarise(
    values: Sequence[float], fitted: ZeroInflated, missing: int, implausible: int
) -> FitSummary:
    """The fit's evidence: counts, observed median, p90 and mean, and the KS distance."""
    observed = Empirical(tuple(values))
    assert isinstance(fitted.base, LogNormal), "fit_minutes fits a lognormal"
    return FitSummary(
        used=len(values),
        missing=missing,
        implausible=implausible,
        observed_median=observed.median,
        observed_p90=observed.quantile(0.9),
        observed_mean=observed.mean,
        ks_distance=round(ks_distance(values, fitted.base), 4),
    )


def _read_intervals(calls: Path) -> tuple[str, list[tuple[list[float], int, int]]]:
    """The source line and, per time, (plausible minutes, missing, implausible) from Parquet."""
    import duckdb

    from altresponse.calls.compile import lit
    from altresponse.calls.ingest import ingest_stamp

    if not calls.is_file():
        raise InputError(f"{calls}: no such file")
    stamp = ingest_stamp(calls)
    # Times are truncated to the minute first: most are typed to the minute, a few carry
    # seconds, and a request at 15:47:08 dispatched at "15:47" is a zero, not a negative.
    columns = ", ".join(
        f"epoch(date_trunc('minute', {end}) - date_trunc('minute', {start})) / 60.0 AS {name}"
        for name, start, end in SEGMENTS
    )
    aggregates = ", ".join(
        f"list({n} ORDER BY {n}) FILTER ({n} >= 0 AND {n} < {MAX_MINUTES}), count({n})"
        for n, _, _ in SEGMENTS
    )
    con = duckdb.connect()
    try:
        con.execute(f"SET TimeZone = {lit(stamp.get('timezone', 'UTC'))}")
        row = con.execute(
            "SELECT count(*), strftime(min(received_at), '%Y-%m-%d'), "
            f"strftime(max(received_at), '%Y-%m-%d'), {aggregates} "
            f"FROM (SELECT received_at, {columns} FROM read_parquet({lit(str(calls))}))"
        ).fetchone()
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0]
        raise InputError(f"{calls}: not a canonical calls table ({reason})") from exc
    finally:
        con.close()
    assert row is not None, "an aggregate query returns one row"
    total = int(row[0])
    source = f"{stamp.get('source', calls.name)}: {total:,} calls received {row[1]} to {row[2]}"
    intervals = []
    for values, recorded in zip(row[3::2], row[4::2], strict=True):
        kept = [float(v) for v in values or []]
        intervals.append((kept, total - int(recorded), int(recorded) - len(kept)))
    return source, intervals


def fit_times(calls: Path) -> FittedTimes:
    """Fit the three times of a call to a canonical calls Parquet file (see the module doc)."""
    source, intervals = _read_intervals(calls)
    fitted: dict[str, ZeroInflated] = {}
    summaries: dict[str, FitSummary] = {}
    for (name, _, _), (values, missing, implausible) in zip(SEGMENTS, intervals, strict=True):
        label = name.replace("_", " ")
        if len(values) < MIN_RECORDS:
            raise InputError(
                f"{calls}: only {len(values)} usable {label} times "
                f"({missing} missing, {implausible} implausible), need at least {MIN_RECORDS}"
            )
        try:
            fitted[name] = fit_minutes(values)
        except InputError as exc:
            raise InputError(f"{calls}: {label}: {exc}") from exc
        summaries[name] = _summarise(values, fitted[name], missing, implausible)
    return FittedTimes(
        request_to_dispatch=fitted["request_to_dispatch"],
        dispatch_to_arrival=fitted["dispatch_to_arrival"],
        on_scene=fitted["on_scene"],
        request_to_dispatch_fit=summaries["request_to_dispatch"],
        dispatch_to_arrival_fit=summaries["dispatch_to_arrival"],
        on_scene_fit=summaries["on_scene"],
        source=source,
    )


# Fitted to Lane County (OR) Mobile Crisis (MCSLC) dispatches, 18 Aug 2024 - 17 Dec 2025, in
# ../shared/data/lane_county_mcslc_mobile_crisis (docs/simulation.md), so that the package runs
# without that folder. A realdata test refits and fails if these drift. To refit:
#   altresponse ingest ../shared/data/lane_county_mcslc_mobile_crisis/\
#     mcslc_dispatches_2024-08_2025-12.csv -s lane_county_mcslc -o lane.parquet
#   python -c "from pathlib import Path; from altresponse.simulation.times import fit_times;
#     t = fit_times(Path('lane.parquet')); print(t.table()); print(repr(t))"
DEFAULT_TIMES = FittedTimes(
    request_to_dispatch=ZeroInflated(0.038506, LogNormal(mu=2.60578, sigma=1.09023)),
    dispatch_to_arrival=ZeroInflated(0.107092, LogNormal(mu=2.68917, sigma=0.713285)),
    on_scene=ZeroInflated(0.0063845, LogNormal(mu=2.96875, sigma=0.975485)),
    request_to_dispatch_fit=FitSummary(4363, 201, 41, 13.0, 55.0, 23.9734, ks_distance=0.0091),
    dispatch_to_arrival_fit=FitSummary(4202, 375, 28, 14.0, 31.0, 16.8229, ks_distance=0.0524),
    on_scene_fit=FitSummary(4229, 348, 28, 22.0, 61.0, 29.2577, ks_distance=0.0549),
    source="lane_county_mcslc: 4,605 calls received 2024-08-18 to 2025-12-17",
)
