"""A worker that dies in the middle of a run leaves whole assets behind, and the re-delivered job resumes the
run where it stopped: every table imported once, the run finished, nothing half-written. While it runs, the
run keeps its job's lease alive."""

import json
import threading
from datetime import timedelta

import pytest
from scenario import build_world, query_rows, resource
from sqlalchemy import func, select

from openzone.catalog.models import Asset, AssetRevision
from openzone.db.session import session_scope
from openzone.db.types import utcnow
from openzone.identity.models import User
from openzone.jobs.models import Job
from openzone.sources import runs, tasks
from openzone.sources.models import DataSource, DataSourceAsset, DataSourceRun, DataSourceRunActivity

TABLES = ("t1", "t2", "t3", "t4", "t5")


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    for name in TABLES:
        query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {name} AS SELECT 1 AS id, 'x' AS label")
    world.db = resource(world.sales_env, "glueProducerDBName")
    return world


def queued_run(server, source_id: str) -> tuple[str, dict]:
    """Start a run as StartDataSourceRun does, its job taken by a worker that then dies (us, in this test)."""
    with session_scope(server.settings.metadata_url) as session:
        source = session.get(DataSource, source_id)
        run = runs.start_run(session, session.get(User, source.created_by), source)
        job = next(j for j in session.scalars(select(Job).where(Job.kind == runs.TASK).order_by(Job.id.desc()))
                   if j.payload["run_id"] == run.id)
        # Claimed five minutes ago, within its lease: the server's own worker leaves it alone.
        job.status, job.locked_by, job.updated_at = "RUNNING", "dead-worker", utcnow() - timedelta(minutes=5)
        return run.id, dict(job.payload)


class Killed(BaseException):
    """The worker process dying (not an error the run could catch)."""


def test_a_crash_mid_run_leaves_whole_assets_and_the_job_resumes(server, world, monkeypatch):
    source = world.producer.dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, environmentIdentifier=world.sales_env["id"],
        name="crashing", type="GLUE",
        configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": world.db}]}})
    run_id, payload = queued_run(server, source["id"])
    settings = server.settings.model_copy(update={"sources_chunk_size": 2})
    real_connect = tasks.connectors.connect

    test_thread = threading.current_thread()

    def dying_source(spec):
        connector = real_connect(spec)
        if threading.current_thread() is not test_thread:  # the live server's worker runs other tests' sources
            return connector

        class DiesAfterThreeTables:
            check = connector.check

            def tables(self, filters):
                for index, table in enumerate(connector.tables(filters)):
                    if index == 3:  # the first chunk (2 tables) is committed, the second is half-read
                        raise Killed()
                    yield table
        return DiesAfterThreeTables()

    monkeypatch.setattr(tasks.connectors, "connect", dying_source)
    with pytest.raises(Killed), session_scope(settings.metadata_url) as session:
        tasks.execute_run(session, settings, payload)
    url = settings.metadata_url
    with session_scope(url) as session:
        run = session.get(DataSourceRun, run_id)
        assert run.status == "RUNNING" and run.tables_done == 2
        # Each committed chunk renewed the job's lease, so no other worker would have taken the run meanwhile.
        assert session.get(Job, payload["job_id"]).updated_at > utcnow() - timedelta(minutes=1)
        links = session.scalars(select(DataSourceAsset).where(DataSourceAsset.data_source_id == source["id"])).all()
        assert sorted(link.technical_name for link in links) == ["t1", "t2"]
        for link in links:  # whole assets: the asset, its revision with every form, its link
            asset = session.get(Asset, link.asset_id)
            forms = {f["formName"]: json.loads(f["content"]) for f in
                     session.get(AssetRevision, (asset.id, 1)).forms}
            assert [c["columnName"] for c in forms["GlueTableForm"]["columns"]] == ["id", "label"]
            assert forms["DataSourceReferenceForm"]["dataSourceRunId"] == run_id

    monkeypatch.undo()  # the job is delivered again, to a healthy worker
    with session_scope(url) as session:
        tasks.execute_run(session, settings, payload)
    with session_scope(url) as session:
        run = session.get(DataSourceRun, run_id)
        assert run.status == "SUCCESS"
        assert run.statistics == {"added": 5, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
        names = session.scalars(select(DataSourceRunActivity.technical_name).where(
            DataSourceRunActivity.run_id == run_id)).all()
        assert sorted(names) == list(TABLES)
        assert session.scalar(select(func.count()).select_from(DataSourceAsset).where(
            DataSourceAsset.data_source_id == source["id"])) == 5
        assert session.get(DataSource, source["id"]).status == "READY"
