"""Deliver outbox events to the targets of matching rules: at least once, in order per entity and target.

Two steps, each its own short transaction, safe with several processes on one database:
1. fan-out: new outbox events are matched against the enabled rules and become PENDING deliveries, each in
   the lane of (target, entity id). One process at a time fans out (an advisory lock on PostgreSQL; the
   guarded update of `dispatched` everywhere), so a lane's deliveries are queued in outbox order.
2. delivery: a process leases due lanes (FOR UPDATE SKIP LOCKED on PostgreSQL, a guarded update on
   SQLite), sends each lane's pending events oldest first, and stops a lane at its first failure: that event
   is retried with exponential backoff and blocks only the later events of the same entity at that target.
   An event past its target's attempts or age goes DEAD (the dead-letter list) and the lane moves on.
"""

import logging
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import orjson
from sqlalchemy import exists, or_, select, text, update
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.db.session import session_scope
from openzone.db.types import utcnow
from openzone.events.models import EventDelivery, EventLane, EventRule, EventTarget, OutboxEvent
from openzone.events.outbox import wakeup
from openzone.events.patterns import Pattern
from openzone.events.rules import parse_target_arn
from openzone.events.senders import DeliveryError, Senders

log = logging.getLogger("openzone.events")
FAN_OUT_LOCK = 7_463_001  # PostgreSQL advisory lock key of the fan-out step
LEASE = timedelta(minutes=2)  # a lane leased longer than this belonged to a process that died
LANE_BATCH = 200  # events sent from one lane per lease
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)  # an idle lane is due at once


class _Lost(Exception):
    """Another process fanned out the same events first."""


