"""Nodes sort by their displayed identifiers exactly as sorting the strings would, whichever way each is kept:
a key, a first form sharing the key's last part, a form kept whole, prefixes that begin one another, a key
with no prefix at all, a full prefix table."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotline.trace.facts import Light
from lotline.trace.graph import Graph
from lotline.trace.nodes import PrefixedTexts, RawColumn
from lotline.trace.ordering import display_order

DL = "https://id.gs1.org/01/"


def graph_of(epcs: list[tuple[str, str | None]]) -> Graph:
    graph = Graph()
    for pk, (key, raw) in enumerate(epcs, start=1):
        graph.add(
            Light.build(
                pk=pk,
                event_id=f"urn:uuid:{pk}",
                event_type="ObjectEvent",
                action="OBSERVE",
                time=pk,
                biz_step=None,
                transformation_id=None,
                declared=False,
                epcs=[("e", key, raw)],
                refs=[],
            )
        )
    return graph


def assert_sorted_as_strings(graph: Graph) -> None:
    nodes = len(graph.keys)
    shown = [graph.display(n) for n in range(nodes)]
    expected = sorted(range(nodes), key=shown.__getitem__)
    assert display_order(graph, nodes).tolist() == expected
    assert display_order(graph, nodes, copy=False).tolist() == expected  # (the bytes read in place)


def test_identifiers_in_every_form_sort_as_their_strings() -> None:
    rng = random.Random(5)
    epcs: list[tuple[str, str | None]] = []
    for i in range(300):
        gtin, serial = f"0952123454321{rng.randrange(3)}", f"{rng.randrange(10**6)}"
        key = f"{DL}{gtin}/21/{serial}"
        form = rng.choice(["key", "urn", "whole"])
        raw = None if form == "key" else f"urn:epc:id:sgtin:952123.{gtin[-4:]}.{serial}"
        if form == "whole":
            raw = f"{key}?linkType=all{i}"  # not the key's last part: kept whole
        epcs.append((key, raw))
    epcs += [
        (f"{DL}09521234543210", None),  # a prefix (https://id.gs1.org/01/) that begins the others
        (f"{DL}1", None),
        ("NOPREFIX", None),  # no separator: the empty prefix
        (f"{DL}09521234543213/10/L.1", "urn:epc:class:lgtin:952123.4543213.L.1"),
        ("https://id.gs1.org/00/095212340000000017", "urn:epc:id:sscc:952123.0000000001"),  # kept whole
        ("https://id.gs1.org/01/09521234543213/21/ä", None),  # not ASCII
    ]
    assert_sorted_as_strings(graph_of(epcs))


def test_identifiers_sort_as_strings_once_the_prefix_tables_are_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PrefixedTexts, "PREFIXES", 3)
    monkeypatch.setattr(RawColumn, "PREFIXES", 3)
    epcs: list[tuple[str, str | None]] = [
        (f"{DL}0952123454321{g}/21/{s}", f"urn:epc:id:sgtin:952123.{g}.{s}" if s % 2 else None)
        for g in range(4)
        for s in range(5)
    ]
    assert_sorted_as_strings(graph_of(epcs))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a/", "a/b/", "ab/", "a:", "a.b.", ""]),
            st.text(alphabet="ab/.:0Z", max_size=4),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_any_identifiers_sort_as_their_strings(parts: list[tuple[str, str, bool]]) -> None:
    first: dict[str, str | None] = {}  # key -> the form it was first captured in
    for prefix, suffix, with_raw in parts:
        first.setdefault(f"k{prefix}{suffix}", f"urn:{prefix}{suffix}" if with_raw else None)
    graph = graph_of(list(first.items()))
    assert_sorted_as_strings(graph)
    assert display_order(graph, 0).tolist() == []
