"""`openzone secrets create` and `openzone sources run NAME --wait`, run as an operator would (subprocesses on
the live server's own store)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from scenario import build_world, query_rows, resource

from openzone.db.session import session_scope
from openzone.sources import secrets
from openzone.sources.models import Secret

OPENZONE = str(Path(sys.executable).parent / "openzone")


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    for name in ("alpha", "beta", "gamma"):
        query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {name} AS SELECT 1 AS id")
    world.db = resource(world.sales_env, "glueProducerDBName")
    return world


@pytest.fixture
def env(server) -> dict:
    return {**os.environ, "OPENZONE_DATA_DIR": str(server.settings.data_dir),
            "OPENZONE_DATABASE_URL": server.settings.metadata_url, "COLUMNS": "120"}


def openzone(args, env, stdin=None):
    return subprocess.run([OPENZONE, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_secrets_create_reads_the_password_from_stdin(server, env):
    result = openzone(["secrets", "create", "cli-reader", "--username", "reader", "--password-stdin"], env,
                      stdin="pa55-from-stdin\n")
    assert result.returncode == 0, result.stderr
    arn = result.stdout.strip()
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:000000000000:secret:cli-reader-")
    assert "pa55-from-stdin" not in result.stdout + result.stderr
    with session_scope(server.settings.metadata_url) as session:
        assert session.get(Secret, arn) is not None
        assert secrets.resolve(session, server.settings, arn).password == "pa55-from-stdin"
    again = openzone(["secrets", "create", "cli-reader", "--username", "reader", "--password-stdin"], env, stdin="x\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    no_stdin = openzone(["secrets", "create", "cli-other", "--username", "reader"], env, stdin="")
    assert no_stdin.returncode == 1 and "--password-stdin" in no_stdin.stderr


def test_sources_run_wait_shows_progress_and_a_summary(world, env):
    world.producer.dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, environmentIdentifier=world.sales_env["id"],
        name="cli-lake", type="GLUE",
        configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": world.db}]}})
    result = openzone(["sources", "run", "cli-lake", "--domain", world.domain_id, "--wait"], env)
    assert result.returncode == 0, result.stderr
    assert "3/3" in result.stdout  # the progress bar: tables done / total
    assert "SUCCESS" in result.stdout and "added" in result.stdout
    listed = openzone(["sources", "list"], env)
    assert "cli-lake" in listed.stdout and "SUCCESS" in listed.stdout
    missing = openzone(["sources", "run", "no-such-source"], env)
    assert missing.returncode == 1 and "no data source named no-such-source" in missing.stderr