def backoff(settings: Settings, attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failures: base * 2^(n-1), at most the configured max."""
    return min(settings.events_retry_base_seconds * 2 ** max(0, attempts - 1), settings.events_retry_max_seconds)


def fan_out(session: Session, limit: int = 2000) -> int:
    """Queue deliveries of up to `limit` undispatched events; returns how many events were dispatched."""
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": FAN_OUT_LOCK}):
        return 0
    rules = _enabled_rules(session)
    if not rules:
        # Nothing to deliver, and no write: a rule matches only events recorded after it was created, so the
        # backlog is marked when a rule exists. (On SQLite every write here could make a concurrent
        # read-then-write transaction elsewhere fail with "database is locked".)
        return 0
    events = session.execute(select(OutboxEvent.seq, OutboxEvent.envelope).where(OutboxEvent.dispatched.is_(False))
                             .order_by(OutboxEvent.seq).limit(limit)).all()
    if not events:
        return 0
    seqs = [seq for seq, _ in events]
    claimed = session.execute(update(OutboxEvent).where(OutboxEvent.seq.in_(seqs), OutboxEvent.dispatched.is_(False))
                              .values(dispatched=True))
    if claimed.rowcount != len(seqs):
        raise _Lost()
    wanted: list[tuple[int, str, int]] = []  # (target pk, entity key, event seq)
    for seq, envelope in events:
        for created_seq, pattern, target_pks in rules:
            if seq > created_seq and target_pks and pattern.matches(envelope):
                key = str(envelope.get("detail", {}).get("metadata", {}).get("id") or envelope.get("id"))[:64]
                wanted.extend((pk, key, seq) for pk in target_pks)
    if wanted:
        lanes = _lanes(session, {(pk, key) for pk, key, _ in wanted})
        now = utcnow()
        session.execute(EventDelivery.__table__.insert(), [
            {"lane_id": lanes[(pk, key)], "target_pk": pk, "event_seq": seq, "status": "PENDING", "attempts": 0,
             "created_at": now} for pk, key, seq in wanted])
    return len(events)


_PATTERNS: dict[str, Pattern] = {}


def _enabled_rules(session: Session) -> list[tuple[int, Pattern, list[int]]]:
    rows = session.execute(select(EventRule.name, EventRule.event_pattern, EventRule.created_seq)
                           .where(EventRule.state == "ENABLED")).all()
    targets: dict[str, list[int]] = {}
    for name, pk in session.execute(select(EventTarget.rule_name, EventTarget.id)):
        targets.setdefault(name, []).append(pk)
    out = []
    for name, text_, created_seq in rows:
        pattern = _PATTERNS.get(text_)
        if pattern is None:
            pattern = _PATTERNS[text_] = Pattern.parse(text_)
        out.append((created_seq, pattern, targets.get(name, [])))
    return out


def _lanes(session: Session, keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    pks = {pk for pk, _ in keys}
    found = {}
    entity_keys = sorted({key for _, key in keys})
    for start in range(0, len(entity_keys), 500):
        chunk = entity_keys[start:start + 500]
        for lane_id, pk, key in session.execute(select(EventLane.id, EventLane.target_pk, EventLane.entity_key).where(
                EventLane.target_pk.in_(pks), EventLane.entity_key.in_(chunk))):
            found[(pk, key)] = lane_id
    missing = keys - set(found)
    for pk, key in sorted(missing):
        lane = EventLane(target_pk=pk, entity_key=key, next_attempt_at=_EPOCH)
        session.add(lane)
        session.flush()
        found[(pk, key)] = lane.id
    return found


def claim_lanes(session: Session, worker_id: str, limit: int) -> list[int]:
    """Lease up to `limit` lanes that have a due pending event; returns their ids."""
    now = utcnow()
    free = or_(EventLane.leased_until.is_(None), EventLane.leased_until < now)
    pending = exists().where(EventDelivery.lane_id == EventLane.id, EventDelivery.status == "PENDING")
    query = (select(EventLane.id).where(EventLane.next_attempt_at <= now, free, pending)
             .order_by(EventLane.next_attempt_at, EventLane.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=EventLane)
    ids = list(session.scalars(query))
    if not ids:
        return []
    token = f"{worker_id}:{uuid.uuid4().hex[:8]}"
    # The guard makes the lease safe on SQLite too, where nothing was locked by the select.
    session.execute(update(EventLane).where(EventLane.id.in_(ids), free)
                    .values(leased_by=token, leased_until=now + LEASE))
    return list(session.scalars(select(EventLane.id).where(EventLane.leased_by == token)))


def deliver_lane(settings: Settings, senders: Senders, lane_id: int) -> int:
    """Send a leased lane's pending events in order until one fails; record the outcome; returns events sent."""
    url = settings.metadata_url
    with session_scope(url) as session:
        target = session.scalar(select(EventTarget).join(EventLane, EventLane.target_pk == EventTarget.id)
                                .where(EventLane.id == lane_id))
        rows = session.execute(
            select(EventDelivery.id, EventDelivery.attempts, OutboxEvent.id, OutboxEvent.time, OutboxEvent.envelope)
            .join(OutboxEvent, OutboxEvent.seq == EventDelivery.event_seq)
            .where(EventDelivery.lane_id == lane_id, EventDelivery.status == "PENDING")
            .order_by(EventDelivery.event_seq).limit(LANE_BATCH)).all() if target else []
        target_info = (target.kind, target.arn, target.secret, dict(target.headers or {}), target.max_attempts,
                       target.max_age_seconds, target.rule_name) if target else None
    delivered, dead, failed, next_at = [], [], None, _EPOCH
    for delivery_id, attempts, event_id, event_time, envelope in rows:
        kind, arn, secret, headers, max_attempts, max_age, rule_name = target_info
        body = orjson.dumps(envelope)
        try:
            if kind == "WEBHOOK":
                senders.webhook(arn, secret, {**headers, "X-Openzone-Rule": rule_name}, event_id, body)
            else:
                senders.nats(arn, parse_target_arn(arn)[1], event_id, body)
            delivered.append(delivery_id)
            continue
        except DeliveryError as error:
            attempts += 1
            too_old = (utcnow() - event_time).total_seconds() >= max_age
            if attempts >= max_attempts or too_old:
                dead.append((delivery_id, attempts, str(error)))
                log.warning("event %s dead-lettered at target %s after %d attempts: %s", event_id, arn, attempts, error)
                continue
            failed = (delivery_id, attempts, str(error))
            next_at = utcnow() + timedelta(seconds=backoff(settings, attempts))
            break
    _record(url, lane_id, delivered, dead, failed, next_at)
    return len(delivered)


def _record(url: str, lane_id: int, delivered: list[int], dead: list, failed: tuple | None, next_at: datetime) -> None:
    now = utcnow()
    with session_scope(url) as session:
        if delivered:
            session.execute(update(EventDelivery).where(EventDelivery.id.in_(delivered))
                            .values(status="DELIVERED", finished_at=now, last_error=None))
        for delivery_id, attempts, error in dead:
            session.execute(update(EventDelivery).where(EventDelivery.id == delivery_id).values(
                status="DEAD", attempts=attempts, last_error=error[:2000], finished_at=now))
        if failed:
            delivery_id, attempts, error = failed
            session.execute(update(EventDelivery).where(EventDelivery.id == delivery_id)
                            .values(attempts=attempts, last_error=error[:2000]))
        session.execute(update(EventLane).where(EventLane.id == lane_id)
                        .values(leased_by=None, leased_until=None, next_attempt_at=next_at))


def run_once(settings: Settings, worker_id: str, senders: Senders, pool: ThreadPoolExecutor | None = None) -> int:
    """One round: fan out new events, then deliver every due lane; returns events fanned out plus sent."""
    url = settings.metadata_url
    work = 0
    try:
        with session_scope(url) as session:
            work += fan_out(session)
    except _Lost:
        pass
    with session_scope(url) as session:
        lanes = claim_lanes(session, worker_id, limit=settings.events_dispatch_threads * 8)
    if pool is None or len(lanes) <= 1:
        return work + sum(deliver_lane(settings, senders, lane) for lane in lanes)
    return work + sum(pool.map(lambda lane: deliver_lane(settings, senders, lane), lanes))


def drain(settings: Settings, rounds: int = 100) -> int:
    """Dispatch until nothing is due (CLI and tests); returns the work done."""
    senders = Senders(settings.events_webhook_timeout_seconds)
    try:
        total = 0
        for _ in range(rounds):
            done = run_once(settings, "inline", senders)
            total += done
            if not done:
                break
        return total
    finally:
        senders.close()


class Dispatcher(threading.Thread):
    """A daemon thread that delivers events until stopped (in `openzone serve` and `openzone worker`)."""

    def __init__(self, settings: Settings):
        super().__init__(name="openzone-events", daemon=True)
        self.settings = settings
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._halt = threading.Event()

    def run(self) -> None:
        senders = Senders(self.settings.events_webhook_timeout_seconds)
        pool = ThreadPoolExecutor(self.settings.events_dispatch_threads, thread_name_prefix="openzone-events-send")
        try:
            while not self._halt.is_set():
                try:
                    busy = run_once(self.settings, self.worker_id, senders, pool)
                except Exception:  # a database hiccup must never stop delivery for good
                    log.exception("event dispatcher round failed")
                    busy = 0
                if not busy:
                    wakeup.wait(self.settings.events_poll_seconds)
                    wakeup.clear()
        finally:
            pool.shutdown(wait=True)
            senders.close()

    def stop(self) -> None:
        self._halt.set()
        wakeup.set()

