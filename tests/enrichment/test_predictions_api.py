"""Business-name predictions through boto3: generation on CreateAsset/CreateAssetRevision, the SuggestionForm,
AcceptPredictions (choices, edits, accept-all with threshold), RejectPredictions, refusals and events."""

import json
import uuid
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from conftest import Caller
from openzone.catalog.form_content import validate_content
from openzone.catalog.system_forms import system_form_model
from openzone.db.session import session_scope
from openzone.enrichment.names import predict
from openzone.events.models import OutboxEvent
from scenario import build_world, glue_asset, query_rows

COLUMNS = ["ss_sold_date_sk", "ss_item_sk", "ss_cust_acct_bal", "ss_qty_sld", "ss_net_paid"]
ON = {"businessNameGeneration": {"enabled": True}}


@dataclass
class Domain:
    admin: Caller
    producer: Caller
    viewer: Caller
    outsider: Caller
    domain_id: str
    project_id: str


@pytest.fixture(scope="module")
def domain(server) -> Domain:
    admin, producer, viewer, outsider = server.user(admin=True), server.user(), server.user(), server.user()
    made = admin.dz.create_domain(name=f"Names-{uuid.uuid4().hex[:6]}",
                                  domainExecutionRole="arn:aws:iam::000000000000:role/dz")
    for caller in (producer, viewer, outsider):
        admin.dz.create_user_profile(domainIdentifier=made["id"], userIdentifier=caller.arn)
    project = producer.dz.create_project(domainIdentifier=made["id"], name="Retail")
    producer.dz.create_project_membership(domainIdentifier=made["id"], projectIdentifier=project["id"],
                                          member={"userIdentifier": viewer.arn}, designation="PROJECT_CATALOG_VIEWER")
    return Domain(admin, producer, viewer, outsider, made["id"], project["id"])


def table_asset(domain: Domain, columns=COLUMNS, table="store_sales", configuration=ON, **extra) -> dict:
    content = {"databaseName": "dev", "schemaName": "public", "tableName": table,
               "columns": [{"columnName": c, "dataType": "int"} for c in columns]}
    params = {"domainIdentifier": domain.domain_id, "owningProjectIdentifier": domain.project_id,
              "name": table, "typeIdentifier": "amazon.datazone.RedshiftTableAssetType",
              "formsInput": [{"formName": "RedshiftTableForm", "content": json.dumps(content)}], **extra}
    if configuration is not None:
        params["predictionConfiguration"] = configuration
    return domain.producer.dz.create_asset(**params)


def get(domain: Domain, asset_id: str, caller: Caller | None = None, **kwargs) -> dict:
    return (caller or domain.producer).dz.get_asset(domainIdentifier=domain.domain_id, identifier=asset_id, **kwargs)


def suggestions(asset: dict) -> dict[str, dict]:
    form = next(f for f in asset.get("readOnlyFormsOutput", []) if f["formName"] == "SuggestionForm")
    assert form["typeName"] == "amazon.datazone.SuggestionFormType"
    # The content is what the registered system form type describes.
    validate_content(form["formName"], system_form_model(form["typeName"]), form["content"])
    return {t["predictionTarget"]: t for t in json.loads(form["content"])["suggestions"]}


def column_names(asset: dict) -> dict[str, str]:
    form = next((f for f in asset["formsOutput"] if f["formName"] == "ColumnBusinessMetadataForm"), None)
    if form is None:
        return {}
    return {e["columnIdentifier"]: e.get("name") for e in json.loads(form["content"])["columnsBusinessMetadata"]}


def accept(domain: Domain, asset_id: str, caller: Caller | None = None, **kwargs) -> dict:
    return (caller or domain.producer).dz.accept_predictions(domainIdentifier=domain.domain_id,
                                                             identifier=asset_id, **kwargs)


def reject(domain: Domain, asset_id: str, caller: Caller | None = None, **kwargs) -> dict:
    return (caller or domain.producer).dz.reject_predictions(domainIdentifier=domain.domain_id,
                                                             identifier=asset_id, **kwargs)


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def events(server, domain_id: str, detail_type: str) -> list[dict]:
    with session_scope(server.settings.metadata_url) as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.domain_id == domain_id,
                                                         OutboxEvent.detail_type == detail_type)
                               .order_by(OutboxEvent.seq))
        return [row.envelope for row in rows]


# Generation


