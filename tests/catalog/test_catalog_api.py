"""Assets, listings and catalog search through boto3, over real tables in the lake."""

import json

import pytest
from botocore.exceptions import ClientError

from scenario import build_world, glue_asset, query_rows, resource


def error_code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    env = world.sales_env["id"]
    query_rows(world.producer, env, "CREATE TABLE products AS SELECT * FROM (VALUES "
               "(1::BIGINT, 'widget', 9.99::DECIMAL(10,2), DATE '2024-01-01')) t(product_id, product_name, price, launched)")
    for name in ("gizmo_a", "gizmo_b", "gizmo_c", "percent"):
        query_rows(world.producer, env, f"CREATE TABLE {name} AS SELECT 1 AS id")
    query_rows(world.producer, env, "CREATE TABLE oddities AS SELECT 1 AS quuxcolumn")
    query_rows(world.consumer, world.analytics_env["id"], "CREATE TABLE theirs AS SELECT 1 AS id")
    return world


def publish(world, asset_id: str) -> dict:
    return world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=asset_id,
                                                       entityType="ASSET", action="PUBLISH")


def search(caller, world, text: str, **kwargs) -> dict:
    return caller.dz.search_listings(domainIdentifier=world.domain_id, searchText=text, **kwargs)


def forms_input(database: str, table: str) -> list[dict]:
    return [{"formName": "GlueTableForm", "typeIdentifier": "amazon.datazone.GlueTableFormType",
             "content": json.dumps({"databaseName": database, "tableName": table})}]


def create_asset(world, database: str, table: str, **overrides):
    params = {"domainIdentifier": world.domain_id, "owningProjectIdentifier": world.sales_id, "name": table,
              "typeIdentifier": "amazon.datazone.GlueTableAssetType", "formsInput": forms_input(database, table),
              **overrides}
    return world.producer.dz.create_asset(**params)


def refusal(world, database: str, table: str, **overrides) -> str:
    with pytest.raises(ClientError) as raised:
        create_asset(world, database, table, **overrides)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    return raised.value.response["Error"]["Message"]


def test_create_asset_reads_columns_from_the_table(world):
    asset = glue_asset(world.producer, world, "products", "Products", "Everything we sell")
    assert asset["typeIdentifier"] == "amazon.datazone.GlueTableAssetType" and asset["revision"] == "1"
    assert asset["owningProjectId"] == world.sales_id and asset["description"] == "Everything we sell"
    form = asset["formsOutput"][0]
    assert form["formName"] == "GlueTableForm" and form["typeName"] == "amazon.datazone.GlueTableFormType"
    content = json.loads(form["content"])
    assert content["tableName"] == "products"
    assert content["databaseName"] == resource(world.sales_env, "glueProducerDBName")
    assert [(c["columnName"], c["dataType"]) for c in content["columns"]] == [
        ("product_id", "bigint"), ("product_name", "string"), ("price", "decimal(10,2)"), ("launched", "date")]
    fetched = world.producer.dz.get_asset(domainIdentifier=world.domain_id, identifier=asset["id"])
    assert fetched["formsOutput"] == asset["formsOutput"] and "listing" not in fetched


def test_a_table_that_does_not_exist_is_refused(world):
    message = refusal(world, resource(world.sales_env, "glueProducerDBName"), "no_such_table")
    assert "no_such_table" in message


def test_another_projects_database_is_refused(world):
    message = refusal(world, resource(world.analytics_env, "glueProducerDBName"), "theirs")
    assert resource(world.analytics_env, "glueProducerDBName") in message


def test_the_projects_own_subscription_database_is_refused(world):
    refusal(world, resource(world.sales_env, "glueConsumerDBName"), "products")


def test_unsupported_asset_type_is_refused(world):
    message = refusal(world, resource(world.sales_env, "glueProducerDBName"), "products",
                      typeIdentifier="amazon.datazone.S3ObjectCollectionAssetType")
    assert "S3ObjectCollectionAssetType" in message


