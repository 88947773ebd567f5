"""Walk the registry: every connector kind documents its options, the docs are current, and a
conformance test covers it (exemptions below, with the reason)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Literal

import pytest

import tests.connectors
from lotline.connectors import Registry
from lotline.connectors.docs import BEGIN, COMMAND, END, render, type_name, update
from tests.conformance.sink_suite import SinkConformance
from tests.conformance.source_suite import SourceConformance

REPO = Path(__file__).resolve().parents[2]

# Kinds whose conformance test does not exist yet. Remove the entry when it does (a test checks).
WITHOUT_CONFORMANCE_TEST = {
    "sparkplug": "a Sparkplug host rides on MQTT; its own harness is not yet written",
}


def covered_kinds(registry: Registry) -> set[str]:
    for module in pkgutil.walk_packages(tests.connectors.__path__, "tests.connectors."):
        importlib.import_module(module.name)
    kinds = {spec.kind for spec in registry}
    found: set[str] = set()
    for suite in (SourceConformance, SinkConformance):
        for case in _subclasses(suite):
            if case.kind:
                found.add(case.kind)
                continue
            parts = case.__module__.split(".")[2:]
            found.update(k for k in kinds if k in parts or f"test_{k}" in parts)
    return found


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_connector_kind_has_a_conformance_test() -> None:
    registry = Registry.discover()
    covered = covered_kinds(registry)
    missing = {spec.kind for spec in registry} - covered - set(WITHOUT_CONFORMANCE_TEST)
    assert not missing, f"no conformance test for {sorted(missing)}: see tests/conformance/README.md"
    stale = set(WITHOUT_CONFORMANCE_TEST) & covered
    assert not stale, f"{sorted(stale)} now have conformance tests: remove them from WITHOUT_CONFORMANCE_TEST"


def test_every_option_is_documented() -> None:
    undocumented = [
        f"{spec.kind}.{name}"
        for spec in Registry.discover()
        for name, info in spec.config.model_fields.items()
        if not (info.description or "").strip()
    ]
    assert not undocumented, f"give these config fields a description: {undocumented}"


def test_the_committed_connector_docs_are_current() -> None:
    path = REPO / "docs" / "connectors.md"
    current = path.read_text(encoding="utf-8")
    assert BEGIN in current and END in current, f"{path} lost its generated section markers"
    assert update(current, render(Registry.discover())) == current, f"{path} is stale: run `{COMMAND}`"


def test_update_keeps_the_hand_written_parts() -> None:
    doc = f"# Intro\n\n{BEGIN}\nold\n{END}\n\n## After\n"
    assert update(doc, f"{BEGIN}\nnew\n{END}") == f"# Intro\n\n{BEGIN}\nnew\n{END}\n\n## After\n"
    assert update("# Only intro\n", "GEN").endswith("\n\nGEN\n")


@pytest.mark.parametrize(
    ("annotation", "name"),
    [
        (str, "string"),
        (int | None, "integer | null"),
        (list[str], "list of string"),
        (Literal["5", "3.1.1"], '"5" | "3.1.1"'),
        (dict[str, int], "map of string to integer"),
        (Path, "path"),
    ],
)
def test_type_names(annotation: object, name: str) -> None:
    assert type_name(annotation) == name
