"""Subscription requests, cancellation and the events they write, through boto3 on both backends."""

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from conftest import wait_for
from openzone.db.session import session_scope
from openzone.events.models import OutboxEvent
from openzone.identity.models import User
from openzone.subscriptions import service as subscriptions
from openzone.subscriptions.models import SubscriptionRequest
from scenario import build_world, glue_asset, query_error, query_rows, resource

TABLES = ("ledger", "rejected_data", "pending_data", "own_data", "private_data", "rollback_data")


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    for table in TABLES:
        query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {table} AS SELECT 1 AS id, 'x' AS label")
    return world


def error_code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


def listing_of(world, table: str) -> str:
    asset = glue_asset(world.producer, world, table, f"{table} asset")
    return world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=asset["id"],
                                                       entityType="ASSET", action="PUBLISH")["listingId"]


def request(world, listing_id: str, caller=None, project_id: str | None = None) -> dict:
    caller = caller or world.consumer
    return caller.dz.create_subscription_request(
        domainIdentifier=world.domain_id, requestReason="Quarterly reporting",
        subscribedPrincipals=[{"project": {"identifier": project_id or world.analytics_id}}],
        subscribedListings=[{"identifier": listing_id}])


def events(server, world) -> list[dict]:
    with session_scope(server.settings.metadata_url) as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.domain_id == world.domain_id)
                               .order_by(OutboxEvent.seq))
        return [row.envelope for row in rows]


def test_reject_flow(world):
    listing_id = listing_of(world, "rejected_data")
    pending = request(world, listing_id)
    assert pending["status"] == "PENDING" and pending["requestReason"] == "Quarterly reporting"
    rejected = world.producer.dz.reject_subscription_request(domainIdentifier=world.domain_id,
                                                             identifier=pending["id"], decisionComment="Not for you")
    assert rejected["status"] == "REJECTED" and rejected["decisionComment"] == "Not for you"
    producer_id = world.admin.dz.get_user_profile(domainIdentifier=world.domain_id,
                                                  userIdentifier=world.producer.arn)["id"]
    assert rejected["reviewerId"] == producer_id
    seen = world.consumer.dz.get_subscription_request_details(domainIdentifier=world.domain_id,
                                                              identifier=pending["id"])
    assert seen["status"] == "REJECTED" and seen["decisionComment"] == "Not for you"
    assert world.consumer.dz.list_subscriptions(domainIdentifier=world.domain_id,
                                                subscriptionRequestIdentifier=pending["id"])["items"] == []
    # A decided request cannot be decided again.
    assert error_code(world.producer.dz.accept_subscription_request, domainIdentifier=world.domain_id,
                      identifier=pending["id"]) == "ConflictException"
    # Once rejected, the consumer may ask again.
    assert request(world, listing_id)["status"] == "PENDING"


def test_duplicate_pending_request_conflicts(world):
    listing_id = listing_of(world, "pending_data")
    first = request(world, listing_id)
    with pytest.raises(ClientError) as conflict:
        request(world, listing_id)
    assert conflict.value.response["Error"]["Code"] == "ConflictException"
    pending = world.consumer.dz.list_subscription_requests(domainIdentifier=world.domain_id, status="PENDING",
                                                           subscribedListingId=listing_id)["items"]
    assert [r["id"] for r in pending] == [first["id"]]


def test_a_project_cannot_subscribe_to_its_own_listing(world):
    listing_id = listing_of(world, "own_data")
    with pytest.raises(ClientError) as refused:
        request(world, listing_id, caller=world.producer, project_id=world.sales_id)
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_consumer_must_act_for_the_subscribing_project(world):
    listing_id = listing_of(world, "own_data")
    # The producer is no member of Analytics: it cannot ask on Analytics' behalf.
    with pytest.raises(ClientError) as denied:
        request(world, listing_id, caller=world.producer, project_id=world.analytics_id)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_an_outsider_cannot_see_the_request(server, world):
    listing_id = listing_of(world, "private_data")
    made = request(world, listing_id)
    outsider = server.user()
    world.admin.dz.create_user_profile(domainIdentifier=world.domain_id, userIdentifier=outsider.arn)
    assert error_code(outsider.dz.get_subscription_request_details, domainIdentifier=world.domain_id,
                      identifier=made["id"]) == "ResourceNotFoundException"
    assert outsider.dz.list_subscription_requests(domainIdentifier=world.domain_id)["items"] == []
    assert error_code(outsider.dz.reject_subscription_request, domainIdentifier=world.domain_id,
                      identifier=made["id"]) == "ResourceNotFoundException"
    # Both sides do see it.
    for caller in (world.producer, world.consumer):
        listed = caller.dz.list_subscription_requests(domainIdentifier=world.domain_id,
                                                      subscribedListingId=listing_id)["items"]
        assert [r["id"] for r in listed] == [made["id"]]


def _grant(world, subscription_id: str) -> dict:
    grants = world.consumer.dz.list_subscription_grants(domainIdentifier=world.domain_id,
                                                        subscriptionId=subscription_id)["items"]
    assert len(grants) == 1
    return world.consumer.dz.get_subscription_grant(domainIdentifier=world.domain_id, identifier=grants[0]["id"])


