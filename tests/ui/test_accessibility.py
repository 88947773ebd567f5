"""A light accessibility check of every page: labelled controls, named buttons and links, one h1, text
contrast (WCAG AA), and keyboard reachability (skip link first, then the page's controls)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.ui.conftest import Site, sign_in

AUDIT = """() => {
  const problems = [];
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || !visible(el)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) problems.push("unlabelled " + el.tagName + " " + (el.name || el.id));
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!visible(el)) continue;
    if (!(el.textContent || "").trim() && !el.getAttribute("aria-label") && !el.title) problems.push("unnamed " + el.outerHTML.slice(0, 80));
  }
  if (document.querySelectorAll("h1").length !== 1) problems.push("expected one h1");
  if (!document.documentElement.lang) problems.push("no lang on html");
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c; } return [255, 255, 255]; };
  for (const el of document.querySelectorAll("body *")) {
    if (!visible(el) || el.closest("svg, canvas, #graph, .chart, .legend")) continue;
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(el);
    const fg = rgb(style.color), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push("contrast " + ratio.toFixed(2) + " on " + el.tagName + ": " + el.textContent.trim().slice(0, 40));
  }
  return problems;
}"""


@pytest.fixture
def signed_in(page: Any, site: Site) -> Any:
    sign_in(page, site, site.full)
    return page


def _pages(site: Site, lot: str) -> list[str]:
    lot_q = quote(lot, safe="")
    return [
        "/ui/",
        f"/ui/trace?id={lot_q}",
        f"/ui/recall?ids={lot_q}",
        "/ui/events?EQ_bizStep=shipping",
        "/ui/exceptions",
    ]


def test_every_page_has_labelled_controls_and_enough_contrast(
    signed_in: Any, site: Site, demo_lot: str
) -> None:
    page = signed_in
    found: dict[str, list[str]] = {}
    for path in _pages(site, demo_lot):
        page.goto(site.at(path))
        page.wait_for_load_state("networkidle")
        problems = page.evaluate(AUDIT)
        if problems:
            found[path] = problems
    assert not found, found


def test_the_sign_in_page_is_accessible(page: Any, site: Site) -> None:
    page.goto(site.at("/ui/login"))
    assert page.evaluate(AUDIT) == []


def test_pages_work_from_the_keyboard(signed_in: Any, site: Site, demo_lot: str) -> None:
    page = signed_in
    page.goto(site.at("/ui/trace"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(3):  # from the top of the content: the identifier field is the first control
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id":
            break
    assert page.evaluate("document.activeElement.id") == "id"
    page.keyboard.type(demo_lot)
    page.keyboard.press("Enter")  # submits the search
    page.wait_for_function("window.lotlineGraph !== undefined")
    # the items table gives keyboard access to every node: Show opens its details
    page.locator("#items-table summary").focus()
    page.keyboard.press("Enter")
    page.locator(".show-node").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#node-status")
    # the navigation reaches every page by Tab
    page.goto(site.at("/ui/"))
    names = []
    for _ in range(8):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert {"Overview", "Trace explorer", "Recall workbench", "Events", "Exceptions"} <= set(names)
