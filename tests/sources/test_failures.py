"""One bad table fails alone: a table that cannot become an asset is FAILED with its reason and the run
PARTIALLY_SUCCEEDED; a chunk that cannot be written is retried table by table (here: a source listing the
same table twice in one chunk), so the good tables of the chunk are still imported, once."""

import dataclasses
import threading

import pytest
from scenario import build_world, query_rows, resource, wait_until

from openzone.sources import tasks

TABLES = ("f1", "f2", "f3", "g1", "g2", "g3", "h1")


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    for name in TABLES:
        query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {name} AS SELECT 1 AS id")
    world.db = resource(world.sales_env, "glueProducerDBName")
    return world


def source_that_also_yields(monkeypatch, extra):
    """The lake, as read by the worker of this test's server, plus what `extra(tables)` adds to its stream."""
    real_connect = tasks.connectors.connect

    def connect(spec):
        connector = real_connect(spec)
        if threading.current_thread().name != "openzone-worker":
            return connector

        class WithExtra:
            check = connector.check

            def tables(self, filters):
                return iter(extra(list(connector.tables(filters))))
        return WithExtra()
    monkeypatch.setattr(tasks.connectors, "connect", connect)


def run(world, name, prefix):
    dz = world.producer.dz
    source = dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, environmentIdentifier=world.sales_env["id"],
        name=name, type="GLUE",
        configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [
            {"databaseName": world.db, "filterExpressions": [{"type": "INCLUDE", "expression": f"{prefix}*"}]}]}})
    started = dz.start_data_source_run(domainIdentifier=world.domain_id, dataSourceIdentifier=source["id"])
    finished = wait_until(lambda: (lambda r: r if r["status"] not in ("REQUESTED", "RUNNING") else None)(
        dz.get_data_source_run(domainIdentifier=world.domain_id, identifier=started["id"])), timeout=60)
    items = dz.list_data_source_run_activities(domainIdentifier=world.domain_id, identifier=started["id"])["items"]
    return finished, items


def test_a_table_that_cannot_be_an_asset_fails_alone(world, monkeypatch):
    long_name = "t" * 300
    source_that_also_yields(monkeypatch, lambda tables: tables + [dataclasses.replace(tables[0], name=long_name)])
    finished, items = run(world, "one-bad-table", "f")
    assert finished["status"] == "PARTIALLY_SUCCEEDED"
    assert finished["runStatisticsForAssets"]["added"] == 3 and finished["runStatisticsForAssets"]["failed"] == 1
    failed = [a for a in items if a["dataAssetStatus"] == "FAILED"]
    assert len(failed) == 1 and failed[0]["errorMessage"]["errorType"] == "VALIDATION_EXCEPTION"
    assert "1-256 characters" in failed[0]["errorMessage"]["errorDetail"]


def test_a_chunk_that_cannot_be_written_is_retried_table_by_table(world, monkeypatch):
    def twice(tables):
        first = tables[0]
        return tables + [dataclasses.replace(first, columns=first.columns + first.columns[:1], comment="again")]
    source_that_also_yields(monkeypatch, twice)
    finished, items = run(world, "listed-twice", "g")
    assert finished["status"] == "SUCCESS", items
    by_status = sorted((a["technicalName"], a["dataAssetStatus"]) for a in items)
    assert by_status == [("g1", "SUCCEEDED_CREATED"), ("g1", "SUCCEEDED_UPDATED"), ("g2", "SUCCEEDED_CREATED"),
                         ("g3", "SUCCEEDED_CREATED")]
    assert len({a["dataAssetId"] for a in items}) == 3


def test_a_table_the_connector_could_not_read_fails_with_the_connectors_reason(world, monkeypatch):
    def unreadable(tables):
        broken = dataclasses.replace(tables[0], name="h_corrupt", columns=(), extra={
            "error": "File h_corrupt/part-0.parquet is not a Parquet file", "errorType": "ACCESS_DENIED_EXCEPTION"})
        return tables + [broken]
    source_that_also_yields(monkeypatch, unreadable)
    finished, items = run(world, "unreadable", "h")
    assert finished["status"] == "PARTIALLY_SUCCEEDED"
    failed = {a["technicalName"]: a for a in items if a["dataAssetStatus"] == "FAILED"}
    assert set(failed) == {"h_corrupt"} and "dataAssetId" not in failed["h_corrupt"]
    assert failed["h_corrupt"]["errorMessage"] == {"errorType": "ACCESS_DENIED_EXCEPTION",
                                                   "errorDetail": "File h_corrupt/part-0.parquet is not a Parquet file"}
