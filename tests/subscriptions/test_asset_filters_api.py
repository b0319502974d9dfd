"""Asset filters through boto3: create, read, update, delete, list; validation, status and who may do what."""

import uuid

import pytest
from botocore.exceptions import ClientError

from scenario import build_world, glue_asset, query_rows


@pytest.fixture(scope="module")
def world(server):
    return build_world(server)


@pytest.fixture(scope="module")
def asset(world):
    table = f"people_{uuid.uuid4().hex[:6]}"
    query_rows(world.producer, world.sales_env["id"],
               f"CREATE TABLE {table} AS SELECT * FROM (VALUES (1, 'alice', 'EU', 10.5, DATE '2024-01-01')) "
               "t(id, name, region, amount, day)")
    return glue_asset(world.producer, world, table, "People")


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def _create(caller, world, asset, name, configuration, **extra):
    return caller.dz.create_asset_filter(domainIdentifier=world.domain_id, assetIdentifier=asset["id"], name=name,
                                         configuration=configuration, **extra)


def _rows(rule):
    return {"rowConfiguration": {"rowFilter": rule}}


def _e(operator, column, **operand):
    return {"expression": {operator: {"columnName": column, **operand}}}


def test_column_filter(world, asset):
    made = _create(world.producer, world, asset, "no-pii", {"columnConfiguration": {"includedColumnNames":
                                                                                    ["id", "region"]}},
                   description="Without names")
    assert made["status"] == "VALID" and made["effectiveColumnNames"] == ["id", "region"]
    assert made["assetId"] == asset["id"] and made["domainId"] == world.domain_id
    assert made["description"] == "Without names" and "errorMessage" not in made
    assert made["configuration"] == {"columnConfiguration": {"includedColumnNames": ["id", "region"]}}
    got = world.producer.dz.get_asset_filter(domainIdentifier=world.domain_id, assetIdentifier=asset["id"],
                                             identifier=made["id"])
    assert {k: got[k] for k in made if k != "ResponseMetadata"} == {k: v for k, v in made.items()
                                                                    if k != "ResponseMetadata"}


@pytest.mark.parametrize(("rule", "text"), [
    (_e("equalTo", "region", value="EU"), "region = 'EU'"),
    (_e("notEqualTo", "region", value="EU"), "region <> 'EU'"),
    (_e("greaterThan", "amount", value="10"), "amount > '10'"),
    (_e("greaterThanOrEqualTo", "amount", value="10.5"), "amount >= '10.5'"),
    (_e("lessThan", "day", value="2024-02-01"), "day < '2024-02-01'"),
    (_e("lessThanOrEqualTo", "id", value="3"), "id <= '3'"),
    (_e("in", "region", values=["EU", "UK"]), "region IN ('EU', 'UK')"),
    (_e("notIn", "region", values=["US"]), "NOT region IN ('US')"),
    (_e("isNull", "name"), "name IS NULL"),
    (_e("isNotNull", "name"), "NOT name IS NULL"),
    (_e("like", "name", value="a%"), "name LIKE 'a%'"),
    (_e("notLike", "name", value="a%"), "NOT name LIKE 'a%'"),
    ({"and": [_e("equalTo", "region", value="EU"), {"or": [_e("isNull", "name"), _e("lessThan", "id", value="9")]}]},
     "(region = 'EU') AND ((name IS NULL) OR (id < '9'))"),
])
def test_row_filter_with_every_operator(world, asset, rule, text):
    made = _create(world.producer, world, asset, f"rows-{uuid.uuid4().hex[:8]}", _rows(rule))
    assert made["status"] == "VALID", made.get("errorMessage")
    assert made["effectiveRowFilter"] == text
    assert made["effectiveColumnNames"] == ["id", "name", "region", "amount", "day"]


