"""SearchListings filters, sort, paging and aggregations through boto3 (SQLite and PostgreSQL)."""

import time

import pytest
from botocore.exceptions import ClientError

from search.search_world import build_catalog


@pytest.fixture(scope="module")
def catalog(server):
    return build_catalog(server)


def search(catalog, caller=None, **kwargs) -> dict:
    return (caller or catalog.consumer).dz.search_listings(domainIdentifier=catalog.domain_id, **kwargs)


def keys(catalog, response) -> list[str]:
    by_id = {listing: key for key, listing in catalog.listings.items()}
    return [by_id[item["assetListing"]["listingId"]] for item in response["items"]]


def found(catalog, filters, **kwargs) -> set[str]:
    return set(keys(catalog, search(catalog, filters=filters, **kwargs)))


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_equality_on_searchable_form_fields_and_nested_clauses(catalog):
    assert found(catalog, {"filter": {"attribute": "Quality.steward", "value": "alice"}}) == {"orders", "sales"}
    assert found(catalog, {"and": [{"filter": {"attribute": "Quality.steward", "value": "alice"}},
                                   {"filter": {"attribute": "Quality.region", "value": "us"}}]}) == {"sales"}
    assert found(catalog, {"or": [{"filter": {"attribute": "Quality.steward", "value": "bob"}},
                                  {"and": [{"filter": {"attribute": "Quality.region", "value": "eu"}},
                                           {"filter": {"attribute": "Quality.steward", "value": "alice"}}]}]}) == {
        "archive", "orders"}
    # The unpublished asset's values are not in the published catalog.
    assert found(catalog, {"filter": {"attribute": "Quality.steward", "value": "carol"}}) == set()


def test_int_value_compares_sortable_fields(catalog):
    row_count = "Quality.rowCount"
    assert found(catalog, {"filter": {"attribute": row_count, "intValue": 100, "operator": "GE"}}) == {"orders", "archive"}
    assert found(catalog, {"filter": {"attribute": row_count, "intValue": 100, "operator": "GT"}}) == {"archive"}
    assert found(catalog, {"filter": {"attribute": row_count, "intValue": 100, "operator": "LT"}}) == {"sales"}
    assert found(catalog, {"filter": {"attribute": row_count, "intValue": 50, "operator": "LE"}}) == {"sales"}
    assert found(catalog, {"filter": {"attribute": row_count, "intValue": 5000, "operator": "EQ"}}) == {"archive"}


def test_glossary_terms_project_type_and_time(catalog):
    terms = "__DataZoneGlossaryTerms"
    assert found(catalog, {"filter": {"attribute": terms, "value": catalog.term_revenue}}) == {"orders", "sales"}
    assert found(catalog, {"filter": {"attribute": terms, "value": catalog.term_churn}}) == {"sales"}
    assert found(catalog, {"filter": {"attribute": "owningProjectId", "value": catalog.sales_id}}) == {
        "orders", "archive", "sales"}
    assert found(catalog, {"filter": {"attribute": "owningProjectId", "value": catalog.analytics_id}}) == set()
    typed = catalog.asset_type
    assert found(catalog, {"filter": {"attribute": "amazonmetadata.typeName", "value": typed}}) == {
        "orders", "archive", "sales"}
    assert found(catalog, {"filter": {"attribute": "amazonmetadata.sourceCategory", "value": "asset"}}) == {
        "orders", "archive", "sales"}
    now_ms = int(time.time() * 1000) + 60_000
    assert found(catalog, {"filter": {"attribute": "creationTime", "intValue": now_ms, "operator": "LT"}}) == {
        "orders", "archive", "sales"}
    assert found(catalog, {"filter": {"attribute": "lastUpdatedTime", "intValue": now_ms, "operator": "GT"}}) == set()


def test_text_search_on_one_attribute(catalog):
    assert found(catalog, {"filter": {"attribute": "name", "value": "orders", "operator": "TEXT_SEARCH"}}) == {
        "orders", "archive"}
    # "region" is in the description of Store Sales only, never in a name.
    assert found(catalog, {"filter": {"attribute": "description", "value": "region", "operator": "TEXT_SEARCH"}}) == {
        "sales"}
    assert found(catalog, {"filter": {"attribute": "name", "value": "region", "operator": "TEXT_SEARCH"}}) == set()
    assert found(catalog, {"filter": {"attribute": "Quality.steward", "value": "ALI", "operator": "TEXT_SEARCH"}}) == {
        "orders", "sales"}


