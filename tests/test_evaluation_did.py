"""Impact estimation by difference in differences: right numbers, honest intervals, clear errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import statsmodels.api as sm
import typer
from numpy.typing import NDArray
from typer.testing import CliRunner

from altresponse.cli_did import did_cmd
from altresponse.errors import InputError
from altresponse.evaluation.did import (
    Method,
    Panel,
    PanelSpec,
    estimate_impact,
    load_panel,
    placebo_panel,
)
from altresponse.evaluation.did_panel import NEVER
from altresponse.evaluation.did_read import Clock, Frequency
from altresponse.evaluation.did_report import impact_dict, render
from altresponse.evaluation.did_staggered import event_att, group_time_att, overall_att
from altresponse.evaluation.did_twfe import event_twfe, static_twfe

FIRST = 2021 * 12  # 2021-01 as a month ordinal
DRAWS = 200
Effect = Callable[[NDArray[np.int64]], NDArray[np.float64]]


def constant(size: float) -> Effect:
    """SIZE in every period from the start on."""
    return lambda since: np.where(since >= 0, size, 0.0)


def synthetic(
    seed: int,
    starts: Sequence[int],
    effect: Effect | None = None,
    *,
    months: int = 36,
    trend: float = 0.0,
) -> Panel:
    """Unit and month effects, AR(1) noise (rho 0.5), EFFECT after each unit's start.

    TREND adds a slope per month to the treated units, before and after the start.
    """
    effect = effect or constant(2.0)
    rng = np.random.default_rng(seed)
    start = np.asarray(starts, dtype=np.int64)
    units, treated = len(start), start != NEVER
    periods = np.arange(FIRST, FIRST + months, dtype=np.int64)
    noise = np.empty((units, months))
    noise[:, 0] = rng.normal(0, 1, units)
    shocks = rng.normal(0, np.sqrt(1 - 0.5**2), (units, months))
    for t in range(1, months):
        noise[:, t] = 0.5 * noise[:, t - 1] + shocks[:, t]
    since = periods[None, :] - np.where(treated, start, FIRST - 10**6)[:, None]
    y = (
        rng.normal(10, 2, units)[:, None]
        + np.cumsum(rng.normal(0, 0.5, months))[None, :]
        + noise
        + np.where(treated[:, None], effect(since) + trend * (periods - FIRST)[None, :], 0.0)
    )
    return Panel(
        source="synthetic.csv",
        spec=PanelSpec(),
        clock=Clock(Frequency.MONTH),
        units=tuple(f"Z{u:02d}" for u in range(units)),
        periods=periods,
        unit=np.repeat(np.arange(units), months),
        period=np.tile(np.arange(months), units),
        y=y.ravel(),
        start=start,
    )


COMMON = [FIRST + 18] * 20 + [NEVER] * 20  # 40 zones, half start in 2022-07
STAGGERED = [FIRST + 6] * 10 + [FIRST + 14] * 10 + [FIRST + 24] * 10 + [NEVER] * 10


def coverage(intervals: list[tuple[float, float]], truth: float) -> float:
    return float(np.mean([low <= truth <= high for low, high in intervals]))


# --- the estimators: honest intervals ------------------------------------------------------


def test_twfe_interval_covers_the_true_effect_with_common_timing() -> None:
    estimates = [static_twfe(synthetic(seed, COMMON)).estimate(0) for seed in range(DRAWS)]
    assert coverage([(e.ci_low, e.ci_high) for e in estimates], 2.0) >= 0.90
    assert np.mean([e.effect for e in estimates]) == pytest.approx(2.0, abs=0.05)


def test_staggered_interval_covers_the_true_effect() -> None:
    # Analytic influence-function errors: no bootstrap draws needed inside the 200 draws.
    estimates = [overall_att(group_time_att(synthetic(s, STAGGERED))) for s in range(DRAWS)]
    assert coverage([(e.ci_low, e.ci_high) for e in estimates], 2.0) >= 0.90
    assert np.mean([e.effect for e in estimates]) == pytest.approx(2.0, abs=0.05)


def test_twfe_is_biased_by_staggered_growing_effects_and_the_staggered_estimator_is_not() -> None:
    starts = [FIRST + 4] * 15 + [FIRST + 20] * 15 + [NEVER] * 10
    growing: Effect = lambda since: np.where(since >= 0, 0.2 * (since + 1), 0.0)  # noqa: E731
    # The target: every cohort-month after a start, weighted by cohort size (15 and 15).
    truth = float(np.mean([0.2 * (e + 1) for e in range(32)] + [0.2 * (e + 1) for e in range(16)]))
    panels = [synthetic(seed, starts, growing) for seed in range(60)]
    twfe = np.mean([static_twfe(p).estimate(0).effect for p in panels])
    staggered = [overall_att(group_time_att(p)) for p in panels]
    assert twfe < truth - 1.0  # already-treated units serve as controls: far too small
    assert np.mean([e.effect for e in staggered]) == pytest.approx(truth, abs=0.1)
    assert coverage([(e.ci_low, e.ci_high) for e in staggered], truth) >= 0.90


def test_staggered_standard_error_agrees_with_a_unit_bootstrap() -> None:
    panel = synthetic(7, STAGGERED)
    analytic = overall_att(group_time_att(panel)).se
    rng = np.random.default_rng(2026)
    grid, draws = panel.matrix(), []
    for _ in range(300):
        pick = rng.integers(0, panel.n_units, panel.n_units)
        resampled = Panel(
            source="boot",
            spec=panel.spec,
            clock=panel.clock,
            units=tuple(str(k) for k in range(panel.n_units)),
            periods=panel.periods,
            unit=panel.unit,
            period=panel.period,
            y=grid[pick].ravel(),
            start=panel.start[pick],
        )
        draws.append(overall_att(group_time_att(resampled)).effect)
    assert analytic == pytest.approx(np.std(draws), rel=0.15)


def test_group_time_effect_is_the_two_by_two_difference_of_means() -> None:
    grid = np.array(
        [[1.0, 2.0, 6.0, 7.0], [2.0, 3.0, 9.0, 9.0], [0.0, 1.0, 1.5, 4.0], [5.0, 5.0, 6.5, 6.0]]
    )
    start = np.array([FIRST + 2, FIRST + 2, NEVER, NEVER], dtype=np.int64)
    panel = Panel(
        source="tiny",
        spec=PanelSpec(),
        clock=Clock(Frequency.MONTH),
        units=("A", "B", "C", "D"),
        periods=np.arange(FIRST, FIRST + 4, dtype=np.int64),
        unit=np.repeat(np.arange(4), 4),
        period=np.tile(np.arange(4), 4),
        y=grid.ravel(),
        start=start,
    )
    gt = group_time_att(panel)
    cells = dict(zip(gt.period.tolist(), gt.att.tolist(), strict=True))
    # Base 2021-02 (column 1); treated A, B; controls C, D.
    assert cells[FIRST + 2] == pytest.approx((4 + 6) / 2 - (0.5 + 1.5) / 2)
    assert cells[FIRST + 3] == pytest.approx((5 + 6) / 2 - (3 + 1) / 2)
    assert cells[FIRST] == pytest.approx((-1 - 1) / 2 - (-1 + 0) / 2)
    assert FIRST + 1 not in cells  # the base period is the reference
    assert overall_att(gt).effect == pytest.approx((4.0 + 3.5) / 2)


# --- pre-trends and placebo ----------------------------------------------------------------


def _lead_test_p(panel: Panel) -> float:
    fit, kept = event_twfe(panel, 6, 6)
    test = fit.wald([k for k, e in enumerate(kept) if e < -1])
    assert test is not None and test.test == "F" and test.df == (5, panel.n_units - 1)
    return test.p_value


def test_placebo_finds_nothing_without_a_pre_trend() -> None:
    fits = [static_twfe(placebo_panel(synthetic(s, COMMON), 6)).estimate(0) for s in range(DRAWS)]
    assert coverage([(e.ci_low, e.ci_high) for e in fits], 0.0) >= 0.90


def test_placebo_uses_only_data_before_the_start() -> None:
    panel = synthetic(1, COMMON)
    fake = placebo_panel(panel, 6)
    assert fake.periods[-1] == FIRST + 17
    assert set(fake.cohorts.tolist()) == {FIRST + 12}


def test_pre_trend_test_rejects_a_built_in_pre_trend_and_rarely_otherwise() -> None:
    trending = [_lead_test_p(synthetic(s, COMMON, trend=0.2)) for s in range(100)]
    flat = [_lead_test_p(synthetic(s, COMMON)) for s in range(DRAWS)]
    assert np.mean(np.asarray(trending) < 0.05) >= 0.90
    assert np.mean(np.asarray(flat) < 0.05) <= 0.10


def test_staggered_pre_trend_test_rejects_a_built_in_pre_trend() -> None:
    def p(panel: Panel) -> float:
        _, test = event_att(group_time_att(panel), 6, 6)
        assert test is not None and test.test == "F" and test.df == (5, panel.n_units - 1)
        return test.p_value

    trending = [p(synthetic(s, STAGGERED, trend=0.2)) for s in range(100)]
    flat = [p(synthetic(s, STAGGERED)) for s in range(100)]
    assert np.mean(np.asarray(trending) < 0.05) >= 0.90
    assert np.mean(np.asarray(flat) < 0.05) <= 0.10


# --- the same numbers as statsmodels -------------------------------------------------------


def _frame(panel: Panel) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "zone": [panel.units[u] for u in panel.unit],
            "month": [panel.clock.label(int(o)) for o in panel.row_ordinals()],
            "calls": panel.y,
        }
    )


def _statsmodels(
    frame: pd.DataFrame, regressors: pd.DataFrame
) -> sm.regression.linear_model.RegressionResultsWrapper:
    dummies = pd.get_dummies(frame[["zone", "month"]], drop_first=True, dtype=float)
    design = sm.add_constant(pd.concat([regressors, dummies], axis=1))
    groups = pd.factorize(frame["zone"])[0]
    # use_t=True: t and F tests on G-1 degrees of freedom (statsmodels' own df correction).
    return sm.OLS(frame["calls"], design).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )


def _unbalanced(seed: int) -> Panel:
    full = synthetic(seed, [FIRST + 8] * 5 + [NEVER] * 9, months=14)
    keep = np.ones(len(full.y), dtype=bool)
    keep[[3, 17, 40, 41, 90, 150]] = False
    return full.subset(keep, full.start)


def test_static_twfe_matches_statsmodels_to_six_decimals() -> None:
    panel = _unbalanced(3)
    assert not panel.balanced
    ours = static_twfe(panel)
    frame = _frame(panel)
    treated = pd.Series(
        (panel.row_ordinals() >= panel.start[panel.unit]).astype(float), name="treated_after"
    )
    theirs = _statsmodels(frame, treated.to_frame())
    mine = ours.estimate(0)
    assert mine.effect == pytest.approx(theirs.params["treated_after"], abs=1e-6)
    assert mine.se == pytest.approx(theirs.bse["treated_after"], abs=1e-6)
    assert mine.p_value == pytest.approx(theirs.pvalues["treated_after"], abs=1e-6)
    low, high = theirs.conf_int().loc["treated_after"]
    assert (mine.ci_low, mine.ci_high) == pytest.approx((low, high), abs=1e-6)
    assert ours.k_params == theirs.model.exog.shape[1]


def test_event_study_and_lead_test_match_statsmodels_to_six_decimals() -> None:
    panel = _unbalanced(4)
    fit, kept = event_twfe(panel, 3, 2)
    since = np.clip(panel.row_ordinals() - panel.start[panel.unit], -3, 2)
    treated = panel.start[panel.unit] != NEVER
    columns = {f"event_{e}": ((since == e) & treated).astype(float) for e in kept}
    theirs = _statsmodels(_frame(panel), pd.DataFrame(columns))
    for k, name in enumerate(fit.names):
        mine = fit.estimate(k)
        assert mine.effect == pytest.approx(theirs.params[name], abs=1e-6)
        assert mine.se == pytest.approx(theirs.bse[name], abs=1e-6)
        assert mine.p_value == pytest.approx(theirs.pvalues[name], abs=1e-6)
    leads = [k for k, e in enumerate(kept) if e < -1]
    ours = fit.wald(leads)
    restriction = np.zeros((len(leads), len(theirs.params)))
    for row, k in enumerate(leads):
        restriction[row, list(theirs.params.index).index(fit.names[k])] = 1.0
    f = theirs.f_test(restriction)
    assert ours is not None
    assert ours.statistic == pytest.approx(float(np.squeeze(f.fvalue)), abs=1e-6)
    assert ours.p_value == pytest.approx(float(f.pvalue), abs=1e-6)
    assert ours.df == (int(f.df_num), int(f.df_denom))


# --- reading and checking a panel ----------------------------------------------------------


def _write_csv(path: Path, panel: Panel, *, start_column: bool = False) -> Path:
    frame = _frame(panel)
    if start_column:
        starts = [panel.start[u] for u in panel.unit]
        frame["start"] = ["" if s == NEVER else panel.clock.label(int(s)) for s in starts]
    frame.to_csv(path, index=False)
    return path


def _treated(panel: Panel) -> tuple[str, ...]:
    return tuple(u for u, t in zip(panel.units, panel.treated, strict=True) if t)


def test_load_panel_reads_months_and_flags_an_unbalanced_panel(tmp_path: Path) -> None:
    source = _unbalanced(5)
    path = _write_csv(tmp_path / "panel.csv", source)
    panel = load_panel(path, PanelSpec(treated=_treated(source), start="2021-09"))
    assert panel.n_units == 14 and panel.n_periods == 14 and not panel.balanced
    assert panel.clock.frequency is Frequency.MONTH
    assert np.allclose(panel.matrix()[~np.isnan(panel.matrix())], source.y)
    impact = estimate_impact(panel)
    assert any("unbalanced: 6 of 196" in w for w in impact.warnings)


def test_load_panel_reads_parquet_with_dates_and_a_start_column(tmp_path: Path) -> None:
    frame = _frame(synthetic(2, STAGGERED, months=30))
    frame["month"] = pd.to_datetime(frame["month"] + "-01").dt.date
    by_zone = dict(zip([f"Z{u:02d}" for u in range(40)], STAGGERED, strict=True))
    frame["start"] = [
        None if by_zone[z] == NEVER else f"{by_zone[z] // 12}-{by_zone[z] % 12 + 1:02d}"
        for z in frame["zone"]
    ]
    path = tmp_path / "panel.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    panel = load_panel(path, PanelSpec(start_column="start"))
    assert panel.clock.frequency is Frequency.MONTH and panel.balanced
    assert panel.cohorts.tolist() == [FIRST + 6, FIRST + 14, FIRST + 24]
    assert estimate_impact(panel).method is Method.STAGGERED


def test_weekly_dates_are_weeks(tmp_path: Path) -> None:
    rows = [
        f"{zone},2024-01-{day:02d},{value}"
        for zone in ("a", "b", "c")
        for day, value in ((1, 3), (8, 4), (15, 6), (22, 5))
    ]
    path = tmp_path / "weeks.csv"
    path.write_text("zone,week,calls\n" + "\n".join(rows) + "\n")
    panel = load_panel(path, PanelSpec(time="week", treated=("a",), start="2024-01-15"))
    assert panel.clock.frequency is Frequency.WEEK and panel.n_periods == 4
    assert panel.start[0] == 2 and panel.clock.label(2) == "2024-01-15"


def _bad(tmp_path: Path, text: str, spec: PanelSpec) -> str:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_panel(path, spec)
    return str(caught.value)


SPEC = PanelSpec(treated=("a",), start="2024-02")
GOOD = "zone,month,calls\na,2024-01,1\na,2024-02,2\nb,2024-01,3\nb,2024-02,4\n"


def test_a_duplicate_row_is_refused_naming_both_rows(tmp_path: Path) -> None:
    message = _bad(tmp_path, GOOD + "a,2024-01,9\n", SPEC)
    assert "line 6" in message and "duplicate row for zone 'a' and month 2024-01" in message
    assert "first at line 2" in message


def test_a_non_numeric_outcome_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    message = _bad(tmp_path, GOOD.replace("b,2024-01,3", "b,2024-01,many"), SPEC)
    assert "bad.csv line 4" in message and "column 'calls' is 'many', not a number" in message
    message = _bad(tmp_path, GOOD.replace("b,2024-01,3", "b,2024-01,"), SPEC)
    assert "line 4" in message and "'calls' is empty" in message


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (PanelSpec(unit="precinct", treated=("a",), start="2024-02"), "no column 'precinct'"),
        (PanelSpec(treated=("a", "zz"), start="2024-02"), "treated zone 'zz' not in"),
        (PanelSpec(treated=("a",), start="2023-06"), "outside"),
        (PanelSpec(treated=("a",), start="2024-01"), "a start needs a period before it"),
        (PanelSpec(treated=("a",), start="2024-09"), "outside"),
        (PanelSpec(treated=("a",), start="soon"), "expected YYYY-MM"),
        (PanelSpec(treated=("a", "b"), start="2024-02"), "no comparison group"),
        (PanelSpec(), "say who got the program"),
    ],
)
def test_bad_treatment_or_columns_are_refused(
    tmp_path: Path, spec: PanelSpec, message: str
) -> None:
    assert message in _bad(tmp_path, GOOD, spec)


def test_a_start_column_must_hold_one_start_per_unit(tmp_path: Path) -> None:
    text = "zone,month,calls,start\na,2024-01,1,2024-02\na,2024-02,2,2024-03\nb,2024-01,3,\n"
    message = _bad(tmp_path, text, PanelSpec(start_column="start"))
    assert "line 3" in message and "one start per unit" in message


def test_mixed_kinds_of_time_are_refused(tmp_path: Path) -> None:
    message = _bad(tmp_path, GOOD.replace("b,2024-02", "b,7"), SPEC)
    assert "line 5" in message and "column 'month'" in message


# --- the report ----------------------------------------------------------------------------


def test_report_says_it_in_plain_words_with_the_uncertainty() -> None:
    impact = estimate_impact(synthetic(11, COMMON, constant(-3.0)))
    data = impact_dict(impact)
    headline, pre, placebo = data["summary"]
    e = impact.estimate
    assert headline.startswith("After the program started in 2022-07, calls per zone-month fell by")
    assert f"(95% interval {-e.ci_high:.1f} to {-e.ci_low:.1f})" in headline
    assert pre.startswith("Before it started, the two groups moved together (pre-trend test p = ")
    assert placebo.startswith("A placebo start 6 months earlier finds no effect (")
    assert data["pre_trend"]["test"] == "F" and data["standard_errors"]["clusters"] == 40
    assert [p["event_time"] for p in data["event_study"]] == list(range(-6, 7))
    assert data["event_study"][5] == {"event_time": -1, "label": "-1", "effect": 0.0}
    assert data["warnings"] == []


def test_few_clusters_and_few_treated_units_are_warned_about() -> None:
    impact = estimate_impact(synthetic(3, [FIRST + 18] * 3 + [NEVER] * 9))
    text = " ".join(impact.warnings)
    assert "Only 12 zones" in text and "Only 3 zones got the program" in text
    assert "Only 12 zones" in render(impact)


def test_staggered_report_names_the_method_and_the_biased_alternative() -> None:
    impact = estimate_impact(synthetic(5, STAGGERED))
    data = impact_dict(impact)
    assert data["method"] == "callaway_santanna" and data["controls"] == "never treated"
    assert "started at different times" in data["method_reason"]
    assert "Plain two-way fixed effects" in data["method_reason"]
    assert data["pre_trend"]["test"] == "F"
    assert [c["start"] for c in data["cohorts"]] == ["2021-07", "2022-03", "2023-01"]
    assert data["twfe_for_comparison"]["effect"] is not None


def test_without_never_treated_units_the_not_yet_treated_are_controls() -> None:
    impact = estimate_impact(synthetic(6, [FIRST + 8] * 20 + [FIRST + 26] * 20))
    assert impact.method is Method.STAGGERED and impact.controls == "not yet treated"
    assert impact.estimate.ci_low <= 2.0 <= impact.estimate.ci_high
    assert "did not have it yet" in impact_dict(impact)["summary"][0]


def test_placebo_too_early_is_explained_not_failed() -> None:
    impact = estimate_impact(synthetic(8, [FIRST + 4] * 20 + [NEVER] * 20))
    assert impact.placebo.estimate is None
    assert "within 6 periods of the panel's first period" in impact_dict(impact)["summary"][2]


# --- the command ---------------------------------------------------------------------------


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """The `evaluate` group, as the lead registers it."""

    app.command("did")(did_cmd)
    return app


def test_cli_writes_the_report_and_the_numbers(tmp_path: Path) -> None:
    source = synthetic(12, COMMON)
    path = _write_csv(tmp_path / "panel.csv", source)
    out = tmp_path / "report"
    treated = ",".join(_treated(source))
    args = ["did", str(path), "--treated", treated, "--start", "2022-07", "-o", str(out)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert "rose by" in result.stdout and "Report:" in result.stdout
    html = (out / "index.html").read_text()
    assert "<svg" in html and "<script" not in html.lower()
    assert not re.search(r"""\b(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*[\"']?\s*(https?:)?//", html, re.I)
    data = json.loads((out / "did.json").read_text())
    assert data["method"] == "twfe" and data["panel"]["units"] == 40
    assert data["estimate"]["ci_low"] <= 2.0 <= data["estimate"]["ci_high"]


def test_cli_picks_the_staggered_estimator_from_a_start_column(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "panel.csv", synthetic(13, STAGGERED), start_column=True)
    args = ["did", str(path), "--start-column", "start", "-o", str(tmp_path / "r"), "--json"]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "callaway_santanna"
    assert "Callaway & Sant'Anna" in unescape((tmp_path / "r" / "index.html").read_text())


@pytest.mark.parametrize(
    ("extra", "text", "message"),
    [
        (["--outcome", "volume"], GOOD, "no column 'volume' for the outcome"),
        ([], GOOD + "b,2024-02,5\n", "line 6: duplicate row for zone 'b'"),
        ([], GOOD.replace("b,2024-01,3", "b,2024-01,x"), "line 4: column 'calls' is 'x'"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, extra: list[str], text: str, message: str
) -> None:
    path = tmp_path / "panel.csv"
    path.write_text(text)
    args = ["did", str(path), "--treated", "a", "--start", "2024-02", "-o", str(tmp_path / "r")]
    result = CliRunner().invoke(_app(), [*args, *extra])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    assert not (tmp_path / "r").exists()


def test_starts_can_be_a_mapping_of_unit_to_start(tmp_path: Path) -> None:
    path = tmp_path / "panel.csv"
    path.write_text(GOOD.replace("a,2024-02,2", "a,2024-02,2\na,2024-03,5\nb,2024-03,4\n").strip())
    spec = PanelSpec(starts={"a": "2024-02", "b": None})
    panel = load_panel(path, spec)
    assert panel.start.tolist() == [2024 * 12 + 1, NEVER] and not panel.staggered
    assert "'zz' not in" in _bad(tmp_path, GOOD, PanelSpec(starts={"zz": "2024-02"}))


def test_a_pre_trend_rejection_with_few_treated_units_is_a_warning_not_a_finding() -> None:
    from altresponse.evaluation.did_words import pre_trend_sentence

    impact = estimate_impact(synthetic(3, [FIRST + 18] * 3 + [NEVER] * 9))
    assert impact.pre_trend is not None
    rejected = replace(impact.pre_trend, p_value=0.01)
    few = pre_trend_sentence(rejected, few_treated=True)
    assert "rejects too often" in few and "did not move together" not in few
    many = pre_trend_sentence(rejected, few_treated=False)
    assert "did not move together" in many
    assert "moved together" in pre_trend_sentence(replace(rejected, p_value=0.5), few_treated=True)
