"""Shared by the event tests: a settings fixture with fast retries, rules, emitting and pumping events."""

import time
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, select

from conftest import make_settings
from openzone.db.session import session_scope
from openzone.events import rules
from openzone.events.dispatcher import run_once
from openzone.events.models import EventDelivery, EventRule, EventTarget
from openzone.events.outbox import Entity, emit
from openzone.events.senders import Senders

ADMIN = SimpleNamespace(id="admin-user", is_admin=True)
SECRET = "s3cret-for-tests"


@pytest.fixture
def settings(isolated_database_url, tmp_path):
    settings = make_settings(tmp_path, isolated_database_url, events_retry_base_seconds=0.02,
                             events_retry_max_seconds=0.1, events_webhook_timeout_seconds=2)
    yield settings
    with session_scope(settings.metadata_url) as session:  # the database is shared by the module's tests
        session.execute(delete(EventTarget))
        session.execute(delete(EventRule))


def add_rule(settings, name: str, pattern: str, target_url: str, **target) -> None:
    with session_scope(settings.metadata_url) as session:
        rules.put_rule(session, ADMIN, {"Name": name, "EventPattern": pattern})
        failed = rules.put_targets(session, ADMIN, name, None, [{
            "Id": "hook", "Arn": target_url,
            "HttpParameters": {"HeaderParameters": {rules.SECRET_HEADER: SECRET}}, **target}],
            (settings.events_max_attempts, settings.events_max_age_seconds))
        assert failed == []


def emit_events(settings, count: int, entities: int, detail_type: str = "Test Event", start: int = 0) -> list[str]:
    ids = []
    with session_scope(settings.metadata_url) as session:
        for n in range(start, start + count):
            event = emit(session, detail_type=detail_type, domain_id="dzd_test",
                         entity=Entity(f"entity{n % entities}", "TestEntityType"), user_id="u1", data={"n": n})
            ids.append(event.id)
    return ids


def pump(settings, until, timeout: float = 30.0, worker: str = "w1") -> None:
    senders = Senders(settings.events_webhook_timeout_seconds)
    try:
        deadline = time.time() + timeout
        while not until():
            assert time.time() < deadline, "events were not delivered in time"
            if not run_once(settings, worker, senders):
                time.sleep(0.02)
    finally:
        senders.close()


def assert_in_order_per_entity(received: list[dict]) -> None:
    last: dict[str, int] = {}
    for envelope in received:
        entity, n = envelope["detail"]["metadata"]["id"], envelope["detail"]["data"]["n"]
        assert n > last.get(entity, -1), f"{entity}: event {n} arrived after {last[entity]}"
        last[entity] = n




def all_delivered(settings) -> bool:
    with session_scope(settings.metadata_url) as session:
        return set(session.scalars(select(EventDelivery.status))) == {"DELIVERED"}
