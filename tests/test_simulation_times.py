"""Time distributions of the staffing simulation and their fit to Lane County's crisis team."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import ingest
from altresponse.errors import InputError
from altresponse.simulation.times import (
    DEFAULT_TIMES,
    Empirical,
    Exponential,
    FitSummary,
    FittedTimes,
    Fixed,
    LogNormal,
    TimeDistribution,
    ZeroInflated,
    fit_lognormal,
    fit_minutes,
    fit_times,
    ks_distance,
)

LANE_CSV = "lane_county_mcslc_mobile_crisis/mcslc_dispatches_2024-08_2025-12.csv"
DOC = Path(__file__).resolve().parents[1] / "docs" / "simulation.md"
SAMPLES = 200_000

DISTRIBUTIONS: dict[str, TimeDistribution] = {
    "fixed": Fixed(12.0),
    "exponential": Exponential(30.0),
    "lognormal": LogNormal(2.7, 0.7),
    "wide lognormal": LogNormal(2.6, 1.1),
    "empirical": Empirical((0.0, 3.0, 5.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 89.0)),
    "zero-inflated": ZeroInflated(0.1, LogNormal(2.7, 0.7)),
    "mostly zero": ZeroInflated(0.6, Exponential(10.0)),
}


def _draws(dist: TimeDistribution, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [dist.sample(rng) for _ in range(SAMPLES)]


# Distributions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_sampling_matches_mean_median_and_p90(name: str) -> None:
    dist = DISTRIBUTIONS[name]
    draws = sorted(_draws(dist))
    assert statistics.fmean(draws) == pytest.approx(dist.mean, rel=0.02)
    # Empirical data has gaps between values: compare where the sample's quantile lands.
    for q, stated in ((0.5, dist.median), (0.9, dist.quantile(0.9))):
        sampled = draws[int(q * SAMPLES)]
        if isinstance(dist, Empirical):
            assert dist.values[0] <= sampled <= dist.values[-1]
            low, high = dist.quantile(q - 0.06), dist.quantile(q + 0.06)
            assert low <= sampled <= high
        else:
            assert sampled == pytest.approx(stated, rel=0.02, abs=0.05)


def test_sampling_is_reproducible_from_the_seed() -> None:
    dist = DISTRIBUTIONS["zero-inflated"]
    assert _draws(dist, seed=3)[:100] == _draws(dist, seed=3)[:100]
    assert _draws(dist, seed=3)[:100] != _draws(dist, seed=4)[:100]


def test_closed_forms_agree_with_scipy() -> None:
    lognormal = LogNormal(2.7, 0.7)
    frozen = stats.lognorm(0.7, scale=math.exp(2.7))
    for q in (0.01, 0.1, 0.5, 0.9, 0.99):
        assert lognormal.quantile(q) == pytest.approx(frozen.ppf(q), rel=1e-9)
        assert Exponential(30.0).quantile(q) == pytest.approx(stats.expon(scale=30).ppf(q))
    assert lognormal.mean == pytest.approx(frozen.mean())
    assert lognormal.cdf(20.0) == pytest.approx(frozen.cdf(20.0))
    assert lognormal.quantile(0.0) == 0.0
    assert lognormal.quantile(1.0) == math.inf
    assert Exponential(30.0).median == pytest.approx(30.0 * math.log(2))


def test_empirical_quantile_interpolates_like_numpy() -> None:
    values = (9.0, 1.0, 4.0, 4.0, 16.0, 0.0, 25.0)
    dist = Empirical(values)
    assert dist.values == tuple(sorted(values))
    for q in (0.0, 0.1, 0.25, 0.5, 0.77, 0.9, 1.0):
        assert dist.quantile(q) == pytest.approx(float(np.quantile(values, q)))
    assert dist.mean == pytest.approx(statistics.fmean(values))
    assert set(_draws(dist)[:1000]) <= set(values)


def test_zero_inflated_quantiles_start_at_zero() -> None:
    dist = ZeroInflated(0.25, LogNormal(3.0, 0.5))
    assert dist.quantile(0.2) == 0.0
    assert dist.quantile(0.25) == 0.0
    assert dist.median == pytest.approx(dist.base.quantile(1 / 3))
    assert dist.mean == pytest.approx(0.75 * dist.base.mean)
    assert sum(1 for x in _draws(dist) if x == 0.0) / SAMPLES == pytest.approx(0.25, abs=0.005)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Fixed(-1.0), "value"),
        (lambda: Fixed(math.nan), "value"),
        (lambda: Exponential(0.0), "mean"),
        (lambda: Exponential(math.inf), "mean"),
        (lambda: LogNormal(math.nan, 1.0), "mu"),
        (lambda: LogNormal(2.0, 0.0), "sigma"),
        (lambda: LogNormal(2.0, -0.5), "sigma"),
        (lambda: Empirical(()), "values"),
        (lambda: Empirical((1.0, -2.0)), "values"),
        (lambda: ZeroInflated(1.0, Fixed(1.0)), "zero_share"),
        (lambda: ZeroInflated(-0.1, Fixed(1.0)), "zero_share"),
        (lambda: LogNormal(2.0, 1.0).quantile(1.5), "q"),
        (lambda: fit_lognormal([3.0, 0.0, 5.0]), "values"),
        (lambda: fit_lognormal([4.0, 4.0, 4.0]), "values"),
        (lambda: fit_minutes([3.0, -1.0, 5.0]), "values"),
    ],
)
def test_bad_parameters_raise_naming_the_field(make: Callable[[], object], field: str) -> None:
    with pytest.raises(InputError, match=rf"^{field}\b") as caught:
        make()
    assert isinstance(caught.value, ValueError)


# Fitting ---------------------------------------------------------------------------------------


def test_fit_lognormal_recovers_known_parameters() -> None:
    rng = random.Random(11)
    values = [rng.lognormvariate(2.5, 0.8) for _ in range(20_000)]
    fitted = fit_lognormal(values)
    assert fitted.mu == pytest.approx(2.5, abs=0.02)
    assert fitted.sigma == pytest.approx(0.8, abs=0.02)
    shape, _, scale = stats.lognorm.fit(values, floc=0)  # scipy's maximum likelihood
    assert fitted.sigma == pytest.approx(shape, rel=1e-4)
    assert fitted.mu == pytest.approx(math.log(scale), rel=1e-4)


def test_zeros_are_a_point_mass_and_the_lognormal_fits_the_rest() -> None:
    rng = random.Random(5)
    positive = [rng.lognormvariate(2.7, 0.7) for _ in range(8_000)]
    values = [0.0] * 2_000 + positive
    fitted = fit_minutes(values)
    assert fitted.zero_share == pytest.approx(0.2)
    assert fitted.base == fit_lognormal(positive)
    assert fitted.quantile(0.1) == 0.0
    assert fitted.median == pytest.approx(float(np.median(values)), rel=0.03)
    assert fit_minutes(positive).zero_share == 0.0


def test_ks_distance_is_scipys_statistic_and_ignores_minute_ties() -> None:
    rng = random.Random(2)
    dist = LogNormal(2.7, 0.7)
    values = [rng.lognormvariate(2.7, 0.7) for _ in range(5_000)]
    expected = stats.kstest(values, stats.lognorm(0.7, scale=math.exp(2.7)).cdf).statistic
    assert ks_distance(values, dist) == pytest.approx(expected)
    # Rounded to the minute, the raw KS counts the ties; spread over the minute, it does not.
    minutes = [float(round(v)) for v in values if round(v) > 0]
    raw = stats.kstest(minutes, stats.lognorm(0.7, scale=math.exp(2.7)).cdf).statistic
    assert ks_distance(minutes, dist) < 0.015
    assert raw > 0.02
    assert ks_distance(minutes, LogNormal(3.2, 0.7)) > 0.15


def _calls_parquet(path: Path, rows: list[tuple[int | None, int | None, int | None]]) -> Path:
    """Canonical times; each row gives the three intervals in seconds (None: no time)."""
    start = datetime(2025, 3, 1, 8, 0, 30, tzinfo=UTC)  # a request typed with seconds
    columns: dict[str, list[datetime | None]] = {
        "received_at": [],
        "dispatched_at": [],
        "arrived_at": [],
        "cleared_at": [],
    }
    for i, steps in enumerate(rows):
        at: datetime | None = start + timedelta(hours=i)
        columns["received_at"].append(at)
        for name, step in zip(list(columns)[1:], steps, strict=True):
            at = None if at is None or step is None else at + timedelta(seconds=step)
            columns[name].append(at)
    kind = pa.timestamp("us", tz="UTC")
    pq.write_table(pa.table({k: pa.array(v, kind) for k, v in columns.items()}), path)
    return path


def test_fit_times_drops_missing_and_implausible_and_counts_them(tmp_path: Path) -> None:
    rng = random.Random(9)
    good = [
        (round(rng.lognormvariate(2.5, 0.9)) * 60, round(rng.lognormvariate(2.7, 0.7)) * 60, 1800)
        for _ in range(200)
    ]
    odd = [
        (None, 600, 1200),  # no dispatch time: also no dispatch-to-arrival
        (-120, 600, 1200),  # dispatched before the request
        (4 * 86_400, 600, 1200),  # a date typed four days late
        (-8, 900, 1200),  # request at :30 s, dispatch 8 s earlier: the same minute, so 0
    ]
    fitted = fit_times(_calls_parquet(tmp_path / "calls.parquet", good + odd))
    r2d = fitted.request_to_dispatch_fit
    assert (r2d.used, r2d.missing, r2d.implausible, r2d.dropped) == (201, 1, 2, 3)
    assert (fitted.dispatch_to_arrival_fit.used, fitted.dispatch_to_arrival_fit.missing) == (203, 1)
    assert fitted.on_scene.zero_share == 0.0
    assert fitted.on_scene.median == pytest.approx(30.0, rel=0.02)
    assert fitted.request_to_dispatch.zero_share == pytest.approx(
        sum(1 for g in good if g[0] == 0) / 201 + 1 / 201
    )
    assert fitted.source == "calls.parquet: 204 calls received 2025-03-01 to 2025-03-09"


def test_fit_times_refuses_too_few_records_naming_the_file(tmp_path: Path) -> None:
    rows: list[tuple[int | None, int | None, int | None]] = [
        (300 + i, None, None) for i in range(40)
    ]
    path = _calls_parquet(tmp_path / "thin.parquet", rows)
    with pytest.raises(InputError, match=r"thin\.parquet: only 0 usable dispatch to arrival"):
        fit_times(path)
    with pytest.raises(InputError, match="no such file"):
        fit_times(tmp_path / "absent.parquet")
    pq.write_table(pa.table({"x": [1]}), tmp_path / "other.parquet")
    with pytest.raises(InputError, match=r"other\.parquet: not a canonical calls table"):
        fit_times(tmp_path / "other.parquet")


def test_default_times_are_the_ones_the_doc_shows() -> None:
    assert DEFAULT_TIMES.table() in DOC.read_text(encoding="utf-8")
    assert "Lane County" in DOC.read_text(encoding="utf-8")


# Lane County (real data) -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def lane_fit(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> FittedTimes:
    out = tmp_path_factory.mktemp("lane") / "lane_county_mcslc.parquet"
    ingest(shared_data / LANE_CSV, find_adapter("lane_county_mcslc"), out)
    return fit_times(out)


def _assert_same_fit(fitted: FitSummary, constant: FitSummary) -> None:
    assert (fitted.used, fitted.missing, fitted.implausible) == (
        constant.used,
        constant.missing,
        constant.implausible,
    )
    for name in ("observed_median", "observed_p90", "observed_mean", "ks_distance"):
        assert getattr(fitted, name) == pytest.approx(getattr(constant, name), rel=1e-3), name


@pytest.mark.realdata
def test_default_times_are_what_the_lane_county_fit_gives(lane_fit: FittedTimes) -> None:
    assert lane_fit.source == DEFAULT_TIMES.source
    for (name, fitted, summary), (_, constant, constant_summary) in zip(
        lane_fit.segments(), DEFAULT_TIMES.segments(), strict=True
    ):
        assert isinstance(fitted.base, LogNormal), name
        assert isinstance(constant.base, LogNormal), name
        assert fitted.zero_share == pytest.approx(constant.zero_share, rel=1e-3), name
        assert fitted.base.mu == pytest.approx(constant.base.mu, rel=1e-3), name
        assert fitted.base.sigma == pytest.approx(constant.base.sigma, rel=1e-3), name
        _assert_same_fit(summary, constant_summary)
    assert lane_fit.table() == DEFAULT_TIMES.table()


@pytest.mark.realdata
def test_lane_county_fit_reproduces_the_observed_times(lane_fit: FittedTimes) -> None:
    travel, observed = lane_fit.dispatch_to_arrival, lane_fit.dispatch_to_arrival_fit
    assert travel.median == pytest.approx(observed.observed_median, rel=0.10)
    for _, dist, summary in lane_fit.segments():
        assert summary.used > 4_000
        assert dist.mean == pytest.approx(summary.observed_mean, rel=0.10)
        assert dist.median == pytest.approx(summary.observed_median, rel=0.15)
        assert dist.quantile(0.9) == pytest.approx(summary.observed_p90, rel=0.15)
        assert summary.ks_distance < 0.06
