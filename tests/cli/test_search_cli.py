"""`openzone search reindex` and `openzone search verify`, run as subprocesses on a real store."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from openzone.catalog import service as catalog
from openzone.catalog.models import Asset, AssetRevision
from openzone.db.session import get_engine, session_scope
from openzone.domains.models import Domain
from openzone.identity.models import User
from openzone.projects.models import Project, ProjectMember

OPENZONE = str(Path(sys.executable).parent / "openzone")


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([OPENZONE, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def store(isolated_database_url, tmp_path_factory) -> tuple[str, dict, list[str]]:
    """A store with two published listings; the environment the CLI runs with."""
    url, suffix = isolated_database_url, uuid.uuid4().hex[:10]
    with session_scope(url) as session:
        user = User(id=f"u{suffix}", name=f"cli-{suffix}", is_admin=True)
        session.add(user)
        session.flush()
        session.add(Domain(id=f"dzd_{suffix}", name="d", root_domain_unit_id="root", created_by=user.id))
        session.flush()
        session.add(Project(id=f"p{suffix}", domain_id=f"dzd_{suffix}", name="Sales", created_by=user.id))
        session.flush()
        session.add(ProjectMember(project_id=f"p{suffix}", user_id=user.id, designation="PROJECT_OWNER"))
        listing_ids = []
        for table, name in (("mkt_loss_mth_table", "Market Loss by Month"), ("pnl_mth_rgn", "Profit and Loss")):
            asset = Asset(id=uuid.uuid4().hex[:14], domain_id=f"dzd_{suffix}", owning_project_id=f"p{suffix}",
                          type_identifier="amazon.datazone.GlueTableAssetType", type_revision="1", revision=1,
                          created_by=user.id)
            session.add(asset)
            session.flush()
            content = {"databaseName": "db", "tableName": table, "columns": [{"columnName": "loss_amt"}]}
            session.add(AssetRevision(asset_id=asset.id, revision=1, name=name, forms=[{
                "formName": "GlueTableForm", "typeName": "amazon.datazone.GlueTableFormType", "typeRevision": "1",
                "content": json.dumps(content)}], created_by=user.id))
            session.flush()
            listing_ids.append(catalog.change_listing(session, user, f"dzd_{suffix}", {
                "entityType": "ASSET", "entityIdentifier": asset.id, "action": "PUBLISH"}).id)
    env = {**os.environ, "OPENZONE_DATA_DIR": str(tmp_path_factory.mktemp("cli-search")),
           "OPENZONE_DATABASE_URL": url}
    return url, env, listing_ids


def test_verify_passes_on_an_index_kept_by_the_listener(store):
    _, env, _ = store
    result = run(["search", "verify"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "equals the database" in result.stdout


def test_verify_exits_1_after_tampering_and_reindex_repairs(store):
    url, env, (tampered, dropped) = store
    with get_engine(url).begin() as connection:
        connection.execute(text("UPDATE search_documents SET column_terms = 'nothing', name = 'Forged' "
                                "WHERE entity_id = :id"), {"id": tampered})
        connection.execute(text("DELETE FROM search_documents WHERE entity_id = :id"), {"id": dropped})
    result = run(["search", "verify"], env)
    assert result.returncode == 1
    assert f"listing {tampered}: column_terms" in result.stdout and f"listing {tampered}: name" in result.stdout
    assert f"missing document for listing {dropped}" in result.stdout
    assert "reindex" in result.stderr
    rebuilt = run(["search", "reindex"], env)
    assert rebuilt.returncode == 0 and "reindexed 2 listings" in rebuilt.stdout, rebuilt.stderr
    again = run(["search", "verify"], env)
    assert again.returncode == 0, again.stdout
