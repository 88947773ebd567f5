"""The public API is pinned, and docs/telemetry.md names every option of the rules file."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

import lotline.telemetry
from lotline.telemetry.adapters import InputOptions, OpcuaOptions, SparkplugOptions
from lotline.telemetry.spec import (
    BatchInput,
    CounterInput,
    CountsRule,
    DowntimeRule,
    ExcursionRule,
    OrderInput,
    ReasonInput,
    RulesFile,
    StateInput,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "telemetry.md"
MODELS: list[type[BaseModel]] = [
    RulesFile,
    InputOptions,
    SparkplugOptions,
    OpcuaOptions,
    CountsRule,
    CounterInput,
    OrderInput,
    DowntimeRule,
    StateInput,
    ReasonInput,
    ExcursionRule,
    BatchInput,
]


def test_public_api() -> None:
    assert sorted(lotline.telemetry.__all__) == sorted(
        [
            "Counts",
            "Downtime",
            "Excursion",
            "InputOptions",
            "OrderLookup",
            "Output",
            "Quality",
            "Rule",
            "RuleSet",
            "RulesFile",
            "Sample",
            "TelemetryStage",
            "TickSource",
            "from_json",
            "from_opcua",
            "from_sparkplug",
            "load_rules",
            "samples_of",
            "tick_message",
            "validate_rules",
        ]
    )


def test_the_docs_name_every_option() -> None:
    text = DOCS.read_text(encoding="utf-8")
    words = set(re.findall(r"[A-Za-z_]+", text))
    missing = sorted({f"{m.__name__}.{name}" for m in MODELS for name in m.model_fields if name not in words})
    assert missing == []
