"""`lotline check`: the completeness checks (the genealogy gaps a recall falls into) from the command line.

Registered in `lotline.cli` with `app.command("check")(check)`.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from lotline.trace.completeness import CompletenessReport

from lotline.commands import DbOption, err


class CheckFormat(StrEnum):
    table = "table"
    json = "json"


def check(
    db: DbOption = None,
    output: Annotated[
        CheckFormat,
        typer.Option("--format", help="table (scores, counts and findings) or json (the API's document)."),
    ] = CheckFormat.table,
    plant: Annotated[
        str | None,
        typer.Option(help="Only this plant's findings: its SGLN/GLN as an EPC URN or GS1 Digital Link."),
    ] = None,
    rule: Annotated[
        str | None, typer.Option(help="Only this rule's findings, e.g. shipped-without-history.")
    ] = None,
    show: Annotated[int, typer.Option(help="How many findings the table lists.", min=0)] = 50,
) -> None:
    """Check the genealogy for the gaps a recall falls into: outputs with no inputs, shipped items with no
    history, receipts with no supplier, containers shipped empty, inputs never received, events out of time
    order, lots consumed beyond what was received. Prints a score per plant and every finding with what to
    do about it.

    Exits with status 1 if any finding is an error (a trace that stops short), 0 otherwise.

    Example: lotline check --db sqlite:///var/lotline.db --format table
    """
    import orjson

    from lotline.errors import IdentifierError
    from lotline.store.engine import open_engine
    from lotline.trace.completeness import RULES
    from lotline.trace.completeness import check as run_check
    from lotline.trace.index import TraceIndex

    if rule is not None and rule not in RULES:
        err.print(f"[red]error:[/red] --rule: unknown rule {rule!r}; the rules are: {', '.join(RULES)}")
        raise typer.Exit(2)
    try:
        engine = open_engine(db)
    except Exception as exc:
        err.print(f"[red]error:[/red] cannot open the database {db or '(default)'}: {exc}")
        raise typer.Exit(2) from None
    with err.status("checking the genealogy", spinner="dots"):
        report = run_check(TraceIndex(engine))
    try:
        report = report.filtered(plant=plant, rule=rule)
    except (IdentifierError, KeyError) as exc:
        err.print(f"[red]error:[/red] --plant: {exc.args[0] if exc.args else exc}")
        raise typer.Exit(2) from None
    if output is CheckFormat.json:
        sys.stdout.write(orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _tables(report, show)
    if report.has_errors:
        raise typer.Exit(1)


def _tables(report: CompletenessReport, show: int) -> None:
    out = Console()
    plants = Table(title=f"completeness: score {report.score} over {report.events_checked:,} events")
    for column in ("plant", "score", "identifiers", "with findings", "events", "errors", "warnings"):
        plants.add_column(column, justify="left" if column == "plant" else "right")
    for p in report.plants:
        colour = "green" if p.score == 100 else "yellow" if p.score >= 90 else "red"
        plants.add_row(
            escape(p.plant),
            f"[{colour}]{p.score}[/{colour}]",
            *(str(v) for v in (p.objects, p.objects_with_findings, p.events, p.errors, p.warnings)),
        )
    out.print(plants)
    counts = Table(title="findings per rule")
    counts.add_column("rule")
    counts.add_column("findings", justify="right")
    for rule, count in report.counts.items():
        counts.add_row(rule, str(count))
    out.print(counts)
    if not report.findings:
        out.print("[green]no findings[/green]")
        return
    findings = Table(title="findings", show_lines=True)
    for column in ("severity", "rule", "plant", "id", "what is wrong and what to do"):
        findings.add_column(column, overflow="fold")
    for f in report.findings[:show]:
        colour = "red" if f.severity == "error" else "yellow"
        findings.add_row(
            f"[{colour}]{f.severity}[/{colour}]", f.rule, *map(escape, (f.plant, f.id, f.message))
        )
    out.print(findings)
    if len(report.findings) > show:
        err.print(f"... and {len(report.findings) - show} more findings (--show N, or --format json)")
