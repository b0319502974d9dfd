"""Unmanaged assets, external fulfillers and manual control of requests and grants, through boto3 on both backends."""

import json

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from conftest import wait_for
from openzone.db.session import session_scope
from openzone.events.models import OutboxEvent
from openzone.jobs.models import Job
from scenario import build_world, glue_asset, query_rows

ROLE = "arn:aws:iam::000000000000:role/external-fulfiller"


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    # The subscriber's own delivery target for S3 prefixes: no engine of openzone serves it.
    world.s3_target = world.consumer.dz.create_subscription_target(
        domainIdentifier=world.domain_id, environmentIdentifier=world.analytics_env["id"], name="s3-prefixes",
        type="S3PrefixSubscriptionTargetType", applicableAssetTypes=["S3ObjectCollectionAssetType"],
        subscriptionTargetConfig=[{"formName": "S3PrefixTargetForm", "content": '{"bucket": "analytics-inbox"}'}],
        authorizedPrincipals=[ROLE], manageAccessRole=ROLE, provider="acme")
    for table in ("granted_table", "kept_table", "product_table", "glue_for_permissions"):
        query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {table} AS SELECT 1 AS id")
    return world


def code(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response["Error"]["Code"]


def s3_listing(world, name: str, terms: dict | None = None) -> str:
    asset = s3_asset(world, name, terms)
    return world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=asset["id"],
                                                       entityType="ASSET", action="PUBLISH")["listingId"]


def s3_asset(world, name: str, terms: dict | None = None) -> dict:
    forms = [{"formName": "S3ObjectCollectionForm", "typeIdentifier": "amazon.datazone.S3ObjectCollectionFormType",
              "content": json.dumps({"bucketArn": "arn:aws:s3:::sales-raw", "prefix": f"{name}/"})}]
    if terms is not None:
        forms.append({"formName": "OpenzoneSubscriptionTermsForm",
                      "typeIdentifier": "amazon.datazone.OpenzoneSubscriptionTermsFormType",
                      "content": json.dumps(terms)})
    return world.producer.dz.create_asset(domainIdentifier=world.domain_id, owningProjectIdentifier=world.sales_id,
                                          name=name, typeIdentifier="amazon.datazone.S3ObjectCollectionAssetType",
                                          formsInput=forms)


def subscribe(world, listing_id: str, accept: bool = True) -> tuple[dict, dict | None]:
    made = world.consumer.dz.create_subscription_request(
        domainIdentifier=world.domain_id, requestReason="Monthly close",
        subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}],
        subscribedListings=[{"identifier": listing_id}])
    if accept and made["status"] == "PENDING":
        world.producer.dz.accept_subscription_request(domainIdentifier=world.domain_id, identifier=made["id"])
    found = world.consumer.dz.list_subscriptions(domainIdentifier=world.domain_id,
                                                 subscriptionRequestIdentifier=made["id"])["items"]
    return made, (found[0] if found else None)


def grants_of(world, subscription_id: str) -> list[dict]:
    return world.consumer.dz.list_subscription_grants(domainIdentifier=world.domain_id,
                                                      subscriptionId=subscription_id)["items"]


def events(server, entity_id: str | None = None) -> list[dict]:
    with session_scope(server.settings.metadata_url) as session:
        rows = [row.envelope for row in session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))]
    return [e for e in rows if entity_id is None or e["detail"]["metadata"]["id"] == entity_id]


def report(caller, world, grant_id: str, asset_id: str, status: str, **extra) -> dict:
    return caller.dz.update_subscription_grant_status(domainIdentifier=world.domain_id, identifier=grant_id,
                                                      assetIdentifier=asset_id, status=status, **extra)


