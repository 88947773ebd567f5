"""DBOS Transact, contained: the one module that imports it, holds its process-wide singleton and defines
the delivery workflow. Everything else in lotline talks to `Durable` (launch, enqueue, destroy).

DBOS keeps one instance per process and registers workflow functions in a process-global registry when
they are decorated; that is why the workflow and its steps are defined lazily here (on first launch) and
why `Durable` refuses to launch twice. `Durable.destroy()` shuts DBOS down so tests can launch it again.

The workflow (one per delivery, id = the delivery key, so starting it twice is a no-op):

    plan            step: the policy and the number of parts, recorded so a recovery replays the same plan
    repeat per part:
      attempt       step: one POST/send through the circuit breaker; returns delivered, retry (with the
                    jittered wait, recorded), permanent, open (breaker: wait, not counted) or gone
      sleep         DBOS durable sleep: a restart mid-wait resumes the wait, it does not start over
    park | finish   step: dead letter after the policy is exhausted, or record the success

Delivery is at least once: a crash after the target answered but before the attempt step's checkpoint
repeats that attempt on recovery, with the same Idempotency-Key, so a target honouring the key applies it
once. DBOS's own step retries (decorator arguments) cover the small database steps; the send step is not
retried by DBOS because its policy needs what DBOS retries lack: jitter, Retry-After, the circuit breaker
and a dead letter at the end.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from lotline.connectors.registry import require

APP_VERSION = "lotline-outbound-1"  # pinned: recovery only resumes workflows of the same version
ORDERED_QUEUE = "lotline_ordered"  # one delivery at a time per partition (route + ordering key)
PARALLEL_QUEUE = "lotline_parallel"


class Deliverer(Protocol):
    """What the workflow needs from lotline (lotline.outbound.delivery.Delivery implements it)."""

    async def plan(self, job: dict[str, Any]) -> dict[str, Any]: ...

    async def attempt(self, job: dict[str, Any], part: int, attempt: int) -> dict[str, Any]: ...

    async def park(self, job: dict[str, Any], reason: str, attempts: int) -> None: ...

    async def finish(self, job: dict[str, Any], plan: dict[str, Any]) -> None: ...


_lock = threading.Lock()
_deliverer: Deliverer | None = None  # the launched runtime's; DBOS is a process singleton, so is this
_workflow: Callable[[dict[str, Any]], Awaitable[str]] | None = None


def _current() -> Deliverer:
    if _deliverer is None:
        raise RuntimeError("lotline outbound is not launched in this process")
    return _deliverer


def _define() -> Callable[[dict[str, Any]], Awaitable[str]]:
    """Decorate the workflow and its steps once per process (DBOS registers them globally)."""
    global _workflow
    if _workflow is not None:
        return _workflow
    from dbos import DBOS

    db_step = DBOS.step(retries_allowed=True, max_attempts=5, interval_seconds=0.5, backoff_rate=2.0)

    @db_step
    async def plan(job: dict[str, Any]) -> dict[str, Any]:
        return await _current().plan(job)

    @DBOS.step(name="lotline.outbound.attempt")
    async def attempt(job: dict[str, Any], part: int, number: int) -> dict[str, Any]:
        return await _current().attempt(job, part, number)

    @db_step
    async def park(job: dict[str, Any], reason: str, attempts: int) -> None:
        await _current().park(job, reason, attempts)

    @db_step
    async def finish(job: dict[str, Any], planned: dict[str, Any]) -> None:
        await _current().finish(job, planned)

    @DBOS.workflow(name="lotline.outbound.deliver")
    async def deliver(job: dict[str, Any]) -> str:
        planned = await plan(job)
        if planned.get("gone"):
            return "gone"
        for part in range(int(planned["parts"])):
            attempts = 0
            while True:
                outcome = await attempt(job, part, attempts + 1)
                status = outcome["status"]
                if status == "delivered":
                    break
                if status == "gone":
                    return "gone"
                if status != "open":
                    attempts += 1
                expired = float(outcome["at"]) - float(planned["started"]) >= float(planned["give_up_after"])
                if status == "permanent" or attempts >= int(planned["max_attempts"]) or expired:
                    reason = str(outcome["reason"])
                    if expired and status != "permanent" and attempts < int(planned["max_attempts"]):
                        reason = f"gave up after {planned['give_up_after']:.0f}s: {reason}"
                    await park(job, reason, max(attempts, 1))
                    return "dead"
                await DBOS.sleep_async(float(outcome["wait"]))
        await finish(job, planned)
        return "delivered"

    _workflow = deliver
    return deliver


class Durable:
    """The launched DBOS runtime of this process."""

    def __init__(
        self, deliverer: Deliverer, system_url: str, schema: str, *, queue_poll: float, concurrency: int
    ):
        self.deliverer = deliverer
        self.system_url = system_url
        self.schema = schema
        self.queue_poll = queue_poll
        self.concurrency = concurrency
        self._queues: dict[str, Any] = {}

    async def launch(self) -> None:
        global _deliverer
        require("dbos", "workflows")
        from dbos import DBOS

        with _lock:
            if _deliverer is not None:
                raise RuntimeError(
                    "lotline outbound is already launched in this process (DBOS is a singleton)"
                )
            _deliverer = self.deliverer
        try:
            _define()
            config: dict[str, Any] = {
                "name": "lotline",
                "system_database_url": self.system_url,
                "run_admin_server": False,
                "log_level": "WARNING",
                "application_version": APP_VERSION,
            }
            if not self.system_url.startswith("sqlite"):
                config["dbos_system_schema"] = self.schema
            DBOS(config=config)  # type: ignore[arg-type]
            DBOS.launch()
            self._queues[ORDERED_QUEUE] = await DBOS.register_queue_async(
                ORDERED_QUEUE,
                partition_concurrency=1,
                worker_concurrency=self.concurrency,
                polling_interval_sec=self.queue_poll,
            )
            self._queues[PARALLEL_QUEUE] = await DBOS.register_queue_async(
                PARALLEL_QUEUE, worker_concurrency=self.concurrency, polling_interval_sec=self.queue_poll
            )
        except BaseException:
            self._forget()
            raise

    async def enqueue(self, job: dict[str, Any], workflow_id: str, partition: str | None) -> None:
        """Start the delivery `workflow_id` unless it exists (then nothing happens). With a partition, it
        waits for every earlier delivery of that partition to finish (delivered or dead-lettered)."""
        from dbos import SetEnqueueOptions, SetWorkflowID

        workflow = _define()
        if partition is None:
            with SetWorkflowID(workflow_id):
                await self._queues[PARALLEL_QUEUE].enqueue_async(workflow, job)
        else:
            with SetWorkflowID(workflow_id), SetEnqueueOptions(queue_partition_key=partition):
                await self._queues[ORDERED_QUEUE].enqueue_async(workflow, job)

    async def status(self, workflow_id: str) -> str | None:
        """The DBOS status of a delivery (PENDING, ENQUEUED, SUCCESS, ERROR, ...), None if unknown."""
        from dbos import DBOS

        status = await DBOS.get_workflow_status_async(workflow_id)
        return None if status is None else str(status.status)

    async def result(self, workflow_id: str, timeout: float) -> Any:
        from dbos import DBOS

        handle: Any = await DBOS.retrieve_workflow_async(workflow_id)
        return await asyncio.wait_for(handle.get_result(), timeout)

    def destroy(self) -> None:
        from dbos import DBOS

        try:
            DBOS.destroy(workflow_completion_timeout_sec=0)
        finally:
            self._forget()

    def _forget(self) -> None:
        global _deliverer
        with _lock:
            if _deliverer is self.deliverer:
                _deliverer = None
