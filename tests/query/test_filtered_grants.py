"""A subscription scoped to asset filters, end to end through boto3 and the Athena API: the consumer sees
exactly the filters' columns and rows, through joins, aggregates, CTAS and the catalog, and cannot get around it."""

import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from conftest import wait_for
from openzone.db.session import session_scope
from openzone.events.models import OutboxEvent
from openzone.lake.access import get_warehouse
from openzone.subscriptions.scopes import Scope, effective_scope
from scenario import build_world, glue_asset, query_error, query_rows, resource

ORDERS = ("(1, 'alice', 'EU', 10.5, '111'), (2, 'bob', 'US', 250.0, '222'), (3, 'carol', 'EU', 99.0, '333'), "
          "(4, 'dave', 'APAC', 500.0, '444'), (5, 'erin', NULL, 1.0, '555')")
CUSTOMERS = "('alice', 'Paris', 'x1'), ('bob', 'Boston', 'x2'), ('dave', 'Delhi', 'x4')"


def _rows(column, operator, value):
    return {"rowConfiguration": {"rowFilter": {"expression": {operator: {"columnName": column, "value": value}}}}}


@pytest.fixture(scope="module")
def world(server):
    return build_world(server)


def _publish_table(world, name, select):
    query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {name} AS {select}")
    asset = glue_asset(world.producer, world, name, name)
    listing = world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=asset["id"],
                                                          entityType="ASSET", action="PUBLISH")
    return asset, listing["listingId"]


def _filter(world, asset, name, configuration):
    return world.producer.dz.create_asset_filter(domainIdentifier=world.domain_id, assetIdentifier=asset["id"],
                                                 name=name, configuration=configuration)["id"]


def _granted(world, request_id):
    dz = world.consumer.dz
    subscription = dz.list_subscriptions(domainIdentifier=world.domain_id,
                                         subscriptionRequestIdentifier=request_id)["items"][0]
    grant_id = dz.list_subscription_grants(domainIdentifier=world.domain_id,
                                           subscriptionId=subscription["id"])["items"][0]["id"]
    grant = wait_for(lambda: (g := dz.get_subscription_grant(domainIdentifier=world.domain_id, identifier=grant_id))[
        "status"] == "COMPLETED" and g)
    return subscription, grant


