"""Shared by the benchmarks: a live openzone server in this process, boto3 callers, and a DataZone world.

The server and callers mirror tests/conftest.py without pytest, with one difference that matters for
timing: boto3 clients are created once per caller and reused. The DataZone world (domain, Sales and
Analytics with lake environments, Glue assets) is tests/scenario.py's, re-exported from here.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import httpx
import uvicorn
from botocore.config import Config

from openzone.config import Settings
from openzone.db.migrate import upgrade
from openzone.db.session import session_scope
from openzone.events import outbox
from openzone.identity import service as identity

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from scenario import World, build_world, environment, glue_asset, resource  # noqa: E402,F401

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the one JSON result line."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(result: dict) -> None:
    print(json.dumps(result, sort_keys=False), flush=True)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: list[float]) -> float:
    return statistics.median(values)


# Databases


def fresh_postgres_database(admin_url: str = PG_ADMIN_URL) -> str:
    """Create an empty PostgreSQL database next to `admin_url`'s and return its SQLAlchemy URL."""
    import psycopg

    name = f"oz_bench_{uuid.uuid4().hex[:10]}"
    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str) -> None:
    import psycopg

    from openzone.db.session import get_engine

    get_engine(url).dispose()
    name = url.rsplit("/", 1)[1]
    dsn = url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as error:
        log(f"could not drop {name}: {error}")


def backend_of(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


# Server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    settings: Settings
    _uv: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _process: subprocess.Popen | None = None

    def user(self, name: str | None = None, admin: bool = False) -> Caller:
        """A new user with an access key."""
        name = name or f"user-{uuid.uuid4().hex[:8]}"
        with session_scope(self.settings.metadata_url) as session:
            identity.create_user(session, name, admin)
            key = identity.create_access_key(session, name)
            return Caller(self, name, key.id, key.secret)

    def stop(self) -> None:
        if self._uv is not None:
            self._uv.should_exit = True
            self._thread.join(timeout=10)
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


# The server of --server-process: the same app and workers, in a child Python process.
_CHILD = """
import sys
from openzone.app import serve
from openzone.config import Settings
serve(Settings(host="127.0.0.1", port=int(sys.argv[1])), log_level="warning")
"""


def start_server(data_dir: Path, database_url: str | None = None, separate_process: bool = False,
                 **overrides) -> LiveServer:
    """openzone on a free 127.0.0.1 port with its in-process workers; Settings defaults otherwise.

    By default the server runs in this process (in a thread, as the tests do); with
    `separate_process` it runs in a child process, so the benchmark's own client work (boto3,
    plain DuckDB) does not share the server's GIL.
    """
    from openzone.app import create_app

    settings = Settings(data_dir=data_dir, database_url=database_url, **overrides)
    settings.ensure_dirs()
    upgrade(settings.metadata_url)
    outbox.configure(settings.account_id, settings.region)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if separate_process:
        env = dict(os.environ, OPENZONE_DATA_DIR=str(settings.data_path))
        if database_url:
            env["OPENZONE_DATABASE_URL"] = database_url
        for key, value in overrides.items():
            env[f"OPENZONE_{key.upper()}"] = str(value)
        server = LiveServer(url, settings, _process=subprocess.Popen([sys.executable, "-c", _CHILD, str(port)], env=env,
                                                   stdout=sys.stderr))  # stdout is for the result line
    else:
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
        uv = uvicorn.Server(config)
        thread = threading.Thread(target=uv.run, name="bench-uvicorn", daemon=True)
        thread.start()
        server = LiveServer(url, settings, uv, thread)
    deadline = time.time() + 30
    while time.time() < deadline:
        if server._process is not None and server._process.poll() is not None:
            raise RuntimeError("the openzone server process exited")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("the openzone server did not start")


@dataclass
class Caller:
    server: LiveServer
    name: str
    key_id: str
    secret: str
    _clients: dict = field(default_factory=dict, repr=False)

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, endpoint_url=self.server.url, region_name="us-east-1",
                aws_access_key_id=self.key_id, aws_secret_access_key=self.secret,
                config=Config(retries={"max_attempts": 1}, max_pool_connections=4))
        return self._clients[service]

    @property
    def dz(self):
        return self.client("datazone")

    @property
    def athena(self):
        return self.client("athena")

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.server.settings.account_id}:user/{self.name}"


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.02):
    """Poll until predicate() returns something truthy; return it or raise."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


# Athena


def start_query(caller: Caller, workgroup: str, sql: str, database: str | None = None) -> str:
    context = {"Database": database} if database else {}
    return caller.athena.start_query_execution(QueryString=sql, WorkGroup=workgroup,
                                               QueryExecutionContext=context)["QueryExecutionId"]


def wait_query(caller: Caller, qid: str, interval: float = 0.01, timeout: float = 600) -> dict:
    """Poll GetQueryExecution every `interval` seconds until the query ends; return the execution."""
    deadline = time.monotonic() + timeout
    while True:
        execution = caller.athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in TERMINAL:
            return execution
        if time.monotonic() > deadline:
            raise TimeoutError(f"query {qid} did not finish")
        time.sleep(interval)


def run_sql(caller: Caller, workgroup: str, sql: str, database: str | None = None,
            interval: float = 0.01) -> dict:
    """Run SQL through the Athena API and wait; returns the final GetQueryExecution."""
    return wait_query(caller, start_query(caller, workgroup, sql, database), interval)


def fetch_rows(caller: Caller, qid: str) -> list[list]:
    """All rows of a finished query through GetQueryResults paging (header row dropped)."""
    rows, token = [], None
    while True:
        kwargs = {"QueryExecutionId": qid, "MaxResults": 1000}
        if token:
            kwargs["NextToken"] = token
        page = caller.athena.get_query_results(**kwargs)
        rows.extend(page["ResultSet"]["Rows"])
        token = page.get("NextToken")
        if not token:
            break
    return [[d.get("VarCharValue") for d in row["Data"]] for row in rows[1:]]


def query_rows(caller: Caller, workgroup: str, sql: str, database: str | None = None) -> list[list]:
    execution = run_sql(caller, workgroup, sql, database)
    if execution["Status"]["State"] != "SUCCEEDED":
        raise RuntimeError(f"query failed: {execution['Status']}")
    return fetch_rows(caller, execution["QueryExecutionId"])


# DataZone world
