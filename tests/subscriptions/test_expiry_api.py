"""Time-bound access: a request carries OpenzoneAccessExpiryForm; at that time the subscription revokes itself."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from conftest import wait_for
from openzone.db.session import session_scope
from openzone.events.models import OutboxEvent
from scenario import build_world, glue_asset, query_error, query_rows, resource


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    for table in ("short_lived", "never_valid"):
        query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {table} AS SELECT 7 AS id")
    return world


def expiry_form(value) -> list[dict]:
    return [{"formName": "OpenzoneAccessExpiryForm", "typeIdentifier": "amazon.datazone.OpenzoneAccessExpiryFormType",
             "content": json.dumps({"expiresAt": value})}]


def publish(world, table: str) -> str:
    asset = glue_asset(world.producer, world, table, table)
    return world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=asset["id"],
                                                       entityType="ASSET", action="PUBLISH")["listingId"]


def ask(world, listing_id: str, forms: list[dict]) -> dict:
    return world.consumer.dz.create_subscription_request(
        domainIdentifier=world.domain_id, requestReason="For the audit week", metadataForms=forms,
        subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}],
        subscribedListings=[{"identifier": listing_id}])


@pytest.mark.parametrize("value", ["not a date", "2001-01-01T00:00:00Z", 12])
def test_an_unreadable_or_past_expiry_is_refused(world, value):
    listing_id = publish(world, "never_valid")
    with pytest.raises(ClientError) as refused:
        ask(world, listing_id, expiry_form(value))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "OpenzoneAccessExpiryForm" in refused.value.response["Error"]["Message"]


def test_access_ends_by_itself_at_the_requested_time(server, world):
    listing_id = publish(world, "short_lived")
    expires_at = datetime.now(timezone.utc) + timedelta(seconds=4)
    made = ask(world, listing_id, expiry_form(expires_at.isoformat()))
    assert made["metadataForms"][0]["formName"] == "OpenzoneAccessExpiryForm"
    world.producer.dz.accept_subscription_request(domainIdentifier=world.domain_id, identifier=made["id"])
    subscription = world.consumer.dz.list_subscriptions(domainIdentifier=world.domain_id,
                                                        subscriptionRequestIdentifier=made["id"])["items"][0]
    grant_id = world.consumer.dz.list_subscription_grants(domainIdentifier=world.domain_id,
                                                          subscriptionId=subscription["id"])["items"][0]["id"]

    def grant():
        return world.consumer.dz.get_subscription_grant(domainIdentifier=world.domain_id, identifier=grant_id)

    wait_for(lambda: grant()["status"] == "COMPLETED")
    env, sub_db = world.analytics_env["id"], resource(world.analytics_env, "glueConsumerDBName")
    assert query_rows(world.consumer, env, f"SELECT id FROM {sub_db}.short_lived") == [["7"]]

    def status():
        return world.consumer.dz.get_subscription(domainIdentifier=world.domain_id,
                                                  identifier=subscription["id"])["status"]

    wait_for(lambda: status() == "REVOKED", timeout=30)
    assert datetime.now(timezone.utc) >= expires_at
    wait_for(lambda: grant()["assets"][0]["status"] == "REVOKED")
    assert "short_lived" in query_error(world.consumer, env, f"SELECT * FROM {sub_db}.short_lived")

    with session_scope(server.settings.metadata_url) as session:
        envelopes = [row.envelope for row in session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))]
    mine = [e for e in envelopes if e["detail"]["metadata"]["id"] == subscription["id"]]
    created = next(e for e in mine if e["detail-type"] == "Subscription Created")["detail"]["data"]
    assert datetime.fromisoformat(created["expiresAt"]) == expires_at
    revoked = next(e for e in mine if e["detail-type"] == "Subscription Revoked")
    assert "expired" in revoked["detail"]["data"]["reason"] and revoked["detail"]["data"]["status"] == "REVOKED"
    assert any(e["detail-type"] == "Subscription Grant Revoke Completed" and e["detail"]["metadata"]["id"] == grant_id
               for e in envelopes)


def test_an_expiry_that_gave_up_is_tried_again_later(server):
    from openzone.jobs.models import Job
    from openzone.jobs.queue import GIVE_UP
    from openzone.subscriptions import tasks

    payload = {"subscription_id": "gave-up-" + datetime.now(timezone.utc).isoformat()}
    before = datetime.now(timezone.utc)
    with session_scope(server.settings.metadata_url) as session:
        GIVE_UP["subscription.expire"](session, server.settings, payload, "the warehouse was down")
    with session_scope(server.settings.metadata_url) as session:
        again = session.scalars(select(Job).where(Job.kind == "subscription.expire")).all()
        queued = [job for job in again if job.payload == payload]
        assert len(queued) == 1 and queued[0].status == "QUEUED"
        run_after = queued[0].run_after.replace(tzinfo=queued[0].run_after.tzinfo or timezone.utc)
        assert run_after >= before + tasks.RETRY_EXPIRY_AFTER - timedelta(seconds=1)
        session.delete(queued[0])
