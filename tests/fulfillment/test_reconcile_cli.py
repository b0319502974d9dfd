"""`openzone grants verify [--repair]` and `openzone grants findings`, run as an operator would."""

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from openzone.db.session import session_scope
from openzone.fulfillment.models import LakeView
from openzone.jobs.runner import drain

OPENZONE = str(Path(sys.executable).parent / "openzone")


def _run(settings, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENZONE_DATA_DIR": str(settings.data_dir), "OPENZONE_DATABASE_URL": settings.metadata_url}
    return subprocess.run([OPENZONE, "grants", *args], env=env, capture_output=True, text=True, timeout=120)


def test_verify_reports_drift_with_its_exit_status_and_repair_fixes_it(demo):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    drain(settings)
    clean = _run(settings, "verify", "--domain", domain_id)
    assert clean.returncode == 0 and clean.stdout == "" and "0 findings" in clean.stderr
    with session_scope(settings.metadata_url) as session:
        session.execute(LakeView.__table__.delete().where(LakeView.grant_id == grant_id))
    found = _run(settings, "verify", "--domain", domain_id)
    assert found.returncode == 1, found.stderr
    assert found.stdout.startswith("DETECTED\tLAKE\tMISSING_ACCESS\t") and f"grant={grant_id}" in found.stdout
    repaired = _run(settings, "verify", "--repair", "--domain", domain_id, "--json")
    assert repaired.returncode == 0, repaired.stderr
    finding = json.loads(repaired.stdout)
    assert (finding["kind"], finding["outcome"], finding["grantId"]) == ("MISSING_ACCESS", "REPAIRED", grant_id)
    with session_scope(settings.metadata_url) as session:
        assert session.scalar(select(LakeView.id).where(LakeView.grant_id == grant_id)) is not None
    history = _run(settings, "findings", "--grant", grant_id, "--json")
    assert [json.loads(line)["outcome"] for line in history.stdout.splitlines()] == ["REPAIRED", "DETECTED"]


def test_verify_of_an_unknown_domain_is_an_error(demo):
    result = _run(demo[0], "verify", "--domain", "dzd_nosuchdomain00")
    assert result.returncode == 2 and "not found" in result.stderr
