"""Form content against its Smithy model: types, required fields, constraints, nesting; the system forms."""

import json

import pytest

from openzone.catalog.form_content import FormContentError, validate_content
from openzone.catalog.smithy import parse_form_model
from openzone.catalog.system_forms import (READ_ONLY_FORM_TYPES, SYSTEM_FORM_MODELS, form_name,
                                           system_form_model)

MODEL = parse_form_model("CustomerProfileFormType", '''
structure CustomerProfileFormType {
    @required customerId: String
    @length(min: 2, max: 5) nickname: String
    @pattern("^[^@]+@[^@]+$") email: String
    @range(min: 0, max: 150) age: Integer
    visits: Long
    tiny: Byte
    score: Double
    balance: BigDecimal
    big: BigInteger
    vip: Boolean
    since: Timestamp
    tier: Tier
    level: Level
    @enum([{value: "red"}, {value: "blue"}]) colour: String
    address: Address
    @length(max: 3) columns: Columns
    labels: Labels
}
structure Address { @required city: String, zip: String }
list Columns { member: Column }
structure Column { @required columnName: String, dataType: String }
map Labels { key: String, @length(max: 4) value: String }
enum Tier { GOLD, SILVER = "silver" }
intEnum Level { LOW = 1, HIGH = 2 }
''')

FULL = {
    "customerId": "c-1", "nickname": "bob", "email": "bob@example.com", "age": 42, "visits": 2 ** 40,
    "tiny": -128, "score": 0.5, "balance": 10, "big": 2 ** 100, "vip": True, "since": 1700000000,
    "tier": "silver", "level": 2, "colour": "red", "address": {"city": "Lyon"},
    "columns": [{"columnName": "id", "dataType": "int"}, {"columnName": "name"}], "labels": {"env": "prod"},
}


def check(content, model=MODEL, form="CustomerProfileForm"):
    return validate_content(form, model, content)


def refused(content, model=MODEL) -> str:
    with pytest.raises(FormContentError) as raised:
        check(content, model)
    return str(raised.value)


def test_valid_content_as_string_or_dict():
    assert check(FULL) == FULL
    assert check(json.dumps(FULL)) == FULL
    assert check({"customerId": "c"}) == {"customerId": "c"}


def test_nulls_of_optional_fields_are_dropped():
    assert check({"customerId": "c", "email": None, "address": {"city": "x", "zip": None}}) == \
        {"customerId": "c", "address": {"city": "x"}}


@pytest.mark.parametrize("since", [0, 1.5, "2024-01-31T10:00:00Z", "2024-01-31T10:00:00+02:00", "2024-01-31"])
def test_timestamps_epoch_or_iso(since):
    assert check({"customerId": "c", "since": since})["since"] == since


def test_content_must_be_a_json_object():
    assert refused("{nope").startswith("Form CustomerProfileForm: content is not valid JSON")
    assert refused("[1]") == "Form CustomerProfileForm: content must be a JSON object"
    assert refused([1]) == "Form CustomerProfileForm: content must be a JSON object"


