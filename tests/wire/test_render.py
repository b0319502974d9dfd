"""Rendering service results by the real botocore DataZone output shapes, checked with botocore's own parser."""

import json
from datetime import datetime, timezone

import pytest
from botocore.parsers import RestJSONParser

from openzone.errors import InternalError
from openzone.wire.model import service_model
from openzone.wire.render import render

WHEN = datetime(2025, 7, 15, 17, 37, 1, 227000, tzinfo=timezone.utc)


def output(operation: str):
    return service_model("datazone").operation_model(operation).output_shape


def parse(operation: str, body: dict, status: int = 200) -> dict:
    """What boto3 hands its caller for this response body."""
    response = {"status_code": status, "headers": {}, "body": json.dumps(body).encode()}
    return RestJSONParser().parse(response, output(operation))


def project(**extra) -> dict:
    return {"domainId": "dzd_bc8e1ez8r2a6xz", "id": "6oy92hwk937pgn", "name": "Sales", "createdBy": "u-1",
            "createdAt": WHEN, "lastUpdatedAt": WHEN, **extra}


def asset(**extra) -> dict:
    return {"id": "a1b2c3d4e5f6g7", "name": "Orders", "typeIdentifier": "amazon.datazone.GlueTableAssetType",
            "typeRevision": "1", "revision": "1", "owningProjectId": "6oy92hwk937pgn",
            "domainId": "dzd_bc8e1ez8r2a6xz", "formsOutput": [], "createdAt": WHEN, **extra}


def test_iso_timestamps_where_the_shape_says_iso8601():
    body = render(output("CreateProject"), project())
    assert body["createdAt"] == "2025-07-15T17:37:01.227Z"
    assert body["lastUpdatedAt"] == "2025-07-15T17:37:01.227Z"
    assert parse("CreateProject", body, 201)["createdAt"] == WHEN


def test_iso_timestamps_are_utc_whatever_the_input_zone():
    from datetime import timedelta
    local = WHEN.astimezone(timezone(timedelta(hours=2)))
    assert render(output("CreateProject"), project(createdAt=local))["createdAt"] == "2025-07-15T17:37:01.227Z"


def test_epoch_seconds_by_default():
    body = render(output("CreateAsset"), asset(firstRevisionCreatedAt=WHEN))
    assert body["createdAt"] == pytest.approx(1752601021.227)
    assert isinstance(body["createdAt"], float)
    assert body["firstRevisionCreatedAt"] == body["createdAt"]
    assert parse("CreateAsset", body, 201)["createdAt"] == WHEN


def test_timestamps_nested_in_lists_follow_their_own_shape():
    items = [{**project(), "updatedAt": WHEN, "lastUpdatedAt": None, "createdAt": WHEN}]
    body = render(output("ListProjects"), {"items": items})
    assert body["items"][0]["createdAt"] == "2025-07-15T17:37:01.227Z"
    listing = {"domainId": "dzd_x", "id": "l1", "listingRevision": "1", "createdAt": WHEN,
               "item": {"assetListing": {"assetId": "a1", "createdAt": WHEN}}}
    rendered = render(output("GetListing"), listing)
    assert rendered["createdAt"] == pytest.approx(1752601021.227)
    assert rendered["item"]["assetListing"]["createdAt"] == pytest.approx(1752601021.227)


def test_none_members_are_dropped_not_sent_as_null():
    body = render(output("CreateProject"), project(description=None, glossaryTerms=None, failureReasons=None))
    assert "description" not in body and "glossaryTerms" not in body and "failureReasons" not in body
    assert None not in body.values()


def test_nested_none_members_are_dropped():
    body = render(output("CreateAsset"), asset(listing={"listingId": "l1", "listingStatus": "ACTIVE"},
                                               formsOutput=[{"formName": "F", "typeName": None, "content": "{}"}]))
    assert body["formsOutput"] == [{"formName": "F", "content": "{}"}]
    assert body["listing"] == {"listingId": "l1", "listingStatus": "ACTIVE"}


def test_unknown_member_is_a_server_bug():
    with pytest.raises(InternalError) as raised:
        render(output("CreateProject"), project(secretInternalField="x"))
    assert raised.value.code == "InternalServerException" and "secretInternalField" in raised.value.message


def test_unknown_nested_member_is_a_server_bug():
    with pytest.raises(InternalError):
        render(output("CreateAsset"), asset(listing={"listingId": "l1", "listingStatus": "ACTIVE", "oops": 1}))


def test_union_with_exactly_one_member_renders_and_parses():
    profile = {"domainId": "dzd_x", "id": "u1", "type": "IAM", "status": "ACTIVATED",
               "details": {"iam": {"arn": "arn:aws:iam::000000000000:user/alice"}, "sso": None}}
    body = render(output("GetUserProfile"), profile)
    assert body["details"] == {"iam": {"arn": "arn:aws:iam::000000000000:user/alice"}}
    assert parse("GetUserProfile", body)["details"]["iam"]["arn"].endswith("user/alice")


def test_union_with_two_members_is_a_server_bug():
    listing = {"domainId": "dzd_x", "id": "l1", "listingRevision": "1",
               "item": {"assetListing": {"assetId": "a1"}, "dataProductListing": {"dataProductId": "d1"}}}
    with pytest.raises(InternalError) as raised:
        render(output("GetListing"), listing)
    assert "ListingItem" in raised.value.message


def test_union_with_no_member_is_a_server_bug():
    profile = {"domainId": "dzd_x", "id": "u1", "details": {"iam": None, "sso": None}}
    with pytest.raises(InternalError):
        render(output("GetUserProfile"), profile)


def test_maps_and_lists_of_plain_values_pass_through():
    config = {"domainId": "dzd_x", "environmentBlueprintId": "bp1", "enabledRegions": ["us-east-1", "eu-west-1"],
              "regionalParameters": {"us-east-1": {"S3Location": "s3://x"}}, "createdAt": WHEN}
    body = render(output("PutEnvironmentBlueprintConfiguration"), config)
    assert body["enabledRegions"] == ["us-east-1", "eu-west-1"]
    assert body["regionalParameters"] == {"us-east-1": {"S3Location": "s3://x"}}
    assert body["createdAt"] == "2025-07-15T17:37:01.227Z"  # a blueprint configuration: ISO shape


def test_rendered_body_is_json_and_round_trips_through_botocore():
    body = render(output("CreateAsset"), asset(description="d", listing={"listingId": "l", "listingStatus": "ACTIVE"}))
    parsed = parse("CreateAsset", json.loads(json.dumps(body)), 201)
    assert parsed["name"] == "Orders" and parsed["listing"]["listingStatus"] == "ACTIVE"
    assert parsed["createdAt"] == WHEN
