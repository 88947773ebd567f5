"""Every shipped template loads, has a header comment with its expected payload, and is covered by a
golden case; the public API of lotline.mapping is pinned."""

from __future__ import annotations

from pathlib import Path

import pytest

import lotline.mapping
from lotline.mapping import load_mapping, template_path

TEMPLATES = sorted(p.stem for p in template_path("x").parent.glob("*.yaml"))
GOLDEN = Path(__file__).parent / "golden"


def test_templates_are_shipped() -> None:
    assert {"mes-production-confirmation", "filler-lot-commissioning", "sparkplug-equipment-state"} <= set(
        TEMPLATES
    )


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_loads_and_is_documented(name: str) -> None:
    mapper = load_mapping(f"template:{name}")
    assert mapper.name == name
    text = template_path(name).read_text(encoding="utf-8")
    assert text.startswith("#") and "Expected payload" in text
    used = [p for p in GOLDEN.glob("*/mapping.yaml") if f"template:{name}" in p.read_text(encoding="utf-8")]
    assert used, f"no golden case extends template:{name}"


def test_public_api() -> None:
    assert sorted(lotline.mapping.__all__) == [
        "Lookups",
        "Mapper",
        "MappingError",
        "MappingSet",
        "MasterData",
        "MemoryXref",
        "StaticLookups",
        "Xref",
        "is_operational",
        "load_mapping",
        "load_master_file",
        "load_xref_file",
        "template_path",
        "topic_matches",
    ]
