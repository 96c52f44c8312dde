"""The public dashboard in headless Chromium: offline, no console errors, every chart drawn."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Browser

from altresponse.evaluation.publish import publish
from browser import render, svg_shapes
from test_evaluation_privacy import synthetic_contacts

pytest_plugins = ["browser"]

CHARTS = 12
"""Calls by week (and overall), by zone, served (bars and share), unserved reasons (by week and
overall), dispositions (by week and overall), transports, response times, backup."""
MIN_SHAPES = 8
"""Fewer drawn shapes than this in a chart means it came out empty."""


def test_dashboard_renders_offline_with_every_chart_drawn(
    chromium: Browser, tmp_path: Path
) -> None:
    contacts = synthetic_contacts(6000, weeks=8, seed=3)
    site = publish(contacts, "America/Denver", tmp_path / "site", program_name="Test City CARE",
                   generated_at=datetime(2025, 5, 1, 12, tzinfo=UTC))  # fmt: skip
    page = render(chromium, site.index, "public-dashboard")
    try:
        assert page.console_errors == []
        assert page.page_errors == []
        assert page.network == []
        shapes = svg_shapes(page.page, "svg.chart-svg")
        assert len(shapes) == CHARTS
        assert all(n >= MIN_SHAPES for n in shapes), shapes
        labels = page.page.eval_on_selector_all(
            "svg.chart-svg", "els => els.map(e => [e.getAttribute('role'), e.ariaLabel])"
        )
        assert all(role == "img" and label for role, label in labels), labels
        widths = page.page.eval_on_selector_all(
            "svg.chart-svg", "els => els.map(e => e.getBoundingClientRect().width)"
        )
        assert all(w > 200 for w in widths), widths
        # Tables open without script; a suppressed cell says so and points to why.
        summaries = page.page.locator("details summary")
        for k in range(summaries.count()):
            summaries.nth(k).click()
        assert page.page.locator("details table").first.is_visible()
        hidden = page.page.locator("td.s")
        assert hidden.count() > 0 and hidden.first.inner_text() == "suppressed"
        assert page.page.locator("#suppression").inner_text().startswith("Suppressed.")
        assert page.page.locator(".cards .card").count() == 6
        assert page.screenshot.stat().st_size > 50_000
    finally:
        page.close()
