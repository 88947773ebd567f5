"""/api/v1/dlq: list with filters, inspect, replay one or many, discard with a reason; admin only; audited."""

from __future__ import annotations

from lotline.connectors import Message
from lotline.connectors.wrappers import DeadLetter
from lotline.store.audit import entries
from lotline.store.dlq import park
from lotline.store.inbox import pending
from tests.api.conftest import Api


def seed(api: Api) -> list[int]:
    letters = [
        DeadLetter.inbound(Message("line-1", "m1", b'{"a":1}', "t/1"), "map", "KeyError: 'lot'"),
        DeadLetter.inbound(Message("line-2", "m2", b"\xff\x00"), "validate", "eventTime: required"),
        DeadLetter.inbound(Message("line-2", "m3", b"{}"), "map", "KeyError: 'gtin'"),
    ]
    park(api.engine, letters)
    return [d["id"] for d in api.get("/api/v1/dlq").json()["deadLetters"]]


def post(api: Api, url: str, body: object, token: str | None = None):  # type: ignore[no-untyped-def]
    return api.client.post(url, json=body, headers=api.headers(token))


def test_list_filters_and_pages(api: Api) -> None:
    seed(api)
    assert [d["messageId"] for d in api.get("/api/v1/dlq").json()["deadLetters"]] == ["m3", "m2", "m1"]
    assert [d["messageId"] for d in api.get("/api/v1/dlq?source=line-2&stage=map").json()["deadLetters"]] == [
        "m3"
    ]
    page = api.get("/api/v1/dlq?limit=2").json()
    assert len(page["deadLetters"]) == 2 and "before=" in page["next"]
    rest = api.get(page["next"]).json()
    assert [d["messageId"] for d in rest["deadLetters"]] == ["m1"] and "next" not in rest
    assert api.get("/api/v1/dlq?state=replayed").json()["deadLetters"] == []


def test_one_letter_shows_its_original_payload(api: Api) -> None:
    ids = seed(api)
    binary = api.get(f"/api/v1/dlq/{ids[1]}").json()
    assert (binary["payload"], binary["payloadEncoding"]) == ("/wA=", "base64")
    text = api.get(f"/api/v1/dlq/{ids[2]}").json()
    assert text["payload"] == '{"a":1}' and text["topic"] == "t/1" and text["stage"] == "map"
    missing = api.get("/api/v1/dlq/999")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_replay_one_and_many_is_audited(api: Api) -> None:
    ids = seed(api)
    one = post(api, f"/api/v1/dlq/{ids[0]}/replay", None)
    assert one.status_code == 200 and one.json()["replayed"][0]["state"] == "replayed"
    many = post(api, "/api/v1/dlq/replay", {"ids": ids[1:]})
    assert many.status_code == 200 and len(many.json()["replayed"]) == 2
    assert len(pending(api.engine)) == 3
    audit = entries(api.engine, action="dlq.replay")
    assert len(audit) == 3 and audit[0].actor.startswith("key:full")
    again = post(api, f"/api/v1/dlq/{ids[0]}/replay", None)
    assert again.status_code == 409 and "replayed" in again.json()["detail"]


def test_discard_needs_a_reason_and_is_audited(api: Api) -> None:
    ids = seed(api)
    assert post(api, f"/api/v1/dlq/{ids[0]}/discard", {}).status_code == 400
    assert post(api, "/api/v1/dlq/discard", {"reason": "x", "ids": []}).status_code == 400
    done = post(api, f"/api/v1/dlq/{ids[0]}/discard", {"reason": "duplicate test data"})
    assert done.status_code == 200 and done.json()["discarded"][0]["discardReason"] == "duplicate test data"
    many = post(api, "/api/v1/dlq/discard", {"reason": "noise", "ids": ids[1:]})
    assert many.status_code == 200
    assert [e.detail["reason"] for e in entries(api.engine, action="dlq.discard")] == [
        "noise",
        "noise",
        "duplicate test data",
    ]
    conflict = post(api, "/api/v1/dlq/replay", {"ids": ids})
    assert conflict.status_code == 409 and conflict.headers["content-type"] == "application/problem+json"


def test_only_admin_keys_may_touch_dead_letters(api: Api) -> None:
    ids = seed(api)
    assert api.get("/api/v1/dlq", api.query_only).status_code == 403
    assert post(api, f"/api/v1/dlq/{ids[0]}/replay", None, api.capture_only).status_code == 403
    assert api.client.get("/api/v1/dlq").status_code == 401
    assert entries(api.engine) == []