def test_unmanaged_asset_waits_for_its_external_fulfiller(server, world):
    listing_id = s3_listing(world, "invoices")
    made, subscription = subscribe(world, listing_id)
    [grant] = grants_of(world, subscription["id"])
    assert grant["subscriptionTargetId"] == world.s3_target["id"] and grant["status"] == "PENDING"
    [asset] = grant["assets"]
    assert asset["status"] == "GRANT_PENDING"
    assert "does not provide access" in asset["failureCause"]["message"]
    with session_scope(server.settings.metadata_url) as session:  # no engine was asked to fulfil it
        assert not [j for j in session.scalars(select(Job).where(Job.kind == "grant.fulfill"))
                    if j.payload["grant_id"] == grant["id"]]

    accepted = [e for e in events(server, made["id"]) if e["detail-type"] == "Subscription Request Accepted"]
    assert accepted[0]["detail"]["data"]["isManagedAsset"] is False
    requested = [e for e in events(server, grant["id"]) if e["detail-type"] == "Subscription Grant Requested"]
    data = requested[0]["detail"]["data"]
    assert data["isManagedAsset"] is False and data["subscriptionId"] == subscription["id"]
    assert data["asset"]["id"] == asset["assetId"] and data["asset"]["typeName"] == "S3ObjectCollectionAssetType"
    s3_form = next(f for f in data["asset"]["forms"] if f["formName"] == "S3ObjectCollectionForm")
    assert json.loads(s3_form["content"])["prefix"] == "invoices/"
    assert data["subscriptionTarget"]["typeName"] == "S3PrefixSubscriptionTargetType"
    assert data["subscriptionTarget"]["subscriptionTargetConfig"][0]["formName"] == "S3PrefixTargetForm"
    assert data["subscribedPrincipal"] == {"id": world.analytics_id, "type": "PROJECT"}

    # The subscriber cannot claim its own access; an impossible move is a conflict.
    assert code(report, world.consumer, world, grant["id"], asset["assetId"], "GRANTED") == "AccessDeniedException"
    assert code(report, world.producer, world, grant["id"], asset["assetId"], "REVOKED") == "ConflictException"
    assert report(world.producer, world, grant["id"], asset["assetId"],
                  "GRANT_IN_PROGRESS")["status"] == "IN_PROGRESS"
    done = report(world.producer, world, grant["id"], asset["assetId"], "GRANTED", targetName="s3://inbox/invoices/")
    assert done["status"] == "COMPLETED"
    assert done["assets"][0]["targetName"] == "s3://inbox/invoices/" and done["assets"][0]["grantedTimestamp"]
    assert "failureCause" not in done["assets"][0]
    completed = [e for e in events(server, grant["id"]) if e["detail-type"] == "Subscription Grant Completed"]
    assert len(completed) == 1 and completed[0]["detail"]["data"]["isManagedAsset"] is False
    assert code(report, world.producer, world, grant["id"], asset["assetId"],
                "GRANT_IN_PROGRESS") == "ConflictException"
    # Granted access cannot just be deleted.
    assert code(world.consumer.dz.delete_subscription_grant, domainIdentifier=world.domain_id,
                identifier=grant["id"]) == "ConflictException"

    # Revocation also waits for the fulfiller, who reports it done; then the grant may go.
    world.producer.dz.revoke_subscription(domainIdentifier=world.domain_id, identifier=subscription["id"])
    seen = world.consumer.dz.get_subscription_grant(domainIdentifier=world.domain_id, identifier=grant["id"])
    assert seen["assets"][0]["status"] == "REVOKE_PENDING"
    revoked = report(world.producer, world, grant["id"], asset["assetId"], "REVOKED")
    assert revoked["assets"][0]["status"] == "REVOKED" and revoked["status"] == "COMPLETED"
    deleted = world.consumer.dz.delete_subscription_grant(domainIdentifier=world.domain_id, identifier=grant["id"])
    assert deleted["id"] == grant["id"] and deleted["assets"][0]["status"] == "REVOKED"
    assert code(world.consumer.dz.get_subscription_grant, domainIdentifier=world.domain_id,
                identifier=grant["id"]) == "ResourceNotFoundException"