@pytest.mark.parametrize("content, message", [
    ({}, "field customerId is required"),
    ({"customerId": None}, "field customerId is required"),
    ({"customerId": "c", "address": {}}, "field address.city is required"),
    ({"customerId": "c", "columns": [{"columnName": "a"}, {"dataType": "int"}]}, "field columns[1].columnName is required"),
    ({"customerId": "c", "extra": 1}, "field extra is not defined in CustomerProfileFormType"),
    ({"customerId": "c", "address": {"city": "x", "street": "y"}}, "field address.street is not defined in Address"),
    ({"customerId": 7}, "field customerId must be a String"),
    ({"customerId": "c", "age": "42"}, "field age must be an Integer"),
    ({"customerId": "c", "age": 4.2}, "field age must be an Integer"),
    ({"customerId": "c", "age": True}, "field age must be an Integer"),
    ({"customerId": "c", "age": 2 ** 31}, "field age is out of range for Integer (32-bit)"),
    ({"customerId": "c", "visits": 2 ** 63}, "field visits is out of range for Long (64-bit)"),
    ({"customerId": "c", "tiny": 128}, "field tiny is out of range for Byte (8-bit)"),
    ({"customerId": "c", "big": 1.5}, "field big must be a BigInteger"),
    ({"customerId": "c", "score": "1"}, "field score must be a Double"),
    ({"customerId": "c", "score": float("nan")}, "field score must be a Double"),
    ({"customerId": "c", "balance": False}, "field balance must be a BigDecimal"),
    ({"customerId": "c", "vip": "true"}, "field vip must be a Boolean"),
    ({"customerId": "c", "vip": 1}, "field vip must be a Boolean"),
    ({"customerId": "c", "since": "yesterday"}, "field since must be a Timestamp (epoch seconds or an ISO 8601 date-time)"),
    ({"customerId": "c", "since": True}, "field since must be a Timestamp (epoch seconds or an ISO 8601 date-time)"),
    ({"customerId": "c", "nickname": "b"}, "field nickname has length 1, outside @length(min: 2, max: 5)"),
    ({"customerId": "c", "nickname": "bobbybob"}, "field nickname has length 8, outside @length(min: 2, max: 5)"),
    ({"customerId": "c", "age": -1}, "field age is -1, outside @range(min: 0, max: 150)"),
    ({"customerId": "c", "age": 151}, "field age is 151, outside @range(min: 0, max: 150)"),
    ({"customerId": "c", "email": "nope"}, 'field email does not match @pattern("^[^@]+@[^@]+$")'),
    ({"customerId": "c", "tier": "GOLDEN"}, "field tier must be one of GOLD, silver"),
    ({"customerId": "c", "tier": "SILVER"}, "field tier must be one of GOLD, silver"),  # the value, not the name
    ({"customerId": "c", "tier": 1}, "field tier must be a String"),
    ({"customerId": "c", "level": 3}, "field level must be one of 1, 2"),
    ({"customerId": "c", "level": "LOW"}, "field level must be an Integer"),
    ({"customerId": "c", "colour": "green"}, "field colour must be one of red, blue"),
    ({"customerId": "c", "address": "Lyon"}, "field address must be a structure Address (a JSON object)"),
    ({"customerId": "c", "columns": {"columnName": "a"}}, "field columns must be a list Columns (a JSON array)"),
    ({"customerId": "c", "columns": [{"columnName": "a"}] * 4}, "field columns has length 4, outside @length(max: 3)"),
    ({"customerId": "c", "columns": [{"columnName": "a"}, {"columnName": "b", "dataType": 5}]},
     "field columns[1].dataType must be a String"),
    ({"customerId": "c", "columns": [None]}, "field columns[0] must not be null"),
    ({"customerId": "c", "columns": ["a"]}, "field columns[0] must be a structure Column (a JSON object)"),
    ({"customerId": "c", "labels": ["env"]}, "field labels must be a map Labels (a JSON object)"),
    ({"customerId": "c", "labels": {"env": 1}}, "field labels.env must be a String"),
    ({"customerId": "c", "labels": {"env": "production"}}, "field labels.env has length 10, outside @length(max: 4)"),
    ({"customerId": "c", "labels": {"env": None}}, "field labels.env must not be null"),
])
def test_each_rule_names_form_field_and_rule(content, message):
    assert refused(content) == f"Form CustomerProfileForm: {message}"


def test_imported_form_types_validate_recursively():
    address = parse_form_model("AddressFormType", "structure AddressFormType { @required street: String }")
    model = parse_form_model("X", "structure X { home: AddressFormType }", lambda name: address)
    assert check({"home": {"street": "Main"}}, model) == {"home": {"street": "Main"}}
    assert refused({"home": {}}, model) == "Form CustomerProfileForm: field home.street is required"


