"""Governed (restricted) glossary terms on assets and glossary terms on single columns, through boto3."""

import json
import uuid

import pytest

from governance.govworld import error_of, new_gov


@pytest.fixture(scope="module")
def gov(server):
    gov = new_gov(server)
    dz = gov.producer.dz
    restricted = dz.create_glossary(domainIdentifier=gov.domain_id, name="Classification",
                                    owningProjectIdentifier=gov.sales_id, usageRestrictions=["ASSET_GOVERNED_TERMS"])
    open_glossary = dz.create_glossary(domainIdentifier=gov.domain_id, name="Business",
                                       owningProjectIdentifier=gov.sales_id)
    gov.pii = dz.create_glossary_term(domainIdentifier=gov.domain_id, glossaryIdentifier=restricted["id"], name="PII",
                                      shortDescription="personal data")
    gov.pci = dz.create_glossary_term(domainIdentifier=gov.domain_id, glossaryIdentifier=restricted["id"], name="PCI")
    gov.revenue = dz.create_glossary_term(domainIdentifier=gov.domain_id, glossaryIdentifier=open_glossary["id"],
                                          name="Revenue", shortDescription="money in")
    gov.retired = dz.create_glossary_term(domainIdentifier=gov.domain_id, glossaryIdentifier=open_glossary["id"],
                                          name="Retired", status="DISABLED")
    return gov


def associate(gov, asset_id: str, terms: list[str], caller=None) -> dict:
    return (caller or gov.producer).dz.associate_governed_terms(
        domainIdentifier=gov.domain_id, entityType="ASSET", entityIdentifier=asset_id, governedGlossaryTerms=terms)


def test_governed_terms_are_attached_apart_from_glossary_terms(gov):
    asset = gov.s3_asset(glossaryTerms=[gov.revenue["id"]])
    assert "governedGlossaryTerms" not in asset
    associate(gov, asset["id"], [gov.pii["id"], gov.pci["id"], gov.pii["id"]])
    fetched = gov.producer.dz.get_asset(domainIdentifier=gov.domain_id, identifier=asset["id"])
    assert fetched["governedGlossaryTerms"] == [gov.pii["id"], gov.pci["id"]]
    assert fetched["glossaryTerms"] == [gov.revenue["id"]]
    associate(gov, asset["id"], [gov.pii["id"]])  # already there: nothing changes
    gov.producer.dz.disassociate_governed_terms(domainIdentifier=gov.domain_id, entityType="ASSET",
                                                entityIdentifier=asset["id"], governedGlossaryTerms=[gov.pci["id"]])
    fetched = gov.producer.dz.get_asset(domainIdentifier=gov.domain_id, identifier=asset["id"])
    assert fetched["governedGlossaryTerms"] == [gov.pii["id"]]
    # they belong to the asset, not to a revision
    revised = gov.producer.dz.create_asset_revision(domainIdentifier=gov.domain_id, identifier=asset["id"],
                                                    name="Renamed")
    assert revised["governedGlossaryTerms"] == [gov.pii["id"]]
    code, _ = error_of(gov.producer.dz.disassociate_governed_terms, domainIdentifier=gov.domain_id,
                       entityType="ASSET", entityIdentifier=asset["id"], governedGlossaryTerms=[gov.pci["id"]])
    assert code == "ValidationException"


def test_listings_show_glossary_and_governed_terms(gov):
    asset = gov.s3_asset(glossaryTerms=[gov.revenue["id"]])
    associate(gov, asset["id"], [gov.pii["id"]])
    listing = gov.publish(asset["id"])
    item = gov.consumer.dz.get_listing(domainIdentifier=gov.domain_id,
                                       identifier=listing["listingId"])["item"]["assetListing"]
    assert item["glossaryTerms"] == [{"name": "Revenue", "shortDescription": "money in"}]
    assert item["governedGlossaryTerms"] == [{"name": "PII", "shortDescription": "personal data"}]


def test_restricted_terms_are_refused_as_plain_glossary_terms_and_the_other_way_round(gov):
    code, message = error_of(gov.s3_asset, glossaryTerms=[gov.pii["id"]])
    assert code == "ValidationException" and "AssociateGovernedTerms" in message
    asset = gov.s3_asset()
    code, message = error_of(associate, gov=gov, asset_id=asset["id"], terms=[gov.revenue["id"]])
    assert code == "ValidationException" and "not in a restricted glossary" in message
    code, message = error_of(associate, gov=gov, asset_id=asset["id"], terms=["nosuchterm"])
    assert code == "ValidationException" and "nosuchterm" in message


def test_who_may_apply_governed_terms(gov, server):
    asset = gov.s3_asset()
    # a contributor of the asset's project who does not own the glossary's project may not
    contributor = server.user()
    gov.admin.dz.create_user_profile(domainIdentifier=gov.domain_id, userIdentifier=contributor.arn)
    gov.producer.dz.create_project_membership(domainIdentifier=gov.domain_id, projectIdentifier=gov.sales_id,
                                              member={"userIdentifier": contributor.arn},
                                              designation="PROJECT_CONTRIBUTOR")
    code, _ = error_of(associate, gov=gov, asset_id=asset["id"], terms=[gov.pii["id"]], caller=contributor)
    assert code == "AccessDeniedException"
    # someone outside the asset's project does not even see the asset
    code, _ = error_of(associate, gov=gov, asset_id=asset["id"], terms=[gov.pii["id"]], caller=gov.consumer)
    assert code == "ResourceNotFoundException"
    code, _ = error_of(gov.producer.dz.associate_governed_terms, domainIdentifier=gov.domain_id,
                       entityType="ASSET", entityIdentifier="nosuchasset", governedGlossaryTerms=[gov.pii["id"]])
    assert code == "ResourceNotFoundException"
    associate(gov, asset["id"], [gov.pii["id"]])  # the glossary project's owner may


def column_form(terms: list[str], column: str = "amount") -> dict:
    return {"formName": "ColumnBusinessMetadataForm",
            "typeIdentifier": "amazon.datazone.ColumnBusinessMetadataFormType",
            "content": json.dumps({"columnsBusinessMetadata": [
                {"columnIdentifier": "id"}, {"columnIdentifier": column, "name": "Amount", "glossaryTerms": terms}]})}


def test_columns_carry_glossary_terms_into_the_listing(gov):
    asset = gov.s3_asset([column_form([gov.revenue["id"]])])
    listing = gov.publish(asset["id"])
    forms = json.loads(gov.consumer.dz.get_listing(domainIdentifier=gov.domain_id, identifier=listing["listingId"])
                       ["item"]["assetListing"]["forms"])
    assert forms["ColumnBusinessMetadataForm"]["columnsBusinessMetadata"][1] == {
        "columnIdentifier": "amount", "name": "Amount", "glossaryTerms": [gov.revenue["id"]]}


@pytest.mark.parametrize("term, fragment", [
    ("missing", "not found"), ("retired", "DISABLED"), ("pii", "governed term")])
def test_column_terms_must_be_enabled_plain_terms_of_the_domain(gov, term, fragment):
    term_id = {"missing": f"t{uuid.uuid4().hex[:12]}", "retired": gov.retired["id"], "pii": gov.pii["id"]}[term]
    code, message = error_of(gov.s3_asset, forms=[column_form([term_id], column="total_paid")])
    assert code == "ValidationException"
    assert "column total_paid" in message and term_id in message and fragment in message
