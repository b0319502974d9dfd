"""Data sources over the embedded Iceberg catalog, end to end through boto3: create, run, assets, activities,
events, re-runs (unchanged / changed / archived), publishOnImport, business names, refusals."""

import json

import pytest
from botocore.exceptions import ClientError
from scenario import build_world, query_rows, resource, wait_until

from openzone.catalog.form_content import validate_content
from openzone.catalog.system_forms import system_form_model
from openzone.db.session import session_scope
from openzone.events.models import OutboxEvent
from openzone.lake.access import get_warehouse


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    env = world.sales_env["id"]
    query_rows(world.producer, env, "CREATE TABLE orders AS SELECT 1 AS order_id, 'x' AS cust_nm, 2.5 AS amount")
    query_rows(world.producer, env, "CREATE TABLE customers AS SELECT 1 AS customer_id, 'x' AS name")
    query_rows(world.producer, env, "CREATE TABLE tmp_scratch AS SELECT 1 AS id")
    world.db = resource(world.sales_env, "glueProducerDBName")
    return world


def lake_source(world, name, **extra):
    configuration = {"glueRunConfiguration": {"relationalFilterConfigurations": [
        {"databaseName": world.db, "filterExpressions": [{"type": "EXCLUDE", "expression": "tmp_*"}]}]}}
    return world.producer.dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, environmentIdentifier=world.sales_env["id"],
        name=name, type="GLUE", configuration=configuration, **extra)


def finished_run(dz, domain_id, run_id):
    def done():
        run = dz.get_data_source_run(domainIdentifier=domain_id, identifier=run_id)
        return run if run["status"] not in ("REQUESTED", "RUNNING") else None
    return wait_until(done, timeout=60)


def run_to_end(world, source_id):
    dz = world.producer.dz
    run = dz.start_data_source_run(domainIdentifier=world.domain_id, dataSourceIdentifier=source_id)
    assert run["status"] == "REQUESTED" and run["type"] == "PRIORITIZED"
    return finished_run(dz, world.domain_id, run["id"])


def activities(world, run_id, **filters):
    pages = world.producer.dz.get_paginator("list_data_source_run_activities").paginate(
        domainIdentifier=world.domain_id, identifier=run_id, **filters)
    return {a["technicalName"]: a for page in pages for a in page["items"]}


def events_of(server, detail_type, key, value):
    with session_scope(server.settings.metadata_url) as session:
        rows = session.query(OutboxEvent).filter(OutboxEvent.detail_type == detail_type).all()
        return [r.envelope for r in rows if r.envelope["detail"]["data"].get(key) == value]


