"""The numbers an impact estimate reports: a point estimate with its interval, a joint test."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """An effect with its standard error, 95% interval and two-sided p-value."""

    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    distribution: str  # "t" (df = clusters - 1) or "normal"
    df: int | None = None

    @classmethod
    def from_se(cls, effect: float, se: float, df: int | None) -> Estimate:
        """EFFECT and SE with a t(DF) interval, or a normal one when DF is None."""
        z = -abs(effect) / se if se > 0 else math.nan
        if df is None:
            critical = float(special.ndtri(0.5 + LEVEL / 2))
            p = float(2 * special.ndtr(z))
        else:
            critical = float(special.stdtrit(df, 0.5 + LEVEL / 2))
            p = float(2 * special.stdtr(df, z))
        return cls(
            effect=effect,
            se=se,
            ci_low=effect - critical * se,
            ci_high=effect + critical * se,
            p_value=p,
            distribution="normal" if df is None else "t",
            df=df,
        )

    @property
    def covers_zero(self) -> bool:
        """The interval includes no effect at all."""
        return self.ci_low <= 0.0 <= self.ci_high

    def to_dict(self) -> dict[str, Any]:
        """The numbers, for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class WaldTest:
    """A joint test that several coefficients are all zero."""

    test: str  # "F" (statistic / q against F(q, clusters - 1)) or "chi2" (against chi2(q))
    statistic: float
    df: tuple[int, ...]
    p_value: float
    terms: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The numbers, for JSON."""
        return {**asdict(self), "df": list(self.df), "terms": list(self.terms)}


def wald(
    coef: NDArray[np.float64], cov: NDArray[np.float64], terms: tuple[str, ...], df: int | None
) -> WaldTest | None:
    """Joint test of COEF = 0: F(q, DF) when DF is given, else chi2(q); None if not testable."""
    q = len(coef)
    if q == 0:
        return None
    try:
        chi2 = float(coef @ np.linalg.solve(cov, coef))
    except np.linalg.LinAlgError:
        return None
    if df is None:
        return WaldTest("chi2", chi2, (q,), float(special.chdtrc(q, chi2)), terms)
    f = chi2 / q
    return WaldTest("F", f, (q, df), float(special.fdtrc(q, df, f)), terms)
