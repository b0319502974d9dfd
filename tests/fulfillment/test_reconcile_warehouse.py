"""The reconciler against PostgreSQL: drift injected behind openzone's back with psycopg (REVOKE, an extra
GRANT, DROP VIEW, DROP TABLE) is found, reported and repaired, as the consumer role sees it through psql."""

import pytest
from psycopg import errors as pg_errors
from sqlalchemy import select, update

from conftest import make_settings, serve, wait_for
from openzone.db.session import session_scope
from openzone.fulfillment import warehouse
from openzone.fulfillment.models import WarehouseGrant
from openzone.fulfillment.reconcile import service as reconciler
from openzone.projects.models import Environment
from openzone.subscriptions.models import GrantAsset
from warehouse import (admin_connect, build_warehouse_world, connect_as, create_warehouse, drop_warehouse,
                       grant_asset, login, publish_and_subscribe, redshift_asset)


@pytest.fixture(scope="module")
def warehouse_url():
    url = create_warehouse()
    yield url
    drop_warehouse(url)


@pytest.fixture(scope="module")
def wh_server(isolated_database_url, warehouse_url, tmp_path_factory):
    yield from serve(make_settings(tmp_path_factory.mktemp("data"), isolated_database_url,
                                   warehouse_url=warehouse_url))


@pytest.fixture(scope="module")
def world(wh_server):
    world = build_warehouse_world(wh_server)
    world.producer_login = login(wh_server, world.producer, world.domain.id, world.sales_env["id"])
    world.consumer_login = login(wh_server, world.consumer, world.domain.id, world.analytics_env["id"])
    return world


def _granted_table(world, table: str) -> str:
    """A new producer table, published, subscribed and GRANTED to Analytics; the grant id."""
    with connect_as(world.producer_login) as conn:
        conn.execute(f"CREATE TABLE {table} (id int, region text)")
        conn.execute(f"INSERT INTO {table} VALUES (1, 'EU'), (2, 'US')")
    asset = redshift_asset(world, table, table.title())
    _, grant_id = publish_and_subscribe(world, asset["id"])
    assert wait_for(lambda: (a := grant_asset(world, grant_id))["status"] in ("GRANTED", "GRANT_FAILED") and a)[
        "status"] == "GRANTED"
    return grant_id


def _verify(server, world, repair=False):
    with session_scope(server.settings.metadata_url) as session:
        _, findings, errors = reconciler.verify(session, server.settings, world.domain.id, repair)
        assert errors == {}
        return [(f.engine, f.kind, f.outcome, f.resource) for f in findings]


def _reads(world, relation: str) -> bool:
    with connect_as(world.consumer_login) as conn:
        try:
            conn.execute(f"SELECT id FROM {relation}").fetchall()
            return True
        except pg_errors.InsufficientPrivilege:
            return False


def _as_admin(server, statement: str) -> None:
    with admin_connect(server.settings.warehouse_url) as conn:
        conn.execute(statement)


def test_a_revoked_privilege_is_granted_again(wh_server, world):
    _granted_table(world, "orders")
    schema, role = world.producer_login["schema"], world.consumer_login["user"]
    assert _verify(wh_server, world) == [] and _reads(world, f"{schema}.orders")
    _as_admin(wh_server, f"REVOKE SELECT ON {schema}.orders FROM {role}")
    assert not _reads(world, f"{schema}.orders")
    assert _verify(wh_server, world) == [("WAREHOUSE", "MISSING_ACCESS", "DETECTED", f"{schema}.orders")]
    assert _verify(wh_server, world, repair=True) == [("WAREHOUSE", "MISSING_ACCESS", "REPAIRED", f"{schema}.orders")]
    assert _reads(world, f"{schema}.orders") and _verify(wh_server, world) == []


