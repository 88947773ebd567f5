"""Capture jobs: the record of each capture request, served at /epcis/capture/{captureID}."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Engine, select, update

from lotline.epcis.timefmt import format_time, now_micros
from lotline.store.engine import writer
from lotline.store.schema import capture_jobs


@dataclass
class CaptureJob:
    id: str
    created_at: int
    error_behaviour: str
    running: bool = True
    success: bool = True
    finished_at: int | None = None
    events_total: int = 0
    events_stored: int = 0
    events_duplicate: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The capture job document of the EPCIS 2.0 REST binding, plus lotline's counters."""
        doc: dict[str, Any] = {
            "captureID": self.id,
            "createdAt": format_time(self.created_at),
            "running": self.running,
            "success": self.success,
            "captureErrorBehaviour": self.error_behaviour,
            "errors": self.errors,
            "eventsTotal": self.events_total,
            "eventsStored": self.events_stored,
            "eventsDuplicate": self.events_duplicate,
        }
        if self.finished_at is not None:
            doc["finishedAt"] = format_time(self.finished_at)
        return doc


def new_job_id() -> str:
    return "cj-" + secrets.token_hex(8)


def start_job(
    engine: Engine, error_behaviour: str, interface: str, key_id: str | None, total: int
) -> CaptureJob:
    job = CaptureJob(new_job_id(), now_micros(), error_behaviour, events_total=total)
    with writer(engine).begin() as conn:
        conn.execute(
            capture_jobs.insert().values(
                id=job.id,
                created_at=job.created_at,
                running=True,
                success=True,
                error_behaviour=error_behaviour,
                events_total=total,
                events_stored=0,
                events_duplicate=0,
                errors="[]",
                interface=interface,
                key_id=key_id,
            )
        )
    return job


def finish_job(engine: Engine, job: CaptureJob) -> None:
    job.running = False
    job.finished_at = now_micros()
    with writer(engine).begin() as conn:
        conn.execute(
            update(capture_jobs)
            .where(capture_jobs.c.id == job.id)
            .values(
                running=False,
                success=job.success,
                finished_at=job.finished_at,
                events_stored=job.events_stored,
                events_duplicate=job.events_duplicate,
                errors=orjson.dumps(job.errors).decode(),
            )
        )


def get_job(engine: Engine, job_id: str) -> CaptureJob | None:
    with engine.connect() as conn:
        row = conn.execute(select(capture_jobs).where(capture_jobs.c.id == job_id)).first()
    return _job(row) if row is not None else None


def list_jobs(engine: Engine, limit: int, before: int | None = None) -> list[CaptureJob]:
    stmt = select(capture_jobs).order_by(capture_jobs.c.created_at.desc(), capture_jobs.c.id.desc())
    if before is not None:
        stmt = stmt.where(capture_jobs.c.created_at < before)
    with engine.connect() as conn:
        return [_job(r) for r in conn.execute(stmt.limit(limit)).all()]


def _job(row: Any) -> CaptureJob:
    return CaptureJob(
        id=row.id,
        created_at=row.created_at,
        error_behaviour=row.error_behaviour,
        running=row.running,
        success=row.success,
        finished_at=row.finished_at,
        events_total=row.events_total,
        events_stored=row.events_stored,
        events_duplicate=row.events_duplicate,
        errors=orjson.loads(row.errors),
    )
