"""Sign-in, the session cookie and the auth middleware's UI paths, without a browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from lotline.store.keys import revoke_key
from tests.api.conftest import Api, make_api


@pytest.fixture
def api(engine: sa.Engine) -> Iterator[Api]:
    for api in make_api(engine):
        yield api
        # the sign-in page starts a background warm-up: let it finish before the database goes away
        state = api.client.app.state  # type: ignore[attr-defined]
        warm_up = getattr(state, "ui_warm_up", None)
        if warm_up is not None:
            warm_up.join(30)
        scores = getattr(state, "ui_scores", None)
        if scores is not None and scores.worker is not None:
            scores.worker.join(30)


def _login(api: Api, key: str, **headers: str) -> None:
    api.client.cookies.clear()
    answer = api.client.post(
        "/ui/login", data={"api_key": key, "next": "/ui/events"}, headers=headers, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/ui/events"


def test_pages_send_a_browser_without_a_session_to_sign_in(api: Api) -> None:
    assert api.client.get("/", follow_redirects=False).headers["location"] == "/ui/"
    answer = api.client.get("/ui/events?EQ_bizStep=shipping", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login?next=%2Fui%2Fevents%3FEQ_bizStep%3Dshipping"
    assert api.client.get("/ui/login").status_code == 200
    assert api.client.get("/ui/static/app.css").status_code == 200
    assert "MIT" in api.client.get("/ui/static/vendor/LICENSES.md").text


def test_the_session_cookie_is_httponly_strict_and_scoped_to_the_ui(api: Api) -> None:
    answer = api.client.post("/ui/login", data={"api_key": api.full}, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/ui", "Max-Age="):
        assert attribute in cookie
    assert api.client.get("/ui/events").status_code == 200
    # the cookie is no key for the API: that still wants a bearer header
    token = api.client.cookies.get("lotline_key")
    refused = api.client.get("/epcis/events", headers={"Cookie": f"lotline_key={token}"})
    assert refused.status_code == 401


def test_a_wrong_key_is_refused_with_the_reason(api: Api) -> None:
    answer = api.client.post("/ui/login", data={"api_key": "ll_nope_nope"}, follow_redirects=False)
    assert answer.status_code == 401
    assert "That key was refused: unknown API key" in answer.text
    assert "set-cookie" not in answer.headers
    empty = api.client.post("/ui/login", data={"api_key": " "}, follow_redirects=False)
    assert empty.status_code == 401


def test_a_revoked_key_ends_the_session(api: Api, engine: sa.Engine) -> None:
    from lotline.store.keys import create_key

    key, token = create_key(engine, "temp", frozenset({"query"}))
    _login(api, token)
    revoke_key(engine, key.id)
    answer = api.client.get("/ui/events", follow_redirects=False)  # first use: not in the key cache
    assert answer.status_code == 303
    assert "reason=this+API+key+has+been+revoked" in answer.headers["location"]


def test_bearer_keys_work_on_ui_pages_too(api: Api) -> None:
    api.client.cookies.clear()
    assert api.get("/ui/events").status_code == 200
    assert api.get("/ui/trace", token=api.query_only).status_code == 403


def test_scopes_decide_the_pages(api: Api) -> None:
    _login(api, api.query_only)
    assert api.client.get("/ui/events").status_code == 200
    forbidden = api.client.get("/ui/recall")
    assert forbidden.status_code == 403
    assert "needs an API key with the <code>trace</code> scope" in forbidden.text
    assert api.client.get("/ui/exceptions").status_code == 403
    _login(api, api.capture_only)
    assert api.client.get("/ui/").status_code == 403


def test_sign_in_refuses_other_origins_and_foreign_redirects(api: Api) -> None:
    api.client.cookies.clear()
    foreign = api.client.post(
        "/ui/login",
        data={"api_key": api.full},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert foreign.status_code == 403
    answer = api.client.post(
        "/ui/login", data={"api_key": api.full, "next": "https://evil.example/"}, follow_redirects=False
    )
    assert answer.headers["location"] == "/ui/"


def test_sign_out_needs_the_csrf_token(api: Api) -> None:
    _login(api, api.full)
    assert api.client.post("/ui/logout", data={"csrf": "nope"}).status_code == 403
    page = api.client.get("/ui/events").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    answer = api.client.post("/ui/logout", data={"csrf": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert 'lotline_key=""' in answer.headers["set-cookie"]