def test_generation_predicts_the_table_every_column_and_a_description(server, domain):
    asset = table_asset(domain)
    assert asset["predictionConfiguration"] == ON
    targets = suggestions(asset)
    assert set(targets) == {"asset:name", "asset:description", *COLUMNS}
    assert targets["asset:name"]["predictions"][0]["value"] == "Store Sales"
    assert targets["ss_qty_sld"]["predictions"][0]["value"] == "Store Sales Quantity Sold"
    assert targets["ss_cust_acct_bal"]["predictions"][0]["value"] == "Store Sales Customer Account Balance"
    assert targets["asset:description"]["predictions"][0]["value"].startswith("Store Sales: 5 columns including")
    for target in targets.values():
        assert target["status"] == "PENDING"
        top = target["predictions"][0]
        assert top["predictionChoice"] == 0 and 0 < top["confidence"] <= 1 and top["status"] == "PENDING"
    # Predictions are offered, not applied: the asset keeps its name until someone accepts.
    read = get(domain, asset["id"])
    assert read["name"] == "store_sales" and column_names(read) == {}
    assert suggestions(read) == targets and "predictionConfiguration" not in read
    [event] = [e for e in events(server, domain.domain_id, "Business Name Generation Succeeded")
               if e["detail"]["metadata"]["id"] == asset["id"]]
    assert event["source"] == "aws.datazone" and event["detail"]["metadata"]["version"] == "1"
    assert event["detail"]["data"]["predictionTargets"] == 7 and event["detail"]["data"]["generator"] == "builtin"


def test_the_suggestion_form_type_is_a_system_form_type(domain):
    form_type = domain.producer.dz.get_form_type(domainIdentifier=domain.domain_id,
                                                 formTypeIdentifier="amazon.datazone.SuggestionFormType")
    assert form_type["name"] == "amazon.datazone.SuggestionFormType"
    assert "structure SuggestionFormType" in form_type["model"]["smithy"]


def test_without_generation_there_are_no_predictions(server, domain):
    for configuration in (None, {"businessNameGeneration": {"enabled": False}}):
        asset = table_asset(domain, configuration=configuration)
        assert asset["predictionConfiguration"] == {"businessNameGeneration": {"enabled": False}}
        assert "readOnlyFormsOutput" not in asset and "readOnlyFormsOutput" not in get(domain, asset["id"])
        assert not [e for e in events(server, domain.domain_id, "Business Name Generation Succeeded")
                    if e["detail"]["metadata"]["id"] == asset["id"]]
        code, message = error_of(accept, domain, asset["id"], acceptRule={"rule": "ALL"})
        assert code == "ValidationException" and "no predictions" in message


def test_an_asset_without_columns_gets_a_name_and_description(domain):
    asset = domain.producer.dz.create_asset(
        domainIdentifier=domain.domain_id, owningProjectIdentifier=domain.project_id, name="cust_dim_hist",
        typeIdentifier="amazon.datazone.S3ObjectCollectionAssetType", predictionConfiguration=ON,
        formsInput=[{"formName": "S3ObjectCollectionForm",
                     "content": json.dumps({"bucketArn": "arn:aws:s3:::lake", "prefix": "cust/"})}])
    targets = suggestions(asset)
    assert set(targets) == {"asset:name", "asset:description"}
    assert targets["asset:name"]["predictions"][0]["value"] == "Customer Dimension History"


def test_a_revision_regenerates_for_new_columns_and_keeps_the_setting(domain):
    asset = table_asset(domain, columns=["inv_qty_on_hand"], table="inventory")
    revised = domain.producer.dz.create_asset_revision(
        domainIdentifier=domain.domain_id, identifier=asset["id"], name="inventory",
        formsInput=[{"formName": "RedshiftTableForm", "content": json.dumps(
            {"databaseName": "dev", "schemaName": "public", "tableName": "inventory",
             "columns": [{"columnName": c, "dataType": "int"} for c in ("inv_qty_on_hand", "inv_wh_sk")]})}])
    assert revised["revision"] == "2" and revised["predictionConfiguration"] == ON
    targets = suggestions(revised)
    assert targets["inv_qty_on_hand"]["predictions"][0]["value"] == "Inventory Quantity on Hand"
    assert "inv_wh_sk" in targets
    off = domain.producer.dz.create_asset_revision(domainIdentifier=domain.domain_id, identifier=asset["id"],
                                                   name="inventory",
                                                   predictionConfiguration={"businessNameGeneration": {"enabled": False}})
    assert off["predictionConfiguration"] == {"businessNameGeneration": {"enabled": False}}
    assert "readOnlyFormsOutput" not in off
    # Older revisions keep the predictions they were offered.
    assert "inv_wh_sk" in suggestions(get(domain, asset["id"], revision="2"))


