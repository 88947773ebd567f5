"""`lotline sim`: simulated plant systems for demos and connector development."""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING, Annotated

import typer

from lotline.commands import err

if TYPE_CHECKING:
    from lotline.sim.filling_line import FillingLine

sim_app = typer.Typer(
    help="Simulated plant systems for demos and connector development.", no_args_is_help=True
)


@sim_app.command("opcua-line")
def opcua_line(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="OPC UA port to listen on.", min=1, max=65535)] = 4840,
    tick: Annotated[
        float, typer.Option(help="Seconds between simulation steps (0: no automatic steps).", min=0)
    ] = 1.0,
    user: Annotated[
        list[str] | None, typer.Option(help="Require user:password logins (repeatable); default anonymous.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated production (same seed, same story).")] = 1,
) -> None:
    """Serve a simulated filling line over OPC UA: counters, machine state, the lot at the filler,
    temperatures, and lot-change / machine-state events (see docs/opcua.md for the address space).

    Example: lotline sim opcua-line --port 4840 --tick 0.5 --user operator:secret
    """
    from lotline.connectors.registry import require

    require("asyncua", "opcua")
    users = dict(u.partition(":")[::2] for u in user) if user else None
    try:
        asyncio.run(_serve(host, port, tick, users, seed))
    except KeyboardInterrupt:
        err.print("stopped")


async def _serve(host: str, port: int, tick: float, users: dict[str, str] | None, seed: int) -> None:
    from lotline.sim.filling_line import FillingLine

    line = FillingLine(host, port, users=users)
    async with line:
        err.print(
            f"simulated filling line at [bold]{line.endpoint}[/bold]; nodes: {line.node_id('GoodCount')}, ..."
        )
        await line.set_state("Running")
        rng = random.Random(seed)
        lot = 1
        while True:
            await asyncio.sleep(tick or 3600)
            if not tick:
                continue
            await _step(line, rng)
            if rng.random() < 0.02:
                lot += 1
                await line.change_lot(f"L{lot:04d}")


async def _step(line: FillingLine, rng: random.Random) -> None:
    if line.value("MachineState") == "Down":
        if rng.random() < 0.3:
            await line.set_state("Running")
        return
    if rng.random() < 0.01:
        await line.set_state("Down", rng.choice(["bottle jam", "cap feeder empty", "label misprint"]))
        return
    await line.produce(rng.randint(8, 12), scrap=int(rng.random() < 0.1))
    await line.set_temperatures(
        product=round(4 + rng.gauss(0, 0.2), 2), sterilizer=round(121 + rng.gauss(0, 0.3), 2)
    )
