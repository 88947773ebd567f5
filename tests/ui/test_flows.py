"""The control tower's flows in a real browser, saving a screenshot of each page for docs/ui.md."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import Site, screenshot, sign_in


def test_a_wrong_key_is_refused(page: Any, site: Site) -> None:
    page.goto(site.at("/ui/events"))
    expect(page).to_have_url(re.compile(r"/ui/login\?next=%2Fui%2Fevents"))
    screenshot(page, "sign-in")
    page.get_by_label("API key").fill("ll_000000000000_not-a-real-secret")
    with page.expect_response(lambda r: r.url.endswith("/ui/login")) as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_contain_text("That key was refused: unknown API key")
    page.goto(site.at("/ui/events"))  # and no session was opened
    expect(page).to_have_url(re.compile(r"/ui/login"))


def test_sign_in_shows_the_overview_and_it_refreshes(page: Any, site: Site) -> None:
    sign_in(page, site, site.full, "/ui/?refresh=2")
    expect(page).to_have_url(re.compile(r"/ui/\?refresh=2$"))
    expect(page.locator("#m-total")).to_have_text(re.compile(r"[1-9][\d,]+"))
    expect(page.locator("#m-score")).to_be_visible(timeout=15_000)
    expect(page.locator("#rate-chart canvas")).to_have_count(1)
    page.evaluate("window.__notReloaded = true")
    before = int(page.locator("#m-total").inner_text().replace(",", ""))
    # a receipt at plant A that names no supplier arrives: the next refresh counts it and the score moves
    receipt = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "bizStep": "receiving",
        "eventTime": "2026-03-02T08:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "quantityList": [
            {"epcClass": "urn:epc:class:lgtin:4012345.000099.UI-TEST-1", "quantity": 5, "uom": "KGM"}
        ],
        "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
    }
    answer = page.request.post(
        site.at("/epcis/events"), data=receipt, headers={"Authorization": f"Bearer {site.full}"}
    )
    assert answer.status == 201, answer.text()
    expect(page.locator("#m-total")).to_have_text(f"{before + 1:,}", timeout=10_000)
    expect(page.locator("svg.spark").first).to_be_visible(timeout=10_000)  # the trend has two points
    assert page.evaluate("window.__notReloaded") is True  # refreshed in place, not reloaded
    screenshot(page, "overview")


def test_trace_a_lot_expand_the_graph_and_ask_why(
    page: Any, site: Site, demo_lot: str, tmp_path: Path
) -> None:
    sign_in(page, site, site.full, "/ui/trace")
    page.get_by_label("Identifier", exact=True).fill(demo_lot)
    page.get_by_role("button", name="Trace").click()
    expect(page.locator("#trace-summary")).to_contain_text(demo_lot)
    page.wait_for_function("window.lotlineGraph !== undefined")
    visible = "window.lotlineGraph.nodes(':visible').length"
    before = page.evaluate(visible)
    page.get_by_role("button", name="Expand one level").click()
    page.get_by_role("button", name="Expand one level").click()
    after = page.evaluate(visible)
    assert after > before > 0
    page.get_by_role("button", name="Collapse one level").click()
    assert page.evaluate(visible) < after
    page.get_by_role("button", name="Expand all").click()
    assert page.evaluate("window.lotlineGraph.nodes('.holder').length") > 0  # containers hold their contents
    # the deepest lot or serial: open it, see its status and events, and why it is here
    deepest = page.evaluate("window.lotlineGraph.nodes('.lot, .serial').max(n => n.position('x')).ele.id()")
    page.evaluate(f"() => {{ window.lotlineGraph.getElementById({deepest!r}).emit('tap'); }}")
    expect(page.locator("#node-status")).to_be_visible()
    expect(page.locator("#details table tbody tr").first).to_be_visible()
    page.get_by_role("button", name="Why is this here?").click()
    expect(page.locator("#why-path ol li").first).to_be_visible()
    steps = page.locator("#why-path ol li").count()
    assert steps >= 2
    assert page.evaluate("window.lotlineGraph.edges('.hl').length") == steps
    for button, suffix, start in (("Export PNG", ".png", b"\x89PNG"), ("Export SVG", ".svg", b"<svg")):
        with page.expect_download() as download:
            page.get_by_role("button", name=button).click()
        saved = tmp_path / f"graph{suffix}"
        download.value.save_as(saved)
        assert saved.read_bytes().startswith(start)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export JSON").click()
    saved = tmp_path / "graph.json"
    download.value.save_as(saved)
    assert '"root"' in saved.read_text()


def test_trace_a_pallet_back_to_its_suppliers(page: Any, site: Site, demo_pallet: str) -> None:
    sign_in(
        page, site, site.trace_only, "/ui/trace?" + urlencode({"id": demo_pallet, "direction": "backward"})
    )
    page.wait_for_function("window.lotlineGraph !== undefined")
    page.get_by_role("button", name="Expand all").click()
    assert page.evaluate("window.lotlineGraph.nodes('.party:visible').length") >= 2
    supplier_lot = page.evaluate(
        "window.lotlineGraph.nodes('.lot:visible').max(n => n.position('x')).ele.id()"
    )
    page.evaluate(f"() => {{ window.lotlineGraph.getElementById({supplier_lot!r}).emit('tap'); }}")
    expect(page.locator("#node-status")).to_be_visible()
    page.get_by_role("button", name="Why is this here?").click()
    expect(page.locator("#why-path ol li").first).to_be_visible()
    page.get_by_role("button", name="Fit").click()
    screenshot(page, "trace")


def test_recall_workbench_downloads_the_fsma_spreadsheet(
    page: Any, site: Site, demo_lot: str, tmp_path: Path
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    sign_in(page, site, site.full, "/ui/recall")
    page.get_by_label("Suspect lots, serials or containers").fill(demo_lot)
    page.get_by_role("button", name="Show the impact").click()
    expect(page.locator("#r-customers")).to_have_text(re.compile(r"[1-9]\d*"))
    expect(page.locator("#r-devices")).to_have_text(re.compile(r"\d+"))  # loggers and sensors, apart
    expect(page.get_by_role("heading", name="Where the affected product is now")).to_be_visible()
    screenshot(page, "recall")
    with page.expect_download() as download:
        page.locator("#download-xlsx").click()
    assert download.value.suggested_filename.startswith("recall-fsma204-")
    saved = tmp_path / "recall.xlsx"
    download.value.save_as(saved)
    book = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))
    rows = list(book["FSMA 204"].iter_rows(values_only=True))
    assert rows[0][0] == "Traceability Lot Code"
    assert len(rows) > 2
    assert {"Receiving", "Transformation", "Shipping"} <= {
        r[rows[0].index("Critical Tracking Event")] for r in rows[1:]
    }


def test_events_browser_form_pages_and_detail(page: Any, site: Site) -> None:
    sign_in(page, site, site.query_only, "/ui/events")
    page.get_by_label("Business step").fill("shipping")
    page.get_by_label("Order by").select_option("eventTime")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#events-table tbody tr")
    expect(rows).to_have_count(20)
    first_page = rows.first.inner_text()
    screenshot(page, "events")
    page.locator("#next-page").click()
    expect(rows).to_have_count(20)
    assert rows.first.inner_text() != first_page
    expect(page.get_by_role("link", name="First page")).to_be_visible()
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Provenance")).to_be_visible()
    expect(page.locator("#provenance")).to_contain_text("demo")
    expect(page.get_by_label("Event JSON")).to_contain_text('"bizStep"')
    screenshot(page, "event")


def test_a_query_only_key_cannot_open_the_recall_workbench(page: Any, site: Site) -> None:
    sign_in(page, site, site.query_only)
    response = page.goto(site.at("/ui/recall"))
    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("needs an API key with the trace scope")
    response = page.goto(site.at("/ui/recall/download?ids=" + quote("urn:epc:class:lgtin:4012345.000001.X")))
    assert response.status == 403


def test_a_trace_only_key_cannot_browse_events(page: Any, site: Site) -> None:
    sign_in(page, site, site.trace_only, "/ui/trace")
    assert page.goto(site.at("/ui/events")).status == 403
    assert page.goto(site.at("/ui/trace")).status == 200