def test_filters_combine_with_search_text(catalog):
    response = search(catalog, searchText="orders",
                      filters={"filter": {"attribute": "Quality.region", "value": "us"}})
    assert keys(catalog, response) == ["archive"] and response["totalMatchCount"] == 1


STEWARD_ALICE = {"filter": {"attribute": "Quality.steward", "value": "alice"}}


@pytest.mark.parametrize("text, filters, expected", [
    # EQ on attribute rows: said as full-text tokens, the engine matches them with the text
    ("orders", STEWARD_ALICE, {"orders"}),
    ("orders", {"or": [{"filter": {"attribute": "Quality.steward", "value": "bob"}},
                       {"and": [{"filter": {"attribute": "Quality.region", "value": "eu"}}, STEWARD_ALICE]}]},
     {"archive", "orders"}),
    ("sales", {"filter": {"attribute": "__DataZoneGlossaryTerms", "value": "churn"}}, set()),  # an id, not a name
    ("orders", {"filter": {"attribute": "Quality.steward", "value": "Alice"}}, set()),  # EQ is exact
    # tokens and SQL together: an AND splits, a mixed OR stays SQL
    ("orders", {"and": [STEWARD_ALICE, {"filter": {"attribute": "Quality.rowCount", "intValue": 100, "operator": "GE"}}]},
     {"orders"}),
    ("orders", {"or": [{"filter": {"attribute": "Quality.steward", "value": "bob"}},
                       {"filter": {"attribute": "Quality.rowCount", "intValue": 200, "operator": "LT"}}]},
     {"archive", "orders"}),
    ("orders", {"and": [STEWARD_ALICE, {"filter": {"attribute": "name", "value": "orders", "operator": "TEXT_SEARCH"}}]},
     {"orders"}),
])
def test_filters_with_search_text_match_like_filters_alone(catalog, text, filters, expected):
    response = search(catalog, searchText=text, filters=filters)
    assert set(keys(catalog, response)) == expected and response["totalMatchCount"] == len(expected)


def test_glossary_term_filters_with_search_text(catalog):
    terms = "__DataZoneGlossaryTerms"
    assert found(catalog, {"filter": {"attribute": terms, "value": catalog.term_churn}}, searchText="sales") == {"sales"}
    assert found(catalog, {"filter": {"attribute": terms, "value": catalog.term_churn}}, searchText="orders") == set()
    assert found(catalog, {"or": [{"filter": {"attribute": terms, "value": catalog.term_churn}},
                                  {"filter": {"attribute": terms, "value": catalog.term_revenue}}]},
                 searchText="orders") == {"orders"}


def test_bad_filters_are_refused_naming_the_attribute(catalog):
    dz = catalog.consumer.dz
    code, message = error_of(dz.search_listings, domainIdentifier=catalog.domain_id,
                             filters={"filter": {"attribute": "colour", "value": "red"}})
    assert code == "ValidationException" and "colour" in message
    code, message = error_of(dz.search_listings, domainIdentifier=catalog.domain_id,
                             filters={"filter": {"attribute": "Quality.note", "value": "n"}})
    assert code == "ValidationException" and "Quality.note" in message  # not searchable: not indexed
    code, message = error_of(dz.search_listings, domainIdentifier=catalog.domain_id,
                             filters={"filter": {"attribute": "Quality.rowCount", "operator": "LT", "value": "5"}})
    assert code == "ValidationException" and "intValue" in message
    code, message = error_of(dz.search_listings, domainIdentifier=catalog.domain_id,
                             filters={"filter": {"attribute": "owningProjectId", "operator": "GT", "intValue": 5}})
    assert code == "ValidationException" and "owningProjectId" in message
    code, message = error_of(dz.search_listings, domainIdentifier=catalog.domain_id,
                             sort={"attribute": "colour"})
    assert code == "ValidationException" and "colour" in message
    code, message = error_of(dz.search_listings, domainIdentifier=catalog.domain_id,
                             aggregations=[{"attribute": "colour"}])
    assert code == "ValidationException" and "colour" in message


