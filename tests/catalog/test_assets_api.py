"""Assets of any type through boto3: form validation, S3 collections, revisions, deletion, owner moves, listings."""

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for
from scenario import build_world, glue_asset, query_rows


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


SMITHY = '''$version: "2"
namespace example.forms

structure {name} {{
    @required
    customerId: String
    @range(min: 0, max: 100)
    score: Integer
    tags: TagList
}}

list TagList {{
    member: String
}}
'''


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    env = world.sales_env["id"]
    for name in ("ledger", "returns"):
        query_rows(world.producer, env, f"CREATE TABLE {name} AS SELECT 1 AS id, 'x' AS label")
    query_rows(world.producer, env, "CREATE TABLE refunds AS SELECT 1 AS id, 'x' AS label, 'late' AS reason")
    dz, domain = world.producer.dz, world.domain_id
    form = f"Customer{uuid.uuid4().hex[:6]}FormType"
    dz.create_form_type(domainIdentifier=domain, name=form, model={"smithy": SMITHY.format(name=form)},
                        owningProjectIdentifier=world.sales_id)
    note = f"Note{uuid.uuid4().hex[:6]}FormType"
    dz.create_form_type(domainIdentifier=domain, name=note, owningProjectIdentifier=world.sales_id,
                        model={"smithy": f'$version: "2"\nnamespace example.forms\nstructure {note} {{\n'
                                         f'    text: String\n}}\n'})
    asset_type = f"Customer_{uuid.uuid4().hex[:6]}"
    dz.create_asset_type(domainIdentifier=domain, name=asset_type, owningProjectIdentifier=world.sales_id,
                         formsInput={"Customer": {"typeIdentifier": form, "typeRevision": "1", "required": True},
                                     "Common": {"typeIdentifier": "amazon.datazone.AssetCommonDetailsFormType",
                                                "typeRevision": "1"}})
    world.form, world.note, world.asset_type = form, note, asset_type
    return world


def customer_forms(content: dict | None = None, **extra) -> list[dict]:
    return [{"formName": "Customer", "content": json.dumps(content or {"customerId": "c-1", "score": 7}), **extra}]


def custom_asset(world, caller=None, **overrides) -> dict:
    params = {"domainIdentifier": world.domain_id, "owningProjectIdentifier": world.sales_id,
              "name": f"customers-{uuid.uuid4().hex[:6]}", "typeIdentifier": world.asset_type,
              "formsInput": customer_forms(), **overrides}
    return (caller or world.producer).dz.create_asset(**params)


def publish(world, asset_id: str) -> dict:
    return world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=asset_id,
                                                       entityType="ASSET", action="PUBLISH")


def get_asset(world, asset_id: str, caller=None, **kwargs) -> dict:
    return (caller or world.producer).dz.get_asset(domainIdentifier=world.domain_id, identifier=asset_id, **kwargs)


def searched_ids(world, text: str) -> list[str]:
    items = world.consumer.dz.search_listings(domainIdentifier=world.domain_id, searchText=text)["items"]
    return [item["assetListing"]["listingId"] for item in items]


# Creating assets of any type


