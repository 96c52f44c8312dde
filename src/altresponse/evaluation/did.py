"""Impact estimation by difference in differences: did the program change the outcome?

Common timing (every treated unit starts together) uses two-way fixed effects with standard errors
clustered by unit (`did_twfe`). When starts differ, plain two-way fixed effects is biased
(Goodman-Bacon 2021), so the estimate is Callaway & Sant'Anna's (`did_staggered`). Either way the
result carries an event study, a joint test of the leads (pre-trends) and a placebo start.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from altresponse.errors import InputError
from altresponse.evaluation.did_panel import NEVER, Panel, PanelSpec, load_panel
from altresponse.evaluation.did_staggered import (
    NEVER_TREATED,
    GroupTime,
    aggregate,
    estimate_from,
    event_att,
    group_time_att,
    overall_att,
)
from altresponse.evaluation.did_stats import Estimate, WaldTest
from altresponse.evaluation.did_twfe import event_twfe, static_twfe

__all__ = [
    "DidOptions",
    "EventPoint",
    "Impact",
    "Method",
    "Panel",
    "PanelSpec",
    "Placebo",
    "estimate_impact",
    "load_panel",
    "placebo_panel",
]

FEW_CLUSTERS = 20
FEW_TREATED = 5


class Method(StrEnum):
    """Which estimator produced the headline number."""

    TWFE = "twfe"
    STAGGERED = "callaway_santanna"


@dataclass(frozen=True)
class DidOptions:
    """Event-study window (LEADS periods before the start, LAGS after) and the placebo's shift."""

    leads: int = 6
    lags: int = 6
    placebo_periods: int = 6


@dataclass(frozen=True)
class EventPoint:
    """The effect K periods after the start (negative: before); ends of the window are bins."""

    event_time: int
    label: str
    estimate: Estimate | None  # None for the reference period -1

    def to_dict(self) -> dict[str, Any]:
        """The point, for JSON; the reference is 0 with no interval."""
        numbers = self.estimate.to_dict() if self.estimate else {"effect": 0.0}
        return {"event_time": self.event_time, "label": self.label, **numbers}


@dataclass(frozen=True)
class Placebo:
    """The estimate with a fake start PERIODS_EARLIER, on data from before the real start."""

    periods_earlier: int
    starts: tuple[str, ...]
    estimate: Estimate | None
    reason: str | None = None  # why there is no estimate

    def to_dict(self) -> dict[str, Any]:
        """The placebo, for JSON."""
        numbers = self.estimate.to_dict() if self.estimate else None
        return {
            "periods_earlier": self.periods_earlier,
            "starts": list(self.starts),
            "estimate": numbers,
            "reason": self.reason,
        }


@dataclass(frozen=True, eq=False)
class Impact:
    """Everything the report says, with every number behind it."""

    panel: Panel
    options: DidOptions
    method: Method
    estimate: Estimate
    event_study: tuple[EventPoint, ...]
    pre_trend: WaldTest | None
    placebo: Placebo
    controls: str
    comparison: Estimate | None = None  # plain TWFE when starts differ, to show its bias
    group_time: tuple[dict[str, Any], ...] = ()
    cohorts: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()


def estimate_impact(panel: Panel, options: DidOptions | None = None) -> Impact:
    """The impact estimate for PANEL: TWFE for common timing, Callaway-Sant'Anna when staggered."""
    options = options or DidOptions()
    if options.leads < 1 or options.lags < 0 or options.placebo_periods < 1:
        raise InputError("leads must be at least 1, lags at least 0, placebo periods at least 1")
    return _staggered(panel, options) if panel.staggered else _common(panel, options)


def _common(panel: Panel, options: DidOptions) -> Impact:
    """Two-way fixed effects: the static effect, the event study, the F test of the leads."""
    estimate = static_twfe(panel).estimate(0)
    fit, kept = event_twfe(panel, options.leads, options.lags)
    points = [EventPoint(e, _label(e, options), fit.estimate(k)) for k, e in enumerate(kept)]
    leads = [k for k, e in enumerate(kept) if e < -1]
    return Impact(
        panel=panel,
        options=options,
        method=Method.TWFE,
        estimate=estimate,
        event_study=_with_reference(points, options),
        pre_trend=fit.wald(leads) if leads else None,
        placebo=_placebo(panel, options),
        controls=NEVER_TREATED,  # common timing always has units without the program
        warnings=_warnings(panel),
    )


