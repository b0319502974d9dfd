"""The dead-letter list (events a target never took within its retry policy) and redelivery on demand."""

from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openzone.errors import ValidationError
from openzone.events.models import EventDelivery, EventLane, EventTarget, OutboxEvent

_DUE_NOW = datetime(2000, 1, 1, tzinfo=timezone.utc)


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
