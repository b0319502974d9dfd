"""A real moto server (S3 and the Glue Data Catalog) on a free 127.0.0.1 port, for connector tests.

Use it from any test module with `from sources.connectors.moto_server import moto_server  # noqa: F401`
and a `moto_server` argument. One server runs per pytest process, whichever modules ask for it; tests keep
apart by using names of their own (`unique("db")`). `moto_server_with_auth` is a second server that
checks credentials the way AWS does (unknown access keys are refused), for access-denied tests.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import boto3
import httpx
import pytest
from botocore.config import Config

REGION = "us-east-1"
KEY_ID, SECRET = "testing", "testing"


def unique(prefix: str) -> str:
    """A name no other test uses (Glue and S3 names are lower case)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class MotoServer:
    endpoint_url: str
    process: subprocess.Popen

    @property
    def port(self) -> int:
        return int(self.endpoint_url.rsplit(":", 1)[1])

    def client(self, service: str, **overrides):
        """A boto3 client of this server (glue, s3, iam, ...) with test credentials."""
        options = {"endpoint_url": self.endpoint_url, "region_name": REGION, "aws_access_key_id": KEY_ID,
                   "aws_secret_access_key": SECRET, "config": Config(retries={"max_attempts": 1}), **overrides}
        return boto3.client(service, **options)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM when pytest dies, even killed (atexit would not run then)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_moto_server(**env: str) -> MotoServer:
    """Start `moto_server` as a child process and wait until it answers; extra env configures moto."""
    for _attempt in range(3):  # the free port may be taken between choosing it and binding it
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        server = MotoServer(f"http://127.0.0.1:{port}", process)
        deadline = time.time() + 30
        while time.time() < deadline and process.poll() is None:
            try:
                httpx.get(f"{server.endpoint_url}/moto-api/", timeout=1)
                atexit.register(server.stop)
                return server
            except httpx.HTTPError:
                time.sleep(0.1)
        server.stop()
    pytest.fail("moto_server did not start (is moto[server] installed?)")


_SHARED: dict[str, MotoServer] = {}


def shared_moto_server(auth: bool = False) -> MotoServer:
    """The process-wide moto server (started on first use, stopped at exit)."""
    key = "auth" if auth else "open"
    if key not in _SHARED or _SHARED[key].process.poll() is not None:
        # INITIAL_NO_AUTH_ACTION_COUNT=0 makes moto check every request's access key against its IAM users.
        _SHARED[key] = start_moto_server(INITIAL_NO_AUTH_ACTION_COUNT="0") if auth else start_moto_server()
    return _SHARED[key]


@pytest.fixture(scope="session")
def moto_server() -> MotoServer:
    """S3 and Glue on a local moto server that accepts any credentials."""
    return shared_moto_server()


@pytest.fixture(scope="session")
def moto_server_with_auth() -> MotoServer:
    """A moto server that refuses access keys it does not know (as AWS does)."""
    return shared_moto_server(auth=True)
