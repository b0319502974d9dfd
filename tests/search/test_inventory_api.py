"""Search (inventory) through boto3: only the caller's projects' assets, glossaries as glossary visibility says."""

import json

import pytest
from botocore.exceptions import ClientError

from search.search_world import build_catalog


@pytest.fixture(scope="module")
def catalog(server):
    return build_catalog(server)


def search(catalog, caller, scope="ASSET", **kwargs) -> dict:
    return caller.dz.search(domainIdentifier=catalog.domain_id, searchScope=scope, **kwargs)


def asset_keys(catalog, response) -> set[str]:
    by_id = {asset: key for key, asset in catalog.assets.items()}
    return {by_id[item["assetItem"]["identifier"]] for item in response["items"]}


def test_inventory_is_seen_only_by_members_of_the_owning_project(catalog):
    producer = search(catalog, catalog.producer)
    assert asset_keys(catalog, producer) == {"orders", "archive", "sales", "payroll"}  # unpublished included
    assert producer["totalMatchCount"] == 4
    consumer = search(catalog, catalog.consumer)
    assert asset_keys(catalog, consumer) == {"scores"} and consumer["totalMatchCount"] == 1
    outsider = search(catalog, catalog.outsider)
    assert outsider["items"] == [] and outsider["totalMatchCount"] == 0
    # Text does not reach past visibility either, and the count does not betray hidden matches.
    text = search(catalog, catalog.consumer, searchText="orders")
    assert asset_keys(catalog, text) == {"scores"} and text["totalMatchCount"] == 1
    assert search(catalog, catalog.outsider, searchText="payroll")["totalMatchCount"] == 0
    # The administrator sees every project's inventory, like GetAsset.
    assert asset_keys(catalog, search(catalog, catalog.admin)) == set(catalog.assets)


def test_owning_project_narrows_and_is_refused_for_a_stranger(catalog):
    narrowed = search(catalog, catalog.producer, owningProjectIdentifier=catalog.sales_id, searchText="payroll")
    assert asset_keys(catalog, narrowed) == {"payroll"}
    with pytest.raises(ClientError) as refused:
        search(catalog, catalog.consumer, owningProjectIdentifier=catalog.sales_id)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as refused:
        search(catalog, catalog.outsider, owningProjectIdentifier=catalog.analytics_id)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


def test_inventory_items_filters_forms_and_rationale(catalog):
    response = search(catalog, catalog.producer, searchText="payroll",
                      filters={"filter": {"attribute": "Quality.steward", "value": "carol"}},
                      additionalAttributes=["FORMS", "TEXT_MATCH_RATIONALE"])
    [item] = [i["assetItem"] for i in response["items"]]
    assert item["identifier"] == catalog.assets["payroll"] and item["name"] == "Secret Payroll"
    assert item["typeIdentifier"] == catalog.asset_type and item["owningProjectId"] == catalog.sales_id
    [form] = item["additionalAttributes"]["formsOutput"]
    assert form["formName"] == "Quality" and json.loads(form["content"])["steward"] == "carol"
    [match] = item["additionalAttributes"]["matchRationale"][0]["textMatches"]
    assert match["attribute"] == "name" and match["matchOffsets"] == [{"startOffset": 7, "endOffset": 14}]
    assert search(catalog, catalog.producer, filters={"filter": {"attribute": "Quality.rowCount", "intValue": 10,
                                                                 "operator": "LE"}})["totalMatchCount"] == 1
    with pytest.raises(ClientError) as refused:
        search(catalog, catalog.producer, filters={"filter": {"attribute": "shoeSize", "value": "9"}})
    assert refused.value.response["Error"]["Code"] == "ValidationException" and "shoeSize" in str(refused.value)


def test_a_new_asset_revision_is_searched_by_its_new_name(catalog):
    dz = catalog.producer.dz
    dz.create_asset_revision(domainIdentifier=catalog.domain_id, identifier=catalog.assets["payroll"],
                             name="Confidential Compensation",
                             formsInput=[{"formName": "Quality", "content": json.dumps(
                                 {"steward": "erin", "region": "eu", "rowCount": 11})}])
    assert asset_keys(catalog, search(catalog, catalog.producer, searchText="compensation")) == {"payroll"}
    assert search(catalog, catalog.producer, searchText="payroll")["totalMatchCount"] == 0
    assert asset_keys(catalog, search(catalog, catalog.producer, filters={
        "filter": {"attribute": "Quality.steward", "value": "erin"}})) == {"payroll"}


def test_glossaries_enabled_for_everyone_disabled_for_members(catalog):
    def names(caller, scope, **kwargs):
        response = search(catalog, caller, scope, **kwargs)
        key = "glossaryItem" if scope == "GLOSSARY" else "glossaryTermItem"
        return {item[key]["name"] for item in response["items"]}, response["totalMatchCount"]

    assert names(catalog.producer, "GLOSSARY") == ({"Business Terms", "Draft Vocabulary"}, 2)
    assert names(catalog.consumer, "GLOSSARY") == ({"Business Terms"}, 1)
    assert names(catalog.consumer, "GLOSSARY", searchText="draft") == (set(), 0)
    assert names(catalog.consumer, "GLOSSARY_TERM", searchText="money") == ({"Revenue"}, 1)
    assert names(catalog.outsider, "GLOSSARY_TERM") == ({"Revenue", "Churn"}, 2)
    # Disabling the glossary hides its terms from non-members: the term documents follow the glossary.
    catalog.producer.dz.update_glossary(domainIdentifier=catalog.domain_id, identifier=catalog.glossary_enabled,
                                        status="DISABLED")
    try:
        assert names(catalog.outsider, "GLOSSARY_TERM") == (set(), 0)
        assert names(catalog.producer, "GLOSSARY_TERM") == ({"Revenue", "Churn"}, 2)
    finally:
        catalog.producer.dz.update_glossary(domainIdentifier=catalog.domain_id, identifier=catalog.glossary_enabled,
                                            status="ENABLED")
    terms = search(catalog, catalog.consumer, "GLOSSARY_TERM", searchText="customers",
                   additionalAttributes=["TEXT_MATCH_RATIONALE"])
    [item] = [i["glossaryTermItem"] for i in terms["items"]]
    assert item["name"] == "Churn" and item["glossaryId"] == catalog.glossary_enabled
    [match] = item["additionalAttributes"]["matchRationale"][0]["textMatches"]
    assert match["attribute"] == "shortDescription" and match["text"] == "Customers leaving"


def test_unknown_search_in_is_refused(catalog):
    with pytest.raises(ClientError) as refused:
        catalog.producer.dz.search(domainIdentifier=catalog.domain_id, searchScope="ASSET",
                                   searchIn=[{"attribute": "shoeSize"}], searchText="x")
    assert refused.value.response["Error"]["Code"] == "ValidationException" and "shoeSize" in str(refused.value)
