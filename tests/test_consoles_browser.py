"""The consoles in headless Chromium, against a live service on 127.0.0.1.

The story of issue 7: a call with a weapon gets police with the reason; a benign welfare call is
taken and its team dispatched from the keyboard; the responder (on a 360 px phone) goes on scene,
asks for backup, refers and clears; the supervisor board counts it. Every page updates from the
event stream without a reload, asks nothing of another host, and passes basic accessibility checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route, expect

from altresponse.operations.lifecycle import State
from browser import ARTIFACTS
from consoles import LiveService, serve
from opsutil import PASSWORD, welfare_record

pytest_plugins = ["browser"]

SAFE_ANSWERS = "nnnnnn0yy"
"""Keys for the questions in order: no weapon, violence, crime, danger, emergency or injury; no
suicide risk; the caller asks for a civilian team and can wait."""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    yield from serve(tmp_path_factory.mktemp("consoles"))


class Watch:
    """What a page did wrong: console errors, page errors, requests that left 127.0.0.1."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.offsite: list[str] = []

    def route(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1" or route.request.url.startswith("data:"):
            route.continue_()
        else:
            self.offsite.append(route.request.url)
            route.abort("blockedbyclient")

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


def open_console(
    browser: Browser, service: LiveService, path: str, user: str, watch: Watch, **viewport: int
) -> tuple[BrowserContext, Page]:
    size = {"width": viewport.get("width", 1440), "height": viewport.get("height", 900)}
    context = browser.new_context(viewport=size, is_mobile=size["width"] < 500)
    context.route("**/*", watch.route)
    page = context.new_page()
    page.on("console", watch.console)
    page.on("pageerror", lambda exc: watch.errors.append(exc.message))
    page.goto(f"{service.url}{path}")
    page.fill("#login-name", user)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("body[data-ready=yes]")
    return context, page


def screen_call(page: Page, call_type: str, notes: str, keys: str) -> None:
    """Type the call as a call-taker does: type, notes, then one key per question."""
    page.keyboard.press("F2")
    page.fill("#call-type", call_type)
    page.fill("#call-notes", notes)
    page.locator("fieldset.q input:checked").first.focus()
    for key in keys:
        page.keyboard.press(key)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def test_a_call_with_a_weapon_gets_police_and_says_why(
    chromium: Browser, service: LiveService
) -> None:
    watch = Watch()
    context, page = open_console(chromium, service, "/console", "casey", watch)
    screen_call(page, "Welfare Check (WELFARE)", "caller says her son has a knife", SAFE_ANSWERS)
    expect(page.locator("#decision-response")).to_contain_text("Denver Police")
    expect(page.locator("#decision-reasons li.flag")).to_contain_text("weapon")
    expect(page.locator("#decision-team")).to_have_text("")
    # the weapon answer itself, with clean notes, is a red flag too
    screen_call(page, "Welfare Check (WELFARE)", "neighbour worried", "y" + SAFE_ANSWERS[1:])
    expect(page.locator("#decision-response")).to_contain_text("Denver Police")
    expect(page.locator("#decision-reasons li.flag")).to_contain_text("weapon")
    page.keyboard.press("F8")
    expect(page.locator("#taken")).to_contain_text("escalated")
    expect(page.locator("#dispatch-taken")).to_be_hidden()
    assert service.ops.queue() == []
    assert watch.errors == [] and watch.offsite == []
    context.close()


def test_unanswered_questions_never_send_a_team_alone(
    chromium: Browser, service: LiveService
) -> None:
    watch = Watch()
    context, page = open_console(chromium, service, "/console", "casey", watch)
    screen_call(page, "Welfare Check (WELFARE)", "man asleep in a doorway", "")
    expect(page.locator("#decision-response")).not_to_contain_text("STAR van")
    expect(page.locator("#decision-unanswered")).to_contain_text("weapon")
    expect(page.locator("fieldset[data-field=weapon]")).to_have_attribute("data-missing", "yes")
    context.close()


def test_the_story_from_call_to_board(
    chromium: Browser, service: LiveService, request: pytest.FixtureRequest
) -> None:
    watch = Watch()
    contexts = []
    board_context, board = open_console(chromium, service, "/supervisor", "sam", watch)
    phone_context, phone = open_console(
        chromium, service, "/responder", "rae", watch, width=360, height=780
    )
    desk_context, desk = open_console(chromium, service, "/console", "dana", watch)
    contexts += [board_context, phone_context, desk_context]
    calls_before = int(board.locator("#t-calls").inner_text())

    # the dispatcher takes a benign welfare call and dispatches the recommended team (F8, F9)
    screen_call(
        desk,
        "Welfare Check (WELFARE)",
        "man sleeping in a doorway, asked for a blanket",
        SAFE_ANSWERS,
    )
    expect(desk.locator("#decision-response")).to_contain_text("STAR van")
    expect(desk.locator("#decision-team")).to_contain_text("star-1")
    desk.keyboard.press("F8")
    expect(desk.locator("#taken")).to_contain_text("queued")
    expect(desk.locator("#dispatch-taken")).to_be_focused()
    desk.keyboard.press("F9")
    expect(desk.locator("#taken")).to_contain_text("Dispatched star-1")
    expect(desk.locator("#units tbody tr", has_text="star-1")).to_contain_text("dispatched")
    shot(desk, "console-dispatcher")

    # the responder's phone shows the assignment without a reload
    phone.select_option("#my-team", label="star-1")
    expect(phone.locator("#a-type")).to_have_text("Welfare Check")
    phone.click("button[data-state=on_scene]")
    expect(phone.locator("#a-state")).to_have_text("on scene")
    expect(desk.locator("#units tbody tr", has_text="star-1")).to_contain_text("on scene")
    phone.click("button[data-backup=police]")
    expect(phone.locator("#backup-dialog")).to_be_visible()
    expect(phone.locator("#backup-confirm")).to_be_focused()
    shot(phone, "console-responder-backup")
    phone.click("#backup-confirm")
    expect(phone.locator("#a-log")).to_contain_text("police backup requested")
    phone.select_option(
        "#resource", label="Denver crisis stabilisation unit (crisis stabilisation, 24/7)"
    )
    phone.click("#referral-form button")
    expect(phone.locator("#a-log")).to_contain_text("referred to Denver crisis stabilisation unit")
    phone.select_option("#disposition", "referred")
    phone.click("#disposition-form button")
    expect(phone.locator("#a-log")).to_contain_text("disposition: referred")
    phone.click("button[data-state=cleared]")
    expect(phone.locator("#a-state")).to_have_text("cleared")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "console-responder")

    # the store says the same as the screens
    taken = [i for i in service.ops.open_incidents() if i.team_id is not None]
    assert len(taken) == 1 and taken[0].state == State.CLEARED
    kinds = [e.kind for e in service.ops.events(taken[0].id)]
    assert {"backup", "referral", "disposition"} <= set(kinds)

    # the supervisor board counts it, live: a call, served, a backup, a debrief now due
    expect(board.locator("#t-calls")).to_have_text(str(calls_before + 1))
    expect(board.locator("#t-backup")).not_to_have_text("–")
    row = board.locator("#teams tbody tr", has_text="star-1")
    expect(row).to_contain_text("debrief due")
    shot(board, "console-supervisor")
    row.get_by_role("button", name="Record the debrief of star-1").click()
    expect(row).not_to_contain_text("debrief due")
    assert watch.errors == [] and watch.offsite == []
    for context in contexts:
        context.close()


