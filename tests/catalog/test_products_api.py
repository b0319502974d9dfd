"""Data products through boto3: create, revise, read, delete, publish, subscribe and query every table, revoke."""

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for
from scenario import build_world, glue_asset, query_error, query_rows, resource


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    env = world.sales_env["id"]
    query_rows(world.producer, env, "CREATE TABLE orders AS SELECT * FROM (VALUES (1, 'alice'), (2, 'bob')) t(id, who)")
    query_rows(world.producer, env, "CREATE TABLE refunds AS SELECT * FROM (VALUES (1, 9.5)) t(order_id, amount)")
    world.orders = glue_asset(world.producer, world, "orders", "Orders", "Orders placed")
    world.refunds = glue_asset(world.producer, world, "refunds", "Refunds", "Money given back")
    note = f"Note{uuid.uuid4().hex[:6]}FormType"
    world.producer.dz.create_form_type(
        domainIdentifier=world.domain_id, name=note, owningProjectIdentifier=world.sales_id,
        model={"smithy": f'$version: "2"\nnamespace example.forms\nstructure {note} {{\n    @required\n'
                         f'    text: String\n}}\n'})
    world.note = note
    return world


def items(*assets) -> list[dict]:
    return [{"itemType": "ASSET", "identifier": a["id"]} for a in assets]


def create_product(world, caller=None, **overrides) -> dict:
    params = {"domainIdentifier": world.domain_id, "owningProjectIdentifier": world.sales_id,
              "name": f"Order book {uuid.uuid4().hex[:6]}", "items": items(world.orders, world.refunds),
              **overrides}
    return (caller or world.producer).dz.create_data_product(**{k: v for k, v in params.items() if v is not None})


def get_product(world, product_id: str, caller=None, **kwargs) -> dict:
    return (caller or world.producer).dz.get_data_product(domainIdentifier=world.domain_id, identifier=product_id,
                                                          **kwargs)


def change(world, product_id: str, action: str = "PUBLISH", caller=None, **kwargs) -> dict:
    return (caller or world.producer).dz.create_listing_change_set(
        domainIdentifier=world.domain_id, entityIdentifier=product_id, entityType="DATA_PRODUCT", action=action,
        **kwargs)


def get_listing(world, listing_id: str, caller=None, **kwargs) -> dict:
    return (caller or world.consumer).dz.get_listing(domainIdentifier=world.domain_id, identifier=listing_id,
                                                     **kwargs)


# Inventory