def test_an_asset_of_a_custom_type_with_valid_forms(world):
    asset = custom_asset(world, formsInput=customer_forms({"customerId": "c-9", "tags": ["vip"], "score": None})
                         + [{"formName": "Common", "content": json.dumps({"summary": "Our customers"})}])
    assert asset["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert asset["typeIdentifier"] == world.asset_type and asset["typeRevision"] == "1"
    forms = {f["formName"]: f for f in asset["formsOutput"]}
    assert (forms["Customer"]["typeName"], forms["Customer"]["typeRevision"]) == (world.form, "1")
    assert json.loads(forms["Customer"]["content"]) == {"customerId": "c-9", "tags": ["vip"]}
    assert forms["Common"]["typeName"] == "amazon.datazone.AssetCommonDetailsFormType"
    assert get_asset(world, asset["id"])["formsOutput"] == asset["formsOutput"]


def test_an_extra_form_needs_its_type(world):
    extra = {"formName": "Notes", "typeIdentifier": world.note, "content": json.dumps({"text": "hello"})}
    asset = custom_asset(world, formsInput=customer_forms() + [extra])
    notes = next(f for f in asset["formsOutput"] if f["formName"] == "Notes")
    assert (notes["typeName"], notes["typeRevision"]) == (world.note, "1")
    code, message = error_of(custom_asset, world=world, formsInput=customer_forms() + [
        {"formName": "Notes", "content": "{}"}])
    assert code == "ValidationException" and "Notes" in message and world.asset_type in message
    code, message = error_of(custom_asset, world=world, formsInput=customer_forms() + [
        {"formName": "Notes", "typeIdentifier": "NoSuchFormType", "content": "{}"}])
    assert code == "ValidationException" and "NoSuchFormType" in message
    code, message = error_of(custom_asset, world=world, formsInput=customer_forms() + [
        {"formName": "Ref", "typeIdentifier": "amazon.datazone.DataSourceReferenceFormType",
         "content": json.dumps({"dataSourceIdentifier": "x"})}])
    assert code == "ValidationException" and "read-only" in message


@pytest.mark.parametrize("forms, words", [
    ([], ["requires the form Customer"]),
    (customer_forms({"customerId": 42}), ["Customer", "customerId", "String"]),
    (customer_forms({"customerId": "c", "score": 101}), ["score", "@range"]),
    (customer_forms({"customerId": "c", "nickname": "x"}), ["nickname", "is not defined"]),
    (customer_forms({"score": 1}), ["customerId", "is required"]),
    ([{"formName": "Customer", "content": "{not json"}], ["Customer", "not valid JSON"]),
    (customer_forms(typeIdentifier="amazon.datazone.GlueTableFormType"), ["expected form"]),
    (customer_forms(typeRevision="9"), ["not 9"]),
    (customer_forms() + customer_forms(), ["more than once"]),
])
def test_form_validation_failures(world, forms, words):
    code, message = error_of(custom_asset, world=world, formsInput=forms)
    assert code == "ValidationException"
    for word in words:
        assert word in message, message


def test_an_unknown_asset_type_or_revision_is_refused(world):
    code, message = error_of(custom_asset, world=world, typeIdentifier="NoSuchAssetType")
    assert code == "ValidationException" and "NoSuchAssetType" in message
    code, _ = error_of(custom_asset, world=world, typeRevision="7")
    assert code == "ValidationException"


def test_an_asset_pins_the_asset_type_revision_it_names(world):
    name = f"Pinned_{uuid.uuid4().hex[:6]}"
    for forms in ({}, {"Customer": {"typeIdentifier": world.form, "typeRevision": "1", "required": True}}):
        world.producer.dz.create_asset_type(domainIdentifier=world.domain_id, name=name, formsInput=forms,
                                            owningProjectIdentifier=world.sales_id)
    old = custom_asset(world, typeIdentifier=name, typeRevision="1", formsInput=[])
    assert old["typeRevision"] == "1" and old["formsOutput"] == []
    assert error_of(custom_asset, world=world, typeIdentifier=name, formsInput=[])[0] == "ValidationException"
    assert custom_asset(world, typeIdentifier=name)["typeRevision"] == "2"


def test_an_s3_object_collection_asset(world):
    bucket = "arn:aws:s3:::sales-exports"
    asset = custom_asset(world, typeIdentifier="amazon.datazone.S3ObjectCollectionAssetType", formsInput=[
        {"formName": "S3ObjectCollectionForm", "content": json.dumps({"bucketArn": bucket, "prefix": "2024/"})}])
    assert asset["typeIdentifier"] == "amazon.datazone.S3ObjectCollectionAssetType"
    form = asset["formsOutput"][0]
    assert form["typeName"] == "amazon.datazone.S3ObjectCollectionFormType" and form["typeRevision"] == "1"
    assert json.loads(form["content"]) == {"bucketArn": bucket, "prefix": "2024/"}
    code, message = error_of(custom_asset, world=world, typeIdentifier="S3ObjectCollectionAssetType", formsInput=[
        {"formName": "S3ObjectCollectionForm", "content": json.dumps({"bucketArn": "not-an-arn"})}])
    assert code == "ValidationException" and "bucketArn" in message


def test_glossary_terms_must_be_terms_of_the_domain(world):
    dz = world.producer.dz
    glossary = dz.create_glossary(domainIdentifier=world.domain_id, name=f"G-{uuid.uuid4().hex[:6]}",
                                  owningProjectIdentifier=world.sales_id)
    term = dz.create_glossary_term(domainIdentifier=world.domain_id, glossaryIdentifier=glossary["id"],
                                   name="Customer")["id"]
    asset = custom_asset(world, glossaryTerms=[term])
    assert asset["glossaryTerms"] == [term]
    code, message = error_of(custom_asset, world=world, glossaryTerms=[term, "abcdefghijklmn"])
    assert code == "ValidationException" and "abcdefghijklmn" in message
    code, _ = error_of(world.producer.dz.create_asset_revision, domainIdentifier=world.domain_id,
                       identifier=asset["id"], name="x", glossaryTerms=["abcdefghijklmn"])
    assert code == "ValidationException"


# Revisions


def revise(world, asset_id: str, caller=None, **kwargs) -> dict:
    return (caller or world.producer).dz.create_asset_revision(domainIdentifier=world.domain_id, identifier=asset_id,
                                                               **kwargs)


def test_revisions_are_immutable_and_carry_over_what_is_not_given(world):
    asset = custom_asset(world, description="v1", formsInput=customer_forms() + [
        {"formName": "Common", "content": json.dumps({"summary": "first"})}])
    second = revise(world, asset["id"], name="renamed", formsInput=customer_forms({"customerId": "c-2"}))
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert second["revision"] == "2" and second["name"] == "renamed" and second["description"] == "v1"
    forms = {f["formName"]: json.loads(f["content"]) for f in second["formsOutput"]}
    assert forms == {"Customer": {"customerId": "c-2"}, "Common": {"summary": "first"}}
    assert get_asset(world, asset["id"])["revision"] == "2"
    old = get_asset(world, asset["id"], revision="1")
    assert old["name"] == asset["name"] and old["formsOutput"] == asset["formsOutput"]
    assert error_of(get_asset, world=world, asset_id=asset["id"], revision="3")[0] == "ResourceNotFoundException"
    code, message = error_of(revise, world=world, asset_id=asset["id"], name="bad",
                             formsInput=customer_forms({"customerId": 1}))
    assert code == "ValidationException" and "customerId" in message
    assert get_asset(world, asset["id"])["revision"] == "2"


def test_list_revisions_newest_first_with_paging(world):
    asset = custom_asset(world)
    for n in range(2, 6):
        revise(world, asset["id"], name=f"r{n}")
    dz = world.producer.dz
    first = dz.list_asset_revisions(domainIdentifier=world.domain_id, identifier=asset["id"], maxResults=2)
    assert [item["revision"] for item in first["items"]] == ["5", "4"] and first["nextToken"]
    assert first["items"][0]["id"] == asset["id"] and first["items"][0]["domainId"] == world.domain_id
    pages = dz.get_paginator("list_asset_revisions").paginate(domainIdentifier=world.domain_id,
                                                              identifier=asset["id"],
                                                              PaginationConfig={"PageSize": 2})
    assert [i["revision"] for p in pages for i in p["items"]] == ["5", "4", "3", "2", "1"]


def test_outsiders_neither_read_nor_revise_an_asset(world):
    asset = custom_asset(world)
    consumer, domain = world.consumer.dz, world.domain_id
    for call, kwargs in ((consumer.get_asset, {"revision": "1"}), (consumer.list_asset_revisions, {}),
                         (consumer.create_asset_revision, {"name": "mine"}), (consumer.delete_asset, {}),
                         (consumer.update_asset_owner, {"targetProjectIdentifier": world.analytics_id})):
        assert error_of(call, domainIdentifier=domain, identifier=asset["id"], **kwargs)[0] == \
            "ResourceNotFoundException", call


def test_a_glue_asset_revision_reads_the_columns_of_its_table(world):
    asset = glue_asset(world.producer, world, "returns", "Returns")
    carried = revise(world, asset["id"], name="Returns", description="same table")
    assert carried["formsOutput"] == asset["formsOutput"]
    database = json.loads(asset["formsOutput"][0]["content"])["databaseName"]
    moved = revise(world, asset["id"], name="Refunds", formsInput=[
        {"formName": "GlueTableForm", "content": json.dumps({"databaseName": database, "tableName": "refunds"})}])
    content = json.loads(moved["formsOutput"][0]["content"])
    assert content["tableName"] == "refunds" and moved["revision"] == "3"
    assert [c["columnName"] for c in content["columns"]] == ["id", "label", "reason"]
    assert moved["formsOutput"][0]["typeName"] == "amazon.datazone.GlueTableFormType"


# Deleting assets and listings


def test_delete_an_asset_and_its_listing(world):
    asset = custom_asset(world, name=f"doomed-{uuid.uuid4().hex[:6]}")
    listing = publish(world, asset["id"])["listingId"]
    assert listing in searched_ids(world, asset["name"])
    deleted = world.producer.dz.delete_asset(domainIdentifier=world.domain_id, identifier=asset["id"])
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(get_asset, world=world, asset_id=asset["id"])[0] == "ResourceNotFoundException"
    assert error_of(world.consumer.dz.get_listing, domainIdentifier=world.domain_id,
                    identifier=listing)[0] == "ResourceNotFoundException"
    assert listing not in searched_ids(world, asset["name"])


def test_delete_listing_leaves_the_asset(world):
    asset = custom_asset(world, name=f"delisted-{uuid.uuid4().hex[:6]}")
    listing = publish(world, asset["id"])["listingId"]
    assert get_asset(world, asset["id"])["listing"] == {"listingId": listing, "listingStatus": "ACTIVE"}
    assert error_of(world.consumer.dz.delete_listing, domainIdentifier=world.domain_id,
                    identifier=listing)[0] == "AccessDeniedException"
    pending = world.consumer.dz.create_subscription_request(
        domainIdentifier=world.domain_id, requestReason="r", subscribedListings=[{"identifier": listing}],
        subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}])
    code, message = error_of(world.producer.dz.delete_listing, domainIdentifier=world.domain_id, identifier=listing)
    assert code == "ConflictException" and "pending" in message
    world.producer.dz.reject_subscription_request(domainIdentifier=world.domain_id, identifier=pending["id"])
    deleted = world.producer.dz.delete_listing(domainIdentifier=world.domain_id, identifier=listing)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "listing" not in get_asset(world, asset["id"])
    assert listing not in searched_ids(world, asset["name"])
    for caller in (world.producer, world.consumer):
        assert error_of(caller.dz.get_listing, domainIdentifier=world.domain_id,
                        identifier=listing)[0] == "ResourceNotFoundException"
    assert error_of(world.producer.dz.delete_listing, domainIdentifier=world.domain_id,
                    identifier=listing)[0] == "ResourceNotFoundException"
    assert error_of(world.consumer.dz.create_subscription_request, domainIdentifier=world.domain_id,
                    requestReason="r", subscribedListings=[{"identifier": listing}],
                    subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}])[0] == \
        "ResourceNotFoundException"
    again = publish(world, asset["id"])
    assert again["listingId"] == listing and listing in searched_ids(world, asset["name"])


