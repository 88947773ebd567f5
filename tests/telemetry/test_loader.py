"""Rules files: the shipped example loads; every error names the file, line, column and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lotline.errors import MappingError
from lotline.telemetry import load_rules
from lotline.telemetry.counts import Counts
from lotline.telemetry.downtime import Downtime
from lotline.telemetry.excursion import Excursion

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "telemetry-rules.yaml"

GOOD = """\
telemetry: line-1
version: 1
rules:
  - name: output
    kind: counts
    good: {signal: good}
    order: {signal: order}
    interval: 15m
    operation: "0010"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_example_rules_file_loads() -> None:
    rules = load_rules(EXAMPLE)
    assert rules.name == "line-2" and rules.spec.lateness == 30
    assert [type(rule) for rule in rules.rules] == [Counts, Downtime, Excursion]
    counts = rules.rules[0]
    assert isinstance(counts, Counts) and counts.spec.interval == 900 and counts.spec.good.rollover == 2**32


def test_a_minimal_file_loads(tmp_path: Path) -> None:
    rules = load_rules(write(tmp_path, GOOD))
    assert [rule.name for rule in rules.rules] == ["output"]


@pytest.mark.parametrize(
    ("change", "where", "field", "message"),
    [
        (("interval: 15m", "interval: soon"), ":8:15", "rules[0].interval", "not a duration"),
        (
            ("    good: {signal: good}", "    good: {signal: good, colour: red}"),
            ":6:34",
            "rules[0].good.colour",
            "unknown field",
        ),
        (('    operation: "0010"\n', ""), ":4:5", "rules[0].operation", "required field is missing"),
        (
            ("kind: counts", "kind: gauge"),
            ":5:11",
            "rules[0].kind",
            "`kind` is one of counts, downtime, excursion",
        ),
        (
            ("order: {signal: order}", "order: {signal: order, lookup: plan}"),
            ":7:12",
            "rules[0].order",
            "exactly one of",
        ),
        (("version: 1", "version: 1\nlateness: -5"), ":3:11", "lateness", "greater than or equal to 0"),
        (("    kind: counts\n", ""), ":4:5", "rules[0]", "`kind` is one of counts, downtime, excursion"),
    ],
)
def test_errors_name_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], where: str, field: str, message: str
) -> None:
    assert change[0] in GOOD
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(MappingError) as caught:
        load_rules(path)
    assert str(caught.value).startswith(f"{path}{where}: field {field}: "), str(caught.value)
    assert message in str(caught.value)
    assert caught.value.field == field and caught.value.location == f"{path}{where}"


def test_excursion_rules_are_checked(tmp_path: Path) -> None:
    text = GOOD + textwrap.indent(
        textwrap.dedent("""\
        - name: temp
          kind: excursion
          signal: t
          high: 5
          low: 9
          read_point: urn:epc:id:sgln:4012345.00002.0
        """),
        "  ",
    )
    with pytest.raises(
        MappingError, match=r"rules\.yaml:10:5: field rules\[1\]: low \(9.0\) must be below high"
    ):
        load_rules(write(tmp_path, text))
    bad_template = text.replace("low: 9", "low: 1\n    batch: {signal: b}\n    identifier: 'urn:{lot}'")
    with pytest.raises(MappingError, match=r"unknown placeholder\(s\) \['lot'\]"):
        load_rules(write(tmp_path, bad_template))


def test_a_missing_order_lookup_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("order: {signal: order}", "order: {lookup: plan}"))
    with pytest.raises(
        MappingError, match=r"rules\.yaml:7:21: field rules\[0\]\.order\.lookup: no order lookup"
    ):
        load_rules(path)
    assert load_rules(path, lookups={"plan": lambda equipment, time: "MO-1"}).rules[0].name == "output"


def test_yaml_syntax_errors_and_duplicates_are_located(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"rules\.yaml:\d+:\d+: YAML syntax"):
        load_rules(write(tmp_path, GOOD + "  - name: [unclosed\n"))
    duplicate = GOOD + GOOD[GOOD.index("  - name") :]
    with pytest.raises(MappingError, match=r"rules\.yaml:4:3: field rules: rule names must be unique"):
        load_rules(write(tmp_path, duplicate))
