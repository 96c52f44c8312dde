"""The plan report in headless Chromium: no console errors, no network, every chart drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import ingest
from altresponse.planning.analysis import Plan, make_plan
from altresponse.planning.compare import write_compare
from altresponse.planning.report import write_plan
from altresponse.programs import load_program
from altresponse.samplecity import generate
from browser import print_pdf, render, svg_shapes

pytest_plugins = ["browser"]

CHARTS = 8
"""Vera categories, demand classes, deciding rules, hour of week, zones, map, months, pilot."""
MIN_SHAPES = 8
"""Fewer drawn shapes than this in a chart means it came out empty."""


@pytest.fixture(scope="module")
def sample_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    work = tmp_path_factory.mktemp("plan-browser")
    export = work / "sample_city.csv"
    generate(export, seed=7, calls=6000)
    table = work / "calls.parquet"
    ingest(export, find_adapter("sample_city"), table)
    return make_plan(table, load_program("star_denver"))


def test_report_renders_offline_with_every_chart_drawn(
    chromium: Browser, sample_plan: Plan, tmp_path: Path
) -> None:
    html, _ = write_plan(sample_plan, tmp_path / "plan")
    page = render(chromium, html, "plan-report")
    try:
        assert page.console_errors == []
        assert page.page_errors == []
        assert page.network == []
        shapes = svg_shapes(page.page, "svg.chart-svg")
        assert len(shapes) == CHARTS
        assert all(n >= MIN_SHAPES for n in shapes), shapes
        # the heatmap draws one cell per hour of the week
        heat = page.page.locator("#when-where svg.chart-svg").first
        assert heat.locator("path").count() >= 7 * 24
        sizes = page.page.eval_on_selector_all(
            "svg.chart-svg", "els => els.map(e => e.getBoundingClientRect().width)"
        )
        assert all(width > 200 for width in sizes), sizes
        assert page.screenshot.stat().st_size > 50_000
        pdf = print_pdf(page.page)
        assert pdf.startswith(b"%PDF")
        assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 3
    finally:
        page.close()


def test_comparison_renders_offline(chromium: Browser, sample_plan: Plan, tmp_path: Path) -> None:
    html = write_compare(["year-a", "year-b"], [sample_plan, sample_plan], tmp_path / "compare")
    page = render(chromium, html, "plan-compare")
    try:
        assert page.console_errors == []
        assert page.network == []
        headers = page.page.locator("table").first.locator("th").all_inner_texts()
        assert headers[1:] == ["year-a", "year-b"]
        link = page.page.locator('a[href="year-a/index.html"]')
        assert link.count() == 1
    finally:
        page.close()
    inner = render(chromium, tmp_path / "compare" / "year-a" / "index.html", "plan-compare-a")
    try:
        assert inner.console_errors == [] and inner.network == []
        assert len(svg_shapes(inner.page, "svg.chart-svg")) == CHARTS
    finally:
        inner.close()
