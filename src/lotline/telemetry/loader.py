"""Loading a telemetry rules file: YAML with locations, validated, compiled into a RuleSet.

    rules = load_rules("rules/line-2.yaml", lookups={"schedule": order_at})

Errors are MappingErrors naming the file, line, column and field (lotline.mapping.source).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lotline.errors import MappingError
from lotline.mapping.source import load_yaml, locate
from lotline.telemetry.counts import Counts, OrderLookup
from lotline.telemetry.downtime import Downtime
from lotline.telemetry.excursion import Excursion
from lotline.telemetry.rule import Rule
from lotline.telemetry.ruleset import RuleSet
from lotline.telemetry.spec import CountsRule, DowntimeRule, validate_rules

__all__ = ["load_rules"]


def load_rules(path: Path | str, *, lookups: Mapping[str, OrderLookup] | None = None) -> RuleSet:
    """The RuleSet of the rules file at `path`, or a MappingError at file:line:column."""
    file = Path(path)
    raw = load_yaml(file)
    spec = validate_rules(raw, str(file))
    given = dict(lookups or {})
    rules: list[Rule] = []
    for index, rule in enumerate(spec.rules):
        if isinstance(rule, CountsRule):
            lookup = None
            if rule.order.lookup is not None:
                lookup = given.get(rule.order.lookup)
                if lookup is None:
                    where = locate(raw, ["rules", index, "order", "lookup"])
                    field = f"rules[{index}].order.lookup"
                    raise MappingError(
                        f"{where}: field {field}: no order lookup named {rule.order.lookup!r} was given "
                        f"(given: {', '.join(sorted(given)) or 'none'})",
                        field=field,
                        location=str(where),
                    )
            rules.append(Counts(rule, plant=spec.plant, lookup=lookup))
        elif isinstance(rule, DowntimeRule):
            rules.append(Downtime(rule, plant=spec.plant))
        else:
            rules.append(Excursion(rule, plant=spec.plant))
    return RuleSet(spec, rules, str(file))