def test_a_lake_source_imports_its_tables_as_glue_assets(server, world):
    dz = world.producer.dz
    source = lake_source(world, "lake")
    assert source["status"] == "READY" and source["type"] == "GLUE"
    assert source["configuration"]["glueRunConfiguration"]["relationalFilterConfigurations"][0]["databaseName"] == world.db
    run = run_to_end(world, source["id"])
    assert run["status"] == "SUCCESS", run
    assert run["runStatisticsForAssets"] == {"added": 2, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    assert run["startedAt"] <= run["stoppedAt"]
    acts = activities(world, run["id"])
    assert set(acts) == {"orders", "customers"}  # tmp_scratch excluded by the filter
    assert {a["dataAssetStatus"] for a in acts.values()} == {"SUCCEEDED_CREATED"}
    asset = dz.get_asset(domainIdentifier=world.domain_id, identifier=acts["orders"]["dataAssetId"])
    assert asset["name"] == "orders" and asset["typeIdentifier"] == "amazon.datazone.GlueTableAssetType"
    assert asset["externalIdentifier"].endswith(f":table/{world.db}/orders")
    forms = {f["formName"]: f for f in asset["formsOutput"]}
    glue = json.loads(forms["GlueTableForm"]["content"])
    assert [c["columnName"] for c in glue["columns"]] == ["order_id", "cust_nm", "amount"]
    assert glue["sourceClassification"] == "iceberg" and glue["databaseName"] == world.db
    validate_content("GlueTableForm", system_form_model("GlueTableFormType"), forms["GlueTableForm"]["content"])
    assert "DataSourceReferenceForm" not in forms  # the system's form: read-only, as in DataZone
    read_only = {f["formName"]: f for f in asset["readOnlyFormsOutput"]}
    reference = json.loads(read_only["DataSourceReferenceForm"]["content"])
    assert reference == {"dataSourceIdentifier": source["id"], "dataSourceRunId": run["id"]}
    got = dz.get_data_source(domainIdentifier=world.domain_id, identifier=source["id"])
    assert got["lastRunStatus"] == "SUCCESS" and got["lastRunAssetCount"] == 2 and got["status"] == "READY"
    assert events_of(server, "Data Source Run Triggered", "dataSourceRunId", run["id"])
    assert events_of(server, "Data Source Run Succeeded", "dataSourceRunId", run["id"])
    assert len(events_of(server, "Asset Added To Inventory", "dataSourceRunId", run["id"])) == 2

    # Nothing changed: nothing new.
    again = run_to_end(world, source["id"])
    assert again["runStatisticsForAssets"]["unchanged"] == 2 and again["runStatisticsForAssets"]["added"] == 0
    assert dz.get_asset(domainIdentifier=world.domain_id, identifier=asset["id"])["revision"] == "1"

    # A changed schema makes revision 2 that keeps what the user added; a dropped table is archived.
    dz.create_asset_revision(domainIdentifier=world.domain_id, identifier=asset["id"], name="Orders",
                             description="Every order.")
    env = world.sales_env["id"]
    warehouse = get_warehouse(server.settings)  # the query service refuses DROP TABLE; the producer's tooling may
    warehouse.drop_table(world.db, "orders")
    query_rows(world.producer, env, "CREATE TABLE orders AS SELECT 1 AS order_id, 'x' AS cust_nm, 2.5 AS amount, "
                                    "'EUR' AS currency")
    warehouse.drop_table(world.db, "customers")
    third = run_to_end(world, source["id"])
    assert third["status"] == "SUCCESS"
    assert third["runStatisticsForAssets"] == {"added": 0, "updated": 1, "unchanged": 0, "skipped": 1, "failed": 0}
    acts = activities(world, third["id"])
    assert acts["orders"]["dataAssetStatus"] == "SUCCEEDED_UPDATED"
    assert acts["customers"]["dataAssetStatus"] == "SKIPPED_ARCHIVED"
    updated = dz.get_asset(domainIdentifier=world.domain_id, identifier=asset["id"])
    assert updated["revision"] == "3" and updated["name"] == "Orders" and updated["description"] == "Every order."
    columns = json.loads({f["formName"]: f for f in updated["formsOutput"]}["GlueTableForm"]["content"])["columns"]
    assert columns[-1] == {"columnName": "currency", "dataType": "string"}
    assert events_of(server, "Asset Schema Changed", "assetId", asset["id"])
    only_updated = activities(world, third["id"], status="SUCCEEDED_UPDATED")
    assert set(only_updated) == {"orders"}
    runs = dz.list_data_source_runs(domainIdentifier=world.domain_id, dataSourceIdentifier=source["id"])["items"]
    assert [r["id"] for r in runs] == [third["id"], again["id"], run["id"]]


def test_publish_on_import_and_business_names(world):
    dz = world.producer.dz
    query_rows(world.producer, world.sales_env["id"], "CREATE TABLE store_sls AS SELECT 1 AS ss_qty_sld")
    source = world.producer.dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, environmentIdentifier=world.sales_env["id"],
        name="published", type="GLUE", publishOnImport=True, recommendation={"enableBusinessNameGeneration": True},
        configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [
            {"databaseName": world.db, "filterExpressions": [{"type": "INCLUDE", "expression": "store_*"}]}]}})
    run = run_to_end(world, source["id"])
    assert run["status"] == "SUCCESS" and run["runStatisticsForAssets"]["added"] == 1
    asset_id = activities(world, run["id"])["store_sls"]["dataAssetId"]
    asset = dz.get_asset(domainIdentifier=world.domain_id, identifier=asset_id)
    assert asset["listing"]["listingStatus"] == "ACTIVE"
    read_only = {f["formName"]: f for f in asset["readOnlyFormsOutput"]}
    assert "DataSourceReferenceForm" in read_only
    suggestions = json.loads(read_only["SuggestionForm"]["content"])["suggestions"]
    assert any(s["predictionTarget"] == "ss_qty_sld" for s in suggestions)
    found = wait_until(lambda: world.consumer.dz.search_listings(domainIdentifier=world.domain_id,
                                                                 searchText="store_sls")["items"])
    assert found[0]["assetListing"]["entityId"] == asset_id
    # An imported asset is a real table: a consumer subscribes, is approved, and queries it.
    consumer, analytics_env = world.consumer, world.analytics_env["id"]
    request = consumer.dz.create_subscription_request(
        domainIdentifier=world.domain_id, subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}],
        subscribedListings=[{"identifier": asset["listing"]["listingId"]}], requestReason="Sales quantities")
    dz.accept_subscription_request(domainIdentifier=world.domain_id, identifier=request["id"])
    sub_db = resource(world.analytics_env, "glueConsumerDBName")
    rows = wait_until(lambda: _rows_or_none(consumer, analytics_env, f"SELECT ss_qty_sld FROM {sub_db}.store_sls"))
    assert rows == [["1"]]