def test_a_product_bundles_assets_of_its_project(world):
    note = {"formName": "Note", "typeIdentifier": world.note, "content": json.dumps({"text": "Q3 close"})}
    product = create_product(world, description="Orders and refunds", formsInput=[note])
    assert product["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert product["revision"] == "1" and product["status"] == "CREATED"
    assert product["owningProjectId"] == world.sales_id and product["domainId"] == world.domain_id
    # Each item is pinned to the asset's revision of the moment.
    assert product["items"] == [{"itemType": "ASSET", "identifier": world.orders["id"], "revision": "1"},
                                {"itemType": "ASSET", "identifier": world.refunds["id"], "revision": "1"}]
    form = product["formsOutput"][0]
    assert (form["formName"], form["typeName"], form["typeRevision"]) == ("Note", world.note, "1")
    assert json.loads(form["content"]) == {"text": "Q3 close"}
    assert product["firstRevisionCreatedBy"] == product["createdBy"]
    read = get_product(world, product["id"])
    assert {k: read[k] for k in ("name", "description", "items", "formsOutput", "revision")} == \
        {k: product[k] for k in ("name", "description", "items", "formsOutput", "revision")}


def test_only_members_of_the_owning_project_see_or_change_it(world):
    product = create_product(world)
    code, _ = error_of(get_product, world=world, product_id=product["id"], caller=world.consumer)
    assert code == "ResourceNotFoundException"
    code, _ = error_of(world.consumer.dz.create_data_product_revision, domainIdentifier=world.domain_id,
                       identifier=product["id"], name="mine now")
    assert code == "ResourceNotFoundException"
    code, _ = error_of(world.consumer.dz.delete_data_product, domainIdentifier=world.domain_id,
                       identifier=product["id"])
    assert code == "ResourceNotFoundException"
    code, _ = error_of(create_product, world=world, caller=world.consumer)  # not a member of Sales
    assert code == "AccessDeniedException"
    code, _ = error_of(change, world=world, product_id=product["id"], caller=world.consumer)
    assert code == "AccessDeniedException"


def test_items_must_be_assets_of_the_owning_project(world):
    theirs = world.consumer.dz.create_asset(
        domainIdentifier=world.domain_id, owningProjectIdentifier=world.analytics_id, name="theirs",
        typeIdentifier="amazon.datazone.S3ObjectCollectionAssetType",
        formsInput=[{"formName": "S3ObjectCollectionForm",
                     "content": json.dumps({"bucketArn": "arn:aws:s3:::theirs"})}])
    for bad, words in (
            (items(theirs), ["items[0]", theirs["id"]]),
            ([{"itemType": "ASSET", "identifier": "abcdefghijklmn"}], ["items[0]", "abcdefghijklmn"]),
            (items(world.orders, world.orders), ["items[1]", "more than once"]),
            ([{"itemType": "ASSET", "identifier": world.orders["id"], "revision": "9"}], ["items[0]", "revision 9"])):
        code, message = error_of(create_product, world=world, items=bad)
        assert code == "ValidationException", message
        assert all(word in message for word in words), message


def test_forms_and_glossary_terms_are_validated_like_assets(world):
    for forms, words in (
            ([{"formName": "Note", "content": "{}"}], ["Note", "typeIdentifier"]),
            ([{"formName": "Note", "typeIdentifier": world.note, "content": "{}"}], ["text", "required"]),
            ([{"formName": "Note", "typeIdentifier": "NoSuchFormType", "content": "{}"}], ["NoSuchFormType"])):
        code, message = error_of(create_product, world=world, formsInput=forms)
        assert code == "ValidationException" and all(word in message for word in words), message
    code, message = error_of(create_product, world=world, glossaryTerms=["abcdefghijklmn"])
    assert code == "ValidationException" and "abcdefghijklmn" in message


def test_revisions_are_immutable_and_carry_over_what_is_not_given(world):
    note = {"formName": "Note", "typeIdentifier": world.note, "content": json.dumps({"text": "first"})}
    product = create_product(world, description="v1", formsInput=[note])
    dz = world.producer.dz
    second = dz.create_data_product_revision(domainIdentifier=world.domain_id, identifier=product["id"],
                                             name="Orders only", items=items(world.orders))
    assert second["revision"] == "2" and second["name"] == "Orders only" and second["description"] == "v1"
    assert [i["identifier"] for i in second["items"]] == [world.orders["id"]]
    assert second["formsOutput"] == product["formsOutput"]
    assert second["firstRevisionCreatedAt"] == product["createdAt"]
    third = dz.create_data_product_revision(domainIdentifier=world.domain_id, identifier=product["id"], name="Three")
    assert third["items"] == second["items"]
    old = get_product(world, product["id"], revision="1")
    assert old["name"] == product["name"] and len(old["items"]) == 2
    assert get_product(world, product["id"])["revision"] == "3"
    assert error_of(get_product, world=world, product_id=product["id"], revision="4")[0] == "ResourceNotFoundException"
    first_page = dz.list_data_product_revisions(domainIdentifier=world.domain_id, identifier=product["id"],
                                                maxResults=2)
    assert [r["revision"] for r in first_page["items"]] == ["3", "2"]
    rest = dz.list_data_product_revisions(domainIdentifier=world.domain_id, identifier=product["id"],
                                          nextToken=first_page["nextToken"])
    assert [r["revision"] for r in rest["items"]] == ["1"] and "nextToken" not in rest


def test_delete_removes_the_product_but_not_its_assets(world):
    product = create_product(world)
    world.producer.dz.delete_data_product(domainIdentifier=world.domain_id, identifier=product["id"])
    assert error_of(get_product, world=world, product_id=product["id"])[0] == "ResourceNotFoundException"
    assert world.producer.dz.get_asset(domainIdentifier=world.domain_id, identifier=world.orders["id"])["id"]


def test_an_asset_in_a_product_cannot_be_deleted(world):
    dz = world.producer.dz
    asset = glue_asset(world.producer, world, "orders", f"Orders bundled {uuid.uuid4().hex[:4]}")
    product = create_product(world, items=items(asset))
    code, message = error_of(dz.delete_asset, domainIdentifier=world.domain_id, identifier=asset["id"])
    assert code == "ConflictException" and product["id"] in message
    change(world, product["id"])
    # Out of the product's latest revision, but still in its published listing: still refused.
    dz.create_data_product_revision(domainIdentifier=world.domain_id, identifier=product["id"], name="Other",
                                    items=items(world.orders))
    code, message = error_of(dz.delete_asset, domainIdentifier=world.domain_id, identifier=asset["id"])
    assert code == "ConflictException" and product["id"] in message
    change(world, product["id"])
    dz.delete_asset(domainIdentifier=world.domain_id, identifier=asset["id"])
    assert error_of(dz.get_asset, domainIdentifier=world.domain_id, identifier=asset["id"])[0] == \
        "ResourceNotFoundException"


# Publishing


def test_publishing_lists_the_product_and_its_assets_only_through_it(world):
    extra = glue_asset(world.producer, world, "orders", f"Orders copy {uuid.uuid4().hex[:4]}")
    product = create_product(world, items=items(extra), description="The order book")
    published = change(world, product["id"])
    assert published["status"] == "ACTIVE" and published["listingRevision"] == "1"
    listing = get_listing(world, published["listingId"])
    assert listing["name"] == product["name"] and listing["description"] == "The order book"
    item = listing["item"]["dataProductListing"]
    assert item["dataProductId"] == product["id"] and item["dataProductRevision"] == "1"
    assert item["owningProjectId"] == world.sales_id and len(item["items"]) == 1
    # The asset was not published: it is now, but only through the product (its own listing is not active).
    asset = world.producer.dz.get_asset(domainIdentifier=world.domain_id, identifier=extra["id"])
    assert asset["listing"] == {"listingId": item["items"][0]["listingId"], "listingStatus": "INACTIVE"}
    code, _ = error_of(get_listing, world=world, listing_id=item["items"][0]["listingId"])
    assert code == "ResourceNotFoundException"
    code, _ = error_of(world.consumer.dz.create_subscription_request, domainIdentifier=world.domain_id,
                       subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}],
                       subscribedListings=[{"identifier": item["items"][0]["listingId"]}], requestReason="just one")
    assert code == "ResourceNotFoundException"

    revised = world.producer.dz.create_data_product_revision(domainIdentifier=world.domain_id,
                                                             identifier=product["id"], name="Renamed book")
    again = change(world, product["id"])
    assert again["listingId"] == published["listingId"] and again["listingRevision"] == "2"
    assert get_listing(world, published["listingId"])["name"] == revised["name"]
    assert get_listing(world, published["listingId"], listingRevision="1")["name"] == product["name"]

    assert change(world, product["id"], "UNPUBLISH")["status"] == "INACTIVE"
    code, _ = error_of(get_listing, world=world, listing_id=published["listingId"])
    assert code == "ResourceNotFoundException"
    assert error_of(change, world=world, product_id=product["id"], action="UNPUBLISH")[0] == "ConflictException"