def _subscribe(world, listing: str) -> dict:
    made = world.consumer.dz.create_subscription_request(
        domainIdentifier=world.domain_id, requestReason="audit", subscribedListings=[{"identifier": listing}],
        subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}])
    world.producer.dz.accept_subscription_request(domainIdentifier=world.domain_id, identifier=made["id"])
    return world.consumer.dz.list_subscriptions(domainIdentifier=world.domain_id,
                                                subscriptionRequestIdentifier=made["id"])["items"][0]


def _grant_status(world, subscription_id: str) -> str:
    grants = world.consumer.dz.list_subscription_grants(domainIdentifier=world.domain_id,
                                                        subscriptionId=subscription_id)["items"]
    return grants[0]["status"] if grants else ""


def test_a_subscribed_listing_cannot_be_deleted_until_revoked(world):
    asset = glue_asset(world.producer, world, "ledger", "Ledger")
    listing = publish(world, asset["id"])["listingId"]
    subscription = _subscribe(world, listing)
    wait_for(lambda: _grant_status(world, subscription["id"]) == "COMPLETED")
    dz, domain = world.producer.dz, world.domain_id
    code, message = error_of(dz.delete_listing, domainIdentifier=domain, identifier=listing)
    assert code == "ConflictException" and "revoke" in message
    assert error_of(dz.delete_asset, domainIdentifier=domain, identifier=asset["id"])[0] == "ConflictException"
    dz.revoke_subscription(domainIdentifier=domain, identifier=subscription["id"])
    dz.delete_listing(domainIdentifier=domain, identifier=listing)
    assert "listing" not in get_asset(world, asset["id"])
    # The subscription's history stays readable; the asset itself stays because that history points at it.
    revoked = world.consumer.dz.get_subscription(domainIdentifier=domain, identifier=subscription["id"])
    assert revoked["status"] == "REVOKED" and revoked["subscribedListing"]["id"] == listing
    assert error_of(dz.delete_asset, domainIdentifier=domain, identifier=asset["id"])[0] == "ConflictException"


