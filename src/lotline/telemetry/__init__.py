"""Telemetry to business events: machine-speed samples aggregated by declared rules.

    from lotline.telemetry import TelemetryStage, TickSource, load_rules

    stage = TelemetryStage(load_rules("telemetry-rules.yaml"), state_path=Path("var/telemetry.json"))
    runner = Runner(engine, {"line-2": sparkplug_source, "tick": TickSource(every=10)}, stage)

Rules (docs/telemetry.md): `counts` (good/scrap per order and interval -> OperationConfirmation),
`downtime` (debounced downtime periods -> EquipmentState at start and end), `excursion` (a process value
outside its limits long enough -> EPCIS ObjectEvent with sensor data on the batch being produced).
"""

from lotline.telemetry.adapters import InputOptions, from_json, from_opcua, from_sparkplug, samples_of
from lotline.telemetry.counts import Counts, OrderLookup
from lotline.telemetry.downtime import Downtime
from lotline.telemetry.excursion import Excursion
from lotline.telemetry.loader import load_rules
from lotline.telemetry.rule import Output, Rule
from lotline.telemetry.ruleset import RuleSet
from lotline.telemetry.sample import Quality, Sample
from lotline.telemetry.spec import RulesFile, validate_rules
from lotline.telemetry.stage import TelemetryStage, tick_message
from lotline.telemetry.tick import TickSource

__all__ = [
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