def test_the_queue_updates_live_when_another_desk_takes_a_call(
    chromium: Browser, service: LiveService
) -> None:
    watch = Watch()
    context, page = open_console(chromium, service, "/console", "dana", watch)
    service.ops.intake(welfare_record("live-1", received_at=service.clock()), "cad")
    expect(page.locator("#queue tbody tr")).to_have_count(1, timeout=5000)
    expect(page.locator("#queue tbody tr")).to_contain_text("Welfare Check")
    context.close()


CONTRAST_JS = """() => {
  const parse = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c.length < 4 || c[3] > 0.5) return c;
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!text || el.closest("[hidden], button:disabled, option, datalist, script")) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    const fg = lum(parse(getComputedStyle(el).color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)}`);
  }
  return low;
}"""

UNLABELLED_JS = """() => [...document.querySelectorAll("input, select, textarea, button")]
  .filter((el) => el.type !== "hidden" && !el.closest("[hidden]") && el.getClientRects().length)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                  && !el.textContent.trim())
  .map((el) => el.id || el.name || el.outerHTML.slice(0, 60))"""


@pytest.mark.parametrize(
    ("path", "user", "width"),
    [("/console", "dana", 1440), ("/responder", "rae", 360), ("/supervisor", "sam", 1280)],
)
def test_every_console_is_labelled_and_legible(
    chromium: Browser, service: LiveService, path: str, user: str, width: int
) -> None:
    watch = Watch()
    context, page = open_console(chromium, service, path, user, watch, width=width)
    if path == "/responder":
        page.select_option("#my-team", label="star-2")
    assert page.evaluate(UNLABELLED_JS) == []
    assert page.evaluate(CONTRAST_JS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert watch.errors == [] and watch.offsite == []
    context.close()


def test_the_call_form_is_in_the_order_a_call_taker_works(
    chromium: Browser, service: LiveService
) -> None:
    watch = Watch()
    context, page = open_console(chromium, service, "/console", "casey", watch)
    expect(page.locator("#call-type")).to_be_focused()
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.name"))
    assert order == ["call-source", "call-zone", "call-notes", "q-weapon", "q-violence"]
    # one key answers a question and moves to the next
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("n")
    expect(page.locator("fieldset[data-field=weapon] input:checked")).to_have_value("false")
    assert page.evaluate("document.activeElement.name") == "q-violence"
    context.close()


def test_the_pages_are_served_with_a_strict_content_policy(service: LiveService) -> None:
    import httpx

    for path in ("/", "/console", "/responder", "/supervisor"):
        response = httpx.get(f"{service.url}{path}")
        assert response.status_code == 200
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "http" not in response.text.split("</head>")[0].replace("http-equiv", "")
    assert httpx.get(f"{service.url}/static/console.js").status_code == 200
