"""Enqueue jobs (inside the caller's transaction) and register the functions that run them."""

import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.db.session import after_commit
from openzone.jobs.models import Job

TASKS: dict[str, Callable[[Session, Settings, dict], None]] = {}

# Set after a commit that queued work, so an in-process worker picks it up at once instead of polling.
wakeup = threading.Event()


def task(kind: str) -> Callable:
    """Register the function that performs jobs of `kind` (it must be idempotent)."""

    def register(function: Callable) -> Callable:
        TASKS[kind] = function
        return function

    return register


def enqueue(session: Session, kind: str, payload: dict) -> Job:
    """Queue a job; it becomes visible to workers when the transaction commits."""
    job = Job(kind=kind, payload=payload)
    session.add(job)
    after_commit(session, wakeup.set)
    return job
