"""Search with searchScope DATA_PRODUCT through boto3: members' products only, text, filters, revisions, deletion."""

import json

import pytest

from openzone.db.session import session_scope
from openzone.search import index
from search.search_world import build_catalog


@pytest.fixture(scope="module")
def catalog(server):
    catalog = build_catalog(server)
    dz, domain = catalog.producer.dz, catalog.domain_id
    quality = {"formName": "Quality", "typeIdentifier": catalog.form_type,
               "content": json.dumps({"steward": "frank", "region": "apac", "rowCount": 3})}
    catalog.ledger = dz.create_data_product(
        domainIdentifier=domain, owningProjectIdentifier=catalog.sales_id, name="Ledger Cube",
        description="Monthly books by region", glossaryTerms=[catalog.term_revenue], formsInput=[quality],
        items=[{"itemType": "ASSET", "identifier": catalog.assets["orders"]}])
    catalog.bundle = dz.create_data_product(
        domainIdentifier=domain, owningProjectIdentifier=catalog.sales_id, name="Orders Bundle",
        items=[{"itemType": "ASSET", "identifier": catalog.assets["archive"]}])
    catalog.theirs = catalog.consumer.dz.create_data_product(
        domainIdentifier=domain, owningProjectIdentifier=catalog.analytics_id, name="Churn Cube",
        items=[{"itemType": "ASSET", "identifier": catalog.assets["scores"]}])
    return catalog


def search(catalog, caller, **kwargs) -> dict:
    return caller.dz.search(domainIdentifier=catalog.domain_id, searchScope="DATA_PRODUCT", **kwargs)


def ids(response) -> set[str]:
    return {item["dataProductItem"]["id"] for item in response["items"]}


def test_only_members_of_the_owning_project_find_a_product(catalog):
    ledger, bundle, theirs = catalog.ledger["id"], catalog.bundle["id"], catalog.theirs["id"]
    producer = search(catalog, catalog.producer)
    assert ids(producer) == {ledger, bundle} and producer["totalMatchCount"] == 2
    assert ids(search(catalog, catalog.consumer)) == {theirs}
    outsider = search(catalog, catalog.outsider, searchText="cube")
    assert outsider["items"] == [] and outsider["totalMatchCount"] == 0
    # Text does not reach past visibility: the consumer's "cube" is only their own.
    assert ids(search(catalog, catalog.consumer, searchText="cube")) == {theirs}
    assert ids(search(catalog, catalog.admin, searchText="cube")) == {ledger, theirs}
    assert ids(search(catalog, catalog.producer, owningProjectIdentifier=catalog.sales_id, searchText="orders")) == {
        bundle}


def test_product_items_text_rationale_and_filters(catalog):
    response = search(catalog, catalog.producer, searchText="monthly books", additionalAttributes=["TEXT_MATCH_RATIONALE"])
    [item] = [i["dataProductItem"] for i in response["items"]]
    assert item["id"] == catalog.ledger["id"] and item["name"] == "Ledger Cube"
    assert item["owningProjectId"] == catalog.sales_id and item["domainId"] == catalog.domain_id
    assert item["description"] == "Monthly books by region" and item["glossaryTerms"] == [catalog.term_revenue]
    assert item["firstRevisionCreatedBy"] == item["createdBy"] == catalog.ledger["createdBy"]
    [match] = item["additionalAttributes"]["matchRationale"][0]["textMatches"]
    assert match["attribute"] == "description" and match["matchOffsets"][0] == {"startOffset": 0, "endOffset": 7}

    def found(attribute, value):
        return ids(search(catalog, catalog.producer, filters={"filter": {"attribute": attribute, "value": value}}))

    assert found("__DataZoneGlossaryTerms", catalog.term_revenue) == {catalog.ledger["id"]}
    assert found("Quality.steward", "frank") == {catalog.ledger["id"]}
    assert found("amazonmetadata.sourceCategory", "dataProduct") == {catalog.ledger["id"], catalog.bundle["id"]}
    assert found("amazonmetadata.sourceCategory", "asset") == set()
    # The glossary term's name is product text too.
    assert ids(search(catalog, catalog.producer, searchText="revenue")) == {catalog.ledger["id"]}


def test_a_new_revision_is_searched_by_its_new_name_and_a_deleted_product_is_gone(catalog, server):
    dz, domain = catalog.producer.dz, catalog.domain_id
    dz.create_data_product_revision(domainIdentifier=domain, identifier=catalog.bundle["id"], name="Tally Matrix")
    [item] = search(catalog, catalog.producer, searchText="tally")["items"]
    assert item["dataProductItem"]["id"] == catalog.bundle["id"] and item["dataProductItem"]["name"] == "Tally Matrix"
    assert search(catalog, catalog.producer, searchText="bundle")["totalMatchCount"] == 0
    # The most recently changed product comes first without text.
    assert [i["dataProductItem"]["id"] for i in search(catalog, catalog.producer)["items"]][0] == catalog.bundle["id"]
    dz.delete_data_product(domainIdentifier=domain, identifier=catalog.bundle["id"])
    assert ids(search(catalog, catalog.producer)) == {catalog.ledger["id"]}
    assert search(catalog, catalog.producer, searchText="tally")["totalMatchCount"] == 0
    # reindex and verify cover products (findings about this module's products only: the database is shared).
    products = [catalog.ledger["id"], catalog.bundle["id"], catalog.theirs["id"]]
    with session_scope(server.settings.database_url) as session:
        assert [p for p in index.verify(session.connection()) if any(i in p for i in products)] == []
        counts: dict[str, int] = {}
        index.reindex(session.connection(), ["DATA_PRODUCT"], counts)
        assert counts["DATA_PRODUCT"] >= 2
    assert ids(search(catalog, catalog.producer)) == {catalog.ledger["id"]}
    assert ids(search(catalog, catalog.consumer, searchText="churn cube")) == {catalog.theirs["id"]}