def test_sort_and_paging(catalog):
    by_rows = search(catalog, sort={"attribute": "Quality.rowCount", "order": "DESCENDING"})
    assert keys(catalog, by_rows) == ["archive", "orders", "sales"]
    by_name = search(catalog, sort={"attribute": "name", "order": "ASCENDING"})
    assert keys(catalog, by_name) == ["orders", "archive", "sales"]
    first = search(catalog, maxResults=2, sort={"attribute": "name"})
    assert first["totalMatchCount"] == 3 and len(first["items"]) == 2 and first["nextToken"]
    second = search(catalog, maxResults=2, sort={"attribute": "name"}, nextToken=first["nextToken"])
    assert keys(catalog, second) == ["sales"] and "nextToken" not in second
    # Relevance with text, then sorted by a form field instead.
    ranked = search(catalog, searchText="orders", sort={"attribute": "Quality.rowCount", "order": "ASCENDING"})
    assert keys(catalog, ranked) == ["orders", "archive"]


def test_aggregations_count_the_matches(catalog):
    response = search(catalog, aggregations=[{"attribute": "Quality.steward", "displayValue": "Steward"},
                                             {"attribute": "owningProjectId"},
                                             {"attribute": "__DataZoneGlossaryTerms"}])
    steward, project, terms = response["aggregates"]
    assert steward["attribute"] == "Quality.steward" and steward["displayValue"] == "Steward"
    assert [(i["value"], i["count"]) for i in steward["items"]] == [("alice", 2), ("bob", 1)]
    assert [(i["value"], i["count"], i["displayValue"]) for i in project["items"]] == [(catalog.sales_id, 3, "Sales")]
    assert [(i["displayValue"], i["count"]) for i in terms["items"]] == [("Revenue", 2), ("Churn", 1)]
    # With text and a filter: only what matched is counted.
    narrowed = search(catalog, searchText="orders", filters={"filter": {"attribute": "Quality.region", "value": "us"}},
                      aggregations=[{"attribute": "Quality.steward"}, {"attribute": "Quality.region"}])
    steward, region = narrowed["aggregates"]
    assert [(i["value"], i["count"]) for i in steward["items"]] == [("bob", 1)]
    assert [(i["value"], i["count"]) for i in region["items"]] == [("us", 1)]
    # Column facets under text count exactly the documents returned (a quoted phrase drops some matches).
    for text, expected in (("orders", 2), ('"customer orders"', 1)):
        response = search(catalog, searchText=text, aggregations=[{"attribute": "owningProjectId"},
                                                                  {"attribute": "amazonmetadata.typeName"}])
        project, typed = response["aggregates"]
        assert response["totalMatchCount"] == expected
        assert [(i["value"], i["count"], i["displayValue"]) for i in project["items"]] == [(catalog.sales_id, expected, "Sales")]
        assert [(i["value"], i["count"]) for i in typed["items"]] == [(catalog.asset_type, expected)]


def test_match_rationale_names_the_field_and_offsets(catalog):
    response = search(catalog, searchText="orders", additionalAttributes=["TEXT_MATCH_RATIONALE"])
    item = next(i["assetListing"] for i in response["items"] if i["assetListing"]["listingId"] == catalog.listings["orders"])
    matches = {m["attribute"]: m for m in item["additionalAttributes"]["matchRationale"][0]["textMatches"]}
    name = matches["name"]
    assert name["text"] == "Customer Orders"
    assert [(o["startOffset"], o["endOffset"]) for o in name["matchOffsets"]] == [(9, 15)]
    # "order" (singular) in the description matches "orders" too.
    description = matches["description"]
    assert description["text"][description["matchOffsets"][0]["startOffset"]:description["matchOffsets"][0]["endOffset"]] == "order"
    # Without the attribute asked for, no rationale.
    plain = search(catalog, searchText="orders")
    assert all("matchRationale" not in (i["assetListing"].get("additionalAttributes") or {}) for i in plain["items"])
    # A form field's match is named <formName>.<field>.
    by_form = search(catalog, searchText="alice", additionalAttributes=["TEXT_MATCH_RATIONALE", "FORMS"])
    assert {keys(catalog, by_form)[0], keys(catalog, by_form)[1]} == {"orders", "sales"}
    first = by_form["items"][0]["assetListing"]["additionalAttributes"]
    assert [m["attribute"] for m in first["matchRationale"][0]["textMatches"]] == ["Quality.steward"]
    assert '"steward": "alice"' in first["forms"]
