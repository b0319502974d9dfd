"""Connections and secrets through boto3: the V2 way of naming PostgreSQL/Redshift, MySQL, Iceberg catalogs and
files; passwords stored encrypted and never shown; refusals; an unreachable source fails its run clearly."""

import json
import logging
import os

import pytest
from botocore.exceptions import ClientError
from scenario import build_world, query_rows, resource, wait_until

from openzone.db.session import session_scope
from openzone.events.models import OutboxEvent
from openzone.sources import secrets
from openzone.sources.models import Secret

PASSWORD = "s3cr3t-Pa55word-never-shown"


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    query_rows(world.producer, world.sales_env["id"], "CREATE TABLE visits AS SELECT 1 AS visit_id")
    world.db = resource(world.sales_env, "glueProducerDBName")
    return world


def create(world, name, props, caller=None, **extra):
    return (caller or world.producer).dz.create_connection(
        domainIdentifier=world.domain_id, environmentIdentifier=world.sales_env["id"], name=name, props=props, **extra)


def refused(call, code="ValidationException") -> str:
    with pytest.raises(ClientError) as error:
        call()
    assert error.value.response["Error"]["Code"] == code, error.value.response
    return error.value.response["Error"]["Message"]


def test_a_redshift_connection_keeps_its_password_as_a_secret(server, world, caplog):
    caplog.set_level(logging.DEBUG, logger="openzone")
    connection = create(world, "warehouse", {"redshiftProperties": {
        "host": "127.0.0.1", "port": 5432, "databaseName": "analytics",
        "credentials": {"usernamePassword": {"username": "reader", "password": PASSWORD}}}})
    assert connection["type"] == "REDSHIFT" and connection["projectId"] == world.sales_id
    props = connection["props"]["redshiftProperties"]
    assert props["credentials"]["secretArn"].startswith("arn:aws:secretsmanager:us-east-1:000000000000:secret:")
    assert "usernamePassword" not in props["credentials"]
    assert connection["physicalEndpoints"][0]["host"] == "127.0.0.1"
    dz = world.producer.dz
    project = dz.get_project(domainIdentifier=world.domain_id, identifier=world.sales_id)
    assert connection["domainUnitId"] == project["domainUnitId"]
    got = dz.get_connection(domainIdentifier=world.domain_id, identifier=connection["connectionId"], withSecret=True)
    listed = dz.list_connections(domainIdentifier=world.domain_id, projectIdentifier=world.sales_id)["items"]
    assert connection["connectionId"] in [c["connectionId"] for c in listed]
    for response in (connection, got, listed):
        assert PASSWORD not in json.dumps(response, default=str)
    assert PASSWORD not in caplog.text
    with session_scope(server.settings.metadata_url) as session:
        row = session.get(Secret, props["credentials"]["secretArn"])
        assert PASSWORD.encode() not in row.ciphertext
        assert secrets.resolve(session, server.settings, row.arn).password == PASSWORD
        assert not any(PASSWORD in json.dumps(e.envelope) for e in session.query(OutboxEvent).all())
    key = server.settings.data_path / "secrets.key"
    assert oct(os.stat(key).st_mode & 0o777) == "0o600"
    # A REDSHIFT data source on it: the run configuration DataZone returns.
    source = dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, name="warehouse", type="REDSHIFT",
        connectionIdentifier=connection["connectionId"],
        configuration={"redshiftRunConfiguration": {"relationalFilterConfigurations": [
            {"databaseName": "analytics", "schemaName": "public"}]}})
    run_configuration = source["configuration"]["redshiftRunConfiguration"]
    assert source["connectionId"] == connection["connectionId"]
    assert run_configuration["redshiftStorage"] == {"redshiftClusterSource": {"clusterName": "127.0.0.1"}}
    assert refused(lambda: dz.delete_connection(domainIdentifier=world.domain_id,
                                                identifier=connection["connectionId"]), "ConflictException")


