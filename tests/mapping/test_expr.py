"""Expressions: JSONata results as plain JSON, the plain-path fast path agrees with JSONata, topic filters."""

from __future__ import annotations

from typing import Any

import pytest
from jsonata import Jsonata

from lotline.errors import MappingError
from lotline.mapping import topic_matches
from lotline.mapping.expr import UNDEFINED, Expr, function
from lotline.mapping.loader import tz_offset
from lotline.mapping.template import compile_template

PAYLOAD: dict[str, Any] = {
    "order": "MO-1",
    "header": {"plant": "1000", "tags": [1, 2], "none": None},
    "lines": [{"lot": "A", "qty": 1.5}, {"lot": "B", "qty": 2}],
    "yield": 1.25,
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("order", "MO-1"),
        ("header.plant", "1000"),
        ("header.tags", [1, 2]),
        ("lines.lot", ["A", "B"]),  # through a list: JSONata maps over it (fast path falls back)
        ("missing", UNDEFINED),
        ("header.none", UNDEFINED),
        ("order & '/' & header.plant", "MO-1/1000"),
        ("yield * 1000", 1250),  # a whole number comes back as an int
        ("$sum(lines.qty)", 3.5),
        ("yield > 1 ? 'big' : 'small'", "big"),
        ("$fromMillis(1764590400000)", "2025-12-01T12:00:00.000Z"),
        ("[lines.{'c': lot}]", [{"c": "A"}, {"c": "B"}]),
        ("null", None),
        ("true", True),
    ],
)
def test_results_are_plain_json(source: str, expected: Any) -> None:
    value = Expr(source).evaluate(PAYLOAD, {})
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("source", ["order", "header.plant", "header.tags", "lines", "header", "lines.lot"])
def test_the_fast_path_returns_what_jsonata_returns(source: str) -> None:
    reference = Jsonata(source).evaluate(PAYLOAD)
    assert Expr(source).evaluate(PAYLOAD, {}) == reference


@pytest.mark.parametrize(
    "source", ["$v", "$v.a", "$v.a.b", "$v.list", "$v.missing", "$none", "$unbound", "$v.list.x"]
)
def test_the_variable_fast_path_returns_what_jsonata_returns(source: str) -> None:
    bindings = {"v": {"a": {"b": 1}, "list": [{"x": 1}, {"x": 2}]}, "none": None}
    reference = Jsonata(source).evaluate({}, bindings)
    value = Expr(source).evaluate({}, bindings)
    assert (None if value is UNDEFINED else value) == reference


CONCAT_DATA: dict[str, Any] = {
    "item": "011111",
    "lot": "L-1",
    "count": 2400,
    "ratio": 0.1,
    "flag": True,
    "none": None,
    "nested": {"lot": "N-7"},
    "list": ["a", "b"],
    "ts": 1764590400001,
    "float_ts": 1764590400001.5,
    "old": -1000,
}


@pytest.mark.parametrize(
    "source",
    [
        "'urn:epc:class:lgtin:' & $gcp & '.' & item & '.' & lot",
        'nested.lot & "/" & lot',
        "lot & ''",
        "item & count",  # a number: JSONata's $string rules (fallback)
        "item & ratio",
        "item & flag",
        "item & missing",  # no value: JSONata concatenates an empty string (fallback)
        "item & none",
        "item & list",
        "$unbound & item",
        "$fromMillis(ts)",
        "$fromMillis(float_ts)",
        "$fromMillis(old)",
        "$fromMillis(missing)",
        "$fromMillis(lot)",
        "count > 0",
        "count >= 2400",
        "count < 2400.5",
        "count <= -1",
        "count = 2400",
        "count != 2400",
        "ratio > 0.05",
        "flag > 0",  # JSONata refuses to compare a boolean (fallback, then the same error)
        "lot > 0",
        "missing > 0",
        "none = 0",
        "list > 0",
    ],
)
def test_the_concatenation_and_millis_fast_paths_return_what_jsonata_returns(source: str) -> None:
    bindings = {"gcp": "4012345"}
    try:
        reference = Jsonata(source).evaluate(CONCAT_DATA, bindings)
    except Exception as exc:  # JSONata refuses it: so must we
        with pytest.raises(MappingError):
            Expr(source).evaluate(CONCAT_DATA, bindings)
        assert exc
        return
    value = Expr(source).evaluate(CONCAT_DATA, bindings)
    assert (None if value is UNDEFINED else value) == reference


def test_bindings_and_python_functions() -> None:
    expr = Expr("$twice($x) & $message.topic")
    bindings = {"x": 2, "twice": function(lambda v: v * 2), "message": {"topic": "/t"}}
    assert expr.evaluate({}, bindings) == "4/t"


def test_errors() -> None:
    with pytest.raises(MappingError, match=r"bad expression 'a \+': Unexpected end of expression"):
        Expr("a +", "m.yaml:3:5")
    with pytest.raises(MappingError, match="boom") as caught:
        Expr("$error('boom')", "m.yaml:4:5").evaluate({}, {})
    assert caught.value.location == "m.yaml:4:5"
    with pytest.raises(MappingError, match="not JSON data"):
        Expr("function($x) { $x }").evaluate({}, {})


def test_templates_drop_fields_without_a_value() -> None:
    node = compile_template(
        {"a": "= order", "b": "= missing", "c": ["= missing", "= yield"], "d": "== literal", "e": 3},
        "t",
        None,
    )
    assert node.render(PAYLOAD, {}) == {"a": "MO-1", "c": [1.25], "d": "= literal", "e": 3}


def test_tz_offset() -> None:
    assert tz_offset("2026-12-01T08:15:00+01:00") == "+01:00"
    assert tz_offset("2026-12-01T08:15:00.5Z") == "+00:00"
    assert tz_offset("2026-12-01T08:15:00-05:30") == "-05:30"
    assert tz_offset("2026-12-01T08:15:00") is None and tz_offset(5) is None


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("a/b", "a/b", True),
        ("a/+", "a/b", True),
        ("a/+", "a/b/c", False),
        ("a/#", "a/b/c", True),
        ("a/#", "a", True),
        ("spBv1.0/+/DDATA/+/+", "spBv1.0/g/DDATA/e/d", True),
        ("spBv1.0/+/DDATA/+/+", "spBv1.0/g/NDATA/e", False),
        ("a/b", "a", False),
    ],
)
def test_topic_filters(pattern: str, topic: str, matches: bool) -> None:
    assert topic_matches(pattern, topic) is matches
