"""Cross-references the models cannot check alone: unique names, each connector's plant and line.

Kept apart from the models so every problem can be reported at the line that names the missing thing.
"""

from __future__ import annotations

from lotline.config.model import LotlineConfig
from lotline.config.problems import Problems

__all__ = ["connector_plants"]


def connector_plants(config: LotlineConfig, problems: Problems) -> list[str | None]:
    """The plant of each connector (by position): its own, or the only plant; problems for the rest."""
    _unique(config, problems)
    plants = {plant.id: plant for plant in config.plants}
    known = ", ".join(plants) or "none defined"
    out: list[str | None] = []
    for index, connector in enumerate(config.connectors):
        path: list[str | int] = ["connectors", index]
        plant = connector.plant
        if plant is None and len(plants) == 1:
            plant = next(iter(plants))
        elif plant is None and plants:
            problems.add(path, f"name the connector's plant (plants: {known})")
        elif plant is not None and plant not in plants:
            problems.add([*path, "plant"], f"no plant {plant!r} under plants: (plants: {known})")
            plant = None
        out.append(plant)
        if connector.line is None:
            continue
        lines = [line.id for line in plants[plant].lines] if plant in plants else []
        if connector.line not in lines:
            where = f"plant {plant!r}" if plant else "the connector's plant"
            problems.add(
                [*path, "line"],
                f"no line {connector.line!r} in {where} (lines: {', '.join(lines) or 'none defined'})",
            )
    return out


def _unique(config: LotlineConfig, problems: Problems) -> None:
    for section, ids in (
        ("plants", [p.id for p in config.plants]),
        ("connectors", [c.name for c in config.connectors]),
    ):
        seen: set[str] = set()
        for index, value in enumerate(ids):
            if value in seen:
                key = "id" if section == "plants" else "name"
                problems.add([section, index, key], f"{value!r} is used twice: {section} need unique {key}s")
            seen.add(value)
