"""Rules enforced through boto3: publishing and subscription requests are refused until the required
metadata forms (filled, valid) or glossary terms are there, for what is in the rule's scope only."""

import json

import pytest

from governance.govworld import S3_TYPE, error_of, new_gov


@pytest.fixture
def gov(server):
    return new_gov(server)


def forms_rule(gov, form: str, action: str = "CREATE_LISTING_CHANGE_SET", **scope) -> dict:
    return gov.rule({"metadataFormEnforcementDetail": {"requiredMetadataForms": [
        {"typeIdentifier": form, "typeRevision": "1"}]}}, action=action,
        scope=scope or {"assetType": {"selectionMode": "ALL"}})


def stewardship(form: str, content: dict | None = None) -> dict:
    return {"formName": "Stewardship", "typeIdentifier": form, "typeRevision": "1",
            "content": json.dumps(content if content is not None else {"owner": "sales-team"})}


def test_publishing_is_refused_until_the_required_form_is_filled(gov):
    form = gov.form_type()
    rule = forms_rule(gov, form)
    asset = gov.s3_asset()
    code, message = error_of(gov.publish, asset_id=asset["id"])
    assert code == "ValidationException"
    assert form in message and rule["name"] in message and "revision 1" in message
    # a form of the right type whose content misses a required field cannot be attached at all
    code, message = error_of(gov.producer.dz.create_asset_revision, domainIdentifier=gov.domain_id,
                             identifier=asset["id"], name=asset["name"], formsInput=[stewardship(form, {})])
    assert code == "ValidationException" and "owner" in message
    revised = gov.producer.dz.create_asset_revision(domainIdentifier=gov.domain_id, identifier=asset["id"],
                                                    name=asset["name"], formsInput=[stewardship(form)])
    listing = gov.publish(asset["id"])
    assert listing["status"] == "ACTIVE"
    fetched = gov.consumer.dz.get_listing(domainIdentifier=gov.domain_id, identifier=listing["listingId"])
    assert json.loads(fetched["item"]["assetListing"]["forms"])["Stewardship"] == {"owner": "sales-team"}
    assert revised["revision"] == "2"


def test_the_form_must_be_at_the_rules_revision(gov):
    form = gov.form_type()
    asset = gov.s3_asset([stewardship(form)])
    # revision 2 of the same form type: the rule pins it, the asset carries revision 1
    gov.producer.dz.create_form_type(domainIdentifier=gov.domain_id, name=form, owningProjectIdentifier=gov.sales_id,
                                     model={"smithy": f'$version: "2"\nnamespace example.forms\n'
                                                      f'structure {form} {{\n    note: String\n}}\n'})
    gov.rule({"metadataFormEnforcementDetail": {"requiredMetadataForms": [
        {"typeIdentifier": form, "typeRevision": "2"}]}})
    code, message = error_of(gov.publish, asset_id=asset["id"])
    assert code == "ValidationException" and f"{form} revision 2" in message


def test_an_empty_form_does_not_satisfy_a_rule(gov):
    optional = f"Optional{gov.domain_id[-6:]}FormType"
    gov.producer.dz.create_form_type(domainIdentifier=gov.domain_id, name=optional,
                                     owningProjectIdentifier=gov.sales_id,
                                     model={"smithy": f'$version: "2"\nnamespace example.forms\n'
                                                      f'structure {optional} {{\n    note: String\n}}\n'})
    forms_rule(gov, optional)
    asset = gov.s3_asset([{"formName": "Optional", "typeIdentifier": optional, "content": "{}"}])
    code, message = error_of(gov.publish, asset_id=asset["id"])
    assert code == "ValidationException" and "empty" in message
    gov.producer.dz.create_asset_revision(
        domainIdentifier=gov.domain_id, identifier=asset["id"], name=asset["name"],
        formsInput=[{"formName": "Optional", "typeIdentifier": optional, "content": json.dumps({"note": "x"})}])
    assert gov.publish(asset["id"])["status"] == "ACTIVE"


