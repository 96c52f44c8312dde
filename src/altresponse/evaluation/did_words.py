"""The impact estimate in plain words, and every number behind them as JSON-ready data."""

from __future__ import annotations

import math
from typing import Any

from altresponse.evaluation.did import FEW_TREATED, Impact, Method
from altresponse.evaluation.did_read import Frequency
from altresponse.evaluation.did_stats import Estimate, WaldTest

METHOD_NAMES = {
    Method.TWFE: "two-way fixed effects",
    Method.STAGGERED: "Callaway & Sant'Anna (2021)",
}


def period_word(impact: Impact) -> str:
    """What one period is called: month, week, day, or the time column's name."""
    clock = impact.panel.clock
    return impact.panel.spec.time if clock.frequency is Frequency.PERIOD else clock.frequency


def digits(se: float, *ends: float) -> int:
    """Decimals worth showing for a number with standard error SE; no nonzero END reads as 0."""
    n = 2 if not math.isfinite(se) or se <= 0 else max(0, min(3, -math.floor(math.log10(se / 2))))
    while n < 4 and any(e != 0 and float(f"{e:.{n}f}") == 0 for e in ends):
        n += 1
    return n


def fmt(value: float, places: int) -> str:
    """VALUE with PLACES decimals and no negative zero."""
    text = f"{value:.{places}f}"
    return text.lstrip("-") if float(text) == 0 else text


def p_text(p: float) -> str:
    """A p-value as read aloud: two decimals, or '< 0.001'."""
    if not math.isfinite(p):
        return "n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _start_phrase(impact: Impact) -> str:
    """When the program started, in words."""
    panel = impact.panel
    labels = [panel.clock.label(int(s)) for s in panel.cohorts]
    if len(labels) == 1:
        return f"After the program started in {labels[0]}"
    return f"After the program started (at {len(labels)} times, {labels[0]} to {labels[-1]})"


def headline(impact: Impact) -> str:
    """The effect, its direction and its 95% interval, in one sentence."""
    e, spec = impact.estimate, impact.panel.spec
    n = digits(e.se, e.ci_low, e.ci_high)
    what = f"{spec.outcome} per {spec.unit}-{period_word(impact)}"
    if e.covers_zero:
        change = (
            f"changed by {fmt(e.effect, n)} (95% interval {fmt(e.ci_low, n)} to "
            f"{fmt(e.ci_high, n)}, which includes no change)"
        )
    elif e.effect < 0:
        change = (
            f"fell by {fmt(-e.effect, n)} (95% interval {fmt(-e.ci_high, n)} to "
            f"{fmt(-e.ci_low, n)})"
        )
    else:
        change = (
            f"rose by {fmt(e.effect, n)} (95% interval {fmt(e.ci_low, n)} to {fmt(e.ci_high, n)})"
        )
    if impact.method is Method.TWFE:
        against = "the others"
    elif impact.controls == "never treated":
        against = f"{spec.unit}s that never had it"
    else:
        against = f"{spec.unit}s that did not have it yet"
    return (
        f"{_start_phrase(impact)}, {what} {change} in the {spec.unit}s with the program "
        f"compared with {against}."
    )


def pre_trend_sentence(test: WaldTest | None, *, few_treated: bool = False) -> str:
    """Whether the two groups moved together before the start.

    With FEW_TREATED units the clustered test rejects too often, so a rejection is a warning
    rather than a finding.
    """
    if test is None:
        return "There is no period before the start to test whether the two groups moved together."
    p = p_text(test.p_value)
    if test.p_value >= 0.05:
        return f"Before it started, the two groups moved together (pre-trend test {p})."
    if few_treated:
        return (
            f"Before it started, the pre-trend test rejects moving together ({p}), but with so "
            "few units with the program this test rejects too often: look at the event study "
            "before trusting or dismissing the estimate."
        )
    return (
        f"Before it started, the two groups did not move together (pre-trend test {p}): "
        "the comparison is in doubt and the estimate may be biased."
    )


def placebo_sentence(impact: Impact) -> str:
    """What a fake, earlier start finds: nothing, if the design holds."""
    placebo, word = impact.placebo, period_word(impact)
    shift = f"{placebo.periods_earlier} {word}{'s' if placebo.periods_earlier != 1 else ''}"
    if placebo.estimate is None:
        return f"No placebo test {shift} earlier: {placebo.reason}."
    e = placebo.estimate
    n = digits(e.se, e.ci_low, e.ci_high)
    numbers = f"{fmt(e.effect, n)}, interval {fmt(e.ci_low, n)} to {fmt(e.ci_high, n)}"
    if e.covers_zero:
        return f"A placebo start {shift} earlier finds no effect ({numbers})."
    return (
        f"A placebo start {shift} earlier finds an effect ({numbers}) where there should be "
        "none: something other than the program was already moving the groups apart."
    )


def summary(impact: Impact) -> list[str]:
    """The three sentences a council member reads: effect, pre-trends, placebo."""
    few = int(impact.panel.treated.sum()) < FEW_TREATED
    pre_trend = pre_trend_sentence(impact.pre_trend, few_treated=few)
    return [headline(impact), pre_trend, placebo_sentence(impact)]


def method_sentence(impact: Impact) -> str:
    """How the number was made, and why this way."""
    unit, word, n = impact.panel.spec.unit, period_word(impact), impact.panel.n_units
    if impact.method is Method.TWFE:
        return (
            f"Every treated {unit} started at the same time, so the estimate is a two-way fixed "
            f"effects regression ({unit} and {word} effects) with standard errors clustered by "
            f"{unit} ({n} clusters, t distribution with {n - 1} degrees of freedom)."
        )
    c = impact.comparison
    plain = "" if c is None else _plain_twfe(c)
    return (
        f"The {unit}s started at different times, so the estimate uses Callaway & Sant'Anna's "
        f"method: each group of {unit}s that started together is compared with {unit}s "
        f"{impact.controls}, from the {word} before its start, and the comparisons are averaged "
        f"by group size. Standard errors come from the influence function, clustered by "
        f"{unit} ({n} clusters, t distribution with {n - 1} degrees of freedom).{plain}"
    )


def _plain_twfe(c: Estimate) -> str:
    """The plain two-way fixed effects number, for contrast."""
    n = digits(c.se, c.ci_low, c.ci_high)
    return (
        f" Plain two-way fixed effects, which can be biased when starts differ, gives "
        f"{fmt(c.effect, n)} (interval {fmt(c.ci_low, n)} to {fmt(c.ci_high, n)})."
    )


def caveats(impact: Impact) -> list[str]:
    """What the estimate rests on, then what makes this one shakier."""
    unit = impact.panel.spec.unit
    return [
        f"Parallel trends is an assumption, not a finding: the estimate is right only if, "
        f"without the program, the {unit}s with it would have moved like the others. The "
        "pre-trend test and the placebo can show a problem before the start; they cannot rule "
        "one out after it.",
        f"Spillovers: if the program also changes the comparison {unit}s (calls moving across "
        "a boundary, teams crossing it), the difference misstates the effect.",
        "Anticipation: if things changed before the official start (publicity, training, "
        "a soft launch), part of the effect shows up before it and the estimate understates it.",
        *impact.warnings,
    ]


def clean(value: Any) -> Any:
    """VALUE with every non-finite float as None, so the JSON is valid."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value