EXAMPLES = {
    "GlueTableFormType": {
        "databaseName": "sales", "tableName": "orders", "catalogId": "123456789012", "region": "us-east-1",
        "tableArn": "arn:aws:glue:us-east-1:123456789012:table/sales/orders", "sourceClassification": "parquet",
        "sourceLocation": "s3://lake/sales/orders/", "tableDescription": "One row per order.",
        "columns": [{"columnName": "order_id", "dataType": "bigint", "columnDescription": "Order key",
                     "lakeFormationTags": {"pii": "false"}}, {"columnName": "amount", "dataType": "decimal(10,2)"}],
        "lakeFormationDetails": {"lakeFormationManagedTable": True, "lakeFormationTags": {"domain": "sales"}},
    },
    "GlueViewFormType": {
        "databaseName": "sales", "tableName": "big_orders", "query": "SELECT * FROM orders WHERE amount > 100",
        "columns": [{"columnName": "order_id", "dataType": "bigint"}],
    },
    "RedshiftTableFormType": {
        "databaseName": "dev", "schemaName": "public", "tableName": "customers", "accountId": "123456789012",
        "region": "eu-west-1", "redshiftStorage": {"redshiftServerlessSource": {"workgroupName": "analytics"}},
        "columns": [{"columnName": "customer_id", "dataType": "integer"}],
    },
    "RedshiftViewFormType": {
        "databaseName": "dev", "schemaName": "public", "tableName": "active_customers",
        "redshiftStorage": {"redshiftClusterSource": {"clusterName": "main"}}, "query": "SELECT 1",
    },
    "S3ObjectCollectionFormType": {"bucketArn": "arn:aws:s3:::my-lake", "prefix": "raw/events/", "region": "us-east-1"},
    "ColumnBusinessMetadataFormType": {"columnsBusinessMetadata": [
        {"columnIdentifier": "cust_nm", "name": "Customer name", "description": "Full name",
         "glossaryTerms": ["term-1", "term-2"]}]},
    "AssetCommonDetailsFormType": {"sourceIdentifier": "arn:aws:glue:us-east-1:123456789012:table/sales/orders",
                                   "summary": "Orders", "readMe": "# Orders\nOne row per order."},
    "DataSourceReferenceFormType": {"dataSourceIdentifier": "ds-123", "dataSourceRunId": "run-456"},
    "OpenzoneAccessExpiryFormType": {"expiresAt": "2027-01-31T00:00:00Z"},
    "OpenzoneSubscriptionTermsFormType": {"approvalRequired": False, "terms": "Internal use only"},
    "DataProvenanceFormType": {"provider": "Open Weather Ltd", "licence": "CC-BY-4.0",
                               "source": "https://example.org/weather", "product": "daily-observations"},
    "SuggestionFormType": {"status": "SUCCEEDED", "generator": "builtin", "suggestions": [
        {"predictionTarget": "ss_qty_sld", "kind": "COLUMN_BUSINESS_NAME", "status": "ACCEPTED",
         "columnName": "ss_qty_sld", "acceptedValue": "Quantity Sold", "edited": True,
         "predictions": [{"predictionChoice": 0, "value": "Store Sales Quantity Sold", "confidence": 0.93,
                          "source": "builtin", "status": "REJECTED"}]}]},
}


@pytest.mark.parametrize("type_name", sorted(SYSTEM_FORM_MODELS))
def test_system_forms_parse_round_trip_and_accept_realistic_content(type_name):
    model = system_form_model(type_name)
    assert model.name == type_name and model.namespace == "amazon.datazone"
    assert parse_form_model(type_name, model.to_smithy()) == model
    content = EXAMPLES[type_name]
    assert validate_content(form_name(type_name), model, json.dumps(content)) == content
    assert model.searchable_paths(), "users search every system form by something"


def test_system_forms_are_looked_up_by_short_or_full_name_and_refuse_bad_content():
    assert system_form_model("amazon.datazone.GlueTableFormType") is system_form_model("GlueTableFormType")
    assert form_name("amazon.datazone.GlueTableFormType") == "GlueTableForm"
    assert READ_ONLY_FORM_TYPES <= set(SYSTEM_FORM_MODELS)
    glue = system_form_model("GlueTableFormType")
    assert "columns.columnName" in glue.searchable_paths()
    with pytest.raises(FormContentError, match="Form GlueTableForm: field tableName is required"):
        validate_content("GlueTableForm", glue, {"databaseName": "sales"})
    with pytest.raises(FormContentError, match=r"Form S3ObjectCollectionForm: field bucketArn does not match"):
        validate_content("S3ObjectCollectionForm", system_form_model("S3ObjectCollectionFormType"),
                         {"bucketArn": "my-lake"})
    with pytest.raises(KeyError):
        system_form_model("NoSuchFormType")


def test_the_glue_form_openzone_builds_today_is_valid():
    content = {"catalogId": "123456789012", "databaseName": "db", "tableName": "t", "region": "us-east-1",
               "tableArn": "arn:aws:glue:us-east-1:123456789012:table/db/t", "sourceClassification": "iceberg",
               "tableDescription": "", "columns": [{"columnName": "id", "dataType": "INTEGER"}]}
    assert validate_content("GlueTableForm", system_form_model("GlueTableFormType"), content) == content
