"""Browser tests of the control tower: a real uvicorn server over a demo database, driven by Playwright for
Python with the machine's Chromium (`playwright install` cannot download browsers here).

Chromium is the Debian package `chromium` (`.ci/run` installs it). Without it the tests skip, saying so,
except in CI (`CI=true`) or with LOTLINE_REQUIRE_SERVICES=1, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from lotline.sim.ports import free_port

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(
    os.environ.get("LOTLINE_UI_SCREENSHOTS", REPO / "docs" / "ui")
)  # committed: docs/ui.md shows them
VIEWPORT = {"width": 1366, "height": 768}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_EVENTS = 3000


def chromium_path() -> str | None:
    for candidate in (os.environ.get("LOTLINE_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _required() -> bool:
    return (
        os.environ.get("CI", "").lower() in ("1", "true") or os.environ.get("LOTLINE_REQUIRE_SERVICES") == "1"
    )


@dataclass
class Site:
    url: str
    engine: sa.Engine
    full: str  # every scope
    query_only: str
    trace_only: str

    def at(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app on a free loopback port over the demo's data (GS1 examples + a generated plant history)."""
    import uvicorn
    from rich.console import Console

    from lotline.api.app import create_app
    from lotline.demo import prepare_demo
    from lotline.store.engine import open_engine
    from lotline.store.keys import create_key

    db = tmp_path_factory.mktemp("ui") / "lotline.db"
    engine = open_engine(f"sqlite:///{db}")
    full = prepare_demo(engine, DEMO_EVENTS, Console(quiet=True))
    _, query_only = create_key(engine, "reader", frozenset({"query"}))
    _, trace_only = create_key(engine, "quality", frozenset({"trace"}))
    from lotline.ui import scores

    # a trend point for every new capture, so the tests can see one arrive: on a loaded machine the first
    # check (which builds the trace index) can take seconds, and ten times that outlasts the tests' waits
    scores.MIN_INTERVAL_SECONDS = 0
    scores.CHECK_SHARE = 0
    port = free_port()
    config = uvicorn.Config(
        create_app(engine), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the lotline server did not start")
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", engine, full, query_only, trace_only)
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium, per test module: Playwright's sync API keeps an event loop running on the main thread while
    it is open, which would break `asyncio.run` in the tests that come after."""
    path = chromium_path()
    if path is None:
        message = "Chromium not found at /usr/bin/chromium: install the Debian package `chromium`"
        if _required():
            pytest.fail(message + " (required: CI or LOTLINE_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, site: Site, key: str, path: str = "/ui/") -> None:
    page.goto(site.at("/ui/login?" + urlencode({"next": path})))
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.fixture(scope="session")
def demo_lot(site: Site) -> str:
    """A supplier lot of the demo whose forward trace is deep enough to expand (three levels and more) and
    small enough to look at, and reaches customers."""
    from lotline.trace.index import TraceIndex

    index = TraceIndex(site.engine)
    with site.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT key, MIN(raw) FROM event_epcs WHERE role = 'n' GROUP BY key HAVING COUNT(*) BETWEEN 3 AND 8 "
            "ORDER BY key"
        ).all()
    for key, raw in rows:
        result = index.trace("forward", raw or key)
        depth = max((i["depth"] for i in result.items), default=0)
        if depth >= 3 and 20 <= len(result.items) <= 300 and result.parties:
            return str(raw or key)
    pytest.fail("the demo data holds no supplier lot with a three-level forward trace")


@pytest.fixture(scope="session")
def demo_pallet(site: Site) -> str:
    """A shipped pallet whose backward trace reaches the suppliers in a picture that fits on a screen."""
    from lotline.trace.index import TraceIndex

    index = TraceIndex(site.engine)
    with site.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT DISTINCT p.key, p.raw FROM event_epcs p JOIN events e ON e.id = p.event "
            "WHERE p.role = 'p' AND e.biz_step IS NOT NULL ORDER BY p.key LIMIT 500"
        ).all()
    for key, raw in rows:
        result = index.trace("backward", raw or key)
        depth = max((i["depth"] for i in result.items), default=0)
        if depth >= 3 and 15 <= len(result.items) <= 80 and len(result.parties) >= 2:
            return str(raw or key)
    pytest.fail("the demo data holds no pallet with a three-level backward trace")