def _rows_or_none(caller, environment_id, sql):
    try:
        return query_rows(caller, environment_id, sql)
    except AssertionError:  # not granted yet
        return None


def test_a_second_run_while_one_is_unfinished_is_a_conflict(server, world):
    source = lake_source(world, "busy")
    dz = world.producer.dz
    with session_scope(server.settings.metadata_url) as session:  # as if a worker were busy with a run
        from openzone.sources.models import DataSource
        session.get(DataSource, source["id"]).status = "RUNNING"
    with pytest.raises(ClientError) as error:
        dz.start_data_source_run(domainIdentifier=world.domain_id, dataSourceIdentifier=source["id"])
    assert error.value.response["Error"]["Code"] == "ConflictException"


def test_outsiders_cannot_see_or_run_a_source(world):
    source = lake_source(world, "private")
    for call in (lambda dz: dz.get_data_source(domainIdentifier=world.domain_id, identifier=source["id"]),
                 lambda dz: dz.start_data_source_run(domainIdentifier=world.domain_id, dataSourceIdentifier=source["id"])):
        with pytest.raises(ClientError) as error:
            call(world.consumer.dz)
        assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:
        world.consumer.dz.list_data_sources(domainIdentifier=world.domain_id, projectIdentifier=world.sales_id)
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"


@pytest.mark.parametrize("change, member", [
    ({"type": "SAGEMAKER"}, "type"),
    ({"environmentIdentifier": None}, "environmentIdentifier"),
    ({"configuration": {"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": "elsewhere"}]}}},
     "databaseName"),
    ({"configuration": {"redshiftRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": "x"}]}}},
     "configuration.glueRunConfiguration"),
    ({"schedule": {"schedule": "cron(0 2 * * * *)"}}, "schedule.schedule"),
    ({"assetFormsInput": [{"formName": "Nope", "content": "{}"}]}, "assetFormsInput"),
])
def test_bad_data_sources_are_refused_naming_the_member(world, change, member):
    p = {"domainIdentifier": world.domain_id, "projectIdentifier": world.sales_id, "name": "bad", "type": "GLUE",
         "environmentIdentifier": world.sales_env["id"],
         "configuration": {"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": world.db}]}}}
    p.update(change)
    p = {k: v for k, v in p.items() if v is not None}
    with pytest.raises(ClientError) as error:
        world.producer.dz.create_data_source(**p)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert member in error.value.response["Error"]["Message"]


