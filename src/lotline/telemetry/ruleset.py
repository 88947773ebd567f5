"""A loaded rules file: its rules, fed in file order, and their joint state.

rules = load_rules("telemetry-rules.yaml")
for sample in samples:
    for rule_name, output in rules.feed(sample): ...
rules.flush(until)                     # close what time has closed, without new samples
state = rules.to_state()               # JSON-able
rules.restore(state)                   # resume there
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lotline.telemetry.rule import Output, Rule
from lotline.telemetry.sample import Sample
from lotline.telemetry.spec import RulesFile

__all__ = ["RuleSet"]

STATE_FORMAT = 1


class RuleSet:
    def __init__(self, spec: RulesFile, rules: Sequence[Rule], file: str = "") -> None:
        self.spec, self.rules, self.file = spec, list(rules), file
        self.name = spec.telemetry

    def feed(self, sample: Sample) -> list[tuple[str, Output]]:
        """The outputs this sample closes, rule by rule (file order)."""
        out: list[tuple[str, Output]] = []
        for rule in self.rules:
            if rule.wants(sample):
                out.extend((rule.name, output) for output in rule.feed(sample))
        return out

    def flush(self, until: int) -> list[tuple[str, Output]]:
        """The outputs that close because every equipment's time reached `until` (microseconds)."""
        return [(rule.name, output) for rule in self.rules for output in rule.flush(until)]

    def stats(self) -> dict[str, dict[str, float]]:
        return {rule.name: dict(rule.stats) for rule in self.rules}

    def to_state(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "telemetry": self.name,
            "version": self.spec.version,
            "rules": {rule.name: rule.to_state() for rule in self.rules},
        }

    def restore(self, state: Mapping[str, Any]) -> RuleSet:
        """Resume from `to_state()`. Rules not in the state start afresh; a state of another rule set or
        format is refused (ValueError)."""
        if state.get("format") != STATE_FORMAT or state.get("telemetry") != self.name:
            raise ValueError(
                f"state of {state.get('telemetry')!r} (format {state.get('format')}) does not belong to rule "
                f"set {self.name!r} (format {STATE_FORMAT})"
            )
        saved = state.get("rules", {})
        for rule in self.rules:
            if rule.name in saved:
                rule.restore(saved[rule.name])
        return self