def test_rules_apply_only_within_their_scope(gov):
    form = gov.form_type()
    forms_rule(gov, form, assetType={"selectionMode": "SPECIFIC", "specificAssetTypes": [S3_TYPE]},
               project={"selectionMode": "SPECIFIC", "specificProjects": [gov.analytics_id]})
    forms_rule(gov, form, dataProduct=True)
    # Sales is outside the first rule's projects, and an asset is not a data product
    assert gov.publish(gov.s3_asset()["id"])["status"] == "ACTIVE"
    forms_rule(gov, form, assetType={"selectionMode": "SPECIFIC", "specificAssetTypes": ["S3ObjectCollectionAssetType"]},
               project={"selectionMode": "ALL"})
    code, _ = error_of(gov.publish, asset_id=gov.s3_asset()["id"])
    assert code == "ValidationException"


def test_rules_on_a_child_unit_do_not_reach_root_projects(gov):
    child = gov.admin.dz.create_domain_unit(domainIdentifier=gov.domain_id, name="Finance",
                                            parentDomainUnitIdentifier=gov.root_unit_id)
    form = gov.form_type()
    gov.rule({"metadataFormEnforcementDetail": {"requiredMetadataForms": [
        {"typeIdentifier": form, "typeRevision": "1"}]}}, unit=child["id"])
    assert gov.publish(gov.s3_asset()["id"])["status"] == "ACTIVE"


def test_rules_on_a_child_unit_bind_the_projects_created_in_it(gov):
    child = gov.admin.dz.create_domain_unit(domainIdentifier=gov.domain_id, name="Ledger",
                                            parentDomainUnitIdentifier=gov.root_unit_id)
    ledger = gov.producer.dz.create_project(domainIdentifier=gov.domain_id, name="Ledger team",
                                            domainUnitId=child["id"])
    assert ledger["domainUnitId"] == child["id"]
    assert gov.producer.dz.get_project(domainIdentifier=gov.domain_id,
                                       identifier=ledger["id"])["domainUnitId"] == child["id"]
    form = gov.form_type()
    rule = gov.rule({"metadataFormEnforcementDetail": {"requiredMetadataForms": [
        {"typeIdentifier": form, "typeRevision": "1"}]}}, unit=child["id"])
    asset = gov.s3_asset()
    in_child = gov.producer.dz.create_asset(
        domainIdentifier=gov.domain_id, owningProjectIdentifier=ledger["id"], name="Journal", typeIdentifier=S3_TYPE,
        formsInput=[{"formName": "S3ObjectCollectionForm", "content": json.dumps({"bucketArn": "arn:aws:s3:::ledger"})}])
    code, message = error_of(gov.publish, asset_id=in_child["id"])
    assert code == "ValidationException" and rule["identifier"] in message
    assert gov.publish(asset["id"])["status"] == "ACTIVE"  # Sales sits in the root unit


def test_a_project_cannot_be_created_in_another_domains_unit(server, gov):
    other = new_gov(server)
    for unit in (other.root_unit_id, "nosuchunit0000"):
        code, message = error_of(gov.producer.dz.create_project, domainIdentifier=gov.domain_id, name="Nowhere",
                                 domainUnitId=unit)
        assert code == "ValidationException" and f"domainUnitId {unit}" in message


def test_unpublishing_and_deleted_rules_are_not_enforced(gov):
    form = gov.form_type()
    asset = gov.s3_asset()
    gov.publish(asset["id"])
    rule = forms_rule(gov, form)
    unpublished = gov.producer.dz.create_listing_change_set(domainIdentifier=gov.domain_id, entityType="ASSET",
                                                            entityIdentifier=asset["id"], action="UNPUBLISH")
    assert unpublished["status"] == "INACTIVE"
    code, _ = error_of(gov.publish, asset_id=asset["id"])
    assert code == "ValidationException"
    gov.admin.dz.delete_rule(domainIdentifier=gov.domain_id, identifier=rule["identifier"])
    assert gov.publish(asset["id"])["status"] == "ACTIVE"