def test_s3_permissions_travel_from_request_to_grant_and_its_events(server, world):
    listing_id = s3_listing(world, "statements")
    asset_id = world.producer.dz.get_listing(domainIdentifier=world.domain_id,
                                             identifier=listing_id)["item"]["assetListing"]["assetId"]
    principal = [{"project": {"identifier": world.analytics_id}}]
    made = world.consumer.dz.create_subscription_request(
        domainIdentifier=world.domain_id, requestReason="Reconcile statements", subscribedPrincipals=principal,
        subscribedListings=[{"identifier": listing_id}],
        assetPermissions=[{"assetId": asset_id, "permissions": {"s3": ["READ", "WRITE"]}}])
    assert made["subscribedListings"][0]["item"]["assetListing"]["permissions"] == {"s3": ["READ", "WRITE"]}
    # The approver narrows it to READ.
    accepted = world.producer.dz.accept_subscription_request(
        domainIdentifier=world.domain_id, identifier=made["id"],
        assetPermissions=[{"assetId": asset_id, "permissions": {"s3": ["READ"]}}])
    assert accepted["subscribedListings"][0]["item"]["assetListing"]["permissions"] == {"s3": ["READ"]}
    subscription = world.consumer.dz.list_subscriptions(domainIdentifier=world.domain_id,
                                                        subscriptionRequestIdentifier=made["id"])["items"][0]
    assert subscription["subscribedListing"]["item"]["assetListing"]["permissions"] == {"s3": ["READ"]}
    [grant] = grants_of(world, subscription["id"])
    assert grant["assets"][0]["permissions"] == {"s3": ["READ"]}
    requested = [e for e in events(server, grant["id"]) if e["detail-type"] == "Subscription Grant Requested"]
    assert requested[0]["detail"]["data"]["permissions"] == {"s3": ["READ"]}

    # Only S3 object collections of the listing take S3 permissions.
    table = glue_asset(world.producer, world, "glue_for_permissions", "Glue for permissions")
    glue_listing = world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=table["id"],
                                                               entityType="ASSET", action="PUBLISH")["listingId"]
    for listing, asked in ((glue_listing, table["id"]), (s3_listing(world, "ledgers"), "not-in-the-listing")):
        with pytest.raises(ClientError) as refused:
            world.consumer.dz.create_subscription_request(
                domainIdentifier=world.domain_id, requestReason="x", subscribedPrincipals=principal,
                subscribedListings=[{"identifier": listing}],
                assetPermissions=[{"assetId": asked, "permissions": {"s3": ["READ"]}}])
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert asked in refused.value.response["Error"]["Message"]


def test_failure_is_reported_with_its_cause_and_may_be_retried(server, world):
    listing_id = s3_listing(world, "refunds")
    _, subscription = subscribe(world, listing_id)
    [grant] = grants_of(world, subscription["id"])
    asset_id = grant["assets"][0]["assetId"]
    failed = report(world.admin, world, grant["id"], asset_id, "GRANT_FAILED",
                    failureCause={"message": "bucket policy is full"})
    assert failed["status"] == "GRANT_FAILED"
    assert failed["assets"][0]["failureCause"] == {"message": "bucket policy is full"}
    assert failed["assets"][0]["failureTimestamp"]
    event = [e for e in events(server, grant["id"]) if e["detail-type"] == "Subscription Grant Failed"][0]
    assert event["detail"]["data"]["failureCause"] == "bucket policy is full"
    assert report(world.producer, world, grant["id"], asset_id, "GRANT_PENDING")["status"] == "PENDING"
    assert report(world.producer, world, grant["id"], asset_id, "GRANTED")["status"] == "COMPLETED"
    # Revoked with retainPermissions: the subscription ends, the access it gave stays and nobody is asked to undo it.
    revoked = world.producer.dz.revoke_subscription(domainIdentifier=world.domain_id, identifier=subscription["id"],
                                                    retainPermissions=True)
    assert revoked["status"] == "REVOKED" and revoked["retainPermissions"] is True
    kept = world.consumer.dz.get_subscription_grant(domainIdentifier=world.domain_id, identifier=grant["id"])
    assert kept["assets"][0]["status"] == "GRANTED"
    assert not [e for e in events(server, grant["id"]) if e["detail-type"] == "Subscription Grant Revoke Requested"]


def test_managed_grants_are_not_reported_from_outside_nor_deleted_while_granted(world):
    asset = glue_asset(world.producer, world, "granted_table", "Granted table")
    listing_id = world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id,
                                                             entityIdentifier=asset["id"], entityType="ASSET",
                                                             action="PUBLISH")["listingId"]
    _, subscription = subscribe(world, listing_id)
    [grant] = grants_of(world, subscription["id"])
    wait_for(lambda: world.consumer.dz.get_subscription_grant(domainIdentifier=world.domain_id,
                                                              identifier=grant["id"])["status"] == "COMPLETED")
    assert code(report, world.producer, world, grant["id"], asset["id"], "REVOKED") == "ConflictException"
    assert code(world.producer.dz.delete_subscription_grant, domainIdentifier=world.domain_id,
                identifier=grant["id"]) == "ConflictException"


