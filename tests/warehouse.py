"""A throwaway PostgreSQL warehouse database, and domains with DefaultDataWarehouse environments in it.

Roles are cluster-wide: every role openzone makes carries the comment "... in database <name>", so dropping
the database also drops exactly the roles made for it, and parallel test runs never touch each other's.
Like scenario.py it does not import pytest, so bench/ uses it too.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from scenario import resource, wait_until

if TYPE_CHECKING:
    from conftest import Caller, LiveServer

ADMIN_DSN = os.environ.get("OPENZONE_TEST_POSTGRES",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres").replace("+psycopg", "")


def create_warehouse() -> str:
    """A new empty database; returns its SQLAlchemy-style URL (what OPENZONE_WAREHOUSE_URL takes)."""
    name = f"oz_wh_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def drop_warehouse(url: str) -> None:
    """Drop the database and every role openzone made for it."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        roles = conn.execute("SELECT r.rolname FROM pg_roles r JOIN pg_shdescription d ON d.objoid = r.oid "
                             "WHERE d.description LIKE %s", (f"% in database {name}",)).fetchall()
        for (role,) in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def connect_as(login: dict) -> psycopg.Connection:
    """A psql-like autocommit session with an environment's login details."""
    return psycopg.connect(host=login["host"], port=login["port"], dbname=login["database"], user=login["user"],
                           password=login["password"], autocommit=True, connect_timeout=5)


def admin_connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("+psycopg", ""), autocommit=True)


@dataclass
class WarehouseDomain:
    id: str
    admin: Caller
    blueprint: str


def warehouse_domain(server: LiveServer) -> WarehouseDomain:
    """A domain with the DefaultDataWarehouse blueprint enabled."""
    admin = server.user(admin=True)
    domain_id = admin.dz.create_domain(name=f"WH-{uuid.uuid4().hex[:6]}",
                                       domainExecutionRole="arn:aws:iam::000000000000:role/dz")["id"]
    blueprint = admin.dz.list_environment_blueprints(domainIdentifier=domain_id, managed=True,
                                                     name="DefaultDataWarehouse")["items"][0]["id"]
    admin.dz.put_environment_blueprint_configuration(domainIdentifier=domain_id, enabledRegions=["us-east-1"],
                                                     environmentBlueprintIdentifier=blueprint)
    return WarehouseDomain(domain_id, admin, blueprint)


def join(domain: WarehouseDomain, caller: Caller) -> Caller:
    domain.admin.dz.create_user_profile(domainIdentifier=domain.id, userIdentifier=caller.arn)
    return caller


def warehouse_environment(caller: Caller, domain: WarehouseDomain, project_id: str, name: str) -> dict:
    """A DefaultDataWarehouse environment of the project, waited until it leaves CREATING."""
    created = caller.dz.create_environment(domainIdentifier=domain.id, projectIdentifier=project_id, name=name,
                                           environmentBlueprintIdentifier=domain.blueprint,
                                           environmentAccountRegion="us-east-1")
    return wait_until(lambda: (e := caller.dz.get_environment(domainIdentifier=domain.id, identifier=created["id"]))
                      ["status"] != "CREATING" and e)


def login_of(env: dict, password: str) -> dict:
    return {"host": resource(env, "redshiftHost"), "port": int(resource(env, "redshiftPort")),
            "database": resource(env, "redshiftDatabaseName"), "user": resource(env, "redshiftUser"),
            "password": password}


@dataclass
class WarehouseWorld:
    domain: WarehouseDomain
    producer: Caller
    consumer: Caller
    sales_id: str
    analytics_id: str
    sales_env: dict
    analytics_env: dict


def build_warehouse_world(server: LiveServer) -> WarehouseWorld:
    """A producer project Sales and a consumer project Analytics, each with an ACTIVE warehouse environment."""
    domain = warehouse_domain(server)
    producer, consumer = join(domain, server.user()), join(domain, server.user())
    sales = producer.dz.create_project(domainIdentifier=domain.id, name="Sales")["id"]
    analytics = consumer.dz.create_project(domainIdentifier=domain.id, name="Analytics")["id"]
    sales_env = warehouse_environment(producer, domain, sales, "sales_dw")
    analytics_env = warehouse_environment(consumer, domain, analytics, "analytics_dw")
    assert sales_env["status"] == analytics_env["status"] == "ACTIVE", (sales_env, analytics_env)
    return WarehouseWorld(domain, producer, consumer, sales, analytics, sales_env, analytics_env)


def login(server: LiveServer, caller: Caller, domain_id: str, env_id: str) -> dict:
    """The environment's PostgreSQL login details as the service gives them to a project member."""
    from openzone.db.session import session_scope
    from openzone.identity.models import User
    from openzone.projects import environments

    with session_scope(server.settings.metadata_url) as session:
        actor = session.query(User).filter_by(name=caller.name).one()
        return environments.warehouse_login(session, server.settings, actor, domain_id, env_id).as_dict()


def redshift_asset(world: WarehouseWorld, table: str, name: str) -> dict:
    """Register a table of the Sales environment's schema as a Redshift table asset (columns read from it)."""
    content = {"databaseName": resource(world.sales_env, "redshiftDatabaseName"),
               "schemaName": resource(world.sales_env, "redshiftSchemaName"), "tableName": table}
    return world.producer.dz.create_asset(
        domainIdentifier=world.domain.id, owningProjectIdentifier=world.sales_id, name=name,
        typeIdentifier="amazon.datazone.RedshiftTableAssetType",
        formsInput=[{"formName": "RedshiftTableForm", "typeIdentifier": "amazon.datazone.RedshiftTableFormType",
                     "content": json.dumps(content)}])


def publish_and_subscribe(world: WarehouseWorld, asset_id: str) -> tuple[str, str]:
    """Publish the asset, have Analytics request it and Sales approve; returns (subscription id, grant id)."""
    dz, domain = world.producer.dz, world.domain.id
    listing = dz.create_listing_change_set(domainIdentifier=domain, entityIdentifier=asset_id, entityType="ASSET",
                                           action="PUBLISH")["listingId"]
    request = world.consumer.dz.create_subscription_request(
        domainIdentifier=domain, subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}],
        subscribedListings=[{"identifier": listing}], requestReason="analysis")
    dz.accept_subscription_request(domainIdentifier=domain, identifier=request["id"])
    subscription = world.consumer.dz.list_subscriptions(domainIdentifier=domain, owningProjectId=world.analytics_id,
                                                        subscribedListingId=listing)["items"][0]["id"]
    grant = world.consumer.dz.list_subscription_grants(domainIdentifier=domain,
                                                       subscriptionId=subscription)["items"][0]["id"]
    return subscription, grant


def grant_asset(world: WarehouseWorld, grant_id: str) -> dict:
    return world.consumer.dz.get_subscription_grant(domainIdentifier=world.domain.id, identifier=grant_id)["assets"][0]