KAFKA_SMITHY = '''$version: "2"
namespace example.forms

structure {name} {{
    @required
    tableName: String
    columns: FieldList
}}

list FieldList {{
    member: Field
}}

structure Field {{
    @required
    columnName: String
}}
'''


def test_a_custom_asset_type_with_columns_gets_column_names_in_an_extra_form(domain):
    dz, form = domain.producer.dz, f"Topic{uuid.uuid4().hex[:6]}FormType"
    dz.create_form_type(domainIdentifier=domain.domain_id, name=form, owningProjectIdentifier=domain.project_id,
                        model={"smithy": KAFKA_SMITHY.format(name=form)})
    asset_type = f"Topic_{uuid.uuid4().hex[:6]}"
    dz.create_asset_type(domainIdentifier=domain.domain_id, name=asset_type, owningProjectIdentifier=domain.project_id,
                         formsInput={"Topic": {"typeIdentifier": form, "typeRevision": "1", "required": True}})
    content = {"tableName": "cust_ordr_evt", "columns": [{"columnName": "ordr_dt"}, {"columnName": "cust_id"}]}
    asset = dz.create_asset(domainIdentifier=domain.domain_id, owningProjectIdentifier=domain.project_id,
                            name="cust_ordr_evt", typeIdentifier=asset_type, predictionConfiguration=ON,
                            formsInput=[{"formName": "Topic", "content": json.dumps(content)}])
    assert set(suggestions(asset)) == {"asset:name", "asset:description", "ordr_dt", "cust_id"}
    accept(domain, asset["id"], acceptChoices=[{"predictionTarget": "cust_id", "editedValue": "Customer"}])
    read = get(domain, asset["id"])
    extra = next(f for f in read["formsOutput"] if f["formName"] == "ColumnBusinessMetadataForm")
    assert extra["typeName"] == "amazon.datazone.ColumnBusinessMetadataFormType"
    assert column_names(read) == {"cust_id": "Customer"}
    # A second acceptance merges into the same form.
    accept(domain, asset["id"], acceptChoices=[{"predictionTarget": "ordr_dt"}])
    assert set(column_names(get(domain, asset["id"]))) == {"cust_id", "ordr_dt"}


def test_a_glue_table_gets_predictions_for_the_columns_of_its_real_table(server):
    world = build_world(server)
    query_rows(world.producer, world.sales_env["id"],
               "CREATE TABLE web_returns AS SELECT 1 AS wr_item_sk, 2.5 AS wr_return_amt, 'x' AS wr_reason_desc")
    plain = glue_asset(world.producer, world, "web_returns", "web_returns")
    revised = world.producer.dz.create_asset_revision(domainIdentifier=world.domain_id, identifier=plain["id"],
                                                      name="web_returns", predictionConfiguration=ON)
    targets = suggestions(revised)
    assert set(targets) == {"asset:name", "asset:description", "wr_item_sk", "wr_return_amt", "wr_reason_desc"}
    # The columns come from the warehouse table, named by the built-in generator.
    expected = predict("web_returns", ["wr_item_sk", "wr_return_amt", "wr_reason_desc"]).column_names
    assert {c: targets[c]["predictions"][0]["value"] for c in expected} == expected
    accepted = world.producer.dz.accept_predictions(domainIdentifier=world.domain_id, identifier=plain["id"],
                                                    acceptRule={"rule": "ALL"})
    read = world.producer.dz.get_asset(domainIdentifier=world.domain_id, identifier=plain["id"])
    assert read["revision"] == accepted["revision"] == "3" and read["name"] == "Web Returns"
    assert column_names(read) == expected


# Accepting