def test_grant_by_hand_at_a_manual_target(server, world):
    manual = world.consumer.dz.create_subscription_target(
        domainIdentifier=world.domain_id, environmentIdentifier=world.analytics_env["id"], name="by-hand",
        type="GlueSubscriptionTargetType", applicableAssetTypes=["GlueTableAssetType"],
        subscriptionTargetConfig=[], authorizedPrincipals=[ROLE], manageAccessRole=ROLE,
        subscriptionGrantCreationMode="MANUAL")
    asset = glue_asset(world.producer, world, "kept_table", "Kept table")
    listing = world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id,
                                                          entityIdentifier=asset["id"], entityType="ASSET",
                                                          action="PUBLISH")
    _, subscription = subscribe(world, listing["listingId"])
    # Approval made a grant at the AUTOMATIC lake target only.
    assert {g["subscriptionTargetId"] for g in grants_of(world, subscription["id"])} == {
        t["id"] for t in world.consumer.dz.list_subscription_targets(
            domainIdentifier=world.domain_id, environmentIdentifier=world.analytics_env["id"])["items"]
        if t["type"] == "GlueSubscriptionTargetType" and t["subscriptionGrantCreationMode"] == "AUTOMATIC"}

    entity = {"listing": {"identifier": listing["listingId"], "revision": listing["listingRevision"]}}
    outsider = server.user()
    world.admin.dz.create_user_profile(domainIdentifier=world.domain_id, userIdentifier=outsider.arn)
    assert code(outsider.dz.create_subscription_grant, domainIdentifier=world.domain_id,
                environmentIdentifier=world.analytics_env["id"], subscriptionTargetIdentifier=manual["id"],
                grantedEntity=entity) in ("AccessDeniedException", "ResourceNotFoundException")
    assert code(world.consumer.dz.create_subscription_grant, domainIdentifier=world.domain_id,
                environmentIdentifier=world.analytics_env["id"], subscriptionTargetIdentifier=manual["id"],
                grantedEntity={"listing": {"identifier": listing["listingId"], "revision": "99"}}
                ) == "ValidationException"
    grant = world.consumer.dz.create_subscription_grant(
        domainIdentifier=world.domain_id, environmentIdentifier=world.analytics_env["id"],
        subscriptionTargetIdentifier=manual["id"], grantedEntity=entity,
        assetTargetNames=[{"assetId": asset["id"], "targetName": "kept_by_hand"}])
    assert grant["subscriptionTargetId"] == manual["id"] and grant["subscriptionId"] == subscription["id"]
    assert grant["assets"][0]["status"] == "GRANT_PENDING" and grant["assets"][0]["targetName"] == "kept_by_hand"
    data = [e for e in events(server, grant["id"]) if e["detail-type"] == "Subscription Grant Requested"][0]["detail"]
    assert data["data"]["isManagedAsset"] is False
    assert data["data"]["subscriptionTarget"]["subscriptionGrantCreationMode"] == "MANUAL"
    assert code(world.consumer.dz.create_subscription_grant, domainIdentifier=world.domain_id,
                environmentIdentifier=world.analytics_env["id"], subscriptionTargetIdentifier=manual["id"],
                grantedEntity=entity) == "ConflictException"
    # A target with grants cannot be deleted; a pending grant can, then the target.
    assert code(world.consumer.dz.delete_subscription_target, domainIdentifier=world.domain_id,
                environmentIdentifier=world.analytics_env["id"], identifier=manual["id"]) == "ConflictException"
    world.consumer.dz.delete_subscription_grant(domainIdentifier=world.domain_id, identifier=grant["id"])
    world.consumer.dz.delete_subscription_target(domainIdentifier=world.domain_id,
                                                 environmentIdentifier=world.analytics_env["id"],
                                                 identifier=manual["id"])


