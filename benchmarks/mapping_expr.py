"""Mapping expression languages: JSONata (jsonata-python) against JMESPath (jmespath), compile and evaluate.

    .venv/bin/python benchmarks/mapping_expr.py [--seconds 0.5]

The payload is a typical MES production confirmation (an order, an operation, three consumed lots, one
produced lot, quantities, a time in epoch milliseconds). Each case is what a mapping file needs: a field
path, a string concatenation (an EPC URN), arithmetic (a unit conversion), a conditional (a status
code to a CBV disposition), date formatting (epoch ms to RFC 3339) and array mapping (consumed lots to an
inputQuantityList). JMESPath 1.x has no concatenation operator, arithmetic, conditional or date
function: where a case needs one, the JMESPath column uses the closest built-in (`join`) or a custom
function registered the way lotline would have to (`mul`, `if`, `ms_to_time`), and the table says so.
Numbers are microseconds per call on one core: evaluation with the expression compiled once (what a
mapping does per message; `lotline` is JSONata as lotline.mapping.expr runs it, plain paths short-cut),
`compile` for parsing alone (paid once, at load). Last, a whole shipped mapping, per message.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

import jmespath
import jmespath.functions
from jsonata import Jsonata

from lotline.connectors.base import Message
from lotline.mapping import load_mapping
from lotline.mapping.expr import Expr

PAYLOAD: dict[str, Any] = {
    "type": "confirmation",
    "order": "MO-4711",
    "operation": "0020",
    "plant": "1000",
    "line": "L2",
    "material": "011111",
    "company": "4012345",
    "batch": "B-2026-0042",
    "yield": 1.25,
    "uom": "t",
    "ts": 1764590400000,
    "status": "OK",
    "consumed": [
        {"material": "022222", "lot": "S-17", "qty": 300.0, "uom": "kg"},
        {"material": "033333", "lot": "S-18", "qty": 450.0, "uom": "kg"},
        {"material": "044444", "lot": "S-19", "qty": 5.5, "uom": "kg"},
    ],
}

# name -> (JSONata, JMESPath, how JMESPath does it)
CASES: dict[str, tuple[str, str, str]] = {
    "path": ("order", "order", "native"),
    "concat": (
        "'urn:epc:class:lgtin:' & company & '.' & material & '.' & batch",
        "join('', ['urn:epc:class:lgtin:', company, '.', material, '.', batch])",
        "join() over a list",
    ),
    "arithmetic": ("yield * 1000", "mul(yield, `1000`)", "custom function"),
    "conditional": (
        "status = 'OK' ? 'conformant' : 'non_conformant'",
        "if(status == 'OK', 'conformant', 'non_conformant')",
        "custom function",
    ),
    "date": (
        "$fromMillis(ts, '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]Z')",
        "ms_to_time(ts)",
        "custom function",
    ),
    "array": (
        "consumed.{'epcClass': 'urn:epc:class:lgtin:' & $$.company & '.' & material & '.' & lot, "
        "'quantity': qty, 'uom': 'KGM'}",
        "consumed[].{epcClass: join('', ['urn:epc:class:lgtin:', `\"4012345\"`, '.', material, '.', lot]), "
        "quantity: qty, uom: 'KGM'}",
        "no access to the root inside a projection",
    ),
}


class _Functions(jmespath.functions.Functions):
    """The custom functions JMESPath would need for the cases above."""

    @jmespath.functions.signature({"types": ["number"]}, {"types": ["number"]})  # type: ignore[misc]
    def _func_mul(self, a: float, b: float) -> float:
        return a * b

    @jmespath.functions.signature({"types": []}, {"types": []}, {"types": []})  # type: ignore[misc]
    def _func_if(self, condition: Any, then: Any, otherwise: Any) -> Any:
        return then if condition else otherwise

    @jmespath.functions.signature({"types": ["number"]})  # type: ignore[misc]
    def _func_ms_to_time(self, millis: float) -> str:
        return dt.datetime.fromtimestamp(millis / 1000, dt.UTC).isoformat(timespec="milliseconds")


OPTIONS = jmespath.Options(custom_functions=_Functions())


def per_call_us(fn: Callable[[], Any], seconds: float) -> float:
    calls = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(20):
            fn()
        calls += 20
        now = time.perf_counter()
        if now >= deadline:
            return (now - started) / calls * 1e6


def measure(jsonata_src: str, jmes_src: str, seconds: float) -> tuple[float, float, float, float, float]:
    """Per-call µs: JSONata eval, lotline Expr eval, JMESPath eval, JSONata compile, JMESPath compile."""
    jsonata_expr = Jsonata(jsonata_src)
    jsonata_expr.set_validate_input(False)  # as lotline runs it: the payload comes from a JSON parser
    lotline_expr = Expr(jsonata_src)
    jmes_expr = jmespath.compile(jmes_src)
    assert (
        jsonata_expr.evaluate(PAYLOAD) is not None and jmes_expr.search(PAYLOAD, options=OPTIONS) is not None
    )
    return (
        per_call_us(lambda: jsonata_expr.evaluate(PAYLOAD), seconds),
        per_call_us(lambda: lotline_expr.evaluate(PAYLOAD, {}), seconds),
        per_call_us(lambda: jmes_expr.search(PAYLOAD, options=OPTIONS), seconds),
        per_call_us(lambda: Jsonata(jsonata_src), seconds),
        # jmespath caches compiled expressions by text; call the parser itself to time parsing
        per_call_us(lambda: jmespath.parser.Parser()._parse(jmes_src), seconds),
    )


def whole_mapping_us(seconds: float) -> float:
    """µs per message for the shipped MES template (TransformationEvent + OperationConfirmation)."""
    mapper = load_mapping("template:mes-production-confirmation")
    payload = dict(PAYLOAD, timestamp="2026-12-01T08:15:00+01:00", workCenter="MIX-2", scrap=1, final=True)
    payload["yield"] = 1250
    message = Message("mes", "m-1", json.dumps(payload).encode(), "mes/l2/confirmation")
    return per_call_us(lambda: mapper(message), seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--seconds", type=float, default=0.5, help="time per measurement")
    args = parser.parse_args()
    header = f"{'case':<12} {'JSONata':>9} {'lotline':>9} {'JMESPath':>9} {'JSONata/JMESPath':>17}"
    header += f" {'compile JSONata':>16} {'JMESPath':>9}  JMESPath needs"
    print("per call, µs (lotline = JSONata through lotline.mapping.expr, with the plain-path fast path)")
    print(header)
    print("-" * len(header))
    totals = [0.0, 0.0, 0.0]
    for name, (jsonata_src, jmes_src, how) in CASES.items():
        a, lot, b, ca, cb = measure(jsonata_src, jmes_src, args.seconds)
        totals = [totals[0] + a, totals[1] + lot, totals[2] + b]
        print(f"{name:<12} {a:>9.1f} {lot:>9.1f} {b:>9.1f} {a / b:>16.1f}x {ca:>16.1f} {cb:>9.1f}  {how}")
    print("-" * len(header))
    a, lot, b = totals
    print(f"{'all six':<12} {a:>9.1f} {lot:>9.1f} {b:>9.1f} {a / b:>16.1f}x")
    per_message = whole_mapping_us(args.seconds)
    print(
        f"\nwhole mapping (template:mes-production-confirmation, 2 events out): {per_message:.0f} µs/message"
    )
    print(f"= {1e6 / per_message:,.0f} messages/s on one core")


if __name__ == "__main__":
    main()