def test_accept_choices_and_edited_values_make_a_new_revision(server, domain):
    asset = table_asset(domain)
    answer = accept(domain, asset["id"], revision="1", acceptChoices=[
        {"predictionTarget": "asset:name", "predictionChoice": 0},
        {"predictionTarget": "ss_net_paid"},
        {"predictionTarget": "ss_qty_sld", "editedValue": "Units Sold"},
        {"predictionTarget": "asset:description", "editedValue": "Every sale made in a store."}])
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (answer["domainId"], answer["assetId"], answer["revision"]) == (domain.domain_id, asset["id"], "2")
    read = get(domain, asset["id"])
    assert read["revision"] == "2" and read["name"] == "Store Sales"
    assert read["description"] == "Every sale made in a store."
    assert column_names(read) == {"ss_net_paid": "Store Sales Net Paid", "ss_qty_sld": "Units Sold"}
    targets = suggestions(read)
    assert targets["ss_qty_sld"]["status"] == "ACCEPTED" and targets["ss_qty_sld"]["acceptedValue"] == "Units Sold"
    assert targets["asset:name"]["predictions"][0]["status"] == "ACCEPTED"
    assert targets["ss_item_sk"]["status"] == "PENDING"
    # Revision 1 stays as it was: immutable.
    first = get(domain, asset["id"], revision="1")
    assert first["name"] == "store_sales" and suggestions(first)["ss_qty_sld"]["status"] == "PENDING"
    # A decided target is no longer on offer.
    code, message = error_of(accept, domain, asset["id"], acceptChoices=[{"predictionTarget": "ss_qty_sld"}])
    assert code == "ValidationException" and "ss_qty_sld" in message
    [event] = [e for e in events(server, domain.domain_id, "Metadata Generation Accepted")
               if e["detail"]["metadata"]["id"] == asset["id"]]
    assert event["detail"]["data"]["assetRevision"] == "2"
    assert sorted(event["detail"]["data"]["predictionTargets"]) == sorted(
        ["asset:name", "ss_net_paid", "ss_qty_sld", "asset:description"])


def test_accept_all_takes_the_top_prediction_above_the_threshold(domain):
    asset = table_asset(domain, columns=["ss_qty_sld", "ss_zqxw_vbn"])
    targets = suggestions(asset)
    low = targets["ss_zqxw_vbn"]["predictions"][0]["confidence"]
    high = targets["ss_qty_sld"]["predictions"][0]["confidence"]
    assert low < 0.9 <= high
    answer = accept(domain, asset["id"], acceptRule={"rule": "ALL", "threshold": 0.9})
    read = get(domain, asset["id"])
    assert answer["revision"] == read["revision"] == "2"
    assert column_names(read) == {"ss_qty_sld": "Store Sales Quantity Sold"}
    assert suggestions(read)["ss_zqxw_vbn"]["status"] == "PENDING"
    # NONE accepts nothing by rule: nothing to decide, no new revision.
    assert accept(domain, asset["id"], acceptRule={"rule": "NONE"},
                  acceptChoices=[{"predictionTarget": "ss_zqxw_vbn"}])["revision"] == "3"
    assert accept(domain, asset["id"], acceptRule={"rule": "ALL", "threshold": 1.0})["revision"] == "3"
    assert get(domain, asset["id"])["revision"] == "3"


def test_accept_is_refused_for_bad_input(domain):
    asset = table_asset(domain)
    cases = [
        ({}, "acceptChoices"),
        ({"acceptChoices": [{"predictionTarget": "no_such_column"}]}, "no_such_column"),
        ({"acceptChoices": [{"predictionTarget": "ss_item_sk", "predictionChoice": 7}]}, "predictionChoice 7"),
        ({"acceptChoices": [{"predictionTarget": "ss_item_sk"}, {"predictionTarget": "ss_item_sk"}]}, "more than once"),
        ({"acceptChoices": [{"predictionTarget": "asset:name", "editedValue": "x" * 300}]}, "editedValue"),
        ({"acceptRule": {"rule": "ALL", "threshold": 1.5}}, "threshold"),
        ({"acceptRule": {"rule": "ALL"}, "revision": "abc"}, "abc"),
    ]
    for kwargs, words in cases:
        code, message = error_of(accept, domain, asset["id"], **kwargs)
        assert (code, words in message) == ("ValidationException", True), (kwargs, message)
    assert get(domain, asset["id"])["revision"] == "1"  # nothing was half-applied


def test_only_the_latest_revision_can_be_decided(domain):
    asset = table_asset(domain)
    accept(domain, asset["id"], acceptChoices=[{"predictionTarget": "asset:name"}])
    code, message = error_of(accept, domain, asset["id"], revision="1", acceptRule={"rule": "ALL"})
    assert code == "ConflictException" and "latest" in message
    assert error_of(reject, domain, asset["id"], revision="1", rejectRule={"rule": "ALL"})[0] == "ConflictException"
    assert error_of(accept, domain, asset["id"], revision="9", acceptRule={"rule": "ALL"})[0] == \
        "ResourceNotFoundException"


