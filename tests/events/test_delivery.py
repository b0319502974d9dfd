"""Delivery to a loopback webhook receiver: failures and recovery, order per entity, signatures, dead letters."""

import threading
import time

from sqlalchemy import select

from events.receiver import Receiver
from events.support import ADMIN, SECRET, add_rule, assert_in_order_per_entity, emit_events, pump, settings  # noqa: F401
from openzone.db.session import session_scope
from openzone.events import deadletters, rules
from openzone.events.models import EventDelivery


def test_a_failing_receiver_that_recovers_loses_nothing_and_keeps_order(settings):
    receiver = Receiver(SECRET)
    add_rule(settings, "all-tests", '{"detail-type": ["Test Event"]}', receiver.url)
    receiver.failing = True
    sent = emit_events(settings, 60, entities=6)
    pump(settings, lambda: receiver.refused >= 6)  # every entity's first event has failed at least once
    assert receiver.received == []
    receiver.failing = False
    pump(settings, lambda: set(receiver.ids()) >= set(sent))
    assert sorted(receiver.ids()) == sorted(sent)  # nothing lost, nothing twice
    assert_in_order_per_entity(receiver.received)
    assert receiver.bad_signatures == 0
    with session_scope(settings.metadata_url) as session:
        statuses = set(session.scalars(select(EventDelivery.status)))
    assert statuses == {"DELIVERED"}


def test_a_failing_event_blocks_only_its_own_entity(settings):
    receiver = Receiver(SECRET)
    add_rule(settings, "blocking", '{"source": ["aws.datazone"]}', receiver.url)
    receiver.reject = lambda envelope: envelope["detail"]["metadata"]["id"] == "entity0"
    sent = emit_events(settings, 30, entities=3)
    others = {i for i, n in zip(sent, range(30)) if n % 3}
    pump(settings, lambda: set(receiver.ids()) >= others)
    assert not any(e["detail"]["metadata"]["id"] == "entity0" for e in receiver.received)
    receiver.reject = lambda envelope: False
    pump(settings, lambda: set(receiver.ids()) >= set(sent))
    assert_in_order_per_entity(receiver.received)


def test_signatures_fail_with_another_secret(settings):
    receiver = Receiver("not-the-secret")
    add_rule(settings, "signed", '{"detail-type": ["Test Event"]}', receiver.url)
    sent = emit_events(settings, 3, entities=1)
    pump(settings, lambda: len(receiver.received) >= len(sent))
    assert receiver.bad_signatures == 3