def test_a_manual_grant_nobody_approved_is_revoked(wh_server, world):
    schema, role = world.producer_login["schema"], world.consumer_login["user"]
    with connect_as(world.producer_login) as conn:
        conn.execute("CREATE TABLE payroll AS SELECT 1 AS id, 1000000 AS salary")
    _as_admin(wh_server, f"GRANT SELECT ON {schema}.payroll TO {role}")
    _as_admin(wh_server, f"GRANT UPDATE (salary) ON {schema}.payroll TO {role}")
    assert _reads(world, f"{schema}.payroll")
    database = world.producer_login["database"]
    assert sorted(_verify(wh_server, world)) == [
        ("WAREHOUSE", "EXTRA_ACCESS", "DETECTED", f"{database}.{schema}.payroll"),
        ("WAREHOUSE", "EXTRA_ACCESS", "DETECTED", f"{database}.{schema}.payroll.salary")]
    assert {f[2] for f in _verify(wh_server, world, repair=True)} == {"REPAIRED"}
    assert not _reads(world, f"{schema}.payroll") and _verify(wh_server, world) == []
    with session_scope(wh_server.settings.metadata_url) as session:
        rows = reconciler.list_findings(session, domain_id=world.domain.id)
        assert {(r.kind, r.environment_id) for r in rows if r.grant_id is None} == {
            ("EXTRA_ACCESS", world.analytics_env["id"])}


def test_a_role_membership_or_power_nobody_approved_is_taken_away(wh_server, world):
    schema, producer_role, role = world.producer_login["schema"], world.producer_login["user"], world.consumer_login["user"]
    with connect_as(world.producer_login) as conn:
        conn.execute("CREATE TABLE bonuses AS SELECT 1 AS id, 50000 AS amount")
    # Behind openzone's back: the consumer's role becomes a member of the producer's, and may create databases.
    _as_admin(wh_server, f"GRANT {producer_role} TO {role}")
    _as_admin(wh_server, f"ALTER ROLE {role} CREATEDB")
    try:
        assert _reads(world, f"{schema}.bonuses")
        assert sorted(_verify(wh_server, world)) == sorted([
            ("WAREHOUSE", "EXTRA_ACCESS", "DETECTED", f"role {producer_role}"),
            ("WAREHOUSE", "EXTRA_ACCESS", "DETECTED", f"role {role}")])
        assert {f[2] for f in _verify(wh_server, world, repair=True)} == {"REPAIRED"}
        assert not _reads(world, f"{schema}.bonuses") and _verify(wh_server, world) == []
        with admin_connect(wh_server.settings.warehouse_url) as conn:
            assert conn.execute("SELECT rolcreatedb FROM pg_roles WHERE rolname = %s", (role,)).fetchone() == (False,)
    finally:  # the module's other tests share these roles
        _as_admin(wh_server, f"REVOKE {producer_role} FROM {role}")
        _as_admin(wh_server, f"ALTER ROLE {role} NOCREATEDB")


def test_a_dropped_view_is_made_again(wh_server, world):
    grant_id = _granted_table(world, "visits")
    schema, mine = world.producer_login["schema"], world.consumer_login["schema"]
    with session_scope(wh_server.settings.metadata_url) as session:  # this grant is served by a filtered view
        asset_id = session.scalar(select(GrantAsset.asset_id).where(GrantAsset.grant_id == grant_id))
        warehouse.revoke_table(session, wh_server.settings, grant_id, asset_id)
        warehouse.grant_table(session, wh_server.settings, grant_id, asset_id,
                              session.get(Environment, world.analytics_env["id"]), world.sales_id,
                              (world.producer_login["database"], schema, "visits"), None, "region = 'EU'")
    assert _reads(world, f"{mine}.visits") and _verify(wh_server, world) == []
    _as_admin(wh_server, f"DROP VIEW {mine}.visits")
    assert _verify(wh_server, world) == [("WAREHOUSE", "MISSING_ACCESS", "DETECTED", f"{mine}.visits")]
    assert _verify(wh_server, world, repair=True)[0][:3] == ("WAREHOUSE", "MISSING_ACCESS", "REPAIRED")
    with session_scope(wh_server.settings.metadata_url) as session:  # granted again as the grant says
        target = session.scalar(select(GrantAsset.target_name).where(GrantAsset.grant_id == grant_id))
    assert _reads(world, target) and _verify(wh_server, world) == []