def test_filtered_grants_show_exactly_the_filters(world, server):
    suffix = uuid.uuid4().hex[:6]
    orders_t, customers_t = f"orders_{suffix}", f"customers_{suffix}"
    orders, orders_listing = _publish_table(world, orders_t, f"SELECT * FROM (VALUES {ORDERS}) t(id, customer, region, amount, ssn)")
    customers, customers_listing = _publish_table(world, customers_t, f"SELECT * FROM (VALUES {CUSTOMERS}) t(customer, city, ssn)")
    eu = _filter(world, orders, "eu", _rows("region", "equalTo", "EU"))
    big = _filter(world, orders, "big", _rows("amount", "greaterThan", "100"))
    no_pii = _filter(world, customers, "no-pii", {"columnConfiguration": {"includedColumnNames": ["customer", "city"]}})
    dz, domain, principal = world.consumer.dz, world.domain_id, [{"project": {"identifier": world.analytics_id}}]

    # The consumer chooses filters for orders; the approver chooses them for customers.
    asked = dz.create_subscription_request(domainIdentifier=domain, subscribedPrincipals=principal,
                                           subscribedListings=[{"identifier": orders_listing}], requestReason="EU+big",
                                           assetScopes=[{"assetId": orders["id"], "filterIds": [eu, big]}])
    assert asked["subscribedListings"][0]["item"]["assetListing"]["assetScope"] == {
        "assetId": orders["id"], "filterIds": [eu, big], "status": "VALID"}
    plain = dz.create_subscription_request(domainIdentifier=domain, subscribedPrincipals=principal,
                                           subscribedListings=[{"identifier": customers_listing}], requestReason="all")
    assert "assetScope" not in plain["subscribedListings"][0]["item"]["assetListing"]
    world.producer.dz.accept_subscription_request(domainIdentifier=domain, identifier=asked["id"])
    accepted = world.producer.dz.accept_subscription_request(
        domainIdentifier=domain, identifier=plain["id"], assetScopes=[{"assetId": customers["id"], "filterIds": [no_pii]}])
    assert accepted["subscribedListings"][0]["item"]["assetListing"]["assetScope"]["filterIds"] == [no_pii]
    orders_sub, orders_grant = _granted(world, asked["id"])
    _, customers_grant = _granted(world, plain["id"])
    assert orders_sub["subscribedListing"]["item"]["assetListing"]["assetScope"]["filterIds"] == [eu, big]
    assert orders_grant["assets"][0]["assetScope"] == {"assetId": orders["id"], "filterIds": [eu, big], "status": "VALID"}
    assert customers_grant["assets"][0]["assetScope"]["filterIds"] == [no_pii]

    # What the PostgreSQL warehouse engine reads for the same grants, and what their events tell a fulfiller.
    with session_scope(server.settings.metadata_url) as session:
        requested = [e.envelope["detail"]["data"] for e in session.scalars(select(OutboxEvent).where(
            OutboxEvent.detail_type == "Subscription Grant Requested"))]
        assert next(d["assetScope"] for d in requested if d["asset"]["id"] == orders["id"]) == {
            "assetId": orders["id"], "filterIds": [eu, big], "status": "VALID"}
        assert effective_scope(session, orders_grant["id"], orders["id"]) == Scope(None, {"or": [
            {"expression": {"equalTo": {"columnName": "region", "value": "EU"}}},
            {"expression": {"greaterThan": {"columnName": "amount", "value": "100"}}}]})
        assert effective_scope(session, customers_grant["id"], customers["id"]) == Scope(("customer", "city"), None)
        assert effective_scope(session, customers_grant["id"], orders["id"]) is None

    env, sub_db = world.analytics_env["id"], resource(world.analytics_env, "glueConsumerDBName")
    own_db = resource(world.analytics_env, "glueProducerDBName")

    def q(sql):
        return query_rows(world.consumer, env, sql, sub_db)

    # Rows: region = 'EU' OR amount > 100 (erin has no region and a small amount); all columns of orders.
    assert q(f"SELECT id, ssn FROM {orders_t} ORDER BY id") == [["1", "111"], ["2", "222"], ["3", "333"], ["4", "444"]]
    assert q(f"SELECT count(*), sum(amount) FROM {orders_t}") == [["4", "859.5"]]
    assert q(f"SELECT count(*) FROM {orders_t} WHERE region IS NULL") == [["0"]]
    # Columns: customers without ssn, everywhere the consumer can look.
    assert q(f"SELECT * FROM {customers_t} ORDER BY 1") == [["alice", "Paris"], ["bob", "Boston"], ["dave", "Delhi"]]
    assert "ssn" in query_error(world.consumer, env, f"SELECT ssn FROM {customers_t}", sub_db)
    assert q(f"SELECT column_name FROM information_schema.columns WHERE table_name = '{customers_t}' "
             "ORDER BY ordinal_position") == [["customer"], ["city"]]
    assert [r[0] for r in q(f"DESCRIBE {customers_t}")] == ["customer", "city"]
    # Joins and CTAS carry no more than each side shows.
    assert q(f"SELECT o.id, c.city FROM {orders_t} o JOIN {customers_t} c USING (customer) ORDER BY 1") == [
        ["1", "Paris"], ["2", "Boston"], ["4", "Delhi"]]
    query_rows(world.consumer, env, f"CREATE TABLE {own_db}.copy_{suffix} AS SELECT * FROM {sub_db}.{orders_t}")
    assert query_rows(world.consumer, env, f"SELECT count(*) FROM copy_{suffix}", own_db) == [["4"]]

    # Around the views: the table's files are refused, whichever way they are named.
    table = get_warehouse(server.settings).table(resource(world.sales_env, "glueProducerDBName"), orders_t)
    data_file = next(Path(table.location, "data").glob("*.parquet"))
    for sql in (f"SELECT * FROM iceberg_scan('{table.metadata_location}')",
                f"SELECT * FROM read_parquet('{table.location}/data/*.parquet')",
                f"SELECT * FROM '{data_file}'",
                f"SELECT * FROM {resource(world.sales_env, 'glueProducerDBName')}.{orders_t}"):
        reason = query_error(world.consumer, env, sql, sub_db)
        assert "555" not in reason and table.location not in reason

    # An updated filter changes what the existing grant shows on the next query.
    world.producer.dz.update_asset_filter(domainIdentifier=domain, assetIdentifier=orders["id"], identifier=eu,
                                          configuration=_rows("region", "equalTo", "APAC"))
    assert q(f"SELECT id FROM {orders_t} ORDER BY id") == [["2"], ["4"]]

    # A filter that no longer fits the asset is dropped from the scope (never widening it), and says why.
    world.producer.dz.update_asset_filter(domainIdentifier=domain, assetIdentifier=orders["id"], identifier=big,
                                          configuration=_rows("discount", "greaterThan", "1"))
    assert q(f"SELECT id FROM {orders_t} ORDER BY id") == [["4"]]
    scope = dz.get_subscription_grant(domainIdentifier=domain, identifier=orders_grant["id"])["assets"][0]["assetScope"]
    assert scope["status"] == "INVALID" and "discount" in scope["errorMessage"]

    # A filter that a subscription uses cannot be deleted until the subscription is revoked.
    with pytest.raises(ClientError) as in_use:
        world.producer.dz.delete_asset_filter(domainIdentifier=domain, assetIdentifier=orders["id"], identifier=big)
    assert in_use.value.response["Error"]["Code"] == "ConflictException"
    world.producer.dz.revoke_subscription(domainIdentifier=domain, identifier=orders_sub["id"])
    wait_for(lambda: dz.get_subscription_grant(domainIdentifier=domain, identifier=orders_grant["id"])[
        "assets"][0]["status"] == "REVOKED")
    world.producer.dz.delete_asset_filter(domainIdentifier=domain, assetIdentifier=orders["id"], identifier=big)
    assert orders_t in query_error(world.consumer, env, f"SELECT * FROM {orders_t}", sub_db)


