"""Enqueue jobs (inside the caller's transaction) and register the functions that run them."""

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.db.session import after_commit
from openzone.db.types import utcnow
from openzone.jobs.models import Job

TASKS: dict[str, Callable[[Session, Settings, dict], None]] = {}
# kind -> what to record when a job of that kind has failed its last attempt: fn(session, settings, payload,
# error message), so that what the job was doing ends in a visible state instead of waiting forever.
GIVE_UP: dict[str, Callable[[Session, Settings, dict, str], None]] = {}
# kind -> seconds between two runs of a job that repeats by itself (0 or less: off), read from the settings.
PERIODIC: dict[str, Callable[[Settings], float]] = {}

# Set after a commit that queued work, so an in-process worker picks it up at once instead of polling.
wakeup = threading.Event()


def task(kind: str, on_give_up: Callable[[Session, Settings, dict, str], None] | None = None,
         every: Callable[[Settings], float] | None = None) -> Callable:
    """Register the function that performs jobs of `kind` (it must be idempotent), what to record when
    such a job has failed for the last time, and, for a job that repeats, how many seconds apart."""

    def register(function: Callable) -> Callable:
        TASKS[kind] = function
        if on_give_up is not None:
            GIVE_UP[kind] = on_give_up
        if every is not None:
            PERIODIC[kind] = every
        return function

    return register


def enqueue(session: Session, kind: str, payload: dict, run_after: datetime | None = None) -> Job:
    """Queue a job (due now, or at `run_after`); it becomes visible to workers when the transaction commits."""
    job = Job(kind=kind, payload=payload, run_after=run_after or utcnow())
    session.add(job)
    after_commit(session, wakeup.set)
    return job


def schedule_periodic(session: Session, settings: Settings, kinds: list[str] | None = None) -> None:
    """Queue the next run of each periodic job that has none queued or running (a repeating job's chain).

    Two workers starting at once may both queue one; the chains merge again because a finished run only
    queues the next when no other is waiting."""
    for kind in kinds if kinds is not None else list(PERIODIC):
        seconds = PERIODIC[kind](settings)
        if seconds <= 0 or session.scalar(select(Job.id).where(
                Job.kind == kind, Job.status.in_(("QUEUED", "RUNNING"))).limit(1)) is not None:
            continue
        session.add(Job(kind=kind, payload={}, run_after=utcnow() + timedelta(seconds=seconds)))