def test_an_asset_published_on_its_own_stays_published(world):
    own = glue_asset(world.producer, world, "refunds", f"Refunds copy {uuid.uuid4().hex[:4]}")
    listed = world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=own["id"],
                                                         entityType="ASSET", action="PUBLISH")
    product = create_product(world, items=items(own))
    item = get_listing(world, change(world, product["id"])["listingId"])["item"]["dataProductListing"]["items"][0]
    assert item == {"listingId": listed["listingId"], "listingRevision": "1"}
    assert get_listing(world, listed["listingId"])["status"] == "ACTIVE"


def test_what_cannot_be_published(world):
    empty = create_product(world, items=None)
    code, message = error_of(change, world=world, product_id=empty["id"])
    assert code == "ValidationException" and "no assets" in message
    assert error_of(change, world=world, product_id="abcdefghijklmn")[0] == "ResourceNotFoundException"
    product = create_product(world)
    assert error_of(change, world=world, product_id=product["id"], entityRevision="5")[0] == \
        "ResourceNotFoundException"


def test_search_finds_product_listings(world):
    name = f"Ledger bundle {uuid.uuid4().hex[:6]}"
    note = {"formName": "Note", "typeIdentifier": world.note, "content": json.dumps({"text": "quarterly close"})}
    product = create_product(world, name=name, description="Reconciled books", formsInput=[note])
    listing_id = change(world, product["id"])["listingId"]
    response = world.consumer.dz.search_listings(
        domainIdentifier=world.domain_id, searchText=name, additionalAttributes=["FORMS", "TEXT_MATCH_RATIONALE"],
        aggregations=[{"attribute": "amazonmetadata.sourceCategory"}])
    found = response["items"][0]["dataProductListing"]
    assert found["listingId"] == listing_id and found["entityId"] == product["id"]
    assert found["entityRevision"] == "1" and found["name"] == name and found["owningProjectId"] == world.sales_id
    assert len(found["items"]) == 2 and all(i["listingId"] for i in found["items"])
    assert json.loads(found["additionalAttributes"]["forms"]) == {"Note": {"text": "quarterly close"}}
    assert {m["attribute"] for m in found["additionalAttributes"]["matchRationale"][0]["textMatches"]} == {"name"}
    [facet] = response["aggregates"]
    assert {(i["value"], i["count"]) for i in facet["items"]} >= {("dataProduct", 1)}

    def category(value, **kwargs):
        response = world.consumer.dz.search_listings(
            domainIdentifier=world.domain_id,
            filters={"filter": {"attribute": "amazonmetadata.sourceCategory", "value": value}}, **kwargs)
        return {next(iter(i.values()))["listingId"] for i in response["items"]}, response["items"]

    products, rows = category("dataProduct")
    assert listing_id in products and all("dataProductListing" in i for i in rows)
    assets, rows = category("asset")
    assert listing_id not in assets and all("assetListing" in i for i in rows)
    assert category("dataProduct", searchText="reconciled")[0] == {listing_id}
    # Unpublished, it leaves the catalog.
    change(world, product["id"], action="UNPUBLISH")
    assert listing_id not in category("dataProduct")[0]