def test_events_past_the_retry_policy_are_dead_letters_and_can_be_redelivered(settings):
    receiver = Receiver(SECRET)
    add_rule(settings, "short-retry", '{"detail-type": ["Test Event"]}', receiver.url,
             RetryPolicy={"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 3600})
    receiver.failing = True
    first = emit_events(settings, 1, entities=1)

    def dead():
        with session_scope(settings.metadata_url) as session:
            return deadletters.dead_letters(session, "short-retry")
    pump(settings, dead)
    (letter,) = dead()
    assert letter["eventId"] == first[0] and letter["attempts"] == 2 and "HTTP 503" in letter["lastError"]
    receiver.failing = False
    later = emit_events(settings, 1, entities=1)  # a dead letter no longer blocks its entity
    pump(settings, lambda: receiver.ids() == later)
    with session_scope(settings.metadata_url) as session:
        assert deadletters.redeliver(session, rule_name="short-retry") == 1
    pump(settings, lambda: receiver.ids() == later + first)
    with session_scope(settings.metadata_url) as session:
        assert deadletters.dead_letters(session, "short-retry") == []
        assert deadletters.redeliver(session, event_ids=later) == 1  # on demand, even when delivered
    pump(settings, lambda: receiver.ids() == later + first + later)


def test_only_matching_events_after_the_rule_exists_are_delivered(settings):
    receiver = Receiver(SECRET)
    before = emit_events(settings, 2, entities=1)
    add_rule(settings, "grants-only", '{"detail-type": [{"prefix": "Subscription Grant"}]}', receiver.url)
    emit_events(settings, 2, entities=1)  # "Test Event": no match
    wanted = emit_events(settings, 2, entities=1, detail_type="Subscription Grant Completed")
    pump(settings, lambda: len(receiver.received) >= 2)
    time.sleep(0.2)
    pump(settings, lambda: True)
    assert receiver.ids() == wanted and not set(before) & set(receiver.ids())


def test_a_disabled_rule_delivers_nothing(settings):
    receiver = Receiver(SECRET)
    add_rule(settings, "off", '{"detail-type": ["Test Event"]}', receiver.url)
    with session_scope(settings.metadata_url) as session:
        rules.set_state(session, ADMIN, "off", None, "DISABLED")
    emit_events(settings, 3, entities=1)
    with session_scope(settings.metadata_url) as session:
        rules.set_state(session, ADMIN, "off", None, "ENABLED")
    pump(settings, lambda: True)
    time.sleep(0.1)
    pump(settings, lambda: True)
    assert receiver.received == []


def test_two_dispatchers_share_the_work_without_losing_or_reordering(settings):
    receiver = Receiver(SECRET)
    add_rule(settings, "shared", '{"detail-type": ["Test Event"]}', receiver.url)
    sent = emit_events(settings, 200, entities=10)
    done = lambda: set(receiver.ids()) >= set(sent)  # noqa: E731
    errors = []

    def work(name):
        try:
            pump(settings, done, worker=name)
        except Exception as error:  # reported below
            errors.append(error)
    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(receiver.ids()) == sorted(sent)
    assert_in_order_per_entity(receiver.received)


def test_a_receiver_that_goes_away_and_comes_back_on_its_port_gets_everything(settings):
    receiver = Receiver(SECRET)
    add_rule(settings, "outage", '{"detail-type": ["Test Event"]}', receiver.url)
    first = emit_events(settings, 10, entities=2)
    pump(settings, lambda: set(receiver.ids()) >= set(first))
    receiver.stop()  # connections refused (and kept-alive ones dropped)
    during = emit_events(settings, 20, entities=2, start=10)
    with session_scope(settings.metadata_url) as session:
        pump(settings, lambda: session.scalar(select(EventDelivery.last_error).where(
            EventDelivery.last_error.is_not(None)).limit(1)) is not None)
    receiver.start()
    pump(settings, lambda: set(receiver.ids()) >= set(first + during))
    assert sorted(receiver.ids()) == sorted(first + during)
    assert_in_order_per_entity(receiver.received)


def test_old_delivered_deliveries_are_pruned_and_dead_letters_stay(settings):
    from datetime import timedelta

    from sqlalchemy import update

    from openzone.db.types import utcnow
    from openzone.events.models import OutboxEvent

    receiver = Receiver(SECRET)
    add_rule(settings, "pruned", '{"detail-type": ["Test Event"]}', receiver.url)
    sent = emit_events(settings, 4, entities=2)
    pump(settings, lambda: set(receiver.ids()) >= set(sent))
    with session_scope(settings.metadata_url) as session:
        ids = sorted(session.scalars(select(EventDelivery.id).where(EventDelivery.status == "DELIVERED")))
        old, recent = ids[:2], ids[2:]
        session.execute(update(EventDelivery).where(EventDelivery.id.in_(old)).values(
            finished_at=utcnow() - timedelta(days=8)))
        # A dead letter as old: it stays on the list until someone redelivers it.
        session.execute(update(EventDelivery).where(EventDelivery.id == recent[0]).values(
            status="DEAD", finished_at=utcnow() - timedelta(days=30)))
        events_before = len(session.scalars(select(OutboxEvent.seq)).all())
    with session_scope(settings.metadata_url) as session:
        assert deadletters.prune_delivered(session, timedelta(days=7)) == 2
    with session_scope(settings.metadata_url) as session:
        left = set(session.scalars(select(EventDelivery.id)))
        assert set(recent) <= left and not left & set(old)
        assert session.get(EventDelivery, recent[0]).status == "DEAD"
        assert len(session.scalars(select(OutboxEvent.seq)).all()) == events_before  # the events stay


def test_pruning_runs_hourly_unless_retention_is_off(settings):
    from openzone.jobs.queue import PERIODIC

    assert PERIODIC["events.prune"](settings) == 3600
    assert PERIODIC["events.prune"](settings.model_copy(update={"events_delivered_retention_seconds": 0})) == 0