def test_glossary_term_enforcement_on_publishing(gov):
    dz = gov.producer.dz
    glossary = dz.create_glossary(domainIdentifier=gov.domain_id, name="Business", owningProjectIdentifier=gov.sales_id)
    pii = dz.create_glossary_term(domainIdentifier=gov.domain_id, glossaryIdentifier=glossary["id"], name="PII")
    rule = gov.rule({"glossaryTermEnforcementDetail": {"requiredGlossaryTermIds": [pii["id"]]}})
    assert rule["ruleType"] == "GLOSSARY_TERM_ENFORCEMENT"
    code, message = error_of(gov.publish, asset_id=gov.s3_asset()["id"])
    assert code == "ValidationException" and pii["id"] in message
    assert gov.publish(gov.s3_asset(glossaryTerms=[pii["id"]])["id"])["status"] == "ACTIVE"


def request(gov, listing_id: str, forms: list[dict] | None = None) -> dict:
    extra = {"metadataForms": forms} if forms is not None else {}
    return gov.consumer.dz.create_subscription_request(
        domainIdentifier=gov.domain_id, requestReason="reporting", subscribedListings=[{"identifier": listing_id}],
        subscribedPrincipals=[{"project": {"identifier": gov.analytics_id}}], **extra)


def test_subscription_requests_must_carry_the_required_forms(gov):
    form = gov.form_type()
    listing = gov.publish(gov.s3_asset()["id"])
    rule = forms_rule(gov, form, action="CREATE_SUBSCRIPTION_REQUEST")
    code, message = error_of(request, gov=gov, listing_id=listing["listingId"])
    assert code == "ValidationException" and form in message and rule["name"] in message
    code, message = error_of(request, gov=gov, listing_id=listing["listingId"],
                             forms=[stewardship(form, {"retentionDays": 3})])
    assert code == "ValidationException" and "owner" in message and "required" in message
    code, message = error_of(request, gov=gov, listing_id=listing["listingId"],
                             forms=[stewardship(form, {"owner": "x", "retentionDays": "long"})])
    assert code == "ValidationException" and "retentionDays" in message
    made = request(gov, listing["listingId"], [stewardship(form, {"owner": "analytics", "retentionDays": 30})])
    assert made["status"] == "PENDING"
    assert json.loads(made["metadataForms"][0]["content"]) == {"owner": "analytics", "retentionDays": 30}


def test_subscription_rules_follow_the_listings_scope(gov):
    form = gov.form_type()
    forms_rule(gov, form, action="CREATE_SUBSCRIPTION_REQUEST",
               project={"selectionMode": "SPECIFIC", "specificProjects": [gov.analytics_id]},
               assetType={"selectionMode": "ALL"})
    # the rule names the subscriber's project, but rules follow the publishing project: Sales is not in scope
    listing = gov.publish(gov.s3_asset()["id"])
    assert request(gov, listing["listingId"])["status"] == "PENDING"


def test_publishing_rules_do_not_bind_subscription_requests(gov):
    form = gov.form_type()
    listing = gov.publish(gov.s3_asset([stewardship(form)])["id"])
    forms_rule(gov, form)
    assert request(gov, listing["listingId"])["status"] == "PENDING"


def test_a_subscription_form_is_matched_by_type_and_revision(gov):
    form = gov.form_type()
    listing = gov.publish(gov.s3_asset()["id"])
    forms_rule(gov, form, action="CREATE_SUBSCRIPTION_REQUEST")
    code, message = error_of(request, gov=gov, listing_id=listing["listingId"],
                             forms=[stewardship(form) | {"typeRevision": "2"}])
    assert code == "ValidationException" and "must be at revision 1, not 2" in message
    code, message = error_of(request, gov=gov, listing_id=listing["listingId"],
                             forms=[stewardship(form) | {"typeIdentifier": "NoSuchFormType"}])
    assert code == "ValidationException" and "NoSuchFormType" in message
    # without a typeIdentifier, the form name stands for the type (DataZone's formName = type name minus "Type")
    by_name = {"formName": form.removesuffix("Type"), "content": json.dumps({"owner": "analytics"})}
    assert request(gov, listing["listingId"], [by_name])["status"] == "PENDING"
