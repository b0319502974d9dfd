"""The whole DataZone loop through the unmodified boto3 clients, on SQLite and PostgreSQL."""

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for
from scenario import build_world, glue_asset, query_error, query_rows, resource


@pytest.fixture(scope="module")
def world(server):
    return build_world(server)


def _grant_status(caller, world, grant_id):
    return caller.dz.get_subscription_grant(domainIdentifier=world.domain_id, identifier=grant_id)


def test_publish_search_subscribe_approve_query_revoke(world):
    producer, consumer, domain = world.producer, world.consumer, world.domain_id
    sales_env, analytics_env = world.sales_env["id"], world.analytics_env["id"]
    sales_db = resource(world.sales_env, "glueProducerDBName")
    sub_db = resource(world.analytics_env, "glueConsumerDBName")

    created = query_rows(producer, sales_env, "CREATE TABLE customer_orders AS SELECT * FROM (VALUES "
                         "(1, 'alice', 10.5), (2, 'bob', 20.0), (3, 'carol', 7.25)) t(order_id, customer, amount)")
    assert created == []
    asset = glue_asset(producer, world, "customer_orders", "Customer orders", "Orders placed by customers")
    columns = [c["columnName"] for c in __import__("json").loads(asset["formsOutput"][0]["content"])["columns"]]
    assert columns == ["order_id", "customer", "amount"]

    # The consumer cannot see inventory, nor read the producer's database.
    with pytest.raises(ClientError) as denied:
        consumer.dz.get_asset(domainIdentifier=domain, identifier=asset["id"])
    assert denied.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "not available in this workgroup" in str(
        pytest.raises(ClientError, query_rows, consumer, analytics_env, "SELECT 1", sales_db).value)

    published = producer.dz.create_listing_change_set(domainIdentifier=domain, entityIdentifier=asset["id"],
                                                      entityType="ASSET", action="PUBLISH")
    assert published["status"] == "ACTIVE" and published["listingRevision"] == "1"

    found = consumer.dz.search_listings(domainIdentifier=domain, searchText="customer")
    assert found["totalMatchCount"] == 1
    listing = found["items"][0]["assetListing"]
    assert listing["listingId"] == published["listingId"] and listing["entityType"] == "GlueTableAssetType"
    assert consumer.dz.search_listings(domainIdentifier=domain, searchText="amount")["totalMatchCount"] == 1
    assert consumer.dz.search_listings(domainIdentifier=domain, searchText="nothing-like-it")["totalMatchCount"] == 0

    request = consumer.dz.create_subscription_request(
        domainIdentifier=domain, subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}],
        subscribedListings=[{"identifier": listing["listingId"]}], requestReason="Churn analysis")
    assert request["status"] == "PENDING"
    assert request["subscribedListings"][0]["ownerProjectId"] == world.sales_id

    # Before approval the granted table does not exist for the consumer.
    assert "customer_orders" in query_error(consumer, analytics_env, f"SELECT * FROM {sub_db}.customer_orders")

    with pytest.raises(ClientError) as not_owner:
        consumer.dz.accept_subscription_request(domainIdentifier=domain, identifier=request["id"])
    assert not_owner.value.response["Error"]["Code"] == "AccessDeniedException"

    accepted = producer.dz.accept_subscription_request(domainIdentifier=domain, identifier=request["id"],
                                                       decisionComment="approved for churn work")
    assert accepted["status"] == "ACCEPTED" and accepted["decisionComment"] == "approved for churn work"
    subscription = consumer.dz.list_subscriptions(domainIdentifier=domain, owningProjectId=world.analytics_id)["items"][0]
    assert subscription["status"] == "APPROVED"
    grants = consumer.dz.list_subscription_grants(domainIdentifier=domain, subscriptionId=subscription["id"])["items"]
    assert len(grants) == 1 and grants[0]["environmentId"] == analytics_env
    grant = wait_for(lambda: (g := _grant_status(consumer, world, grants[0]["id"]))["status"] == "COMPLETED" and g)
    assert grant["assets"][0]["status"] == "GRANTED" and grant["assets"][0]["targetName"] == "customer_orders"

    rows = query_rows(consumer, analytics_env, f"SELECT customer, amount FROM {sub_db}.customer_orders ORDER BY 1")
    assert rows == [["alice", "10.50"], ["bob", "20.00"], ["carol", "7.25"]]
    # Read-only: the subscription database refuses writes.
    assert "read-only" in query_error(consumer, analytics_env, f"INSERT INTO {sub_db}.customer_orders VALUES (4, 'x', 1)")

    revoked = producer.dz.revoke_subscription(domainIdentifier=domain, identifier=subscription["id"])
    assert revoked["status"] == "REVOKED"
    wait_for(lambda: _grant_status(consumer, world, grants[0]["id"])["assets"][0]["status"] == "REVOKED")
    assert "customer_orders" in query_error(consumer, analytics_env, f"SELECT * FROM {sub_db}.customer_orders")
