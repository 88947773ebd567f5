"""The public API of lotline.edi is pinned."""

from __future__ import annotations

import lotline.edi


def test_public_api() -> None:
    assert sorted(lotline.edi.__all__) == [
        "Container",
        "ControlNumbers",
        "EdiError",
        "Envelope",
        "Item",
        "NoticeOutcome",
        "Party",
        "Problem",
        "ShipNotice",
        "acknowledgment",
        "capture_ship_notices",
        "describe",
        "detect",
        "receiving_events",
        "ship_notice_from_events",
        "ship_notices",
    ]
    assert all(hasattr(lotline.edi, name) for name in lotline.edi.__all__)