def _staggered(panel: Panel, options: DidOptions) -> Impact:
    """Callaway & Sant'Anna: group-time effects aggregated overall and by event time."""
    gt = group_time_att(panel)
    pairs, pre_trend = event_att(gt, options.leads, options.lags)
    points = [EventPoint(e, _label(e, options), est) for e, est in pairs]
    cells = [
        {
            "cohort": panel.clock.label(int(g)),
            "period": panel.clock.label(int(t)),
            "event_time": int(t - g),
            "att": float(a),
            "se": float(s),
            "treated_units": int(nt),
            "control_units": int(nc),
        }
        for g, t, a, s, nt, nc in zip(
            gt.cohort, gt.period, gt.att, gt.se, gt.treated_n, gt.control_n, strict=True
        )
    ]
    return Impact(
        panel=panel,
        options=options,
        method=Method.STAGGERED,
        estimate=overall_att(gt),
        event_study=_with_reference(points, options),
        pre_trend=pre_trend,
        placebo=_placebo(panel, options),
        controls=gt.controls,
        comparison=static_twfe(panel).estimate(0),
        group_time=tuple(cells),
        cohorts=_cohorts(panel, gt),
        warnings=_warnings(panel),
    )


def _cohorts(panel: Panel, gt: GroupTime) -> tuple[dict[str, Any], ...]:
    """Each cohort's average effect over its periods since the start."""
    rows = []
    for g in panel.cohorts.tolist():
        mask = (gt.cohort == g) & (gt.event_time >= 0)
        if not mask.any():
            continue
        rows.append(
            {
                "start": panel.clock.label(g),
                "units": int((panel.start == g).sum()),
                "periods_after": int(mask.sum()),
                **estimate_from(*aggregate(gt, mask)).to_dict(),
            }
        )
    return tuple(rows)


def _label(e: int, options: DidOptions) -> str:
    """An event time as shown: the ends of the window collect everything beyond them."""
    if e == -options.leads and e < -1:
        return f"≤ {e}"
    if e == options.lags and e >= 0:
        return f"≥ {e}"
    return str(e)


def _with_reference(points: list[EventPoint], options: DidOptions) -> tuple[EventPoint, ...]:
    """The event study with the reference period -1 (zero by construction) in its place."""
    reference = EventPoint(-1, _label(-1, options), None)
    return tuple(sorted([*points, reference], key=lambda p: p.event_time))


def placebo_panel(panel: Panel, periods_earlier: int) -> Panel:
    """Only data from before the real start, with every start moved PERIODS_EARLIER back."""
    rows = panel.row_ordinals()
    if panel.staggered:
        cutoff = panel.start[panel.unit]
    else:
        cutoff = np.full(len(rows), panel.cohorts[0], dtype=np.int64)
    fake = np.where(panel.treated, panel.start - periods_earlier, NEVER)
    usable = ~panel.treated | (fake > panel.periods[0])
    if not (usable & panel.treated).any():
        raise InputError(
            f"every start is within {periods_earlier} periods of the panel's first period"
        )
    keep = (rows < cutoff) & usable[panel.unit]
    return panel.subset(keep, fake)


def _placebo(panel: Panel, options: DidOptions) -> Placebo:
    """The same estimator with a fake start earlier; on clean data it should find nothing."""
    p = options.placebo_periods
    try:
        fake = placebo_panel(panel, p)
        if fake.staggered:
            estimate = overall_att(group_time_att(fake))
        else:
            estimate = static_twfe(fake).estimate(0)
    except InputError as exc:
        return Placebo(p, (), None, reason=str(exc))
    starts = tuple(panel.clock.label(int(s)) for s in fake.cohorts)
    return Placebo(p, starts, estimate)


def _warnings(panel: Panel) -> tuple[str, ...]:
    """What makes the intervals less trustworthy than they look."""
    unit = panel.spec.unit
    treated = int(panel.treated.sum())
    notes = []
    if panel.n_units < FEW_CLUSTERS:
        notes.append(
            f"Only {panel.n_units} {unit}s: with fewer than about {FEW_CLUSTERS} clusters, "
            "clustered standard errors are unreliable, usually too small; read the intervals "
            "as too narrow."
        )
    if treated < FEW_TREATED:
        notes.append(
            f"Only {treated} {unit}{'s' if treated != 1 else ''} got the program: with fewer "
            f"than about {FEW_TREATED} treated clusters the intervals are unreliable, whatever "
            "the total, and the pre-trend test rejects too often."
        )
    if not panel.balanced:
        missing = panel.n_units * panel.n_periods - len(panel.y)
        notes.append(
            f"The panel is unbalanced: {missing:,} of {panel.n_units * panel.n_periods:,} "
            f"{unit}-periods are missing. The estimate uses the rows that are there."
        )
    return tuple(notes)