def test_cancel_by_the_consumer_revokes_access(server, world):
    listing_id = listing_of(world, "ledger")
    made = request(world, listing_id)
    world.producer.dz.accept_subscription_request(domainIdentifier=world.domain_id, identifier=made["id"])
    subscription = world.consumer.dz.list_subscriptions(domainIdentifier=world.domain_id,
                                                        subscriptionRequestIdentifier=made["id"])["items"][0]
    wait_for(lambda: _grant(world, subscription["id"])["status"] == "COMPLETED")
    sub_db, env = resource(world.analytics_env, "glueConsumerDBName"), world.analytics_env["id"]
    assert query_rows(world.consumer, env, f"SELECT id, label FROM {sub_db}.ledger") == [["1", "x"]]

    assert error_code(world.producer.dz.cancel_subscription, domainIdentifier=world.domain_id,
                      identifier=subscription["id"]) == "AccessDeniedException"
    assert error_code(world.consumer.dz.revoke_subscription, domainIdentifier=world.domain_id,
                      identifier=subscription["id"]) == "AccessDeniedException"
    cancelled = world.consumer.dz.cancel_subscription(domainIdentifier=world.domain_id, identifier=subscription["id"])
    assert cancelled["status"] == "CANCELLED"
    assert world.producer.dz.get_subscription(domainIdentifier=world.domain_id,
                                              identifier=subscription["id"])["status"] == "CANCELLED"
    grant = wait_for(lambda: (g := _grant(world, subscription["id"]))["assets"][0]["status"] == "REVOKED" and g)
    assert grant["status"] == "COMPLETED"
    assert "ledger" in query_error(world.consumer, env, f"SELECT * FROM {sub_db}.ledger")
    assert error_code(world.consumer.dz.cancel_subscription, domainIdentifier=world.domain_id,
                      identifier=subscription["id"]) == "ConflictException"

    by_type = {}
    for envelope in events(server, world):
        by_type.setdefault(envelope["detail-type"], []).append(envelope)
    for detail_type in ("Subscription Request Created", "Subscription Request Accepted", "Subscription Created",
                        "Subscription Grant Requested", "Subscription Grant Completed", "Subscription Cancelled",
                        "Subscription Grant Revoke Completed"):
        assert detail_type in by_type, detail_type
        for envelope in by_type[detail_type]:
            assert envelope["source"] == "aws.datazone" and envelope["account"] == server.settings.account_id
            assert envelope["detail"]["metadata"]["domain"] == world.domain_id
            assert isinstance(envelope["detail"]["data"], dict)
    created = [e for e in by_type["Subscription Request Created"] if e["detail"]["metadata"]["id"] == made["id"]]
    assert len(created) == 1
    assert created[0]["detail"]["data"]["subscribedListings"][0]["id"] == listing_id
    assert created[0]["detail"]["metadata"]["typeName"] == "SubscriptionRequestEntityType"
    completed = [e for e in by_type["Subscription Grant Completed"]
                 if e["detail"]["data"]["subscriptionId"] == subscription["id"]]
    assert len(completed) == 1
    assert completed[0]["detail"]["data"]["subscriptionTarget"]["environmentId"] == env
    assert completed[0]["detail"]["data"]["asset"]["listingId"] == listing_id
    accepted = [e for e in by_type["Subscription Created"]
                if e["detail"]["metadata"]["id"] == subscription["id"]]
    assert accepted[0]["detail"]["data"]["subscriptionRequestId"] == made["id"]


def test_no_event_for_a_failed_call(server, world):
    listing_id = listing_of(world, "rollback_data")
    made = request(world, listing_id)
    with pytest.raises(ClientError):
        request(world, listing_id)  # the duplicate is refused
    with pytest.raises(ClientError):
        world.consumer.dz.accept_subscription_request(domainIdentifier=world.domain_id, identifier=made["id"])
    for_listing = [e for e in events(server, world)
                   if e["detail-type"].startswith("Subscription Request")
                   and any(s["id"] == listing_id for s in e["detail"]["data"].get("subscribedListings", []))]
    assert [e["detail-type"] for e in for_listing] == ["Subscription Request Created"]


def test_event_is_rolled_back_with_its_transaction(server, world):
    listing_id = listing_of(world, "rollback_data")  # a fresh listing, nobody asked for it yet
    request_ids = []
    with pytest.raises(RuntimeError):
        with session_scope(server.settings.metadata_url) as session:
            consumer = session.scalar(select(User).where(User.name == world.consumer.name))
            made = subscriptions.create_request(session, consumer, world.domain_id, {
                "subscribedPrincipals": [{"project": {"identifier": world.analytics_id}}],
                "subscribedListings": [{"identifier": listing_id}], "requestReason": "then it fails"})
            session.flush()
            request_ids.append(made.id)
            raise RuntimeError("a later step of the same call fails")
    assert request_ids
    with session_scope(server.settings.metadata_url) as session:
        assert session.get(SubscriptionRequest, request_ids[0]) is None
    # Nothing half-done either: the same request now goes through, with exactly one event.
    made = request(world, listing_id)
    created = [e for e in events(server, world) if e["detail-type"] == "Subscription Request Created"
               and e["detail"]["data"]["subscribedListings"][0]["id"] == listing_id]
    assert [e["detail"]["metadata"]["id"] for e in created] == [made["id"]]
    assert not [e for e in events(server, world) if e["detail"]["metadata"]["id"] == request_ids[0]]
