"""The PostgreSQL pool: a connection that sat idle is checked before use, a busy one is not."""

import time

import psycopg
import pytest
from sqlalchemy import text

from conftest import drop_postgres_database, postgres_database
from openzone.db import session as db_session


@pytest.fixture
def pg_url():
    url = postgres_database()
    yield url
    drop_postgres_database(url)


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def test_a_connection_closed_behind_the_pool_is_replaced_after_idling(pg_url, monkeypatch):
    monkeypatch.setattr(db_session, "PING_AFTER_IDLE_SECONDS", 0.2)
    engine = db_session.get_engine(pg_url)
    first = _backend_pid(engine)
    # The database closes the pooled connection (a restart, an idle timeout, an administrator).
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first,))
    time.sleep(0.3)
    assert _backend_pid(engine) != first  # no error reached the caller: the dead connection was replaced


def test_only_an_idle_connection_is_pinged(pg_url, monkeypatch):
    monkeypatch.setattr(db_session, "PING_AFTER_IDLE_SECONDS", 0.2)
    engine = db_session.get_engine(pg_url)
    pings = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(1) or ping(connection))
    for _ in range(5):
        _backend_pid(engine)
    assert pings == []  # used again at once: no round trip
    time.sleep(0.3)
    _backend_pid(engine)
    assert pings == [1]