# Subscribing


def test_subscribing_to_a_product_grants_every_table_and_revoking_takes_them_all(world):
    consumer, producer, domain = world.consumer, world.producer, world.domain_id
    analytics_env, sub_db = world.analytics_env["id"], resource(world.analytics_env, "glueConsumerDBName")
    product = create_product(world)
    listing_id = change(world, product["id"])["listingId"]
    request = consumer.dz.create_subscription_request(
        domainIdentifier=domain, subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}],
        subscribedListings=[{"identifier": listing_id}], requestReason="Reconcile refunds")
    subscribed = request["subscribedListings"][0]
    assert subscribed["id"] == listing_id and subscribed["name"] == product["name"]
    assert subscribed["item"]["productListing"]["entityId"] == product["id"]
    assert {(a["entityId"], a["entityType"]) for a in subscribed["item"]["productListing"]["assetListings"]} == \
        {(world.orders["id"], "GlueTableAssetType"), (world.refunds["id"], "GlueTableAssetType")}

    code, message = error_of(producer.dz.delete_data_product, domainIdentifier=domain, identifier=product["id"])
    assert code == "ConflictException" and "pending" in message

    producer.dz.accept_subscription_request(domainIdentifier=domain, identifier=request["id"])
    subscription = consumer.dz.list_subscriptions(domainIdentifier=domain, subscribedListingId=listing_id)["items"][0]
    assert subscription["subscribedListing"]["item"]["productListing"]["entityRevision"] == "1"
    grants = consumer.dz.list_subscription_grants(domainIdentifier=domain, subscriptionId=subscription["id"])["items"]
    assert len(grants) == 1  # one grant, carrying every asset of the product

    def completed():
        grant = consumer.dz.get_subscription_grant(domainIdentifier=domain, identifier=grants[0]["id"])
        return grant if grant["status"] == "COMPLETED" else None

    grant = wait_for(completed)
    assert {(a["assetId"], a["status"]) for a in grant["assets"]} == \
        {(world.orders["id"], "GRANTED"), (world.refunds["id"], "GRANTED")}
    names = {a["assetId"]: a["targetName"] for a in grant["assets"]}
    assert query_rows(consumer, analytics_env, f"SELECT who FROM {sub_db}.{names[world.orders['id']]} ORDER BY id") == \
        [["alice"], ["bob"]]
    assert query_rows(consumer, analytics_env, f"SELECT amount FROM {sub_db}.{names[world.refunds['id']]}") == \
        [["9.5"]]

    code, message = error_of(producer.dz.delete_data_product, domainIdentifier=domain, identifier=product["id"])
    assert code == "ConflictException" and "approved" in message

    producer.dz.revoke_subscription(domainIdentifier=domain, identifier=subscription["id"])
    wait_for(lambda: all(a["status"] == "REVOKED" for a in consumer.dz.get_subscription_grant(
        domainIdentifier=domain, identifier=grants[0]["id"])["assets"]))
    for name in names.values():
        assert name in query_error(consumer, analytics_env, f"SELECT * FROM {sub_db}.{name}")


# Rules (last in the module: the rule would hold for every product published after it)


def test_a_rule_on_data_products_holds_publishing_until_the_form_is_filled(world):
    rule = world.admin.dz.create_rule(
        domainIdentifier=world.domain_id, name=f"Products need a note {uuid.uuid4().hex[:6]}",
        action="CREATE_LISTING_CHANGE_SET", scope={"dataProduct": True},
        target={"domainUnitTarget": {"domainUnitId": world.admin.dz.get_domain(
            identifier=world.domain_id)["rootDomainUnitId"]}},
        detail={"metadataFormEnforcementDetail": {"requiredMetadataForms": [
            {"typeIdentifier": world.note, "typeRevision": "1"}]}})
    try:
        bare = create_product(world)
        code, message = error_of(change, world=world, product_id=bare["id"])
        assert code == "ValidationException" and world.note in message and rule["identifier"] in message
        noted = world.producer.dz.create_data_product_revision(
            domainIdentifier=world.domain_id, identifier=bare["id"], name=bare["name"],
            items=items(world.orders, world.refunds),
            formsInput=[{"formName": "Note", "typeIdentifier": world.note, "typeRevision": "1",
                         "content": json.dumps({"text": "reviewed by finance"})}])
        assert change(world, bare["id"], entityRevision=noted["revision"])["status"] == "ACTIVE"
    finally:
        world.admin.dz.delete_rule(domainIdentifier=world.domain_id, identifier=rule["identifier"])
