"""Rules through boto3: create, read, list, update, delete; who may manage them; what input is refused."""

import uuid

import pytest

from governance.govworld import S3_TYPE, error_of, new_gov


@pytest.fixture
def gov(server):
    return new_gov(server)


def forms_detail(*refs) -> dict:
    return {"metadataFormEnforcementDetail": {"requiredMetadataForms": [
        {"typeIdentifier": name, "typeRevision": "1"} for name in refs]}}


def test_create_get_and_list_a_rule(gov):
    form = gov.form_type()
    created = gov.rule(forms_detail(form), description="steward known",
                       scope={"assetType": {"selectionMode": "SPECIFIC", "specificAssetTypes": [S3_TYPE]},
                              "project": {"selectionMode": "SPECIFIC", "specificProjects": [gov.sales_id]}})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["ruleType"] == "METADATA_FORM_ENFORCEMENT" and created["targetType"] == "DOMAIN_UNIT"
    assert created["target"] == {"domainUnitTarget": {"domainUnitId": gov.root_unit_id,
                                                      "includeChildDomainUnits": False}}
    assert created["detail"] == forms_detail(form) and created["action"] == "CREATE_LISTING_CHANGE_SET"
    fetched = gov.producer.dz.get_rule(domainIdentifier=gov.domain_id, identifier=created["identifier"])
    assert fetched["revision"] == "1" and fetched["name"] == created["name"]
    assert fetched["scope"] == created["scope"] and fetched["description"] == "steward known"
    assert fetched["createdBy"] == fetched["lastUpdatedBy"] == created["createdBy"]
    listed = gov.consumer.dz.list_rules(domainIdentifier=gov.domain_id, targetType="DOMAIN_UNIT",
                                        targetIdentifier=gov.root_unit_id)["items"]
    assert [item["identifier"] for item in listed] == [created["identifier"]]
    assert listed[0]["scope"] == created["scope"] and listed[0]["revision"] == "1"


def test_list_filters(gov):
    form = gov.form_type()
    sales_only = gov.rule(forms_detail(form), scope={
        "assetType": {"selectionMode": "ALL"},
        "project": {"selectionMode": "SPECIFIC", "specificProjects": [gov.sales_id]}})
    requests = gov.rule(forms_detail(form), action="CREATE_SUBSCRIPTION_REQUEST",
                        scope={"assetType": {"selectionMode": "SPECIFIC", "specificAssetTypes": [S3_TYPE]}})
    products = gov.rule(forms_detail(form), scope={"dataProduct": True})

    def ids(**filters):
        items = gov.admin.dz.list_rules(domainIdentifier=gov.domain_id, targetType="DOMAIN_UNIT",
                                        targetIdentifier=gov.root_unit_id, **filters)["items"]
        return {item["identifier"] for item in items}

    assert ids() == {sales_only["identifier"], requests["identifier"], products["identifier"]}
    assert ids(action="CREATE_SUBSCRIPTION_REQUEST") == {requests["identifier"]}
    assert ids(projectIds=[gov.analytics_id]) == {requests["identifier"], products["identifier"]}
    assert ids(assetTypes=["S3ObjectCollectionAssetType"]) == {sales_only["identifier"], requests["identifier"]}
    assert ids(dataProduct=True) == {products["identifier"]}
    assert ids(ruleType="GLOSSARY_TERM_ENFORCEMENT") == set()


def test_update_makes_a_new_revision_and_old_ones_stay_readable(gov):
    first, second = gov.form_type(), gov.form_type()
    rule = gov.rule(forms_detail(first))
    updated = gov.admin.dz.update_rule(domainIdentifier=gov.domain_id, identifier=rule["identifier"], name="Renamed",
                                       detail=forms_detail(first, second), includeChildDomainUnits=True)
    assert updated["revision"] == "2" and updated["name"] == "Renamed"
    assert updated["target"]["domainUnitTarget"]["includeChildDomainUnits"] is True
    assert updated["detail"] == forms_detail(first, second)
    old = gov.admin.dz.get_rule(domainIdentifier=gov.domain_id, identifier=rule["identifier"], revision="1")
    assert old["name"] == rule["name"] and old["detail"] == forms_detail(first)
    latest = gov.admin.dz.get_rule(domainIdentifier=gov.domain_id, identifier=rule["identifier"])
    assert latest["revision"] == "2" and latest["name"] == "Renamed"
    code, message = error_of(gov.admin.dz.update_rule, domainIdentifier=gov.domain_id, identifier=rule["identifier"],
                             detail={"glossaryTermEnforcementDetail": {"requiredGlossaryTermIds": ["x"]}})
    assert code == "ValidationException"


def test_delete_a_rule(gov):
    rule = gov.rule(forms_detail(gov.form_type()))
    gov.admin.dz.delete_rule(domainIdentifier=gov.domain_id, identifier=rule["identifier"])
    code, _ = error_of(gov.admin.dz.get_rule, domainIdentifier=gov.domain_id, identifier=rule["identifier"])
    assert code == "ResourceNotFoundException"


