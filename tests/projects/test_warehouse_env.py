"""DefaultDataWarehouse environments: a schema and login role in PostgreSQL, locked away from each other."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from botocore.exceptions import ClientError

from conftest import Caller, make_settings, serve, wait_for
from openzone.db.migrate import upgrade
from openzone.db.session import session_scope
from openzone.errors import AccessDeniedError
from openzone.projects import environments as envs
from openzone.lake.access import get_warehouse
from scenario import environment, resource, run_sql
from warehouse_fixtures import warehouse_url, wh_server  # noqa: F401 (fixtures)
from warehouse import (admin_connect, connect_as, join, login, warehouse_domain,
                       warehouse_environment)


@pytest.fixture(scope="module")
def domain(wh_server):
    return warehouse_domain(wh_server)


def new_environment(server, domain, name: str | None = None):
    owner = join(domain, server.user())
    project = owner.dz.create_project(domainIdentifier=domain.id, name=f"P-{uuid.uuid4().hex[:8]}")
    env = warehouse_environment(owner, domain, project["id"], name or "dw")
    return owner, project, env


def test_environment_gets_a_schema_a_role_and_a_redshift_target(wh_server, domain, warehouse_url):
    owner, project, env = new_environment(wh_server, domain)
    assert env["status"] == "ACTIVE", env.get("lastDeployment")
    database, schema = resource(env, "redshiftDatabaseName"), resource(env, "redshiftSchemaName")
    assert database == warehouse_url.rsplit("/", 1)[1] and schema == f"oz_env_{env['id']}"
    assert resource(env, "redshiftUser") == schema and resource(env, "redshiftPort") == "5432"
    targets = owner.dz.list_subscription_targets(domainIdentifier=domain.id, environmentIdentifier=env["id"])["items"]
    assert [(t["type"], t["applicableAssetTypes"]) for t in targets] == [
        ("RedshiftSubscriptionTargetType", ["RedshiftTableAssetType", "RedshiftViewAssetType"])]
    details = login(wh_server, owner, domain.id, env["id"])
    with connect_as(details) as conn:  # psql as the environment: it creates and reads tables in its schema
        conn.execute("CREATE TABLE orders (id int, total numeric)")
        conn.execute("INSERT INTO orders VALUES (1, 9.5)")
        assert conn.execute(f"SELECT total FROM {schema}.orders").fetchone()[0] == 9.5
        assert conn.execute("SELECT current_schema()").fetchone()[0] == schema


def test_environments_cannot_see_or_write_outside_their_schema(wh_server, domain, warehouse_url):
    owner_a, _, env_a = new_environment(wh_server, domain)
    owner_b, _, env_b = new_environment(wh_server, domain)
    a, b = login(wh_server, owner_a, domain.id, env_a["id"]), login(wh_server, owner_b, domain.id, env_b["id"])
    with connect_as(a) as conn:
        conn.execute("CREATE TABLE secret_stuff AS SELECT 42 AS x")
    with admin_connect(warehouse_url) as conn:  # something an administrator left in public
        conn.execute("CREATE TABLE IF NOT EXISTS public.admin_table AS SELECT 1 AS y")
    with connect_as(b) as conn:
        for statement in (f"SELECT * FROM oz_env_{env_a['id']}.secret_stuff", "SELECT * FROM public.admin_table",
                          "CREATE TABLE public.mine (x int)", f"CREATE TABLE oz_env_{env_a['id']}.mine (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_login_details_are_for_project_members_only(wh_server, domain):
    owner, project, env = new_environment(wh_server, domain)
    outsider = join(domain, wh_server.user())
    with pytest.raises(AccessDeniedError):
        login(wh_server, outsider, domain.id, env["id"])
    admin = wh_server.user(admin=True)  # an administrator sees the project but is no member of it
    with pytest.raises(AccessDeniedError):
        login(wh_server, admin, domain.id, env["id"])


def test_provisioning_again_after_a_crash_keeps_working(wh_server, domain):
    owner, project, env = new_environment(wh_server, domain)
    with session_scope(wh_server.settings.metadata_url) as session:
        environment = session.get(envs.Environment, env["id"])
        first = envs.warehouse_env.provision(session, wh_server.settings, environment)
        second = envs.warehouse_env.provision(session, wh_server.settings, environment)
        assert first == second
    with connect_as(login(wh_server, owner, domain.id, env["id"])) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_delete_drops_the_schema_and_the_role(wh_server, domain, warehouse_url):
    owner, project, env = new_environment(wh_server, domain)
    details = login(wh_server, owner, domain.id, env["id"])
    with connect_as(details) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS x")
    keys = owner.dz.get_environment_credentials(domainIdentifier=domain.id, environmentIdentifier=env["id"])
    owner.dz.delete_environment(domainIdentifier=domain.id, identifier=env["id"])
    wait_for(lambda: owner.dz.get_environment(domainIdentifier=domain.id, identifier=env["id"])["status"] == "DELETED")
    with admin_connect(warehouse_url) as conn:
        assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (details["user"],)).fetchone() is None
        assert conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (details["user"],)).fetchone() is None
    with pytest.raises(psycopg.OperationalError):
        connect_as(details)
    members = owner.dz.list_project_memberships(domainIdentifier=domain.id, projectIdentifier=project["id"])
    assert len(members["members"]) == 1  # the environment's principal left the project with it


def test_an_unreachable_warehouse_fails_the_environment_with_a_cause(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'own.db'}"
    upgrade(database_url)
    settings = make_settings(tmp_path, database_url, warehouse_url="postgresql+psycopg://postgres@127.0.0.1:1/none")
    for server in serve(settings):
        domain = warehouse_domain(server)
        owner = join(domain, server.user())
        project = owner.dz.create_project(domainIdentifier=domain.id, name=f"P-{uuid.uuid4().hex[:8]}")
        env = warehouse_environment(owner, domain, project["id"], "broken")
        assert env["status"] == "CREATE_FAILED"
        assert "not reachable" in env["lastDeployment"]["failureReason"]["message"]


def test_without_a_warehouse_the_blueprint_is_refused(server):
    domain = warehouse_domain(server)
    owner = join(domain, server.user())
    project = owner.dz.create_project(domainIdentifier=domain.id, name=f"P-{uuid.uuid4().hex[:8]}")
    with pytest.raises(ClientError) as refused:
        warehouse_environment(owner, domain, project["id"], "dw")
    assert "OPENZONE_WAREHOUSE_URL" in refused.value.response["Error"]["Message"]


def test_environment_credentials_act_as_the_environment_for_members_only(wh_server, domain):
    owner, project, env = new_environment(wh_server, domain)
    keys = owner.dz.get_environment_credentials(domainIdentifier=domain.id, environmentIdentifier=env["id"])
    assert keys["accessKeyId"].startswith("AKIA") and keys["secretAccessKey"]
    again = owner.dz.get_environment_credentials(domainIdentifier=domain.id, environmentIdentifier=env["id"])
    assert again["accessKeyId"] == keys["accessKeyId"]  # one principal per environment, not a key per call
    as_env = Caller(wh_server, f"datazone_usr_{env['id']}", keys["accessKeyId"], keys["secretAccessKey"])
    assert as_env.dz.get_environment(domainIdentifier=domain.id, identifier=env["id"])["id"] == env["id"]
    with pytest.raises(ClientError) as not_admin:  # a consumer of the project, not one of its administrators
        as_env.dz.create_environment(domainIdentifier=domain.id, projectIdentifier=project["id"], name="x",
                                     environmentBlueprintIdentifier=domain.blueprint)
    assert not_admin.value.response["Error"]["Code"] == "AccessDeniedException"
    outsider = join(domain, wh_server.user())
    with pytest.raises(ClientError) as refused:
        outsider.dz.get_environment_credentials(domainIdentifier=domain.id, environmentIdentifier=env["id"])
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


def test_cli_prints_login_details_to_members(wh_server, domain):
    owner, project, env = new_environment(wh_server, domain)
    outsider = join(domain, wh_server.user())
    cli_env = {**os.environ, "OPENZONE_DATA_DIR": str(wh_server.settings.data_dir),
               "OPENZONE_DATABASE_URL": wh_server.settings.metadata_url,
               "OPENZONE_WAREHOUSE_URL": wh_server.settings.warehouse_url}
    command = [str(Path(sys.executable).parent / "openzone"), "environments", "credentials", domain.id, env["id"]]
    printed = subprocess.run([*command, "--user", owner.name], env=cli_env, capture_output=True, text=True,
                             timeout=120)
    assert printed.returncode == 0, printed.stderr
    details = json.loads(printed.stdout)
    with connect_as(details) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == f"oz_env_{env['id']}"
    refused = subprocess.run([*command, "--user", outsider.name], env=cli_env, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 1 and "not a member" in refused.stderr


def test_a_redshift_data_source_imports_the_environment_schema(wh_server, domain):
    owner, project, env = new_environment(wh_server, domain)
    details = login(wh_server, owner, domain.id, env["id"])
    with connect_as(details) as conn:
        conn.execute("CREATE TABLE orders (id int, total numeric)")
        conn.execute("CREATE VIEW big_orders AS SELECT id FROM orders WHERE total > 100")
    connection = owner.dz.create_connection(
        domainIdentifier=domain.id, environmentIdentifier=env["id"], name="dw", props={"redshiftProperties": {
            "host": resource(env, "redshiftHost"), "port": int(resource(env, "redshiftPort")),
            "databaseName": details["database"],
            "credentials": {"secretArn": resource(env, "redshiftSecretArn")}}})
    source = owner.dz.create_data_source(
        domainIdentifier=domain.id, projectIdentifier=project["id"], name="dw-source", type="REDSHIFT",
        connectionIdentifier=connection["connectionId"], configuration={"redshiftRunConfiguration": {
            "relationalFilterConfigurations": [{"databaseName": details["database"], "schemaName": details["schema"]}]}})
    run = owner.dz.start_data_source_run(domainIdentifier=domain.id, dataSourceIdentifier=source["id"])
    finished = wait_for(lambda: (r := owner.dz.get_data_source_run(domainIdentifier=domain.id, identifier=run["id"]))
                        ["status"] not in ("REQUESTED", "RUNNING") and r, timeout=60)
    assert finished["status"] == "SUCCESS", finished
    activities = owner.dz.list_data_source_run_activities(domainIdentifier=domain.id, identifier=run["id"])["items"]
    assert {a["technicalName"] for a in activities} == {f"{details['schema']}.orders", f"{details['schema']}.big_orders"}
    asset = owner.dz.get_asset(domainIdentifier=domain.id, identifier=next(
        a["dataAssetId"] for a in activities if a["technicalName"].endswith(".orders")))
    form = json.loads(next(f["content"] for f in asset["formsOutput"] if f["formName"] == "RedshiftTableForm"))
    assert (form["databaseName"], form["schemaName"], form["tableName"]) == (details["database"], details["schema"],
                                                                             "orders")
    assert [c["columnName"] for c in form["columns"]] == ["id", "total"]


def test_deleting_a_lake_environment_drops_its_databases(wh_server, domain):
    owner = join(domain, wh_server.user())
    lake = domain.admin.dz.list_environment_blueprints(domainIdentifier=domain.id, name="DefaultDataLake")["items"][0]
    domain.admin.dz.put_environment_blueprint_configuration(domainIdentifier=domain.id, enabledRegions=["us-east-1"],
                                                            environmentBlueprintIdentifier=lake["id"])
    project = owner.dz.create_project(domainIdentifier=domain.id, name=f"P-{uuid.uuid4().hex[:8]}")
    env = environment(owner, domain.id, project["id"], "lake")
    assert run_sql(owner, env["id"], "CREATE TABLE t AS SELECT 1 AS x")["Status"]["State"] == "SUCCEEDED"
    owner.dz.delete_environment(domainIdentifier=domain.id, identifier=env["id"])
    wait_for(lambda: owner.dz.get_environment(domainIdentifier=domain.id, identifier=env["id"])["status"] == "DELETED")
    lake_catalog = get_warehouse(wh_server.settings)
    assert not lake_catalog.database_exists(resource(env, "glueProducerDBName"))
    assert not lake_catalog.database_exists(resource(env, "glueConsumerDBName"))
    with pytest.raises(ClientError) as gone:
        run_sql(owner, env["id"], "SELECT 1")
    assert "DELETED" in str(gone.value)
