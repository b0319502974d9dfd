"""Shared fixtures: a metadata database per backend (SQLite and PostgreSQL) and a live server on it."""

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import pytest
import uvicorn
from botocore.config import Config

from openzone.config import Settings
from openzone.db.migrate import upgrade
from openzone.db.session import session_scope
from openzone.events import outbox
from openzone.identity import service as identity

PG_ADMIN_URL = os.environ.get("OPENZONE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# CI sets this so that a PostgreSQL test that cannot run fails instead of being skipped.
REQUIRE_POSTGRES = os.environ.get("OPENZONE_REQUIRE_POSTGRES") == "1"


def postgres_database() -> str:
    """A fresh, empty PostgreSQL database for this test session."""
    import psycopg

    name = f"oz_test_{uuid.uuid4().hex[:10]}"
    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        message = f"PostgreSQL is not reachable at {dsn}: {error}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str) -> None:
    """Remove a database made by postgres_database(), closing whatever still uses it."""
    import psycopg

    from openzone.db.session import get_engine

    get_engine(url).dispose()
    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _migrated_database(backend: str, tmp_path_factory):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'openzone.db'}"
    else:
        url = postgres_database()
    upgrade(url)
    yield url
    if backend == "postgres":
        drop_postgres_database(url)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request, tmp_path_factory) -> str:
    """A migrated metadata database on each backend, shared with the live server."""
    yield from _migrated_database(request.param, tmp_path_factory)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def isolated_database_url(request, tmp_path_factory) -> str:
    """A migrated database of its own, for tests that must not share one with the live server."""
    yield from _migrated_database(request.param, tmp_path_factory)


@pytest.fixture(params=["sqlite", "postgres"])
def unmigrated_database_url(request, tmp_path) -> str:
    """An empty database on each backend, for migration tests that upgrade it step by step themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    url = postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="module")
def ext_dir(tmp_path_factory) -> Path:
    """A DuckDB extension directory linked from the installed extension wheels."""
    from openzone.lake.extensions import prepare_extension_dir

    return prepare_extension_dir(tmp_path_factory.mktemp("ext"))


def make_settings(data_dir: Path, database_url: str, **overrides) -> Settings:
    # No periodic reconciler pass in the middle of a test (tests that want one ask for it).
    options = {"run_workers": True, "worker_poll_seconds": 0.2, "reconcile_interval_seconds": 0, **overrides}
    settings = Settings(data_dir=data_dir, database_url=database_url, **options)
    settings.ensure_dirs()
    outbox.configure(settings.account_id, settings.region)
    return settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    settings: Settings

    def user(self, name: str | None = None, admin: bool = False) -> "Caller":
        """A new user with an access key."""
        name = name or f"user-{uuid.uuid4().hex[:8]}"
        with session_scope(self.settings.metadata_url) as session:
            identity.create_user(session, name, admin)
            key = identity.create_access_key(session, name)
            return Caller(self, name, key.id, key.secret)


@dataclass
class Caller:
    server: LiveServer
    name: str
    key_id: str
    secret: str

    def client(self, service: str = "datazone"):
        return boto3.client(service, endpoint_url=self.server.url, region_name="us-east-1",
                            aws_access_key_id=self.key_id, aws_secret_access_key=self.secret,
                            config=Config(retries={"max_attempts": 1}))

    @property
    def dz(self):
        return self.client("datazone")

    @property
    def athena(self):
        return self.client("athena")

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.server.settings.account_id}:user/{self.name}"


def serve(settings: Settings):
    """Serve openzone with these settings on a free port of 127.0.0.1 until the generator is closed."""
    from openzone.app import create_app

    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        pytest.fail("the test server did not start")
    yield LiveServer(url, settings)
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def server(database_url, tmp_path_factory) -> LiveServer:
    """openzone serving on a free port of 127.0.0.1, with in-process workers."""
    yield from serve(make_settings(tmp_path_factory.mktemp("data"), database_url, query_timeout_seconds=20))


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    """Poll until predicate() returns something truthy; return it or fail."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail("condition not met in time")