def test_a_mysql_glue_connection_and_a_secret_made_by_the_operator(server, world):
    with session_scope(server.settings.metadata_url) as session:
        arn = secrets.create_secret(session, server.settings, "mariadb-reader", "reader", PASSWORD).arn
    connection = create(world, "shop", {"glueProperties": {"glueConnectionInput": {
        "connectionType": "MYSQL", "connectionProperties": {"HOST": "127.0.0.1", "PORT": "3306", "DATABASE": "shop"},
        "authenticationConfiguration": {"authenticationType": "BASIC", "secretArn": arn}}}})
    glue = connection["physicalEndpoints"][0]["glueConnection"]
    assert connection["type"] == "MYSQL" and glue["connectionType"] == "MYSQL"
    assert glue["authenticationConfiguration"] == {"authenticationType": "BASIC", "secretArn": arn}
    inline = create(world, "shop2", {"glueProperties": {"glueConnectionInput": {
        "connectionType": "MYSQL", "connectionProperties": {"HOST": "127.0.0.1", "DATABASE": "shop"},
        "authenticationConfiguration": {"authenticationType": "BASIC", "basicAuthenticationCredentials": {
            "userName": "reader", "password": PASSWORD}}}}})
    assert PASSWORD not in json.dumps(inline, default=str)
    assert inline["physicalEndpoints"][0]["port"] == 3306
    # Another project's inline secret cannot be borrowed by its ARN.
    other_env = world.analytics_env["id"]
    borrowed = inline["physicalEndpoints"][0]["glueConnection"]["authenticationConfiguration"]["secretArn"]
    message = refused(lambda: world.consumer.dz.create_connection(
        domainIdentifier=world.domain_id, environmentIdentifier=other_env, name="borrowed",
        props={"redshiftProperties": {"host": "h", "databaseName": "d", "credentials": {"secretArn": borrowed}}}))
    assert "secretArn" in message and PASSWORD not in message


@pytest.mark.parametrize("props, words", [
    ({"glueProperties": {"glueConnectionInput": {"connectionType": "SNOWFLAKE"}}}, "connectionType"),
    ({"athenaProperties": {"workgroupName": "w"}}, "props"),
    ({"redshiftProperties": {"databaseName": "d", "credentials": {"secretArn": "arn:aws:secretsmanager:us-east-1:000000000000:secret:x"}}},
     "redshiftProperties.host"),
    ({"redshiftProperties": {"host": "h", "databaseName": "d", "credentials": {
        "secretArn": "arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-abcdef"}}}, "not found"),
    ({"redshiftProperties": {"host": "h", "databaseName": "d"}}, "credentials"),
    ({"glueProperties": {"glueConnectionInput": {"connectionType": "MYSQL", "connectionProperties": {"HOST": "h"}}}},
     "DATABASE"),
    ({"s3Properties": {"s3Uri": "ftp://nope"}}, "s3Uri"),
    ({"glueProperties": {"glueConnectionInput": {"connectionType": "ICEBERGRESTCATALOG", "connectionProperties": {
        "CATALOG_URI": "postgresql://reader:hunter2@db/catalog"}}}}, "must not contain a password"),
])
def test_connections_openzone_cannot_serve_are_refused_naming_the_member(world, props, words):
    assert words in refused(lambda: create(world, "bad", props))


def test_connections_need_an_environment_and_stay_in_their_project(world):
    dz = world.producer.dz
    message = refused(lambda: dz.create_connection(domainIdentifier=world.domain_id, name="loose", props={
        "s3Properties": {"s3Uri": "s3://bucket/prefix"}}))
    assert "environmentIdentifier" in message
    refused(lambda: create(world, "intruder", {"s3Properties": {"s3Uri": "s3://b/p"}}, caller=world.consumer),
            "AccessDeniedException")
    files = create(world, "landing", {"s3Properties": {"s3Uri": "s3://bucket/landing/"}})
    assert files["type"] == "S3" and files["props"]["s3Properties"]["s3Uri"] == "s3://bucket/landing/"
    refused(lambda: world.consumer.dz.get_connection(domainIdentifier=world.domain_id,
                                                     identifier=files["connectionId"]), "ResourceNotFoundException")
    assert files["connectionId"] not in [c["connectionId"] for c in world.consumer.dz.list_connections(
        domainIdentifier=world.domain_id)["items"]]
    dz.delete_connection(domainIdentifier=world.domain_id, identifier=files["connectionId"])
    refused(lambda: dz.get_connection(domainIdentifier=world.domain_id, identifier=files["connectionId"]),
            "ResourceNotFoundException")