def test_a_viewer_cannot_delete_or_revise(server, world):
    viewer = server.user()
    world.admin.dz.create_user_profile(domainIdentifier=world.domain_id, userIdentifier=viewer.arn)
    world.producer.dz.create_project_membership(domainIdentifier=world.domain_id, projectIdentifier=world.sales_id,
                                                member={"userIdentifier": viewer.arn},
                                                designation="PROJECT_CATALOG_VIEWER")
    asset = custom_asset(world)
    assert get_asset(world, asset["id"], caller=viewer)["id"] == asset["id"]
    assert viewer.dz.list_asset_revisions(domainIdentifier=world.domain_id, identifier=asset["id"])["items"]
    for call, kwargs in ((viewer.dz.create_asset_revision, {"name": "x"}), (viewer.dz.delete_asset, {}),
                         (viewer.dz.update_asset_owner, {"targetProjectIdentifier": world.analytics_id})):
        assert error_of(call, domainIdentifier=world.domain_id, identifier=asset["id"], **kwargs)[0] == \
            "AccessDeniedException"


# Moving an asset to another project


def test_update_asset_owner_moves_the_asset_and_its_listing(world):
    dz, domain = world.producer.dz, world.domain_id
    marketing = dz.create_project(domainIdentifier=domain, name=f"Marketing-{uuid.uuid4().hex[:6]}")["id"]
    asset = custom_asset(world)
    listing = publish(world, asset["id"])["listingId"]
    assert error_of(dz.update_asset_owner, domainIdentifier=domain, identifier=asset["id"],
                    targetProjectIdentifier="abcdefghijklmn")[0] == "ResourceNotFoundException"
    moved = dz.update_asset_owner(domainIdentifier=domain, identifier=asset["id"], targetProjectIdentifier=marketing)
    assert moved["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert moved["id"] == asset["id"] and moved["revision"] == "1"
    transfer = moved["ownershipTransfer"]
    assert transfer["status"] == "SUCCEEDED"
    assert (transfer["sourceProjectId"], transfer["targetProjectId"]) == (world.sales_id, marketing)
    assert get_asset(world, asset["id"])["owningProjectId"] == marketing
    got = world.consumer.dz.get_listing(domainIdentifier=domain, identifier=listing)
    assert got["item"]["assetListing"]["owningProjectId"] == marketing