def test_update_and_delete_a_request(server, world):
    listing_id = s3_listing(world, "payroll")
    made, _ = subscribe(world, listing_id, accept=False)
    assert code(world.producer.dz.update_subscription_request, domainIdentifier=world.domain_id,
                identifier=made["id"], requestReason="mine now") == "AccessDeniedException"
    updated = world.consumer.dz.update_subscription_request(domainIdentifier=world.domain_id, identifier=made["id"],
                                                           requestReason="Audit, quarter 3")
    assert updated["requestReason"] == "Audit, quarter 3" and updated["status"] == "PENDING"
    assert world.producer.dz.get_subscription_request_details(
        domainIdentifier=world.domain_id, identifier=made["id"])["requestReason"] == "Audit, quarter 3"
    world.consumer.dz.delete_subscription_request(domainIdentifier=world.domain_id, identifier=made["id"])
    assert code(world.producer.dz.get_subscription_request_details, domainIdentifier=world.domain_id,
                identifier=made["id"]) == "ResourceNotFoundException"
    assert [e["detail-type"] for e in events(server, made["id"])] == [
        "Subscription Request Created", "Subscription Request Deleted"]

    again, subscription = subscribe(world, listing_id)
    assert code(world.consumer.dz.update_subscription_request, domainIdentifier=world.domain_id,
                identifier=again["id"], requestReason="too late") == "ConflictException"
    assert code(world.consumer.dz.delete_subscription_request, domainIdentifier=world.domain_id,
                identifier=again["id"]) == "ConflictException"
    assert subscription["status"] == "APPROVED"


def test_a_listing_without_approval_is_accepted_as_requested(server, world):
    listing_id = s3_listing(world, "public_holidays", {"approvalRequired": False, "terms": "Open to all"})
    made, subscription = subscribe(world, listing_id, accept=False)
    assert made["status"] == "ACCEPTED" and "reviewerId" not in made
    assert subscription["status"] == "APPROVED"
    by_type = {e["detail-type"]: e for e in events(server, made["id"])}
    assert by_type["Subscription Request Created"]["detail"]["data"]["autoApproved"] is True
    assert by_type["Subscription Request Accepted"]["detail"]["data"]["autoApproved"] is True
    assert len(grants_of(world, subscription["id"])) == 1
    # With approvalRequired true, the request waits as usual.
    made, subscription = subscribe(world, s3_listing(world, "salaries", {"approvalRequired": True}), accept=False)
    assert made["status"] == "PENDING" and subscription is None
    created = [e for e in events(server, made["id"]) if e["detail-type"] == "Subscription Request Created"]
    assert created[0]["detail"]["data"]["autoApproved"] is False


def test_a_data_product_mixing_managed_and_unmanaged_assets(world):
    table, files = glue_asset(world.producer, world, "product_table", "Product table"), s3_asset(world, "scans")
    product = world.producer.dz.create_data_product(
        domainIdentifier=world.domain_id, owningProjectIdentifier=world.sales_id, name="Claims pack",
        items=[{"itemType": "ASSET", "identifier": a["id"]} for a in (table, files)])
    listing_id = world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id,
                                                             entityIdentifier=product["id"], entityType="DATA_PRODUCT",
                                                             action="PUBLISH")["listingId"]
    _, subscription = subscribe(world, listing_id)
    grants = {g["subscriptionTargetId"]: g for g in grants_of(world, subscription["id"])}
    assert world.s3_target["id"] in grants and len(grants) == 2
    [lake_grant] = [g for t, g in grants.items() if t != world.s3_target["id"]]

    def statuses(grant_id):
        grant = world.consumer.dz.get_subscription_grant(domainIdentifier=world.domain_id, identifier=grant_id)
        return {a["assetId"]: a["status"] for a in grant["assets"]}, grant["status"]

    # At the lake target the engine grants the table; the files wait for someone, so the grant is not complete.
    wait_for(lambda: statuses(lake_grant["id"])[0][table["id"]] == "GRANTED")
    assert statuses(lake_grant["id"]) == ({table["id"]: "GRANTED", files["id"]: "GRANT_PENDING"}, "PENDING")
    # At the S3 target nothing is openzone's to grant.
    assert statuses(grants[world.s3_target["id"]]["id"]) == (
        {table["id"]: "GRANT_PENDING", files["id"]: "GRANT_PENDING"}, "PENDING")
    assert code(report, world.producer, world, lake_grant["id"], table["id"], "REVOKED") == "ConflictException"
    assert report(world.producer, world, lake_grant["id"], files["id"], "GRANTED")["status"] == "COMPLETED"