def test_scopes_are_validated(world):
    suffix = uuid.uuid4().hex[:6]
    one, listing = _publish_table(world, f"one_{suffix}", "SELECT 1 AS id")
    other, _ = _publish_table(world, f"other_{suffix}", "SELECT 1 AS id")
    bad = _filter(world, one, "bad", {"columnConfiguration": {"includedColumnNames": ["nope"]}})
    foreign = _filter(world, other, "foreign", {"columnConfiguration": {"includedColumnNames": ["id"]}})
    dz = world.consumer.dz
    for scopes, message in (([{"assetId": other["id"], "filterIds": [foreign]}], "is not part of listing"),
                            ([{"assetId": one["id"], "filterIds": [foreign]}], "does not exist for asset"),
                            ([{"assetId": one["id"], "filterIds": ["nosuchfilter"]}], "does not exist for asset"),
                            ([{"assetId": one["id"], "filterIds": [bad]}], "is INVALID"),
                            ([{"assetId": one["id"], "filterIds": []}], "at least one filter")):
        with pytest.raises(ClientError) as refused:
            dz.create_subscription_request(domainIdentifier=world.domain_id, requestReason="x",
                                           subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}],
                                           subscribedListings=[{"identifier": listing}], assetScopes=scopes)
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert message in refused.value.response["Error"]["Message"]
