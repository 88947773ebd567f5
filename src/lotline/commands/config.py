"""`lotline config check FILE`: validate a configuration file the way `serve --config` loads it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lotline.commands import err

if TYPE_CHECKING:
    from lotline.config import Configuration
    from lotline.outbound import OutboundConfig

app = typer.Typer(
    help="Check lotline configuration files (plants, connectors, mappings, outbound routes).\n\n"
    "Example: lotline config check examples/two-line-plant/lotline.yaml",
    no_args_is_help=True,
)


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The configuration file (YAML).", show_default=False)],
) -> None:
    """Validate a configuration: the file format, `${NAME}` references and LOTLINE_* overrides, every
    connector's options (against its registered kind) and every mapping (loaded for each plant it
    serves). Connectors are not contacted. Prints a summary; on problems, prints each as
    file:line:col: field: what to fix, and exits with status 1.

    Example: MQTT_PASSWORD=x lotline config check examples/two-line-plant/lotline.yaml
    """
    from lotline.config import load_config
    from lotline.errors import ConfigError

    try:
        config = load_config(file)
    except ConfigError as exc:
        for line in exc.problems:
            err.print(f"[red]error:[/red] {escape(line)}")
        err.print(f"{len(exc.problems)} problem(s) in {escape(str(file))}")
        raise typer.Exit(1) from None
    summary(config, Console())
    err.print(f"ok: {escape(str(file))} is valid")


def summary(config: Configuration, out: Console) -> None:
    """The configuration as tables: plants, connectors (with their mappings), mappings."""
    model = config.model
    out.print(f"database: {escape(_safe_url(model.database.url))}")
    out.print(f"server: {escape(model.server.host)}:{model.server.port}")
    if config.overrides:
        out.print(f"environment overrides: {escape(', '.join(config.overrides))}")
    plants = Table(title="plants")
    for column in ("id", "name", "GLN", "SGLN", "lines"):
        plants.add_column(column)
    for plant in model.plants:
        lines = ", ".join(line.id for line in plant.lines)
        plants.add_row(plant.id, plant.name or "", plant.gln or "", plant.sgln or "", lines)
    out.print(plants)
    connectors = Table(title="connectors")
    for column in ("name", "kind", "plant", "line", "enabled", "mappings"):
        connectors.add_column(column)
    for name, setup in config.connectors.items():
        used = ", ".join(m.mapper.name for m in config.mappings if name in m.connectors)
        enabled = "yes" if setup.enabled else "no"
        connectors.add_row(name, setup.kind, setup.plant or "", setup.line or "", enabled, used)
    out.print(connectors)
    mappings = Table(title="mappings")
    for column in ("#", "mapping", "version", "plant", "files", "topics", "outputs"):
        mappings.add_column(column)
    for loaded in config.mappings:
        mapper = loaded.mapper
        mappings.add_row(
            str(loaded.index),
            mapper.name,
            mapper.version,
            loaded.plant or "",
            " <- ".join(Path(f).name for f in mapper.files),
            ", ".join(mapper.topics),
            ", ".join(rule.name for rule in mapper.rules),
        )
    out.print(mappings)
    if model.outbound is not None:
        _routes(model.outbound, out)


def _routes(outbound: OutboundConfig, out: Console) -> None:
    """The outbound routes (never the target's options: they hold URLs with tokens and secrets)."""
    routes = Table(title="outbound routes")
    for column in ("name", "target", "match", "payload", "ordering", "enabled"):
        routes.add_column(column)
    for route in outbound.routes:
        m = route.match
        filters = [
            f"{label}: {', '.join(values)}"
            for label, values in (
                ("types", m.event_types),
                ("steps", m.biz_steps),
                ("plants", m.plants),
                ("actions", m.actions),
            )
            if values
        ]
        shape = "transform" if route.transform is not None else route.payload
        enabled = "yes" if route.enabled else "no"
        routes.add_row(
            route.name, route.target.kind, "; ".join(filters) or "any", shape, route.ordering or "", enabled
        )
    out.print(routes)


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