@pytest.mark.parametrize(("configuration", "message"), [
    ({"columnConfiguration": {"includedColumnNames": ["id", "salary"]}}, "Columns salary do not exist"),
    (_rows(_e("equalTo", "salary", value="1")), "Column salary referenced in the row filter does not exist"),
    (_rows(_e("greaterThan", "amount", value="lots")), "Value 'lots' is not a valid"),
    (_rows(_e("like", "id", value="1%")), "The like operator needs a string column"),
])
def test_filters_that_do_not_fit_the_columns_are_invalid(world, asset, configuration, message):
    made = _create(world.producer, world, asset, f"bad-{uuid.uuid4().hex[:8]}", configuration)
    assert made["status"] == "INVALID" and message in made["errorMessage"]


@pytest.mark.parametrize("configuration", [
    {"columnConfiguration": {"includedColumnNames": []}},
    _rows({"and": []}),
    _rows({"expression": {"in": {"columnName": "id", "values": []}}}),
])
def test_malformed_configurations_are_refused(world, asset, configuration):
    with pytest.raises(ClientError) as refused:
        _create(world.producer, world, asset, f"x-{uuid.uuid4().hex[:8]}", configuration)
    assert _code(refused) == "ValidationException"


def test_update_and_name_conflicts(world, asset):
    dz, ids = world.producer.dz, {"domainIdentifier": world.domain_id, "assetIdentifier": asset["id"]}
    first = _create(world.producer, world, asset, "eu-only", _rows(_e("equalTo", "region", value="EU")))
    _create(world.producer, world, asset, "us-only", _rows(_e("equalTo", "region", value="US")))
    with pytest.raises(ClientError) as taken:
        _create(world.producer, world, asset, "eu-only", _rows(_e("isNull", "id")))
    assert _code(taken) == "ConflictException"
    with pytest.raises(ClientError) as renamed:
        dz.update_asset_filter(**ids, identifier=first["id"], name="us-only")
    assert _code(renamed) == "ConflictException"
    updated = dz.update_asset_filter(**ids, identifier=first["id"], description="EU rows",
                                     configuration=_rows(_e("in", "region", values=["EU", "UK"])))
    assert updated["name"] == "eu-only" and updated["description"] == "EU rows"
    assert updated["effectiveRowFilter"] == "region IN ('EU', 'UK')"
    broken = dz.update_asset_filter(**ids, identifier=first["id"],
                                    configuration={"columnConfiguration": {"includedColumnNames": ["nope"]}})
    assert broken["status"] == "INVALID" and broken["effectiveColumnNames"] == ["nope"]


def test_delete(world, asset):
    dz, ids = world.producer.dz, {"domainIdentifier": world.domain_id, "assetIdentifier": asset["id"]}
    made = _create(world.producer, world, asset, "short-lived", _rows(_e("isNull", "id")))
    dz.delete_asset_filter(**ids, identifier=made["id"])
    for call in (dz.get_asset_filter, dz.delete_asset_filter):
        with pytest.raises(ClientError) as gone:
            call(**ids, identifier=made["id"])
        assert _code(gone) == "ResourceNotFoundException"


def test_list_pages_and_status(world, server):
    table = f"paged_{uuid.uuid4().hex[:6]}"
    query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {table} AS SELECT 1 AS id")
    paged = glue_asset(world.producer, world, table, "Paged")
    for i in range(5):
        _create(world.producer, world, paged, f"f{i}", {"columnConfiguration": {"includedColumnNames":
                                                                                 ["id" if i % 2 else "x"]}})
    ids = {"domainIdentifier": world.domain_id, "assetIdentifier": paged["id"]}
    pages = list(world.producer.dz.get_paginator("list_asset_filters").paginate(**ids, PaginationConfig={"PageSize": 2}))
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert [f["name"] for p in pages for f in p["items"]] == ["f0", "f1", "f2", "f3", "f4"]
    valid = world.producer.dz.list_asset_filters(**ids, status="VALID")["items"]
    assert [f["name"] for f in valid] == ["f1", "f3"] and all("configuration" not in f for f in valid)
    invalid = world.producer.dz.list_asset_filters(**ids, status="INVALID")["items"]
    assert [f["name"] for f in invalid] == ["f0", "f2", "f4"] and "x" in invalid[0]["errorMessage"]


