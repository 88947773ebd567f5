"""Paging through GET /epcis/events: perPage, nextPageToken and the `Link: <...>; rel="next"` header.

A client that follows Link headers must see every matching event exactly once, in the requested order,
also when many events share one eventTime (keyset ties) and when events arrive during the walk.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson
import pytest

from tests.api.conftest import Api

CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"ex": "https://example.com/lotline/"}]
LINK = re.compile(r'<([^>]+)>; rel="next"')
# 12 events at one instant, written in three offsets; 6 distinct earlier and 7 distinct later events.
TIE = ("2024-05-01T12:00:00.000+02:00", "2024-05-01T10:00:00.000Z", "2024-05-01T05:00:00.000-05:00")
EARLY = range(0, 6)
TIED = range(6, 18)
LATE = range(18, 25)
N = 25


def event_time(n: int) -> str:
    if n in EARLY:
        return f"2024-05-01T0{n}:15:00.000Z"
    if n in TIED:
        return TIE[n % 3]
    if n in LATE:
        return f"2024-05-01T{n - 6}:30:00.000+01:00"  # 11:30Z .. 17:30Z, after the tie
    return f"2024-05-01T{n % 24:02d}:45:00.000Z"  # captured during a walk: anywhere in the day


def make_event(n: int) -> dict[str, Any]:
    when = event_time(n)
    return {
        "type": "ObjectEvent",
        "eventTime": when,
        "eventTimeZoneOffset": "+00:00" if when.endswith("Z") else when[-6:],
        "action": "OBSERVE",
        "bizStep": "shipping" if n % 2 else "receiving",
        "epcList": [f"urn:epc:id:sgtin:4012345.011111.{5000 + n}"],
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
        "ex:tag": f"e{n:02d}",
    }


def capture(api: Api, numbers: range | list[int]) -> None:
    doc = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
           "creationDate": "2024-05-02T00:00:00.000Z",
           "epcisBody": {"eventList": [make_event(n) for n in numbers]}}  # fmt: skip
    response = api.capture(orjson.dumps(doc))
    assert response.status_code == 202, response.text


def instant(tag: str) -> datetime:
    return datetime.fromisoformat(event_time(int(tag[1:])))


def tags_of(response: Any) -> list[str]:
    return [e["ex:tag"] for e in response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]


@dataclass
class Walk:
    pages: list[list[str]]
    links: list[str | None]

    @property
    def tags(self) -> list[str]:
        return [t for page in self.pages for t in page]


def next_url(link: str) -> str:
    match = LINK.fullmatch(link)
    assert match, f'not a Link header of the form <url>; rel="next": {link!r}'
    return match.group(1)


def walk(api: Api, params: dict[str, str], path: str = "/epcis/events", between: Any = None) -> Walk:
    url = f"{path}?{urlencode(params)}"
    result = Walk([], [])
    for _ in range(200):
        response = api.get(url)
        assert response.status_code == 200, response.text
        result.pages.append(tags_of(response))
        link = response.headers.get("link")
        result.links.append(link)
        if link is None:
            return result
        if between is not None:
            between(len(result.pages))
        url = next_url(link)
    raise AssertionError("pagination did not end")


@pytest.fixture
def loaded(api: Api) -> Api:
    capture(api, range(N))
    return api


ALL_TAGS = {f"e{n:02d}" for n in range(N)}
TIED_TAGS = {f"e{n:02d}" for n in TIED}
ORDERS = [
    pytest.param({"orderBy": "eventTime", "orderDirection": "ASC"}, id="eventTime-ASC"),
    pytest.param({"orderBy": "eventTime", "orderDirection": "DESC"}, id="eventTime-DESC"),
    pytest.param({"orderBy": "eventTime"}, id="eventTime-default"),
    pytest.param({"orderBy": "recordTime", "orderDirection": "ASC"}, id="recordTime-all-tied"),
    pytest.param({}, id="no-orderBy"),
]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("per_page", [1, 4, 5, 7])
def test_following_link_headers_serves_every_event_once_in_order(
    loaded: Api, order: dict[str, str], per_page: int
) -> None:
    result = walk(loaded, {**order, "perPage": str(per_page)})
    assert len(result.tags) == len(set(result.tags)), "an event was served twice"
    assert set(result.tags) == ALL_TAGS
    assert len(result.pages) == math.ceil(N / per_page), "no empty trailing page"
    assert all(len(p) == per_page for p in result.pages[:-1]) and 0 < len(result.pages[-1]) <= per_page
    assert result.links[-1] is None and all(result.links[:-1])
    if order.get("orderBy") == "eventTime":
        times = [instant(t) for t in result.tags]
        assert times == sorted(times, reverse=order.get("orderDirection", "DESC") == "DESC")


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("per_page", [1, 5])
def test_events_sharing_one_event_time_are_paged_without_loss(
    loaded: Api, direction: str, per_page: int
) -> None:
    # The three offsets of TIE name the same instant: the window [10:00Z, 10:00:00.001Z) holds all 12.
    window = {"GE_eventTime": "2024-05-01T12:00:00+02:00", "LT_eventTime": "2024-05-01T10:00:00.001Z"}
    result = walk(
        loaded, {**window, "orderBy": "eventTime", "orderDirection": direction, "perPage": str(per_page)}
    )
    assert sorted(result.tags) == sorted(TIED_TAGS)


def test_the_link_keeps_the_query_and_adds_the_token(loaded: Api) -> None:
    params = {"EQ_bizStep": "shipping", "orderBy": "eventTime", "orderDirection": "ASC", "perPage": "3"}
    response = loaded.get(f"/epcis/events?{urlencode(params)}")
    url = urlsplit(next_url(response.headers["link"]))
    assert url.path == "/epcis/events"
    query = parse_qs(url.query)
    assert {k: v for k, v in query.items() if k != "nextPageToken"} == {k: [v] for k, v in params.items()}
    assert len(query["nextPageToken"]) == 1 and query["nextPageToken"][0]


def test_a_result_that_fits_one_page_has_no_link(loaded: Api) -> None:
    response = loaded.get("/epcis/events?perPage=25")
    assert response.status_code == 200 and len(tags_of(response)) == N
    assert "link" not in response.headers


def first_token(api: Api, params: dict[str, str]) -> str:
    response = api.get(f"/epcis/events?{urlencode(params)}")
    token = parse_qs(urlsplit(next_url(response.headers["link"])).query)["nextPageToken"]
    return token[0]


ASC = {"orderBy": "eventTime", "orderDirection": "ASC", "perPage": "4"}


@pytest.mark.parametrize(
    ("original", "changed"),
    [
        (ASC, {**ASC, "orderDirection": "DESC"}),
        (ASC, {**ASC, "orderBy": "recordTime"}),
        (ASC, {"perPage": "4"}),
        (ASC, {**ASC, "eventType": "AggregationEvent"}),
        ({**ASC, "EQ_bizStep": "receiving"}, {**ASC, "EQ_bizStep": "shipping"}),
    ],
    ids=["other-direction", "other-orderBy", "orderBy-dropped", "filter-added", "other-filter-value"],
)
def test_a_token_replayed_with_different_parameters_is_400(
    loaded: Api, original: dict[str, str], changed: dict[str, str]
) -> None:
    token = first_token(loaded, original)
    response = loaded.get(f"/epcis/events?{urlencode({**changed, 'nextPageToken': token})}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "epcisException:QueryParameterException"


def test_a_token_may_continue_with_a_different_page_size(loaded: Api) -> None:
    first = loaded.get(f"/epcis/events?{urlencode(ASC)}")
    token = first_token(loaded, ASC)
    rest = loaded.get(f"/epcis/events?{urlencode({**ASC, 'perPage': '100', 'nextPageToken': token})}")
    assert rest.status_code == 200, rest.text
    seen = tags_of(first) + tags_of(rest)
    assert sorted(seen) == sorted(ALL_TAGS) and "link" not in rest.headers


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "!!!",
        "%%%",
        _b64(b'{"x":1}'),
        _b64(b"[1,2]"),
        _b64(b"null"),
        _b64(b'{"f":"x","n":"a","p":[1,2]}'),
    ],
)
def test_a_garbage_token_is_400(loaded: Api, token: str) -> None:
    response = loaded.get("/epcis/events", params={"nextPageToken": token, "perPage": "4"})
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "epcisException:QueryParameterException"
    assert "nextPageToken" in response.json()["detail"]


@pytest.mark.parametrize("per_page", ["0", "-3", "ten", ""])
def test_a_bad_per_page_is_400(loaded: Api, per_page: str) -> None:
    response = loaded.get("/epcis/events", params={"perPage": per_page})
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "epcisException:QueryParameterException"
    assert "perPage" in response.json()["detail"]


def tags_in(numbers: range) -> list[str]:
    return [f"e{n:02d}" for n in numbers]


@pytest.mark.parametrize(
    ("params", "sizes", "exact"),
    [
        ({"orderDirection": "DESC", "eventCountLimit": "7", "perPage": "3"}, [3, 3, 1], tags_in(LATE)[::-1]),
        (
            {"orderDirection": "DESC", "eventCountLimit": "6", "perPage": "3"},
            [3, 3],
            tags_in(range(19, 25))[::-1],
        ),
        ({"orderDirection": "ASC", "eventCountLimit": "10", "perPage": "4"}, [4, 4, 2], tags_in(EARLY)),
        ({"orderDirection": "ASC", "eventCountLimit": "1", "perPage": "4"}, [1], ["e00"]),
    ],
    ids=["7-by-3", "exact-multiple", "into-the-tie", "limit-below-perPage"],
)
def test_event_count_limit_stops_paging_at_the_limit(
    loaded: Api, params: dict[str, str], sizes: list[int], exact: list[str]
) -> None:
    result = walk(loaded, {"orderBy": "eventTime", **params})
    assert [len(p) for p in result.pages] == sizes
    assert result.links[-1] is None
    assert result.tags[: len(exact)] == exact
    assert len(set(result.tags)) == len(result.tags)
    assert set(result.tags[len(exact) :]) <= TIED_TAGS  # the rest of the limit comes from the tie


def test_max_event_count_applies_to_the_whole_result_not_to_each_page(loaded: Api) -> None:
    result = walk(loaded, {"maxEventCount": str(N), "perPage": "10"})
    assert sorted(result.tags) == sorted(ALL_TAGS) and len(result.pages) == 3
    response = loaded.get("/epcis/events", params={"maxEventCount": str(N - 1), "perPage": "10"})
    assert response.status_code == 413, response.text


@pytest.mark.parametrize("order", [ORDERS[0], ORDERS[4]])
def test_events_captured_during_a_walk_do_not_disturb_it(loaded: Api, order: dict[str, str]) -> None:
    later = iter([[100 + i, 200 + i] for i in range(100)])

    def capture_more(_: int) -> None:
        capture(loaded, next(later))

    result = walk(loaded, {**order, "perPage": "6"}, between=capture_more)
    originals = [t for t in result.tags if t in ALL_TAGS]
    assert sorted(originals) == sorted(ALL_TAGS), "an event stored before the walk was missed or repeated"
    assert len(result.tags) == len(set(result.tags))
