"""A throwaway PostgreSQL warehouse database, and domains with DefaultDataWarehouse environments in it.

Roles are cluster-wide: every role openzone makes carries the comment "... in database <name>", so dropping
the database also drops exactly the roles made for it, and parallel test runs never touch each other's.
Like scenario.py it does not import pytest, so bench/ uses it too.
"""

from __future__ import annotations

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
