"""The dead-letter list (events a target never took within its retry policy), redelivery on demand, and
the pruning of old delivered deliveries."""

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.db.types import utcnow
from openzone.errors import ValidationError
from openzone.events.models import EventDelivery, EventLane, EventTarget, OutboxEvent
from openzone.jobs.queue import task

_DUE_NOW = datetime(2000, 1, 1, tzinfo=timezone.utc)
PRUNE_BATCH = 5000


def _scope(query, rule_name: str | None, target_id: str | None):
    if rule_name:
        query = query.where(EventTarget.rule_name == rule_name)
    if target_id:
        query = query.where(EventTarget.target_id == target_id)
    return query


def dead_letters(session: Session, rule_name: str | None = None, target_id: str | None = None,
                 limit: int = 100) -> list[dict]:
    """Dead deliveries, newest first: which event, which target, how many attempts, the last error."""
    query = (select(EventDelivery, EventTarget.rule_name, EventTarget.target_id, OutboxEvent.id,
                    OutboxEvent.detail_type)
             .join(EventTarget, EventTarget.id == EventDelivery.target_pk)
             .join(OutboxEvent, OutboxEvent.seq == EventDelivery.event_seq)
             .where(EventDelivery.status == "DEAD"))
    rows = session.execute(_scope(query, rule_name, target_id).order_by(EventDelivery.id.desc()).limit(limit))
    return [{"deliveryId": d.id, "rule": rule, "targetId": tid, "eventId": event_id, "detailType": detail_type,
             "attempts": d.attempts, "lastError": d.last_error,
             "deadSince": d.finished_at.strftime("%Y-%m-%dT%H:%M:%SZ") if d.finished_at else None}
            for d, rule, tid, event_id, detail_type in rows]


def redeliver(session: Session, *, rule_name: str | None = None, target_id: str | None = None,
              event_ids: list[str] | None = None) -> int:
    """Queue events again: the given events (delivered or dead) or else every dead letter in scope; returns how many.

    A redelivered event goes out before the later pending events of its entity at that target.
    """
    if not (rule_name or target_id or event_ids):
        raise ValidationError("Say what to redeliver: a rule, a target or event ids.")
    query = select(EventDelivery.id, EventDelivery.lane_id).join(EventTarget, EventTarget.id == EventDelivery.target_pk)
    query = _scope(query, rule_name, target_id)
    if event_ids:
        query = query.join(OutboxEvent, OutboxEvent.seq == EventDelivery.event_seq).where(
            OutboxEvent.id.in_(event_ids), EventDelivery.status.in_(("DEAD", "DELIVERED")))
    else:
        query = query.where(EventDelivery.status == "DEAD")
    rows = session.execute(query).all()
    ids, lanes = [r[0] for r in rows], {r[1] for r in rows}
    for start in range(0, len(ids), 500):
        session.execute(update(EventDelivery).where(EventDelivery.id.in_(ids[start:start + 500])).values(
            status="PENDING", attempts=0, last_error=None, finished_at=None))
    if lanes:
        session.execute(update(EventLane).where(EventLane.id.in_(lanes)).values(next_attempt_at=_DUE_NOW))
    session.flush()
    return len(ids)


def prune_delivered(session: Session, older_than: timedelta) -> int:
    """Delete DELIVERED deliveries that finished more than `older_than` ago; returns how many."""
    cutoff, pruned = utcnow() - older_than, 0
    while True:
        ids = list(session.scalars(select(EventDelivery.id).where(
            EventDelivery.status == "DELIVERED", EventDelivery.finished_at < cutoff).limit(PRUNE_BATCH)))
        if not ids:
            return pruned
        session.execute(delete(EventDelivery).where(EventDelivery.id.in_(ids)))
        session.commit()  # in batches: a big backlog never holds the write lock for long
        pruned += len(ids)


def _prune_every(settings: Settings) -> float:
    return 3600.0 if settings.events_delivered_retention_seconds > 0 else 0.0


@task("events.prune", every=_prune_every)
def prune(session: Session, settings: Settings, payload: dict) -> None:
    """The hourly pass: forget deliveries delivered longer ago than the retention setting."""
    prune_delivered(session, timedelta(seconds=settings.events_delivered_retention_seconds))
