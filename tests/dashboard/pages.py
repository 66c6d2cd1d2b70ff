"""Driving Parse Dashboard's pages as a person would: real mouse clicks and typed keys over
Chromium's DevTools protocol (tests/browser.py), and the JavaScript expressions that find what to
click or wait for — a button by its label, a cell of the data browser, an element by its text."""

from __future__ import annotations

import json

from tests.browser import Page
from tests.dashboard.served import DASHBOARD_PASS, DASHBOARD_USER, SHOTS, Dashboard


async def click(page: Page, element: str, clicks: int = 1, scroll: bool = True) -> None:
    """A real mouse click (``clicks`` 2: a double click) in the middle of ``element`` (a JS expression),
    scrolled into view first unless ``scroll`` is false (a scroll closes the dashboard's popovers)."""
    into_view = "e.scrollIntoView({block: 'center', inline: 'center'});" if scroll else ""
    x, y = await page.evaluate(
        f"(() => {{ const e = {element}; {into_view}"
        " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    await page.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
    for n in range(1, clicks + 1):
        for kind in ("mousePressed", "mouseReleased"):
            await page.send("Input.dispatchMouseEvent",
                            {"type": kind, "x": x, "y": y, "button": "left", "clickCount": n})


async def type_text(page: Page, text: str) -> None:
    await page.send("Input.insertText", {"text": text})


async def enter(page: Page) -> None:
    for kind in ("keyDown", "keyUp"):
        await page.send("Input.dispatchKeyEvent", {"type": kind, "windowsVirtualKeyCode": 13, "key": "Enter",
                                                   "code": "Enter", **({"text": "\r"} if kind == "keyDown" else {})})


def shows(needle: str) -> str:
    """True while the page's text includes ``needle``."""
    return f"(document.body && document.body.innerText.includes({json.dumps(needle)}))"


def cell(object_id: str, text: str) -> str:
    """The data browser's cell showing ``text`` in the row of ``object_id``."""
    row = f"[...document.querySelectorAll('span')].find(e => e.innerText === {json.dumps(object_id)}).parentElement"
    return f"[...{row}.children].find(c => c.innerText === {json.dumps(text)})"


def button(label: str) -> str:
    return f"[...document.querySelectorAll('button')].find(b => b.innerText.trim() === {json.dumps(label)})"


def leaves(text: str) -> str:
    """The elements without children whose text is ``text``."""
    return f"[...document.querySelectorAll('body *')].filter(e => e.children.length === 0 && e.innerText === {json.dumps(text)})"


def leaf(text: str, last: bool = False) -> str:
    """The first (with ``last``: the last) element without children whose text is ``text``."""
    return f"{leaves(text)}.{'pop()' if last else 'shift()'}"


async def choose(page: Page, opener: str, option: str, chosen: str) -> None:
    """Opens the dashboard's dropdown ``opener`` and clicks ``option`` in it until ``chosen`` (JS
    expressions all three). The dropdown's popover slides in, so a click may land before it settles:
    each try waits for the option to stand still, and the whole is retried until the choice shows
    (then a screenshot ``dropdown-failed.png`` and an AssertionError)."""
    for _ in range(5):
        if not await page.evaluate(f"!!({option})"):
            await click(page, opener)
            await page.wait_for(f"!!({option})", 10)
        rect = f"(() => {{ const r = ({option}).getBoundingClientRect(); return [r.x, r.y].join(); }})()"
        here = await page.evaluate(rect)
        while True:  # a few frames until the popover stops moving
            await page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            now = await page.evaluate(rect)
            if now == here:
                break
            here = now
        await click(page, option)
        try:
            await page.wait_for(chosen, 3)
            return
        except AssertionError:
            continue
    await page.screenshot(SHOTS / "dropdown-failed.png")
    raise AssertionError(f"the dropdown never showed {chosen!r}")


async def log_in(dash: Dashboard, path: str, shot: str | None = None) -> None:
    """The dashboard's own login, typed in, on the way to ``path`` (under the app)."""
    page = dash.page
    await page.goto(f"{dash.app}/{path}")
    await page.wait_for("!!document.querySelector('input[name=password]')")
    await click(page, "document.querySelector('input[name=username]')")
    await type_text(page, DASHBOARD_USER)
    await click(page, "document.querySelector('input[name=password]')")
    await type_text(page, DASHBOARD_PASS)
    if shot:
        await page.screenshot(SHOTS / shot)
    await click(page, "document.querySelector('input[type=submit]')")
