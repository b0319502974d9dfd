"""`openzone events ...` run as an operator would, on a real store."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

OPENZONE = str(Path(sys.executable).parent / "openzone")


@pytest.fixture
def run(isolated_database_url, tmp_path):
    env = {**os.environ, "OPENZONE_DATA_DIR": str(tmp_path), "OPENZONE_DATABASE_URL": isolated_database_url}

    def run(*args: str, code: int = 0) -> subprocess.CompletedProcess:
        result = subprocess.run([OPENZONE, "events", *args], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == code, result.stderr
        return result
    return run


def test_rules_targets_secrets_and_patterns(run):
    arn = json.loads(run("put-rule", "cli-grants", "--pattern", '{"detail-type": [{"prefix": "Subscription Grant"}]}').stdout)
    assert arn["RuleArn"].endswith(":rule/cli-grants")
    run("put-target", "cli-grants", "hook", "http://127.0.0.1:9/hook", "--secret", "abc", "--max-retries", "2")
    run("put-target", "cli-grants", "bus", "nats://127.0.0.1:4222/datazone.grants")
    assert run("secret", "cli-grants", "hook").stdout.strip() == "abc"
    assert len(run("secret", "cli-grants", "bus").stdout.strip()) >= 32  # generated
    (rule,) = [json.loads(line) for line in run("rules").stdout.splitlines()]
    assert rule["State"] == "ENABLED" and {t["Id"] for t in rule["Targets"]} == {"hook", "bus"}
    assert "http(s):// URL" in run("put-target", "cli-grants", "x", "ftp://host/x", code=1).stderr
    assert "has targets" in run("delete-rule", "cli-grants", code=1).stderr
    run("disable-rule", "cli-grants")
    assert json.loads(run("rules").stdout)["State"] == "DISABLED"
    assert "Reason:" in run("put-rule", "bad", "--pattern", '{"source": []}', code=1).stderr
    run("remove-target", "cli-grants", "hook")
    run("remove-target", "cli-grants", "bus")
    run("delete-rule", "cli-grants")
    assert run("rules").stdout == ""
    assert run("test-pattern", '{"source": [{"prefix": "aws."}]}', '{"source": "aws.datazone"}').stdout.strip() == "true"
    run("test-pattern", '{"source": ["x"]}', '{"source": "aws.datazone"}', code=1)
    assert "Say what to redeliver" in run("redeliver", code=1).stderr
