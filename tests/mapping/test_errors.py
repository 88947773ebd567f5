"""A bad mapping file is reported at its file, line and column, with the field and why; a failure while
mapping names the mapping, its version, the output, the field and where the expression is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotline.errors import LotlineError, MappingError
from lotline.mapping import load_mapping
from tests.mapping.conftest import message, write


def load_error(tmp_path: Path, text: str) -> MappingError:
    path = write(tmp_path, "m.yaml", text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    return caught.value


def test_mapping_error_is_a_lotline_error() -> None:
    assert issubclass(MappingError, LotlineError)


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        """
        mapping: x
        version: 1
        outputs:
          - name: a
            epcis: {type: ObjectEvent
        """,
    )
    assert str(error).startswith(f"{tmp_path / 'm.yaml'}:6:1: YAML syntax:")
    assert error.location == f"{tmp_path / 'm.yaml'}:6:1"


def test_unknown_field_names_line_field_and_what_is_allowed(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        """
        mapping: x
        version: 1
        outputs:
          - name: a
            epcis: {type: ObjectEvent}
            colour: red
        """,
    )
    assert error.location == f"{tmp_path / 'm.yaml'}:6:13"
    assert error.field == "outputs[0].colour"
    assert "unknown field (allowed here: name, when, foreach, epcis" in str(error)


def test_bad_expression_names_line_field_and_the_parser_error(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        """
        mapping: x
        version: 1
        outputs:
          - name: a
            epcis:
              type: ObjectEvent
              eventTime: "= ts +"
        """,
    )
    assert error.location == f"{tmp_path / 'm.yaml'}:7:18"
    assert error.field == "outputs[a].epcis.eventTime"
    assert "bad expression 'ts +': Unexpected end of expression (JSONata S0207" in str(error)


def test_bad_predicate_is_located_too(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        """
        mapping: x
        version: 1
        match:
          when: "type =="
        outputs:
          - {name: a, epcis: {}}
        """,
    )
    assert (error.location, error.field) == (f"{tmp_path / 'm.yaml'}:4:9", "match.when")


@pytest.mark.parametrize(
    ("text", "line", "field", "why"),
    [
        ("mapping: x\noutputs:\n  - {name: a, epcis: {}}\n", 1, "version", "required field is missing"),
        (
            "mapping: x\nversion: 1\noutputs:\n  - name: a\n    operational: OrderStatus\n",
            4,
            "outputs[0]",
            "needs `data`",
        ),
        (
            "mapping: x\nversion: 1\noutputs:\n  - {name: a, operational: Foo, data: {}}\n",
            4,
            "outputs[0].operational",
            "'OrderStatus'",
        ),
        (
            "mapping: x\nversion: 1\nmatch:\n  topic: 5\noutputs:\n  - {name: a, epcis: {}}\n",
            4,
            "match.topic",
            "valid string",
        ),
        (
            "mapping: x\nversion: 1\nvars:\n  xref: 1\noutputs:\n  - {name: a, epcis: {}}\n",
            4,
            "vars.xref",
            "variable name",
        ),
        (
            "mapping: x\nversion: 1\noutputs:\n  - {name: a, epcis: {}}\n  - {name: a, epcis: {}}\n",
            4,
            "outputs",
            "unique",
        ),
        ("mapping: x\nversion: 1\noutputs: []\n", 3, "outputs", "at least 1"),
    ],
)
def test_invalid_fields(tmp_path: Path, text: str, line: int, field: str, why: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert caught.value.field == field
    assert caught.value.location is not None and caught.value.location.startswith(f"{path}:{line}:")
    assert why in str(caught.value)


def test_duplicate_key_and_empty_file(tmp_path: Path) -> None:
    error = load_error(tmp_path, "mapping: x\nversion: 1\nversion: 2\n")
    assert str(error) == f"{tmp_path / 'm.yaml'}:3:1: field 'version' is given twice"
    error = load_error(tmp_path, "")
    assert "the file is empty" in str(error)


def test_missing_base_and_lookup_files(tmp_path: Path) -> None:
    error = load_error(tmp_path, "mapping: x\nversion: 1\nextends: nowhere.yaml\n")
    assert (error.field, error.location) == ("extends", f"{tmp_path / 'm.yaml'}:3:10")
    error = load_error(
        tmp_path, "mapping: x\nversion: 1\nlookups:\n  items: no.csv\noutputs:\n  - {name: a, epcis: {}}\n"
    )
    assert (error.field, error.location) == ("lookups.items", f"{tmp_path / 'm.yaml'}:4:10")


def test_extends_cycle(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "mapping: a\nversion: 1\nextends: b.yaml\n")
    write(tmp_path, "b.yaml", "mapping: b\nversion: 1\nextends: a.yaml\n")
    with pytest.raises(MappingError, match="goes round in a circle"):
        load_mapping(tmp_path / "a.yaml")


RUNTIME = """
mapping: rt
version: 7
vars:
  lot: "= lot ? lot : $error('no lot in the message')"
outputs:
  - name: event
    epcis:
      type: ObjectEvent
      eventTime: "= $number(ts) / 1000"
  - name: order
    operational: OrderStatus
    data:
      orderId: "= order"
      status: "= status"
"""


def test_runtime_error_names_mapping_output_field_and_line(tmp_path: Path) -> None:
    mapper = load_mapping(write(tmp_path, "rt.yaml", RUNTIME))
    with pytest.raises(MappingError) as caught:
        mapper(message({"lot": "L1", "ts": "soon"}))
    error = caught.value
    assert (error.mapping, error.rule, error.field) == ("rt", "event", "outputs[event].epcis.eventTime")
    assert error.location == f"{tmp_path / 'rt.yaml'}:9:18"
    assert str(error).startswith(
        f"mapping rt v7, output event, field outputs[event].epcis.eventTime ({tmp_path / 'rt.yaml'}:9:18): "
    )
    assert "could not convert string to float: 'soon'" in str(error)


def test_error_from_the_mapping_itself_in_a_variable(tmp_path: Path) -> None:
    mapper = load_mapping(write(tmp_path, "rt.yaml", RUNTIME))
    with pytest.raises(MappingError) as caught:
        mapper(message({"ts": 1}))
    assert (caught.value.rule, caught.value.field) == ("vars", "vars.lot")
    assert "no lot in the message" in str(caught.value)


def test_an_invalid_operational_event_names_the_data_field(tmp_path: Path) -> None:
    mapper = load_mapping(write(tmp_path, "rt.yaml", RUNTIME))
    with pytest.raises(MappingError) as caught:
        mapper(message({"lot": "L1", "ts": 1, "order": "MO-1", "status": "lost"}))
    error = caught.value
    assert (error.rule, error.field) == ("order", "outputs[order].data.status")
    assert error.location == f"{tmp_path / 'rt.yaml'}:14:15"
    assert "'released'" in str(error) and "'lost'" in str(error)


def test_a_payload_that_is_not_json(tmp_path: Path) -> None:
    mapper = load_mapping(write(tmp_path, "rt.yaml", RUNTIME))
    with pytest.raises(MappingError, match="mapping rt v7: the payload of m-1 is not JSON"):
        mapper(message(b"<xml/>"))
