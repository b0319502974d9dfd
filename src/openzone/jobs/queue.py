"""Enqueue jobs (inside the caller's transaction) and register the functions that run them."""

import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.db.session import after_commit
from openzone.jobs.models import Job

TASKS: dict[str, Callable[[Session, Settings, dict], None]] = {}
# kind -> what to record when a job of that kind has failed its last attempt: fn(session, settings, payload,
# error message), so that what the job was doing ends in a visible state instead of waiting forever.
GIVE_UP: dict[str, Callable[[Session, Settings, dict, str], None]] = {}

# Set after a commit that queued work, so an in-process worker picks it up at once instead of polling.
wakeup = threading.Event()


def task(kind: str, on_give_up: Callable[[Session, Settings, dict, str], None] | None = None) -> Callable:
    """Register the function that performs jobs of `kind` (it must be idempotent), and what to record when
    such a job has failed for the last time."""

    def register(function: Callable) -> Callable:
        TASKS[kind] = function
        if on_give_up is not None:
            GIVE_UP[kind] = on_give_up
        return function

    return register


def enqueue(session: Session, kind: str, payload: dict) -> Job:
    """Queue a job; it becomes visible to workers when the transaction commits."""
    job = Job(kind=kind, payload=payload)
    session.add(job)
    after_commit(session, wakeup.set)
    return job