def test_a_dropped_source_table_fails_the_grant(wh_server, world):
    grant_id = _granted_table(world, "refunds")
    schema = world.producer_login["schema"]
    with connect_as(world.producer_login) as conn:
        conn.execute("DROP TABLE refunds")
    assert _verify(wh_server, world) == [("WAREHOUSE", "SOURCE_GONE", "DETECTED", f"{schema}.refunds")]
    assert _verify(wh_server, world, repair=True) == [("WAREHOUSE", "SOURCE_GONE", "FAILED", f"{schema}.refunds")]
    asset = grant_asset(world, grant_id)
    assert asset["status"] == "GRANT_FAILED"
    assert asset["failureCause"]["message"] == f"The source table {schema}.refunds no longer exists."
    with session_scope(wh_server.settings.metadata_url) as session:
        assert session.scalar(select(WarehouseGrant.id).where(WarehouseGrant.grant_id == grant_id)) is None
    assert _verify(wh_server, world) == []


def test_an_unreachable_warehouse_does_not_stop_the_lake_check(wh_server, world):
    settings = wh_server.settings.model_copy(update={"warehouse_url": "postgresql+psycopg://postgres@127.0.0.1:1/x"})
    with session_scope(settings.metadata_url) as session:
        _, findings, errors = reconciler.verify(session, settings, world.domain.id)
    assert list(errors) == ["warehouse"] and "not reachable" in errors["warehouse"] and findings == []


def test_a_grant_recorded_on_the_wrong_table_is_moved_to_the_right_one(wh_server, world):
    grant_id = _granted_table(world, "shipments")
    schema = world.producer_login["schema"]
    with connect_as(world.producer_login) as conn:
        conn.execute("CREATE TABLE secrets (id int)")
    with session_scope(wh_server.settings.metadata_url) as session:  # as if granted on another table
        session.execute(update(WarehouseGrant).where(WarehouseGrant.grant_id == grant_id).values(source_table="secrets"))
    _as_admin(wh_server, f"REVOKE SELECT ON {schema}.shipments FROM {world.consumer_login['user']}")
    _as_admin(wh_server, f"GRANT SELECT ON {schema}.secrets TO {world.consumer_login['user']}")
    assert _verify(wh_server, world, repair=True) == [("WAREHOUSE", "WRONG_SOURCE", "REPAIRED", f"{schema}.secrets")]
    assert _reads(world, f"{schema}.shipments") and not _reads(world, f"{schema}.secrets")
    assert _verify(wh_server, world) == []


def test_a_dropped_role_fails_its_grants_and_revokes_find_nothing_to_do(wh_server, world):
    """Last in this module: it removes the consumer's role for good."""
    grant_id = _granted_table(world, "invoices")
    role = world.consumer_login["user"]
    _as_admin(wh_server, f"DROP OWNED BY {role}")
    _as_admin(wh_server, f"DROP ROLE {role}")
    found = _verify(wh_server, world, repair=True)
    assert found and {f[1:3] for f in found} == {("MISSING_ACCESS", "FAILED")}
    asset = grant_asset(world, grant_id)
    assert asset["status"] == "GRANT_FAILED"
    assert asset["failureCause"]["message"] == f"The environment role {role} no longer exists."
    assert _verify(wh_server, world) == []
    subscription = world.consumer.dz.get_subscription_grant(domainIdentifier=world.domain.id,
                                                            identifier=grant_id)["subscriptionId"]
    world.producer.dz.revoke_subscription(domainIdentifier=world.domain.id, identifier=subscription)
    wait_for(lambda: grant_asset(world, grant_id)["status"] == "REVOKED")
