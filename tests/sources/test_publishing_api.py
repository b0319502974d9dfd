"""publishOnImport goes through the domain's metadata rules: a table that cannot be published is
PUBLISHING_FAILED (its asset is still imported) and the run PARTIALLY_SUCCEEDED; assetFormsInput puts the
required form on every imported asset, which then publishes."""

import json
import uuid

import pytest
from scenario import build_world, query_rows, resource, wait_until

FORM_MODEL = '$version: "2"\nnamespace example\nstructure {name} {{\n    @required\n    steward: String\n}}\n'


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    for name in ("a_orders", "a_items", "b_orders"):
        query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {name} AS SELECT 1 AS id")
    world.db = resource(world.sales_env, "glueProducerDBName")
    world.form = f"Stewardship{uuid.uuid4().hex[:6]}"
    world.producer.dz.create_form_type(domainIdentifier=world.domain_id, name=world.form,
                                       owningProjectIdentifier=world.sales_id,
                                       model={"smithy": FORM_MODEL.format(name=world.form)})
    root = world.admin.dz.get_domain(identifier=world.domain_id)["rootDomainUnitId"]
    world.admin.dz.create_rule(
        domainIdentifier=world.domain_id, name="stewards", action="CREATE_LISTING_CHANGE_SET",
        target={"domainUnitTarget": {"domainUnitId": root}}, scope={"assetType": {"selectionMode": "ALL"}},
        detail={"metadataFormEnforcementDetail": {"requiredMetadataForms": [
            {"typeIdentifier": world.form, "typeRevision": "1"}]}})
    return world


def run(world, name, prefix, **extra):
    dz = world.producer.dz
    source = dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, environmentIdentifier=world.sales_env["id"],
        name=name, type="GLUE", publishOnImport=True,
        configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [
            {"databaseName": world.db, "filterExpressions": [{"type": "INCLUDE", "expression": f"{prefix}*"}]}]}},
        **extra)
    started = dz.start_data_source_run(domainIdentifier=world.domain_id, dataSourceIdentifier=source["id"])
    finished = wait_until(lambda: (lambda r: r if r["status"] not in ("REQUESTED", "RUNNING") else None)(
        dz.get_data_source_run(domainIdentifier=world.domain_id, identifier=started["id"])), timeout=60)
    items = dz.list_data_source_run_activities(domainIdentifier=world.domain_id, identifier=started["id"])["items"]
    return source, finished, {a["technicalName"]: a for a in items}


def test_tables_the_rules_refuse_are_imported_but_not_published(world):
    _, finished, activities = run(world, "no-forms", "a_")
    assert finished["status"] == "PARTIALLY_SUCCEEDED"
    assert finished["runStatisticsForAssets"]["failed"] == 2
    for activity in activities.values():
        assert activity["dataAssetStatus"] == "PUBLISHING_FAILED"
        assert activity["errorMessage"]["errorType"] == "VALIDATION_EXCEPTION"
        assert world.form in activity["errorMessage"]["errorDetail"]
        asset = world.producer.dz.get_asset(domainIdentifier=world.domain_id, identifier=activity["dataAssetId"])
        assert asset.get("listing") is None


def test_asset_forms_input_is_applied_to_every_imported_asset(world):
    forms = [{"formName": "Stewardship", "typeIdentifier": world.form, "typeRevision": "1",
              "content": json.dumps({"steward": "Dana"})}]
    source, finished, activities = run(world, "with-forms", "b_", assetFormsInput=forms)
    assert source["assetFormsOutput"][0]["formName"] == "Stewardship"
    assert finished["status"] == "SUCCESS", activities
    asset = world.producer.dz.get_asset(domainIdentifier=world.domain_id,
                                        identifier=activities["b_orders"]["dataAssetId"])
    given = {f["formName"]: json.loads(f["content"]) for f in asset["formsOutput"]}
    assert given["Stewardship"] == {"steward": "Dana"}
    assert asset["listing"]["listingStatus"] == "ACTIVE"