def test_only_owners_of_the_unit_manage_rules(gov, server):
    form = gov.form_type()
    code, _ = error_of(gov.rule, detail=forms_detail(form), caller=gov.producer)
    assert code == "AccessDeniedException"
    rule = gov.rule(forms_detail(form))
    for call in (gov.producer.dz.update_rule, gov.producer.dz.delete_rule):
        code, _ = error_of(call, domainIdentifier=gov.domain_id, identifier=rule["identifier"])
        assert code == "AccessDeniedException"
    # a child unit's owner governs that unit, not the root
    child = gov.admin.dz.create_domain_unit(domainIdentifier=gov.domain_id, name="Finance",
                                            parentDomainUnitIdentifier=gov.root_unit_id)
    stranger = server.user()
    code, _ = error_of(stranger.dz.get_rule, domainIdentifier=gov.domain_id, identifier=rule["identifier"])
    assert code == "ResourceNotFoundException"
    code, _ = error_of(gov.rule, detail=forms_detail(form), caller=gov.producer, unit=child["id"])
    assert code == "AccessDeniedException"


def test_the_domain_creator_owns_the_root_unit_without_being_an_administrator(server):
    """Rights come from the root unit's owners: hand one to a plain user and they may manage rules there."""
    gov = new_gov(server)
    unit = gov.consumer.dz.get_domain_unit(domainIdentifier=gov.domain_id, identifier=gov.root_unit_id)
    assert len(unit["owners"]) == 1  # the creating administrator; a plain user is not an owner
    code, _ = error_of(gov.rule, detail=forms_detail(gov.form_type()), caller=gov.consumer)
    assert code == "AccessDeniedException"


def test_cascaded_rules_are_listed_for_child_units(gov):
    child = gov.admin.dz.create_domain_unit(domainIdentifier=gov.domain_id, name="Finance",
                                            parentDomainUnitIdentifier=gov.root_unit_id)
    form = gov.form_type()
    cascading = gov.admin.dz.create_rule(
        domainIdentifier=gov.domain_id, name="Cascading", action="CREATE_LISTING_CHANGE_SET",
        target={"domainUnitTarget": {"domainUnitId": gov.root_unit_id, "includeChildDomainUnits": True}},
        scope={"assetType": {"selectionMode": "ALL"}}, detail=forms_detail(form))
    gov.rule(forms_detail(form))  # root only

    def ids(**extra):
        return [item["identifier"] for item in gov.admin.dz.list_rules(
            domainIdentifier=gov.domain_id, targetType="DOMAIN_UNIT", targetIdentifier=child["id"], **extra)["items"]]

    assert ids() == []
    assert ids(includeCascaded=True) == [cascading["identifier"]]


@pytest.mark.parametrize("change, fragment", [
    ({"detail": {"metadataFormEnforcementDetail": {"requiredMetadataForms": [
        {"typeIdentifier": "NoSuchFormType", "typeRevision": "1"}]}}}, "NoSuchFormType"),
    ({"scope": {"assetType": {"selectionMode": "SPECIFIC", "specificAssetTypes": ["NoSuchAssetType"]}}},
     "NoSuchAssetType"),
    ({"scope": {"assetType": {"selectionMode": "SPECIFIC"}}}, "specificAssetTypes"),
    ({"scope": {"assetType": {"selectionMode": "ALL"},
                "project": {"selectionMode": "SPECIFIC", "specificProjects": ["nosuchproject"]}}}, "nosuchproject"),
    ({"scope": {"dataProduct": False}}, "applies to nothing"),
    ({"detail": {"glossaryTermEnforcementDetail": {"requiredGlossaryTermIds": ["nosuchterm"]}}}, "nosuchterm"),
    ({"action": "CREATE_SUBSCRIPTION_REQUEST",
      "detail": {"glossaryTermEnforcementDetail": {"requiredGlossaryTermIds": ["anyterm"]}}}, "CREATE_LISTING"),
    ({"target": {"domainUnitTarget": {"domainUnitId": "nosuchunit"}}}, None),
])
def test_bad_rules_are_refused_naming_the_problem(gov, change, fragment):
    params = {"domainIdentifier": gov.domain_id, "name": f"Bad {uuid.uuid4().hex[:4]}",
              "action": "CREATE_LISTING_CHANGE_SET",
              "target": {"domainUnitTarget": {"domainUnitId": gov.root_unit_id}},
              "scope": {"assetType": {"selectionMode": "ALL"}}, "detail": forms_detail(gov.form_type()), **change}
    code, message = error_of(gov.admin.dz.create_rule, **params)
    if fragment is None:
        assert code == "ResourceNotFoundException"
    else:
        assert code == "ValidationException" and fragment in message


def test_list_rules_pages(gov):
    form = gov.form_type()
    made = {gov.rule(forms_detail(form))["identifier"] for _ in range(27)}
    pages = list(gov.admin.dz.get_paginator("list_rules").paginate(
        domainIdentifier=gov.domain_id, targetType="DOMAIN_UNIT", targetIdentifier=gov.root_unit_id,
        PaginationConfig={"PageSize": 25}))
    assert [len(page["items"]) for page in pages] == [25, 2]
    assert {item["identifier"] for page in pages for item in page["items"]} == made