def test_missing_or_foreign_form_is_refused(world):
    refusal(world, resource(world.sales_env, "glueProducerDBName"), "products", formsInput=[])
    refusal(world, resource(world.sales_env, "glueProducerDBName"), "products",
            formsInput=[{"formName": "GlueTableForm", "content": "{not json"}])


def test_consumer_cannot_create_assets_in_the_producer_project(world):
    with pytest.raises(ClientError) as denied:
        world.consumer.dz.create_asset(domainIdentifier=world.domain_id, owningProjectIdentifier=world.sales_id,
                                       name="x", typeIdentifier="amazon.datazone.GlueTableAssetType",
                                       formsInput=forms_input(resource(world.sales_env, "glueProducerDBName"),
                                                              "products"))
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_outsider_cannot_get_an_asset(world):
    asset = glue_asset(world.producer, world, "products", "Products hidden")
    assert error_code(world.consumer.dz.get_asset, domainIdentifier=world.domain_id,
                      identifier=asset["id"]) == "ResourceNotFoundException"


def test_publish_then_any_domain_user_reads_the_listing(server, world):
    asset = glue_asset(world.producer, world, "products", "Products catalog", "Published products")
    published = publish(world, asset["id"])
    assert published["status"] == "ACTIVE" and published["listingRevision"] == "1"
    reader = server.user()
    world.admin.dz.create_user_profile(domainIdentifier=world.domain_id, userIdentifier=reader.arn)
    listing = reader.dz.get_listing(domainIdentifier=world.domain_id, identifier=published["listingId"])
    assert listing["status"] == "ACTIVE" and listing["name"] == "Products catalog"
    item = listing["item"]["assetListing"]
    assert item["assetId"] == asset["id"] and item["owningProjectId"] == world.sales_id
    forms = json.loads(item["forms"])
    assert forms["GlueTableForm"]["tableName"] == "products"
    assert [c["columnName"] for c in forms["GlueTableForm"]["columns"]][:2] == ["product_id", "product_name"]
    got = world.producer.dz.get_asset(domainIdentifier=world.domain_id, identifier=asset["id"])
    assert got["listing"] == {"listingId": published["listingId"], "listingStatus": "ACTIVE"}
    # Users outside the domain see nothing.
    assert error_code(server.user().dz.get_listing, domainIdentifier=world.domain_id,
                      identifier=published["listingId"]) == "ResourceNotFoundException"


def test_republish_bumps_the_listing_revision_and_keeps_the_old_one(world):
    asset = glue_asset(world.producer, world, "products", "Products revisions")
    first, second = publish(world, asset["id"]), publish(world, asset["id"])
    assert second["listingId"] == first["listingId"] and second["listingRevision"] == "2"
    latest = world.consumer.dz.get_listing(domainIdentifier=world.domain_id, identifier=first["listingId"])
    assert latest["listingRevision"] == "2"
    old = world.consumer.dz.get_listing(domainIdentifier=world.domain_id, identifier=first["listingId"],
                                        listingRevision="1")
    assert old["listingRevision"] == "1" and old["name"] == "Products revisions"
    assert error_code(world.consumer.dz.get_listing, domainIdentifier=world.domain_id,
                      identifier=first["listingId"], listingRevision="3") == "ResourceNotFoundException"


