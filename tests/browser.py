"""Render self-contained HTML reports in headless Chromium and collect what a reader would see.

Test modules use it with `pytest_plugins = ["browser"]` (so the session fixture is registered once
and one browser serves the whole run) and `from browser import render, svg_shapes, print_pdf`.
PYTEST_DONT_REWRITE: the module holds no asserts, and test modules import it before their
pytest_plugins line registers it (pytest would otherwise warn it cannot rewrite it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Route,
    WebSocketRoute,
    sync_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "build" / "artifacts"
LOCAL_SCHEMES = frozenset({"file", "data", "blob", "about"})
# What counts as a drawn shape; lines and paths may be flat (gridlines, axes), the rest need area.
SHAPES_JS = """(svgs) => svgs.map((svg) => {
  const strokes = new Set(["path", "line", "polyline"]);
  let drawn = 0;
  const shapes = "path, rect, circle, ellipse, line, polyline, polygon, use";
  for (const el of svg.querySelectorAll(shapes)) {
    const box = el.getBoundingClientRect();
    if (getComputedStyle(el).visibility !== "visible") continue;
    const flat = strokes.has(el.localName.toLowerCase());
    if (flat ? box.width > 0 || box.height > 0 : box.width > 0 && box.height > 0) drawn += 1;
  }
  return drawn;
})"""


@dataclass
class Rendered:
    """A loaded report: the open page, what went wrong in it and what tried to go online."""

    page: Page
    console_errors: list[str]
    page_errors: list[str]
    network: list[str]
    screenshot: Path

    def close(self) -> None:
        """Close the page's browser context (the session browser stays up)."""
        self.page.context.close()


def _require_chromium() -> None:
    """Skip without Chromium locally; fail under CI, where `make test` must have installed it."""
    if CHROMIUM.is_file():
        return
    message = f"Chromium not found at {CHROMIUM}; `make test` installs it (Debian package chromium)"
    if os.environ.get("CI") or os.environ.get("ALTRESPONSE_REQUIRE_DATA") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for the whole test session (Playwright gives it a fresh profile)."""
    _require_chromium()
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        except Error as exc:
            pytest.fail(f"cannot start {CHROMIUM}: {exc.message}")
        yield browser
        browser.close()


def render(
    browser: Browser, html_path: Path, artifact_name: str, *, width: int = 1280, height: int = 900
) -> Rendered:
    """Open a local HTML file offline, wait for it to load, and screenshot the full page."""
    if not artifact_name or Path(artifact_name).name != artifact_name:
        raise ValueError(f"artifact name must be a plain file name, got {artifact_name!r}")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    rendered = Rendered(page, [], [], [], ARTIFACTS / f"{artifact_name}.png")
    context.route("**/*", lambda route: _keep_local(route, rendered.network))
    context.route_web_socket("**/*", lambda ws: _refuse_socket(ws, rendered.network))
    page.on("console", lambda msg: _record_console_error(msg, rendered.console_errors))
    page.on("pageerror", lambda exc: rendered.page_errors.append(exc.message))
    page.goto(html_path.resolve().as_uri(), wait_until="load")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=rendered.screenshot, full_page=True)
    return rendered


def print_pdf(page: Page) -> bytes:
    """Switch the page to print media (it stays there, for print checks) and return its PDF."""
    page.emulate_media(media="print")
    return page.pdf(print_background=True)


def svg_shapes(page: Page, selector: str) -> list[int]:
    """For each element matching selector (an `<svg>`), how many shapes are actually drawn."""
    counts: list[int] = page.eval_on_selector_all(selector, SHAPES_JS)
    return counts


def _keep_local(route: Route, network: list[str]) -> None:
    """Let local resources load; record and abort anything that would reach a network."""
    url = route.request.url
    if urlsplit(url).scheme in LOCAL_SCHEMES:
        route.continue_()
        return
    network.append(url)
    route.abort("blockedbyclient")


def _refuse_socket(ws: WebSocketRoute, network: list[str]) -> None:
    """Record a WebSocket attempt and close it without connecting to any server."""
    network.append(ws.url)
    ws.close()


def _record_console_error(message: ConsoleMessage, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(message.text)
