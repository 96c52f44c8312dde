"""Two-way fixed effects (unit and period) with standard errors clustered by unit.

The unit effects are removed by the within transformation and the period effects by explicit
dummies (Frisch-Waugh-Lovell), so a 100-unit, 60-month panel is a 6,000 x 60 least-squares
problem. The numbers equal statsmodels' OLS of the outcome on a constant, unit dummies, period
dummies and the regressors with ``cov_type="cluster"`` (groups = units): the CRV1 covariance with
the small-sample factor G/(G-1) x (N-1)/(N-K), K counting every dummy column as statsmodels does,
and t tests on G-1 degrees of freedom (G clusters, N rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from altresponse.errors import InputError
from altresponse.evaluation.did_panel import NEVER, Panel
from altresponse.evaluation.did_stats import Estimate, WaldTest, wald


@dataclass(frozen=True, eq=False)
class ClusterFit:
    """Coefficients of the regressors of interest and their cluster-robust covariance."""

    names: tuple[str, ...]
    coef: NDArray[np.float64]
    cov: NDArray[np.float64]
    nobs: int
    k_params: int  # every column of the equivalent dummy regression, constant included
    clusters: int

    @property
    def df(self) -> int:
        """Degrees of freedom of the t and F tests: clusters - 1."""
        return self.clusters - 1

    def estimate(self, k: int) -> Estimate:
        """Coefficient K with its t(G-1) interval."""
        return Estimate.from_se(float(self.coef[k]), float(np.sqrt(self.cov[k, k])), self.df)

    def wald(self, ks: list[int]) -> WaldTest | None:
        """F test that the coefficients KS are all zero, on (len(KS), G-1) degrees of freedom."""
        index = np.asarray(ks, dtype=np.intp)
        terms = tuple(self.names[k] for k in ks)
        return wald(self.coef[index], self.cov[np.ix_(index, index)], terms, self.df)


def _one_hot(index: NDArray[np.intp], size: int) -> NDArray[np.float64]:
    """Rows x SIZE indicator matrix of INDEX."""
    hot = np.zeros((len(index), size))
    hot[np.arange(len(index)), index] = 1.0
    return hot


def group_sums(group: NDArray[np.intp], size: int, m: NDArray[np.float64]) -> NDArray[np.float64]:
    """SIZE x columns sums of M's rows by GROUP (one bincount: no threads to wait on)."""
    k = m.shape[1]
    flat = (group[:, None] * k + np.arange(k)[None, :]).ravel()
    sums = np.bincount(flat, weights=m.ravel(), minlength=size * k)
    return np.asarray(sums, dtype=np.float64).reshape(size, k)


def _residuals(z: NDArray[np.float64], m: NDArray[np.float64]) -> NDArray[np.float64]:
    """M less its least-squares projection on Z's columns.

    By the normal equations with an eigen-decomposed pseudo-inverse: the Gram matrix is small
    and well conditioned, and LAPACK's least squares is slow when BLAS threads fight for cores.
    """
    values, vectors = np.linalg.eigh(z.T @ z)
    keep = values > values.max(initial=0.0) * 1e-10
    inverse = (vectors[:, keep] / values[keep]) @ vectors[:, keep].T
    return np.asarray(m - z @ (inverse @ (z.T @ m)), dtype=np.float64)


def fit_twfe(panel: Panel, design: NDArray[np.float64], names: tuple[str, ...]) -> ClusterFit:
    """OLS of the outcome on DESIGN with unit and period fixed effects, CRV1 by unit."""
    counts = np.bincount(panel.unit, minlength=panel.n_units).astype(np.float64)

    def within(m: NDArray[np.float64]) -> NDArray[np.float64]:
        """M less its unit means: the unit fixed effects gone."""
        means = group_sums(panel.unit, panel.n_units, m) / counts[:, None]
        return np.asarray(m - means[panel.unit], dtype=np.float64)

    periods = within(_one_hot(panel.period, panel.n_periods)[:, 1:])
    stacked = within(np.column_stack([panel.y, design]))
    resid_all = _residuals(periods, stacked)
    y, x = resid_all[:, 0], resid_all[:, 1:]
    gram = x.T @ x
    if design.shape[1] == 0 or np.linalg.matrix_rank(gram) < design.shape[1]:
        raise InputError(
            f"{panel.source}: the treatment cannot be told apart from the unit and period "
            "effects (is there a comparison group observed before and after the start?)"
        )
    bread = np.linalg.inv(gram)
    coef = bread @ (x.T @ y)
    scores = group_sums(panel.unit, panel.n_units, x * (y - x @ coef)[:, None])
    nobs, clusters = len(y), panel.n_units
    k_params = panel.n_units + panel.n_periods - 1 + design.shape[1]
    if clusters < 2 or nobs <= k_params:
        raise InputError(f"{panel.source}: too few rows or units for a fixed-effects regression")
    factor = clusters / (clusters - 1) * (nobs - 1) / (nobs - k_params)
    cov = factor * bread @ (scores.T @ scores) @ bread
    return ClusterFit(names, coef, cov, nobs, k_params, clusters)


def after_start(panel: Panel) -> NDArray[np.bool_]:
    """Each row: its unit has the program in that period."""
    return panel.row_ordinals() >= panel.start[panel.unit]


def static_twfe(panel: Panel) -> ClusterFit:
    """The classic difference-in-differences: one 'treated and after' coefficient."""
    design = after_start(panel).astype(np.float64)[:, None]
    return fit_twfe(panel, design, ("treated_after",))


def event_times(panel: Panel, leads: int, lags: int) -> NDArray[np.int64]:
    """Each row's periods since its unit's start, binned to [-LEADS, LAGS]; NEVER if untreated."""
    start = panel.start[panel.unit]
    treated = start != NEVER
    since = np.full(len(panel.y), NEVER, dtype=np.int64)
    since[treated] = np.clip(panel.row_ordinals()[treated] - start[treated], -leads, lags)
    return since


def event_twfe(panel: Panel, leads: int, lags: int) -> tuple[ClusterFit, list[int]]:
    """Leads and lags around the start (ends binned, -1 left out as the reference)."""
    since = event_times(panel, leads, lags)
    present = set(np.unique(since[since != NEVER]).tolist())
    kept = [e for e in range(-leads, lags + 1) if e != -1 and e in present]
    if not kept:
        raise InputError(f"{panel.source}: no treated unit is observed around its start")
    design = np.column_stack([since == e for e in kept]).astype(np.float64)
    fit = fit_twfe(panel, design, tuple(f"event_{e}" for e in kept))
    return fit, kept
