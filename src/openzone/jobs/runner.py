"""The worker loop: claim a due job (SKIP LOCKED on PostgreSQL), run it in its own transaction, retry."""

import logging
import os
import threading
import uuid
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from openzone.config import Settings
from openzone.db.session import get_engine, session_scope
from openzone.db.types import utcnow
from openzone.jobs.models import Job
from openzone.jobs.queue import GIVE_UP, PERIODIC, TASKS, schedule_periodic, wakeup

log = logging.getLogger("openzone.jobs")
MAX_ATTEMPTS = 5
# A RUNNING job not finished within this time belonged to a worker that died; it is claimed again.
LEASE = timedelta(minutes=10)


def claim(url: str, worker_id: str) -> int | None:
    """Mark one due job RUNNING for this worker and return its id, or None."""
    with session_scope(url) as session:
        now = utcnow()
        due = or_(and_(Job.status == "QUEUED", Job.run_after <= now),
                  and_(Job.status == "RUNNING", Job.updated_at < now - LEASE))
        query = select(Job.id, Job.status, Job.updated_at).where(due).order_by(Job.id).limit(1)
        if get_engine(url).dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = session.execute(query).first()
        if row is None:
            return None
        job_id, status, seen = row
        # The guard on what we saw makes the claim safe on SQLite too, where there is no row locking.
        claimed = session.execute(update(Job).where(Job.id == job_id, Job.status == status, Job.updated_at == seen)
                                  .values(status="RUNNING", locked_by=worker_id, attempts=Job.attempts + 1,
                                          updated_at=now))
        return job_id if claimed.rowcount == 1 else None


def run_one(settings: Settings, worker_id: str) -> bool:
    """Claim and run one job; False when nothing was due."""
    url = settings.metadata_url
    job_id = claim(url, worker_id)
    if job_id is None:
        return False
    with session_scope(url) as session:
        job = session.get(Job, job_id)
        kind, payload, attempts = job.kind, dict(job.payload), job.attempts
    try:
        with session_scope(url) as session:
            TASKS[kind](session, settings, payload)
            session.execute(update(Job).where(Job.id == job_id).values(status="DONE", last_error=None))
    except Exception as error:  # a task failure must never stop the worker
        log.exception("job %s (%s) failed", job_id, kind)
        retry = attempts < MAX_ATTEMPTS
        with session_scope(url) as session:
            session.execute(update(Job).where(Job.id == job_id).values(
                status="QUEUED" if retry else "FAILED", last_error=str(error)[:2000],
                run_after=utcnow() + timedelta(seconds=2 ** attempts)))
        if not retry and kind in GIVE_UP:
            _give_up(settings, kind, payload, str(error))
    if kind in PERIODIC:
        with session_scope(url) as session:
            schedule_periodic(session, settings, [kind])
    return True


def _give_up(settings: Settings, kind: str, payload: dict, error: str) -> None:
    try:
        with session_scope(settings.metadata_url) as session:
            GIVE_UP[kind](session, settings, payload, error)
    except Exception:  # the job is FAILED either way; this only makes its subject say so
        log.exception("recording that a %s job gave up failed too", kind)


def drain(settings: Settings, worker_id: str = "inline") -> int:
    """Run every due job now (CLI and tests); returns how many ran."""
    count = 0
    while run_one(settings, worker_id):
        count += 1
    return count


class Worker(threading.Thread):
    """A daemon thread that runs jobs until stopped."""

    def __init__(self, settings: Settings):
        super().__init__(name="openzone-worker", daemon=True)
        self.settings = settings
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            with session_scope(self.settings.metadata_url) as session:
                schedule_periodic(session, self.settings)
        except Exception:  # the worker still runs the jobs that are queued
            log.exception("scheduling periodic jobs failed")
        while not self._halt.is_set():
            try:
                busy = run_one(self.settings, self.worker_id)
            except Exception:
                log.exception("worker loop error")
                busy = False
            if not busy:
                wakeup.wait(self.settings.worker_poll_seconds)
                wakeup.clear()

    def stop(self) -> None:
        self._halt.set()
        wakeup.set()
