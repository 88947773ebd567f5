"""Native payloads for the shipped mes-production-confirmation template (one EPCIS event and one
operational OperationConfirmation per message)."""

from __future__ import annotations

import orjson


def confirmation(order: int, *, batch: str | None = None) -> bytes:
    return orjson.dumps(
        {
            "type": "confirmation",
            "order": f"MO-{order}",
            "operation": "0020",
            "workCenter": "MIX-2",
            "material": "011111",
            "batch": batch or f"B-{order}",
            "yield": 1250,
            "scrap": 12.5,
            "uom": "KGM",
            "final": True,
            "timestamp": "2026-12-01T08:15:00+01:00",
            "consumed": [{"material": "022222", "lot": f"S-{order}", "qty": 300, "uom": "KGM"}],
        }
    )