def run_source(world, connection_id, name):
    dz = world.producer.dz
    source = dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, name=name, type="GLUE",
        connectionIdentifier=connection_id,
        configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": world.db}]}})
    run = dz.start_data_source_run(domainIdentifier=world.domain_id, dataSourceIdentifier=source["id"])
    return source, wait_until(lambda: (lambda r: r if r["status"] not in ("REQUESTED", "RUNNING") else None)(
        dz.get_data_source_run(domainIdentifier=world.domain_id, identifier=run["id"])), timeout=60)


def test_an_iceberg_catalog_named_by_uri(server, world):
    connection = create(world, "iceberg-sql", {"glueProperties": {"glueConnectionInput": {
        "connectionType": "ICEBERGRESTCATALOG", "connectionProperties": {
            "CATALOG_URI": server.settings.lake_url, "CATALOG_NAME": "openzone",
            "WAREHOUSE": server.settings.warehouse_dir.as_uri()}}}})
    source, run = run_source(world, connection["connectionId"], "iceberg-by-uri")
    assert run["status"] == "SUCCESS", run
    assert run["runStatisticsForAssets"]["added"] == 1
    items = world.producer.dz.list_data_source_run_activities(domainIdentifier=world.domain_id,
                                                              identifier=run["id"])["items"]
    assert [(a["database"], a["technicalName"]) for a in items] == [(world.db, "visits")]


def test_an_unreachable_source_fails_its_run_with_an_actionable_message(server, world):
    connection = create(world, "iceberg-down", {"glueProperties": {"glueConnectionInput": {
        "connectionType": "ICEBERGRESTCATALOG", "connectionProperties": {"CATALOG_URI": "http://127.0.0.1:9"}}}})
    source, run = run_source(world, connection["connectionId"], "down")
    assert run["status"] == "FAILED"
    assert run["errorMessage"]["errorType"] == "RESOURCE_NOT_FOUND_EXCEPTION"
    assert "CATALOG_URI" in run["errorMessage"]["errorDetail"]
    got = world.producer.dz.get_data_source(domainIdentifier=world.domain_id, identifier=source["id"])
    assert got["lastRunStatus"] == "FAILED" and got["lastRunErrorMessage"] == run["errorMessage"]
    assert got["status"] == "READY"
    with session_scope(server.settings.metadata_url) as session:
        failed = [e.envelope["detail"]["data"] for e in session.query(OutboxEvent).filter(
            OutboxEvent.detail_type == "Data Source Run Failed").all()]
    assert any(d["dataSourceRunId"] == run["id"] and d["errorMessage"] == run["errorMessage"] for d in failed)


def test_deleting_a_connection_deletes_its_inline_secret_not_an_operators(server, world):
    with session_scope(server.settings.metadata_url) as session:
        operator_arn = secrets.create_secret(session, server.settings, "kept-secret", "reader", PASSWORD).arn
    kept = create(world, "uses-operator-secret", {"redshiftProperties": {
        "host": "h", "databaseName": "d", "credentials": {"secretArn": operator_arn}}})
    inline = create(world, "inline-secret", {"redshiftProperties": {
        "host": "h", "databaseName": "d", "credentials": {"usernamePassword": {"username": "u", "password": PASSWORD}}}})
    inline_arn = inline["props"]["redshiftProperties"]["credentials"]["secretArn"]
    for connection in (kept, inline):
        world.producer.dz.delete_connection(domainIdentifier=world.domain_id, identifier=connection["connectionId"])
    with session_scope(server.settings.metadata_url) as session:
        assert session.get(Secret, operator_arn) is not None
        assert session.get(Secret, inline_arn) is None


