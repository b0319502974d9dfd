"""The audit trail: requests, decisions, revocations and grants, by asset, project and user (service and CLI)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import wait_for
from openzone.db.session import session_scope
from openzone.events import audit
from scenario import build_world, glue_asset, query_rows

OPENZONE = str(Path(sys.executable).parent / "openzone")


def openzone(server, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENZONE_DATA_DIR": str(server.settings.data_path),
           "OPENZONE_DATABASE_URL": server.settings.metadata_url}
    result = subprocess.run([OPENZONE, *args], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def story(server):
    """Analytics asks for two tables; Sales rejects one, approves the other, then revokes it."""
    world = build_world(server)
    dz, consumer = world.producer.dz, world.consumer.dz
    ids = {}
    for table in ("audit_kept", "audit_refused"):
        query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {table} AS SELECT 1 AS id")
        asset = glue_asset(world.producer, world, table, table)
        listing = dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=asset["id"],
                                               entityType="ASSET", action="PUBLISH")["listingId"]
        request = consumer.create_subscription_request(
            domainIdentifier=world.domain_id, requestReason=f"need {table}", subscribedListings=[{"identifier": listing}],
            subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}])
        ids[table] = (asset["id"], listing, request["id"])
    dz.reject_subscription_request(domainIdentifier=world.domain_id, identifier=ids["audit_refused"][2],
                                   decisionComment="contains salaries")
    dz.accept_subscription_request(domainIdentifier=world.domain_id, identifier=ids["audit_kept"][2],
                                   decisionComment="fine for reporting")
    kept_asset = ids["audit_kept"][0]
    wait_for(lambda: any(e.action == "GRANTED" for e in trail(server, asset_id=kept_asset)), timeout=60)
    subscription = dz.list_subscriptions(domainIdentifier=world.domain_id, owningProjectId=world.analytics_id)["items"][0]
    dz.revoke_subscription(domainIdentifier=world.domain_id, identifier=subscription["id"])
    return world, ids


def trail(server, **filters) -> list:
    with session_scope(server.settings.metadata_url) as session:
        return audit.entries(session, **filters)


def test_per_asset_who_did_what_and_why(server, story):
    world, ids = story
    producer_id = world.admin.dz.get_user_profile(domainIdentifier=world.domain_id, userIdentifier=world.producer.arn)["id"]
    kept = [(e.action, e.reason) for e in reversed(trail(server, asset_id=ids["audit_kept"][0]))]
    assert kept[:3] == [("REQUESTED", "need audit_kept"), ("APPROVED", "fine for reporting"), ("SUBSCRIBED", None)]
    assert ("GRANTED", None) in kept and ("REVOKED", None) in kept
    refused = trail(server, asset_id=ids["audit_refused"][0])
    assert [(e.action, e.reason) for e in refused] == [("REJECTED", "contains salaries"), ("REQUESTED", "need audit_refused")]
    assert refused[0].actor_id == producer_id and refused[0].project_id == world.analytics_id
    assert refused[0].owner_project_id == world.sales_id


def test_per_project_and_per_user(server, story):
    world, ids = story
    consumer_id = world.admin.dz.get_user_profile(domainIdentifier=world.domain_id, userIdentifier=world.consumer.arn)["id"]
    mine = trail(server, user_id=consumer_id, domain_id=world.domain_id)
    assert {e.action for e in mine} == {"REQUESTED"} and len(mine) == 2
    by_project = trail(server, project_id=world.analytics_id)
    assert {"REQUESTED", "APPROVED", "REJECTED", "REVOKED", "GRANTED"} <= {e.action for e in by_project}
    assert trail(server, project_id=world.analytics_id, visible_projects={"someone-else"}) == []
    grant = next(e for e in by_project if e.action == "GRANTED")
    assert grant.project_id == world.analytics_id and grant.asset_id == ids["audit_kept"][0]


def test_cli_lists_and_reindexes_the_trail(server, story):
    world, ids = story
    lines = openzone(server, "audit", "list", "--asset", ids["audit_refused"][0]).stdout.splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["action"] for e in entries] == ["REJECTED", "REQUESTED"]
    assert entries[0]["reason"] == "contains salaries" and entries[0]["actorName"] == world.producer.name
    by_name = [json.loads(line) for line in openzone(server, "audit", "list", "--user", world.consumer.name,
                                                       "--domain", world.domain_id).stdout.splitlines()]
    assert len(by_name) == 2
    before = len(trail(server, limit=100_000))
    assert f"holds {before} entries" in openzone(server, "audit", "reindex").stdout
    assert [e["action"] for e in (json.loads(line) for line in openzone(
        server, "audit", "list", "--asset", ids["audit_refused"][0]).stdout.splitlines())] == ["REJECTED", "REQUESTED"]
    bad = openzone(server, "audit", "list", "--since", "yesterday", check=False)
    assert bad.returncode == 1 and "not an ISO date" in bad.stderr
