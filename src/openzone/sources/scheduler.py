"""The scheduler: starts SCHEDULED runs of data sources whose cron schedule is due.

Each data source keeps `next_run_at` in the database. A tick takes every enabled source whose time has come,
moves its `next_run_at` to the schedule's next time *after now* (so a server that was down for three days
runs a missed schedule once, not three times) with a guarded UPDATE (so two servers never both start it),
and queues the run. A source still running its previous run just skips that time. The clock is injectable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update

from openzone.config import Settings
from openzone.db.session import session_scope
from openzone.db.types import utcnow
from openzone.errors import OpenzoneError
from openzone.identity.models import User
from openzone.sources import runs, schedule
from openzone.sources.models import DataSource

log = logging.getLogger("openzone.sources.scheduler")


def run_due(settings: Settings, now: datetime) -> list[str]:
    """Start the runs due at `now`; the ids of the runs started."""
    url = settings.metadata_url
    with session_scope(url) as session:
        due = session.execute(select(DataSource.id, DataSource.next_run_at).where(
            DataSource.enable_setting == "ENABLED", DataSource.next_run_at.is_not(None),
            DataSource.next_run_at <= now).order_by(DataSource.next_run_at)).all()
    started = []
    for data_source_id, seen in due:
        with session_scope(url) as session:
            data_source = session.get(DataSource, data_source_id)
            following = schedule.next_run(data_source.schedule, now) if data_source.schedule else None
            claimed = session.execute(update(DataSource).where(
                DataSource.id == data_source_id, DataSource.next_run_at == seen).values(next_run_at=following)
                .execution_options(synchronize_session=False))
            if claimed.rowcount != 1:
                continue  # another scheduler took it
            session.refresh(data_source)
            actor = session.get(User, data_source.created_by)
            try:
                with session.begin_nested():
                    started.append(runs.start_run(session, actor, data_source, "SCHEDULED").id)
            except OpenzoneError as error:  # still running, or disabled meanwhile: skip this time
                log.info("scheduled run of data source %s skipped: %s", data_source_id, error.message)
    return started


class Scheduler(threading.Thread):
    """A daemon thread that ticks every `settings.scheduler_poll_seconds`."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(name="openzone-scheduler", daemon=True)
        self.settings, self.clock = settings, clock
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                run_due(self.settings, self.clock())
            except Exception:  # noqa: BLE001  (a bad tick must not stop scheduling)
                log.exception("scheduler tick failed")
            self._halt.wait(self.settings.scheduler_poll_seconds)

    def stop(self) -> None:
        self._halt.set()
