"""Governed terms and column terms in search, through boto3: filters, text, rendering, and the index following
AssociateGovernedTerms / DisassociateGovernedTerms and term renames in the same transaction."""

import json
import uuid

import pytest

from governance.govworld import new_gov
from openzone.db.session import session_scope
from openzone.search import index
from openzone.search.models import SearchDocument

TERMS = "__DataZoneGlossaryTerms"


@pytest.fixture(scope="module")
def gov(server):
    gov = new_gov(server)
    dz = gov.producer.dz
    restricted = dz.create_glossary(domainIdentifier=gov.domain_id, name="Classification",
                                    owningProjectIdentifier=gov.sales_id, usageRestrictions=["ASSET_GOVERNED_TERMS"])
    business = dz.create_glossary(domainIdentifier=gov.domain_id, name="Business", owningProjectIdentifier=gov.sales_id)
    gov.secret = dz.create_glossary_term(domainIdentifier=gov.domain_id, glossaryIdentifier=restricted["id"],
                                         name="Platypus Secret", shortDescription="highly sensitive")["id"]
    gov.margin = dz.create_glossary_term(domainIdentifier=gov.domain_id, glossaryIdentifier=business["id"],
                                         name="Quokka Margin", shortDescription="what is left")["id"]
    gov.revenue = dz.create_glossary_term(domainIdentifier=gov.domain_id, glossaryIdentifier=business["id"],
                                          name="Revenue", shortDescription="money in")["id"]
    gov.database_url = server.settings.database_url
    return gov


def inventory(gov, caller=None, **kwargs) -> dict:
    return (caller or gov.producer).dz.search(domainIdentifier=gov.domain_id, searchScope="ASSET", **kwargs)


def listings(gov, **kwargs) -> dict:
    return gov.consumer.dz.search_listings(domainIdentifier=gov.domain_id, **kwargs)


def asset_ids(response) -> set[str]:
    return {item["assetItem"]["identifier"] for item in response["items"]}


def listing_ids(response) -> set[str]:
    return {item["assetListing"]["listingId"] for item in response["items"]}


def term_filter(term_id: str) -> dict:
    return {"filter": {"attribute": TERMS, "value": term_id}}


def problems_of(gov, *entity_ids: str) -> list[str]:
    """index.verify's findings about these entities (the database is shared with other modules' tests)."""
    with session_scope(gov.database_url) as session:
        return [p for p in index.verify(session.connection()) if any(i in p for i in entity_ids)]


def associate(gov, asset_id: str, term_id: str, action: str = "associate") -> None:
    getattr(gov.producer.dz, f"{action}_governed_terms")(
        domainIdentifier=gov.domain_id, entityType="ASSET", entityIdentifier=asset_id, governedGlossaryTerms=[term_id])


def test_governed_terms_are_filtered_searched_and_shown_and_follow_association(gov):
    asset = gov.s3_asset(glossaryTerms=[gov.revenue])
    listing = gov.publish(asset["id"])["listingId"]
    assert asset_ids(inventory(gov, filters=term_filter(gov.secret))) == set()
    assert listing_ids(listings(gov, filters=term_filter(gov.secret))) == set()

    associate(gov, asset["id"], gov.secret)
    # The asset's document and its listing's change with the association, without a republish.
    assert asset_ids(inventory(gov, filters=term_filter(gov.secret))) == {asset["id"]}
    assert asset_ids(inventory(gov, searchText="platypus")) == {asset["id"]}
    [item] = listings(gov, filters=term_filter(gov.secret))["items"]
    shown = item["assetListing"]
    assert shown["listingId"] == listing
    assert shown["governedGlossaryTerms"] == [{"name": "Platypus Secret", "shortDescription": "highly sensitive"}]
    assert shown["glossaryTerms"] == [{"name": "Revenue", "shortDescription": "money in"}]
    assert listing_ids(listings(gov, searchText="platypus secret")) == {listing}
    [item] = inventory(gov, searchText="platypus")["items"]
    assert item["assetItem"]["governedGlossaryTerms"] == [gov.secret]
    assert item["assetItem"]["glossaryTerms"] == [gov.revenue]
    # Facets count governed terms with the others.
    facet = listings(gov, searchText="platypus", aggregations=[{"attribute": TERMS}])["aggregates"][0]
    assert {(i["value"], i["displayValue"], i["count"]) for i in facet["items"]} == {
        (gov.secret, "Platypus Secret", 1), (gov.revenue, "Revenue", 1)}
    # Members of other projects do not see the inventory, governed terms or not.
    assert inventory(gov, caller=gov.consumer, filters=term_filter(gov.secret))["totalMatchCount"] == 0
    assert problems_of(gov, asset["id"], listing) == []

    associate(gov, asset["id"], gov.secret, "disassociate")
    assert asset_ids(inventory(gov, filters=term_filter(gov.secret))) == set()
    assert asset_ids(inventory(gov, searchText="platypus")) == set()
    assert listing_ids(listings(gov, filters=term_filter(gov.secret))) == set()
    assert listing_ids(listings(gov, searchText="platypus")) == set()
    [item] = listings(gov, filters=term_filter(gov.revenue), searchText=asset["name"])["items"]
    assert "governedGlossaryTerms" not in item["assetListing"]
    assert problems_of(gov, asset["id"], listing) == []


def column_form(terms: list[str]) -> dict:
    return {"formName": "ColumnBusinessMetadataForm",
            "typeIdentifier": "amazon.datazone.ColumnBusinessMetadataFormType",
            "content": json.dumps({"columnsBusinessMetadata": [
                {"columnIdentifier": "id"}, {"columnIdentifier": "net", "name": "Net", "glossaryTerms": terms}]})}


def test_column_terms_count_as_glossary_terms_and_their_names_as_column_text(gov):
    asset = gov.s3_asset([column_form([gov.margin])], description=f"plain {uuid.uuid4().hex[:6]}")
    listing = gov.publish(asset["id"])["listingId"]
    assert asset_ids(inventory(gov, filters=term_filter(gov.margin))) == {asset["id"]}
    assert listing_ids(listings(gov, filters=term_filter(gov.margin))) == {listing}
    assert asset_ids(inventory(gov, searchText="quokka margin")) == {asset["id"]}
    assert listing_ids(listings(gov, searchText="quokka")) == {listing}
    with session_scope(gov.database_url) as session:
        docs = session.query(SearchDocument).filter(SearchDocument.entity_id.in_([asset["id"], listing])).all()
        # Column weight: the names are column text; the ids are not form text.
        assert len(docs) == 2 and all("quokka" in d.column_terms.split() for d in docs)
        assert all(gov.margin not in d.form_terms and "quokka" not in d.form_terms for d in docs)

    # A renamed column term is found by its new name (the documents carrying it are rewritten).
    gov.producer.dz.update_glossary_term(domainIdentifier=gov.domain_id, identifier=gov.margin, name="Wombat Margin")
    assert listing_ids(listings(gov, searchText="wombat")) == {listing}
    assert asset_ids(inventory(gov, searchText="wombat")) == {asset["id"]}
    assert listing_ids(listings(gov, searchText="quokka")) == set()
    assert problems_of(gov, asset["id"], listing) == []
