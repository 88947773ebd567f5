"""Exceptions page: dead letters listed, inspected, replayed and discarded (with a reason) in the browser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import Site, screenshot, sign_in


def test_replay_and_discard_dead_letters(page: Any, site: Site) -> None:
    dlq = pytest.importorskip("lotline.store.dlq", reason="the dead-letter store is not in this build")
    from lotline.connectors.wrappers.deadletter import DeadLetter

    dlq.park(
        site.engine,
        [
            DeadLetter(
                "plant-a-mes",
                "batch-report-4711",
                b'{"batch": "B26036001", "material": "WPC2600007", "consumed": "twelve", "uom": "KGM"}',
                "map",
                "mapping mes-batch v3: consumed: 'twelve' is not a number",
                topic="plant-a/line-2/batch-completed",
            ),
            DeadLetter(
                "plant-b-wms",
                "asn-0042",
                b'{"sscc": "4012345000000000X", "lines": []}',
                "validate",
                "parentID: 'urn:epc:id:sscc:4012345.000000000X' is not an SSCC (bad check digit)",
            ),
        ],
    )
    letters = {letter.message_id: letter.id for letter in dlq.list_letters(site.engine)}
    sign_in(page, site, site.full, "/ui/exceptions")
    table = page.locator("#dlq-table")
    expect(table).to_contain_text("plant-a-mes")
    expect(page.locator("#findings-table tbody tr").first).to_be_visible()
    screenshot(page, "exceptions")

    page.get_by_role("link", name=f"#{letters['batch-report-4711']}").click()
    expect(page.locator("#letter-error")).to_contain_text("'twelve' is not a number")
    expect(page.get_by_label("Payload", exact=True)).to_contain_text('"consumed": "twelve"')
    screenshot(page, "dead-letter")
    page.get_by_role("button", name="Replay").click()
    expect(page.get_by_role("status")).to_contain_text(f"Dead letter {letters['batch-report-4711']} replayed")
    assert dlq.get_letter(site.engine, letters["batch-report-4711"]).state.value == "replayed"

    page.goto(site.at(f"/ui/exceptions/dlq/{letters['asn-0042']}"))
    page.get_by_role("button", name="Discard").click()  # the reason is required: the browser keeps the form
    assert dlq.get_letter(site.engine, letters["asn-0042"]).state.value == "open"
    page.get_by_label("Reason for discarding").fill("test ASN sent during commissioning")
    page.get_by_role("button", name="Discard").click()
    expect(page.get_by_role("status")).to_contain_text("discarded")
    assert (
        dlq.get_letter(site.engine, letters["asn-0042"]).discard_reason
        == "test ASN sent during commissioning"
    )


def test_a_forged_replay_is_refused(page: Any, site: Site) -> None:
    dlq = pytest.importorskip("lotline.store.dlq", reason="the dead-letter store is not in this build")
    from lotline.connectors.wrappers.deadletter import DeadLetter

    dlq.park(site.engine, [DeadLetter("plant-a-mes", "forged-1", b"{}", "map", "broken")])
    letter = next(x.id for x in dlq.list_letters(site.engine) if x.message_id == "forged-1")
    sign_in(page, site, site.full)
    # same cookie, but no CSRF token (what a cross-site form could send, were SameSite not there)
    answer = page.request.post(site.at(f"/ui/exceptions/dlq/{letter}/replay"), form={"csrf": "guess"})
    assert re.search(r"stale", answer.text())
    assert dlq.get_letter(site.engine, letter).state.value == "open"
    # a key without the admin scope cannot replay
    sign_in(page, site, site.query_only)
    answer = page.request.post(site.at(f"/ui/exceptions/dlq/{letter}/replay"), form={"csrf": "x"})
    assert answer.status == 403