@pytest.mark.parametrize("props, kind", [
    ({"s3Properties": {"s3Uri": "s3://landing/raw/"}}, "FILES"),
    ({"iamProperties": {}}, "GLUE"),
])
def test_s3_and_glue_connections_take_an_endpoint_and_an_access_key_secret(server, world, props, kind):
    from openzone.sources import tasks
    from openzone.sources.models import DataSource

    name = f"aws-{kind.lower()}"
    with session_scope(server.settings.metadata_url) as session:
        arn = secrets.create_secret(session, server.settings, f"{name}-keys", "AKIAEXAMPLE", "example-secret-key").arn
    aws = [{"classification": "aws", "properties": {"endpointUrl": "http://127.0.0.1:5999", "secretArn": arn}}]
    location = {"awsAccountId": "123456789012", "awsRegion": "eu-west-1"}
    connection = create(world, name, props, configurations=aws, awsLocation=location)
    source = world.producer.dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, name=name, type="GLUE",
        connectionIdentifier=connection["connectionId"],
        configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": "raw"}]}})
    with session_scope(server.settings.metadata_url) as session:
        spec, context = tasks.build_source(session, server.settings, session.get(DataSource, source["id"]))
    assert spec.kind == kind and spec.endpoint_url == "http://127.0.0.1:5999"
    assert (spec.access_key_id, spec.secret_access_key) == ("AKIAEXAMPLE", "example-secret-key")
    assert spec.user is None and spec.password is None and "example-secret-key" not in repr(spec)
    assert spec.region == "eu-west-1" and context.account_id == "123456789012"
    if kind == "FILES":
        assert spec.path == "s3://landing/raw/"
    message = refused(lambda: create(world, f"{name}-bad", props, awsLocation=location, configurations=[
        {"classification": "aws", "properties": {"password": "x"}}]))
    assert "unknown properties password" in message


def test_files_connections_carry_layout_and_provenance(server, world):
    from openzone.sources import tasks
    from openzone.sources.models import DataSource

    connection = create(world, "weather-files", {"s3Properties": {"s3Uri": "s3://openzone_files/landing/weather"}},
                        configurations=[{"classification": "files", "properties": {
                            "layout": "table", "database": "weather", "provider": "Open Weather Ltd",
                            "licence": "CC-BY-4.0"}}])
    source = world.producer.dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, name="weather-files", type="GLUE",
        connectionIdentifier=connection["connectionId"],
        configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": "weather"}]}})
    settings = server.settings.model_copy(update={"sources_files_root": server.settings.data_path / "shared-files"})
    with session_scope(server.settings.metadata_url) as session:
        spec, _ = tasks.build_source(session, settings, session.get(DataSource, source["id"]))
    files_root = server.settings.data_path / "shared-files"
    assert spec.kind == "FILES" and spec.path == str(files_root / "landing" / "weather")
    assert spec.options["layout"] == "table" and spec.options["database"] == "weather"
    assert spec.options["provenance"] == {"provider": "Open Weather Ltd", "licence": "CC-BY-4.0"}
    assert spec.options["allowed_root"] == str(files_root)
    for bad, words in (({"classification": "files", "properties": {"colour": "blue"}}, "unknown properties colour"),
                       ({"classification": "files", "properties": {"layout": "flat"}}, "layout must be")):
        assert words in refused(lambda: create(world, "bad-files", {"s3Properties": {"s3Uri": "s3://b/p"}},
                                               configurations=[bad]))
    assert "'..'" in refused(lambda: create(world, "sneaky", {"s3Properties": {"s3Uri": "s3://openzone_files/../etc"}}))


def test_a_data_source_cannot_use_another_projects_connection_or_environment(world):
    connection = create(world, "sales-only", {"s3Properties": {"s3Uri": "s3://sales/landing/"}})
    consumer = world.consumer.dz
    glue = {"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": "landing"}]}}
    with pytest.raises(ClientError) as error:
        consumer.create_data_source(domainIdentifier=world.domain_id, projectIdentifier=world.analytics_id,
                                    name="borrowed", type="GLUE", connectionIdentifier=connection["connectionId"],
                                    configuration=glue)
    code = error.value.response["Error"]["Code"]
    assert code in ("ResourceNotFoundException", "ValidationException")
    message = refused(lambda: consumer.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.analytics_id, name="borrowed-lake", type="GLUE",
        environmentIdentifier=world.sales_env["id"], configuration=glue))
    assert "environmentIdentifier" in message