def test_only_owners_and_contributors_decide(domain):
    asset = table_asset(domain)
    assert get(domain, asset["id"], caller=domain.viewer)["id"] == asset["id"]
    assert error_of(accept, domain, asset["id"], caller=domain.viewer,
                    acceptRule={"rule": "ALL"})[0] == "AccessDeniedException"
    assert error_of(reject, domain, asset["id"], caller=domain.viewer,
                    rejectRule={"rule": "ALL"})[0] == "AccessDeniedException"
    for caller in (domain.outsider,):
        assert error_of(accept, domain, asset["id"], caller=caller,
                        acceptRule={"rule": "ALL"})[0] == "ResourceNotFoundException"
    assert error_of(accept, domain, "nosuchasset000", acceptRule={"rule": "ALL"})[0] == "ResourceNotFoundException"
    assert get(domain, asset["id"])["revision"] == "1"


def test_a_client_token_replays_the_first_answer(domain):
    asset = table_asset(domain)
    token = uuid.uuid4().hex
    first = accept(domain, asset["id"], acceptRule={"rule": "ALL"}, clientToken=token)
    again = accept(domain, asset["id"], acceptRule={"rule": "ALL"}, clientToken=token)
    assert first["revision"] == again["revision"] == "2" and get(domain, asset["id"])["revision"] == "2"


def test_an_asset_with_predictions_can_be_deleted(domain):
    asset = table_asset(domain)
    accept(domain, asset["id"], acceptChoices=[{"predictionTarget": "asset:name"}])
    domain.producer.dz.delete_asset(domainIdentifier=domain.domain_id, identifier=asset["id"])
    assert error_of(get, domain, asset["id"])[0] == "ResourceNotFoundException"


# Rejecting


def test_rejected_predictions_are_no_longer_offered(server, domain):
    asset = table_asset(domain)
    answer = reject(domain, asset["id"], revision="1", rejectChoices=[
        {"predictionTarget": "ss_item_sk", "predictionChoices": [0]}, {"predictionTarget": "asset:description"}])
    assert (answer["domainId"], answer["assetId"], answer["assetRevision"]) == (domain.domain_id, asset["id"], "2")
    read = get(domain, asset["id"])
    assert read["revision"] == "2" and read["name"] == "store_sales"
    targets = suggestions(read)
    assert targets["ss_item_sk"]["status"] == "REJECTED"
    assert targets["ss_item_sk"]["predictions"][0]["status"] == "REJECTED"
    assert targets["asset:description"]["status"] == "REJECTED"
    code, message = error_of(accept, domain, asset["id"], acceptChoices=[{"predictionTarget": "ss_item_sk"}])
    assert code == "ValidationException" and "ss_item_sk" in message
    # Accept-all skips what was rejected.
    accept(domain, asset["id"], acceptRule={"rule": "ALL"})
    read = get(domain, asset["id"])
    assert "ss_item_sk" not in column_names(read) and "description" not in read
    assert "ss_net_paid" in column_names(read)
    # A new revision of the same columns does not offer the rejected value again.
    revised = domain.producer.dz.create_asset_revision(domainIdentifier=domain.domain_id, identifier=asset["id"],
                                                       name=read["name"])
    again = suggestions(revised)
    assert again["ss_item_sk"]["status"] == "REJECTED" and again["ss_net_paid"]["status"] == "ACCEPTED"
    assert [e for e in events(server, domain.domain_id, "Metadata Generation Rejected")
            if e["detail"]["metadata"]["id"] == asset["id"]]


def test_reject_all_below_the_threshold(domain):
    asset = table_asset(domain, columns=["ss_qty_sld", "ss_zqxw_vbn"])
    answer = reject(domain, asset["id"], rejectRule={"rule": "ALL", "threshold": 0.9})
    targets = suggestions(get(domain, asset["id"]))
    assert answer["assetRevision"] == "2"
    assert targets["ss_zqxw_vbn"]["status"] == "REJECTED" and targets["ss_qty_sld"]["status"] == "PENDING"
    code, message = error_of(reject, domain, asset["id"], rejectChoices=[
        {"predictionTarget": "ss_qty_sld", "predictionChoices": [3]}])
    assert code == "ValidationException" and "predictionChoice 3" in message
    assert error_of(reject, domain, asset["id"])[0] == "ValidationException"