def test_unpublish_hides_the_listing(world):
    asset = glue_asset(world.producer, world, "products", "Products vanishing", "vanishingword")
    published = publish(world, asset["id"])
    assert search(world.consumer, world, "vanishingword")["totalMatchCount"] == 1
    changed = world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityType="ASSET",
                                                          entityIdentifier=asset["id"], action="UNPUBLISH")
    assert changed["status"] == "INACTIVE" and changed["listingId"] == published["listingId"]
    own = world.producer.dz.get_listing(domainIdentifier=world.domain_id, identifier=published["listingId"])
    assert own["status"] == "INACTIVE"
    assert search(world.consumer, world, "vanishingword")["totalMatchCount"] == 0
    assert search(world.producer, world, "vanishingword")["items"] == []
    assert error_code(world.consumer.dz.get_listing, domainIdentifier=world.domain_id,
                      identifier=published["listingId"]) == "ResourceNotFoundException"
    got = world.producer.dz.get_asset(domainIdentifier=world.domain_id, identifier=asset["id"])
    assert got["listing"]["listingStatus"] == "INACTIVE"
    # Unpublishing twice is a conflict; publishing again brings it back.
    assert error_code(world.producer.dz.create_listing_change_set, domainIdentifier=world.domain_id,
                      entityType="ASSET", entityIdentifier=asset["id"], action="UNPUBLISH") == "ConflictException"
    assert publish(world, asset["id"])["status"] == "ACTIVE"
    assert search(world.consumer, world, "vanishingword")["totalMatchCount"] == 1


def test_search_pages_with_max_results_and_next_token(world):
    ids = {publish(world, glue_asset(world.producer, world, t, f"Gizmo {t[-1]}")["id"])["listingId"]
           for t in ("gizmo_a", "gizmo_b", "gizmo_c")}
    first = search(world.consumer, world, "gizmo", maxResults=2)
    assert first["totalMatchCount"] == 3 and len(first["items"]) == 2 and first["nextToken"]
    second = search(world.consumer, world, "gizmo", maxResults=2, nextToken=first["nextToken"])
    assert second["totalMatchCount"] == 3 and len(second["items"]) == 1 and "nextToken" not in second
    found = {i["assetListing"]["listingId"] for i in first["items"] + second["items"]}
    assert found == ids
    names = [i["assetListing"]["name"] for i in search(world.consumer, world, "gizmo",
                                                        sort={"attribute": "name", "order": "DESCENDING"})["items"]]
    assert names == ["Gizmo c", "Gizmo b", "Gizmo a"]


def test_search_matches_name_description_and_column_names(world):
    asset = glue_asset(world.producer, world, "oddities", "Curiosity cabinet", "Rare zephyrine things")
    listing_id = publish(world, asset["id"])["listingId"]
    for text in ("curiosity", "CABINET", "zephyrine", "quuxcolumn", "curiosity zephyrine"):
        items = search(world.consumer, world, text)["items"]
        assert [i["assetListing"]["listingId"] for i in items] == [listing_id], text
    assert search(world.consumer, world, "curiosity nonexistentword")["totalMatchCount"] == 0
    item = search(world.consumer, world, "quuxcolumn", additionalAttributes=["FORMS"])["items"][0]["assetListing"]
    assert item["entityType"] == "GlueTableAssetType" and item["owningProjectId"] == world.sales_id
    assert json.loads(item["additionalAttributes"]["forms"])["GlueTableForm"]["tableName"] == "oddities"


def test_search_never_returns_unpublished_inventory(world):
    glue_asset(world.producer, world, "oddities", "Secretive inventory", "unpublishedsecret")
    for caller in (world.producer, world.consumer, world.admin):
        assert search(caller, world, "unpublishedsecret")["totalMatchCount"] == 0
        assert search(caller, world, "secretive")["items"] == []


def test_search_wildcards_are_literal(world):
    asset = glue_asset(world.producer, world, "percent", "Yield 100% pure", "literally 50_50 split")
    listing_id = publish(world, asset["id"])["listingId"]
    for text in ("100%", "50_50"):
        assert [i["assetListing"]["listingId"] for i in search(world.consumer, world, text)["items"]] == [listing_id]
    # SQL wildcards must not match everything else in the catalog.
    assert search(world.consumer, world, "%")["totalMatchCount"] == 1
    assert search(world.consumer, world, "0%p")["totalMatchCount"] == 0
    assert search(world.consumer, world, "50_5")["totalMatchCount"] == 1
    assert search(world.consumer, world, "5__5")["totalMatchCount"] == 0
