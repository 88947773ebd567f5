"""A trace's JSON, written straight from its item columns, is exactly what the API promised: the same bytes
orjson makes of the items as dicts, whatever the identifiers hold, and the dicts are there when asked for."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotline.trace.result import ItemRows, TraceResult

E1 = "ni:///sha-256;" + "a" * 64 + "?ver=CBV2.0"
E2 = "urn:uuid:6f1a-2"


KINDS = ("container", "serial", "lot", "other")


def rows(
    ids: list[str], kinds: list[str], depths: list[int], steps: list[int], odd: bool = False
) -> ItemRows:
    paths = {-1: [], 0: [E1], 1: [E1, E2], 2: [E2, '"quoted"\\' if odd else E1]}
    codes = np.array([KINDS.index(kind) for kind in kinds], dtype=np.int8)
    named = {e for step in set(steps) for e in paths[step]}
    return ItemRows(ids, codes, np.array(depths), np.array(steps), paths, np.arange(len(ids)), KINDS, named)


def test_runs_of_siblings_are_written_as_orjson_writes_the_dicts() -> None:
    columns = rows(
        [
            "urn:epc:id:sgtin:0614141.107346.1",
            "urn:epc:id:sgtin:0614141.107346.2",
            "https://id.gs1.org/00/1",
            "lot",
        ],
        ["serial", "serial", "container", "lot"],
        [1, 1, 1, 2],
        [0, 0, 0, 1],
    )
    assert columns.json() == orjson.dumps(columns.dicts())
    assert orjson.loads(columns.json())[2] == {
        "id": "https://id.gs1.org/00/1",
        "kind": "container",
        "depth": 1,
        "path": [E1],
    }


def test_identifiers_that_need_escaping_come_back_intact() -> None:
    odd = ['a","b', "ends with \\", 'quote"', "tab\there", "Löt-Ω", "", '","', "\x00"]
    columns = rows(odd, ["other"] * len(odd), [1] * len(odd), [2] * len(odd))
    assert columns.json() == orjson.dumps(columns.dicts())
    assert [item["id"] for item in orjson.loads(columns.json())] == odd
    plain = rows(["Löt-Ω", "日本", "x", "y"], ["lot", "lot", "serial", "lot"], [1, 1, 1, 0], [2, 2, 0, -1])
    assert plain.json() == orjson.dumps(plain.dicts())  # (nothing to escape; an empty path)
    quoted = rows(["a", "b"], ["lot", "lot"], [1, 2], [0, 2], odd=True)  # an eventID to escape
    assert quoted.json() == orjson.dumps(quoted.dicts())
    assert orjson.loads(quoted.json())[1]["path"] == [E2, '"quoted"\\']


def test_a_result_from_rows_encodes_and_lists_the_same_document() -> None:
    parties = [{"id": "urn:epc:id:sgln:0614141.00777.0", "relation": "destination", "events": [E2]}]
    result = TraceResult(
        "urn:epc:class:lgtin:0614141.107346.L1",
        "forward",
        None,
        parties,
        [E1, E2],
        rows=rows(["x", "y"], ["lot", "lot"], [1, 2], [0, 1]),
    )
    encoded = result.json()  # from the columns
    assert orjson.loads(encoded) == result.as_json() and encoded == orjson.dumps(result.as_json())
    assert result.items[1] == {"id": "y", "kind": "lot", "depth": 2, "path": [E1, E2]}
    assert result.json() == encoded  # (now from the dicts)
    assert result == TraceResult(result.root, "forward", result.items, parties, [E1, E2])
    empty = TraceResult("r", "backward", found=False)
    assert empty.items == [] and orjson.loads(empty.json())["items"] == [] and not empty.found


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        ItemRows(["a"], np.zeros(0), np.ones(1), np.zeros(1), {0: []}, np.zeros(1), KINDS, [])
    with pytest.raises(ValueError, match="not both"):
        TraceResult("r", "forward", [], rows=rows([], [], [], []))


@given(
    st.lists(
        st.tuples(
            st.text(max_size=6),
            st.sampled_from(["lot", "serial", "container"]),
            st.integers(0, 3),
            st.integers(-1, 2),
        ),
        max_size=30,
    ),
    st.booleans(),
)
def test_any_items_encode_as_their_dicts(items: list[tuple[str, str, int, int]], odd: bool) -> None:
    columns = rows(
        [i for i, *_ in items],
        [k for _, k, _, _ in items],
        [d for *_, d, _ in items],
        [s for *_, s in items],
        odd,
    )
    assert columns.json() == orjson.dumps(columns.dicts())
