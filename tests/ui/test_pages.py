"""Pages answered without a browser: searches by order, and what each page says about bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from lotline.api.app import create_app
from lotline.demo import prepare_demo


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from lotline.store.engine import open_engine

    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'lotline.db'}")
    token = prepare_demo(engine, 1500, Console(quiet=True))
    with TestClient(create_app(engine)) as test_client:
        assert test_client.post("/ui/login", data={"api_key": token}).status_code == 200
        yield test_client
    engine.dispose()


def test_an_order_number_lists_what_its_events_moved(client: TestClient) -> None:
    page = client.get("/ui/trace", params={"id": "BOL80000001"})  # a bill of lading of the GS1 examples
    assert page.status_code == 200
    assert "Business transaction urn:epcglobal:cbv:bt:4012345000016:BOL80000001 (bol)" in page.text
    assert "urn:epc:id:sscc:4012345.0000000001" in page.text


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/ui/trace?id=urn:epc:id:sgtin:4012345.011111.9999999", 404, "No stored event names"),
        ("/ui/trace?id=urn:epc:id:sscc:123&max_depth=x", 400, "Check the form"),
        ("/ui/events?EQ_action=SOMETIMES", 400, "Check the form"),
        ("/ui/events?more=NOT_A_PARAMETER%3D1", 400, "NOT_A_PARAMETER"),
        ("/ui/events/detail?id=ni:///sha-256;nope", 404, "No stored event has the eventID"),
        ("/ui/recall?ids=urn:epc:class:lgtin:4012345.000099.NOPE", 404, "No stored event names any"),
        ("/ui/recall?ids=urn:epc:id:sgtin:bad", 400, "Not an identifier"),
        ("/ui/exceptions?plant=urn:epc:id:sgln:9999999.00001.0", 200, "no checked event is located"),
    ],
)
def test_bad_input_is_explained(client: TestClient, url: str, status: int, says: str) -> None:
    page = client.get(url)
    assert page.status_code == status, page.text[:300]
    assert says in page.text


def test_the_graph_is_drawn_from_the_trace(client: TestClient) -> None:
    page = client.get(
        "/ui/trace", params={"id": "urn:epc:id:sscc:4012345.0000000001", "direction": "backward"}
    )
    assert page.status_code == 200
    assert 'id="graph-data"' in page.text and "cytoscape.min.js" in page.text
    exported = client.get("/ui/trace.json", params={"id": "urn:epc:id:sscc:4012345.0000000001"})
    assert exported.headers["content-disposition"] == 'attachment; filename="trace-forward.json"'
    assert exported.json()["graph"]["root"] == "urn:epc:id:sscc:4012345.0000000001"


def test_an_unknown_dead_letter_is_a_404(client: TestClient) -> None:
    pytest.importorskip("lotline.store.dlq", reason="the dead-letter store is not in this build")
    page = client.get("/ui/exceptions/dlq/999999")
    assert page.status_code == 404
    assert "no dead letter with id 999999" in page.text


def test_the_overview_shows_the_runner_counters_when_connectors_run(client: TestClient) -> None:
    from types import SimpleNamespace

    from lotline.pipeline.counters import Counters

    counters = Counters()
    counters.of("plant-a-mqtt").received = 12
    counters.of("plant-a-mqtt").duplicates = 3
    counters.of("plant-a-mqtt").dead_lettered = 1
    client.app.state.runtime = SimpleNamespace(runner=SimpleNamespace(counters=counters))  # type: ignore[attr-defined]
    try:
        page = client.get("/ui/").text
    finally:
        del client.app.state.runtime  # type: ignore[attr-defined]
    assert "Connectors, since the runner started" in page
    assert "plant-a-mqtt" in page
    assert "and from connectors" in page
