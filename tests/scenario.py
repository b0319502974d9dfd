"""Building blocks for wire tests and benchmarks: a domain with a producer and a consumer project.

It needs nothing but boto3-style callers (`.dz`, `.athena`, `.arn`) and a server with `.user()`, and does
not import pytest, so bench/ builds its worlds with the same code.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Caller, LiveServer


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.02):
    """Poll until predicate() returns something truthy; return it, or fail with AssertionError."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def run_sql(caller: Caller, environment_id: str, sql: str, database: str | None = None, timeout: float = 30) -> dict:
    """Run SQL through the Athena API and wait; returns the final GetQueryExecution."""
    context = {"Database": database} if database else {}
    qid = caller.athena.start_query_execution(QueryString=sql, WorkGroup=environment_id,
                                              QueryExecutionContext=context)["QueryExecutionId"]
    deadline = time.time() + timeout
    while time.time() < deadline:
        execution = caller.athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        time.sleep(0.05)
    raise AssertionError(f"query {qid} did not finish")


def query_rows(caller: Caller, environment_id: str, sql: str, database: str | None = None) -> list[list]:
    """Rows of a successful query (header row dropped), values as Athena strings."""
    execution = run_sql(caller, environment_id, sql, database)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    pages = caller.athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution["QueryExecutionId"])
    rows = [row for page in pages for row in page["ResultSet"]["Rows"]]
    return [[d.get("VarCharValue") for d in row["Data"]] for row in rows[1:]]


def query_error(caller: Caller, environment_id: str, sql: str, database: str | None = None) -> str:
    """The failure reason of a query that must fail."""
    execution = run_sql(caller, environment_id, sql, database)
    assert execution["Status"]["State"] == "FAILED", execution["Status"]
    return execution["Status"]["StateChangeReason"]


@dataclass
class World:
    admin: Caller
    producer: Caller
    consumer: Caller
    domain_id: str
    sales_id: str
    analytics_id: str
    sales_env: dict
    analytics_env: dict


def environment(caller: Caller, domain_id: str, project_id: str, name: str) -> dict:
    """A data lake environment of the project, waited until ACTIVE."""
    blueprint = caller.dz.list_environment_blueprints(domainIdentifier=domain_id, managed=True,
                                                      name="DefaultDataLake")["items"][0]
    profile = caller.dz.create_environment_profile(domainIdentifier=domain_id, name=f"{name}-profile",
                                                   environmentBlueprintIdentifier=blueprint["id"],
                                                   projectIdentifier=project_id, awsAccountRegion="us-east-1")
    env = caller.dz.create_environment(domainIdentifier=domain_id, projectIdentifier=project_id, name=name,
                                       environmentProfileIdentifier=profile["id"])
    return wait_until(lambda: _active(caller, domain_id, env["id"]))


def _active(caller: Caller, domain_id: str, env_id: str) -> dict | None:
    env = caller.dz.get_environment(domainIdentifier=domain_id, identifier=env_id)
    return env if env["status"] == "ACTIVE" else None


def build_world(server: LiveServer) -> World:
    """Admin makes a domain; a producer owns Sales, a consumer owns Analytics, each with a lake environment."""
    admin, producer, consumer = server.user(admin=True), server.user(), server.user()
    domain = admin.dz.create_domain(name=f"Corporate-{uuid.uuid4().hex[:6]}",
                                    domainExecutionRole="arn:aws:iam::000000000000:role/dz")
    for caller in (producer, consumer):
        admin.dz.create_user_profile(domainIdentifier=domain["id"], userIdentifier=caller.arn)
    blueprint = admin.dz.list_environment_blueprints(domainIdentifier=domain["id"], name="DefaultDataLake")["items"][0]
    admin.dz.put_environment_blueprint_configuration(domainIdentifier=domain["id"],
                                                     environmentBlueprintIdentifier=blueprint["id"],
                                                     enabledRegions=["us-east-1"])
    sales = producer.dz.create_project(domainIdentifier=domain["id"], name="Sales")
    analytics = consumer.dz.create_project(domainIdentifier=domain["id"], name="Analytics")
    sales_env = environment(producer, domain["id"], sales["id"], "sales_lake")
    analytics_env = environment(consumer, domain["id"], analytics["id"], "analytics_lake")
    return World(admin, producer, consumer, domain["id"], sales["id"], analytics["id"], sales_env, analytics_env)


def resource(env: dict, name: str) -> str:
    return next(r["value"] for r in env["provisionedResources"] if r["name"] == name)


def glue_asset(caller: Caller, world: World, table: str, name: str, description: str = "") -> dict:
    """Register a table of the Sales producer database as a Glue table asset."""
    content = json.dumps({"databaseName": resource(world.sales_env, "glueProducerDBName"), "tableName": table})
    return caller.dz.create_asset(domainIdentifier=world.domain_id, owningProjectIdentifier=world.sales_id,
                                  name=name, description=description,
                                  typeIdentifier="amazon.datazone.GlueTableAssetType",
                                  formsInput=[{"formName": "GlueTableForm",
                                               "typeIdentifier": "amazon.datazone.GlueTableFormType",
                                               "content": content}])
