"""The browser harness itself: it sees what a reader sees, and everything that went wrong."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from browser import Rendered, print_pdf, render, svg_shapes

pytest_plugins = ["browser"]

CHART = """<!doctype html>
<html><head><meta charset="utf-8"><title>Calls by track</title>
<style>@media print { .screen-only { display: none; } }</style></head>
<body>
<h1>Calls by track</h1>
<p class="screen-only">Hover a bar for its count.</p>
<svg id="bars" width="300" height="120">
  <defs><clipPath id="clip"><rect width="300" height="120"/></clipPath></defs>
  <rect x="10" y="20" width="40" height="100" fill="steelblue"/>
  <rect x="60" y="60" width="40" height="60" fill="steelblue"/>
  <rect x="110" y="90" width="40" height="30" fill="steelblue"/>
  <rect x="160" y="120" width="40" height="0" fill="steelblue"/>
  <line x1="0" y1="120" x2="300" y2="120" stroke="black"/>
</svg>
<svg id="empty" width="300" height="120"></svg>
<svg id="drawn-by-script" width="300" height="120"></svg>
<script>
  const svg = document.getElementById("drawn-by-script");
  for (let i = 0; i < 4; i++) {
    const c = document.createElementNS("http://www.w3.org/2000/svg", "circle");
    c.setAttribute("cx", 20 + 30 * i); c.setAttribute("cy", 60); c.setAttribute("r", 10);
    svg.appendChild(c);
  }
</script>
</body></html>
"""

BROKEN = """<!doctype html>
<html><head><meta charset="utf-8"><title>Broken</title></head>
<body>
<img src="http://127.0.0.1:9/x.png" alt="remote">
<script>console.error('boom')</script>
<script>throw new Error('kaboom')</script>
</body></html>
"""


@pytest.fixture
def show(chromium: Browser, tmp_path: Path) -> Iterator[Callable[[str, str], Rendered]]:
    """Write HTML to a file, render it, and close its page after the test."""
    opened: list[Rendered] = []

    def _show(html: str, name: str) -> Rendered:
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        opened.append(render(chromium, path, name))
        return opened[-1]

    yield _show
    for rendered in opened:
        rendered.close()


def test_clean_chart_renders_offline_without_errors(show: Callable[[str, str], Rendered]) -> None:
    rendered = show(CHART, "harness-chart")
    assert rendered.console_errors == []
    assert rendered.page_errors == []
    assert rendered.network == []
    assert rendered.page.title() == "Calls by track"


def test_svg_shapes_counts_only_drawn_shapes(show: Callable[[str, str], Rendered]) -> None:
    rendered = show(CHART, "harness-shapes")
    # Three bars and the axis line; the zero-height bar and the clip rect in <defs> are not drawn.
    assert svg_shapes(rendered.page, "#bars") == [4]
    assert svg_shapes(rendered.page, "svg") == [4, 0, 4]
    assert svg_shapes(rendered.page, "#missing") == []


def test_broken_page_reports_network_console_and_page_errors(
    show: Callable[[str, str], Rendered],
) -> None:
    rendered = show(BROKEN, "harness-broken")
    assert rendered.network == ["http://127.0.0.1:9/x.png"]
    assert "boom" in rendered.console_errors
    assert len(rendered.page_errors) == 1
    assert "kaboom" in rendered.page_errors[0]


def test_screenshot_is_a_full_page_png(show: Callable[[str, str], Rendered]) -> None:
    rendered = show(CHART, "harness-screenshot")
    assert rendered.screenshot.name == "harness-screenshot.png"
    assert rendered.screenshot.parent.parts[-2:] == ("build", "artifacts")
    data = rendered.screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280
    assert height >= 900


def test_print_pdf_uses_print_media(show: Callable[[str, str], Rendered]) -> None:
    rendered = show(CHART, "harness-print")
    assert rendered.page.locator(".screen-only").is_visible()
    pdf = print_pdf(rendered.page)
    assert pdf.startswith(b"%PDF")
    assert not rendered.page.locator(".screen-only").is_visible()


def test_render_refuses_artifact_names_with_folders(chromium: Browser, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(CHART, encoding="utf-8")
    with pytest.raises(ValueError, match="plain file name"):
        render(chromium, page, "../escape")