def test_who_may_read_and_write(world, server):
    table = f"guarded_{uuid.uuid4().hex[:6]}"
    query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {table} AS SELECT 1 AS id, 'EU' AS region")
    guarded = glue_asset(world.producer, world, table, "Guarded")
    ids = {"domainIdentifier": world.domain_id, "assetIdentifier": guarded["id"]}
    plain = _create(world.producer, world, guarded, "plain", _rows(_e("equalTo", "region", value="EU")))
    secret = _create(world.producer, world, guarded, "secret",
                     {"rowConfiguration": {"rowFilter": _e("equalTo", "region", value="EU"), "sensitive": True}})
    consumer = world.consumer.dz
    # Unpublished: the asset is another project's inventory, so its filters do not exist for the consumer.
    for call in (lambda: consumer.list_asset_filters(**ids), lambda: consumer.get_asset_filter(**ids, identifier=plain["id"]),
                 lambda: _create(world.consumer, world, guarded, "mine", _rows(_e("isNull", "id")))):
        with pytest.raises(ClientError) as hidden:
            call()
        assert _code(hidden) == "ResourceNotFoundException"
    world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=guarded["id"],
                                                entityType="ASSET", action="PUBLISH")
    # Published: subscribers may read filters to choose them, but neither change them nor read sensitive ones.
    listed = {f["name"]: f for f in consumer.list_asset_filters(**ids)["items"]}
    assert listed["plain"]["effectiveRowFilter"] == "region = 'EU'"
    assert "effectiveRowFilter" not in listed["secret"] and listed["secret"]["effectiveColumnNames"] == ["id", "region"]
    assert consumer.get_asset_filter(**ids, identifier=plain["id"])["name"] == "plain"
    with pytest.raises(ClientError) as sensitive:
        consumer.get_asset_filter(**ids, identifier=secret["id"])
    assert _code(sensitive) == "AccessDeniedException"
    assert world.producer.dz.get_asset_filter(**ids, identifier=secret["id"])["configuration"]["rowConfiguration"][
        "sensitive"] is True
    for call in (lambda: _create(world.consumer, world, guarded, "mine", _rows(_e("isNull", "id"))),
                 lambda: consumer.update_asset_filter(**ids, identifier=plain["id"], name="taken-over"),
                 lambda: consumer.delete_asset_filter(**ids, identifier=plain["id"])):
        with pytest.raises(ClientError) as denied:
            call()
        assert _code(denied) == "AccessDeniedException"
    # A user outside the domain sees nothing at all.
    stranger = server.user().dz
    with pytest.raises(ClientError) as outside:
        stranger.list_asset_filters(**ids)
    assert _code(outside) in ("AccessDeniedException", "ResourceNotFoundException")


def test_an_asset_with_filters_cannot_be_deleted(world):
    table = f"kept_{uuid.uuid4().hex[:6]}"
    query_rows(world.producer, world.sales_env["id"], f"CREATE TABLE {table} AS SELECT 1 AS id")
    kept = glue_asset(world.producer, world, table, "Kept")
    made = _create(world.producer, world, kept, "f", {"columnConfiguration": {"includedColumnNames": ["id"]}})
    with pytest.raises(ClientError) as refused:
        world.producer.dz.delete_asset(domainIdentifier=world.domain_id, identifier=kept["id"])
    assert _code(refused) == "ConflictException"
    world.producer.dz.delete_asset_filter(domainIdentifier=world.domain_id, assetIdentifier=kept["id"],
                                          identifier=made["id"])
    world.producer.dz.delete_asset(domainIdentifier=world.domain_id, identifier=kept["id"])