def test_update_list_and_delete_a_data_source(world):
    dz = world.producer.dz
    source = lake_source(world, "changing")
    updated = dz.update_data_source(domainIdentifier=world.domain_id, identifier=source["id"], name="changed",
                                    description="Now described", publishOnImport=True, enableSetting="DISABLED",
                                    schedule={"schedule": "cron(0 6 ? * MON *)", "timezone": "EUROPE_LONDON"})
    assert updated["name"] == "changed" and updated["description"] == "Now described"
    assert updated["publishOnImport"] is True and updated["enableSetting"] == "DISABLED"
    assert updated["schedule"] == {"schedule": "cron(0 6 ? * MON *)", "timezone": "EUROPE_LONDON"}
    assert updated["configuration"] == source["configuration"]
    listed = dz.list_data_sources(domainIdentifier=world.domain_id, projectIdentifier=world.sales_id,
                                  name="changed")["items"]
    assert [s["dataSourceId"] for s in listed] == [source["id"]] and listed[0]["enableSetting"] == "DISABLED"
    everything = dz.get_paginator("list_data_sources").paginate(domainIdentifier=world.domain_id,
                                                               projectIdentifier=world.sales_id,
                                                               PaginationConfig={"PageSize": 2})
    assert source["id"] in [s["dataSourceId"] for page in everything for s in page["items"]]
    lake_source(world, "sibling")
    with pytest.raises(ClientError) as error:
        dz.update_data_source(domainIdentifier=world.domain_id, identifier=source["id"], name="sibling")
    assert error.value.response["Error"]["Code"] == "ConflictException"
    deleted = dz.delete_data_source(domainIdentifier=world.domain_id, identifier=source["id"])
    assert deleted["id"] == source["id"] and deleted["status"] == "DELETING"
    with pytest.raises(ClientError) as error:
        dz.get_data_source(domainIdentifier=world.domain_id, identifier=source["id"])
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_an_imported_asset_can_be_deleted_and_the_next_run_imports_it_again(world):
    dz = world.producer.dz
    query_rows(world.producer, world.sales_env["id"], "CREATE TABLE deletable AS SELECT 1 AS id")
    source = world.producer.dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, environmentIdentifier=world.sales_env["id"],
        name="deletable", type="GLUE", configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [
            {"databaseName": world.db, "filterExpressions": [{"type": "INCLUDE", "expression": "deletable"}]}]}})
    first = run_to_end(world, source["id"])
    asset_id = activities(world, first["id"])["deletable"]["dataAssetId"]
    dz.delete_asset(domainIdentifier=world.domain_id, identifier=asset_id)
    second = run_to_end(world, source["id"])
    again = activities(world, second["id"])["deletable"]
    assert again["dataAssetStatus"] == "SUCCEEDED_CREATED" and again["dataAssetId"] != asset_id


def test_a_published_asset_whose_table_changed_is_published_again(server, world):
    dz, env = world.producer.dz, world.sales_env["id"]
    query_rows(world.producer, env, "CREATE TABLE shipments AS SELECT 1 AS shipment_id")
    source = world.producer.dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, environmentIdentifier=env,
        name="shipments", type="GLUE", configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [
            {"databaseName": world.db, "filterExpressions": [{"type": "INCLUDE", "expression": "shipments"}]}]}})
    first = run_to_end(world, source["id"])
    asset_id = activities(world, first["id"])["shipments"]["dataAssetId"]
    listing = dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=asset_id,
                                           entityType="ASSET", action="PUBLISH")
    get_warehouse(server.settings).drop_table(world.db, "shipments")
    query_rows(world.producer, env, "CREATE TABLE shipments AS SELECT 1 AS shipment_id, 'DHL' AS carrier")
    second = run_to_end(world, source["id"])
    assert activities(world, second["id"])["shipments"]["dataAssetStatus"] == "SUCCEEDED_UPDATED"
    republished = dz.get_listing(domainIdentifier=world.domain_id, identifier=listing["listingId"])
    assert republished["listingRevision"] == "2"
    assert republished["item"]["assetListing"]["assetRevision"] == "2"
    columns = json.loads(republished["item"]["assetListing"]["forms"])["GlueTableForm"]["columns"]
    assert [c["columnName"] for c in columns] == ["shipment_id", "carrier"]


def test_a_run_whose_job_gave_up_ends_failed_and_frees_the_source(server, world):
    from sqlalchemy import update

    from openzone.sources import tasks
    from openzone.sources.models import DataSourceRun

    source = lake_source(world, "given up")
    run = run_to_end(world, source["id"])
    with session_scope(server.settings.metadata_url) as session:  # as if its worker died over and over mid-run
        session.execute(update(DataSourceRun).where(DataSourceRun.id == run["id"]).values(status="RUNNING"))
    with session_scope(server.settings.metadata_url) as session:
        tasks._give_up(session, server.settings, {"run_id": run["id"]}, "database went away")
    dz = world.producer.dz
    failed = dz.get_data_source_run(domainIdentifier=world.domain_id, identifier=run["id"])
    assert failed["status"] == "FAILED" and failed["errorMessage"]["errorType"] == "INTERNAL_SERVER_EXCEPTION"
    assert "database went away" not in failed["errorMessage"]["errorDetail"]  # internals stay in the log
    assert dz.get_data_source(domainIdentifier=world.domain_id, identifier=source["id"])["lastRunStatus"] == "FAILED"
    assert run_to_end(world, source["id"])["status"] == "SUCCESS"  # a new run is not refused as concurrent
