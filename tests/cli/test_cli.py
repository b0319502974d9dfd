"""The `openzone` command line, run as a user would run it (subprocesses on a real store)."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import httpx
import pytest

from conftest import free_port
from openzone.db.session import session_scope
from openzone.identity.models import User
from openzone.identity.passwords import check_password

OPENZONE = str(Path(sys.executable).parent / "openzone")


def run(args: list[str], env: dict, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([OPENZONE, *args], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def cli_env(database_url, tmp_path) -> dict:
    return {**os.environ, "OPENZONE_DATA_DIR": str(tmp_path / "data"), "OPENZONE_DATABASE_URL": database_url}


def test_users_and_access_keys_print_iam_shaped_json(cli_env):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    created = json.loads(run(["users", "create", name, "--admin"], cli_env).stdout)
    assert created["User"]["UserName"] == name and created["User"]["Admin"] is True
    key = json.loads(run(["access-keys", "create", name], cli_env).stdout)["AccessKey"]
    assert set(key) == {"UserName", "AccessKeyId", "Status", "SecretAccessKey", "CreateDate"}
    assert key["UserName"] == name and key["Status"] == "Active" and key["AccessKeyId"].startswith("AKIA")
    again = run(["users", "create", name], cli_env, check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    missing = run(["access-keys", "create", "nobody-" + name], cli_env, check=False)
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_serve_answers_health_and_boto3_with_a_cli_key(cli_env):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    run(["users", "create", name, "--admin"], cli_env)
    key = json.loads(run(["access-keys", "create", name], cli_env).stdout)["AccessKey"]
    port = free_port()
    server = subprocess.Popen([OPENZONE, "serve", "--port", str(port)], env=cli_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        dz = boto3.client("datazone", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        domain = dz.create_domain(name=f"cli-{uuid.uuid4().hex[:6]}", domainExecutionRole="arn:aws:iam::000000000000:role/x")
        assert dz.get_domain(identifier=domain["id"])["status"] == "AVAILABLE"
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_demo_loads_once_and_events_tail_prints_envelopes(tmp_path):
    # The demo needs its own store: it creates the one "Corporate" domain and the "admin" user.
    env = {**os.environ, "OPENZONE_DATA_DIR": str(tmp_path / "demo")}
    env.pop("OPENZONE_DATABASE_URL", None)
    first = run(["demo"], env)
    assert "Demo loaded" in first.stdout
    credentials = (tmp_path / "demo" / "credentials").read_text()
    assert "aws_access_key_id" in credentials and oct((tmp_path / "demo" / "credentials").stat().st_mode)[-3:] == "600"
    # The admin can sign in to the portal with the password the demo printed and saved.
    password_file = tmp_path / "demo" / "portal-password"
    password = password_file.read_text().strip()
    assert f"user admin, password {password}" in first.stdout and oct(password_file.stat().st_mode)[-3:] == "600"
    with session_scope(f"sqlite:///{tmp_path / 'demo' / 'openzone.db'}") as session:
        assert check_password(password, session.query(User).filter_by(name="admin").one().password_hash)
    assert "already exists" in run(["demo"], env).stdout
    lines = run(["events", "tail", "--last", "100"], env).stdout.splitlines()
    events = [json.loads(line) for line in lines]
    kinds = {event["detail-type"] for event in events}
    assert {"Asset Added To Catalog", "Environment Deployment Completed", "Project Creation Succeeded"} <= kinds
    published = [e for e in events if e["detail-type"] == "Asset Added To Catalog"]
    assert len(published) == 8 and all(e["source"] == "aws.datazone" for e in published)
