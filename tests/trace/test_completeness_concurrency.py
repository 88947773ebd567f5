"""A completeness check does not hold the trace index for its whole run: traces (and the refreshes they
make) run while a check is in progress, and the check still reports the index exactly as of its start."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from lotline.pipeline.capture import PROCEED, DocumentParts, capture_parts
from lotline.store.events import Provenance
from lotline.trace import completeness
from lotline.trace.completeness import CompletenessReport, check
from lotline.trace.index import TraceIndex
from tests.trace.builders import (
    BATCH,
    CUSTOMER_A,
    FINISHED,
    RAW,
    SUPPLIER,
    at,
    declared_in_error,
    index_of,
    pack,
    receive,
    serial,
    ship,
    sscc,
    transform,
    unpack,
)

WAIT = 10.0  # seconds: a bound for the threads, never slept
TRACE_WAIT = 5.0  # shorter than WAIT: a trace blocked by the check times out while the check still waits


def _capture(engine: sa.Engine, *events: dict[str, Any]) -> None:
    for event in events:
        outcome = capture_parts(engine, DocumentParts([event], {}, []), Provenance("test"), PROCEED)
        assert not outcome.errors, outcome.errors


def _rules(report: CompletenessReport) -> list[tuple[str, str]]:
    return sorted((f.rule, f.id) for f in report.findings)


def test_a_trace_runs_while_a_check_is_in_progress(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pallet, unit, late = sscc(1), serial("000030", 1), serial("000030", 2)
    no_inputs = transform([], [BATCH], at(2), transformation_id="urn:example:mix:1")
    index = index_of(
        engine,
        receive([RAW], SUPPLIER, at(1)),
        no_inputs,  # output-without-inputs
        transform([RAW], [FINISHED], at(3)),
        pack(pallet, [FINISHED], at(4)),
        ship([pallet], CUSTOMER_A, at(5)),
        ship([unit], CUSTOMER_A, at(5)),  # shipped-without-history
    )
    before = check(TraceIndex(engine))  # the same events, checked alone
    assert _rules(before) == [("output-without-inputs", BATCH), ("shipped-without-history", unit)]

    # The test double: the first rule of a check waits until the test lets it go.
    paused, resume = threading.Event(), threading.Event()
    first_rule: Callable[[Any], None] = completeness._Check.output_without_inputs

    def held(self: Any) -> None:
        paused.set()
        assert resume.wait(WAIT), "the test never resumed the check"
        first_rule(self)

    monkeypatch.setattr(completeness._Check, "output_without_inputs", held)
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(check, index)
        try:
            assert paused.wait(WAIT), "the check did not start"
            # While the check runs: new events that would change every finding it is about to make. The
            # mistaken transformation is declared in error, the unit gets its receipt, the pallet is emptied
            # before it was shipped, and another unit is shipped without history.
            _capture(
                engine,
                declared_in_error(no_inputs, at(6)),
                receive([unit], SUPPLIER, at(1, 9)),
                unpack(pallet, None, at(4, 12)),
                ship([late], CUSTOMER_A, at(7)),
            )
            # A trace refreshes the index and walks it: it must not wait for the check.
            traced = pool.submit(index.trace, "backward", unit)
            result = traced.result(timeout=TRACE_WAIT)  # a TimeoutError here: the check blocks traces
            assert any(p["id"] == SUPPLIER for p in result.parties), "the trace sees the receipt just stored"
            assert not running.done()
        finally:
            resume.set()
        during = running.result(timeout=WAIT)
    monkeypatch.undo()

    # The check saw the index exactly as it was when it started: the same report as the check alone.
    assert during.as_json() == before.as_json()
    assert during.checked_up_to == before.checked_up_to
    # The next check sees everything.
    after = check(index)
    assert after.checked_up_to > during.checked_up_to
    assert _rules(after) == [
        ("container-shipped-empty", pallet),
        ("shipped-without-history", late),
    ]
