"""The wire contract on a live server: authentication, errors, validation, clientToken, status codes."""

import json
import uuid
from datetime import datetime, timezone

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import Caller
from openzone.app import register_operations
from openzone.wire.model import service_model
from openzone.wire.registry import HANDLERS

ROLE = "arn:aws:iam::000000000000:role/dz"


def signed(caller: Caller, method: str, path: str, body: dict | None = None, service: str = "datazone",
           headers: dict | None = None, secret: str | None = None) -> httpx.Response:
    """Send a raw HTTP request signed the way boto3 signs it."""
    data = json.dumps(body).encode() if body is not None else b""
    request = AWSRequest(method=method, url=f"{caller.server.url}{path}", data=data, headers=headers or {})
    SigV4Auth(Credentials(caller.key_id, secret or caller.secret), service, "us-east-1").add_auth(request)
    return httpx.request(method, request.url, content=data, headers=dict(request.headers.items()), timeout=30)


def code_of(call, *args, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    error = raised.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def admin(server) -> Caller:
    return server.user(admin=True)


@pytest.fixture(scope="module")
def domain_id(admin) -> str:
    return admin.dz.create_domain(name=f"Wire-{uuid.uuid4().hex[:6]}", domainExecutionRole=ROLE)["id"]


def test_unsigned_request_is_access_denied(server):
    response = httpx.get(f"{server.url}/v2/domains")
    assert response.status_code == 403
    assert response.headers["x-amzn-errortype"] == "AccessDeniedException"
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-requestid"]


def test_unsigned_request_to_an_unknown_path_reveals_nothing(server):
    response = httpx.get(f"{server.url}/v2/no-such-thing")
    assert response.status_code == 403 and response.headers["x-amzn-errortype"] == "AccessDeniedException"


def test_garbage_signature_is_invalid(server, admin):
    now = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    auth = (f"AWS4-HMAC-SHA256 Credential={admin.key_id}/{now[:8]}/us-east-1/datazone/aws4_request, "
            f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}")
    response = httpx.get(f"{server.url}/v2/domains", headers={"Authorization": auth, "X-Amz-Date": now})
    assert response.status_code == 403
    assert response.headers["x-amzn-errortype"] == "InvalidSignatureException"
    assert "signature" in response.json()["message"]


def test_wrong_secret_through_boto3(server, admin):
    wrong = Caller(server, admin.name, admin.key_id, "this-is-not-the-secret")
    code, _, status = code_of(wrong.dz.list_domains)
    assert (code, status) == ("InvalidSignatureException", 403)


def test_unknown_key_through_boto3(server):
    stranger = Caller(server, "nobody", "AKIAUNKNOWNKEY000000", "whatever")
    code, message, status = code_of(stranger.dz.list_domains)
    assert (code, status) == ("UnrecognizedClientException", 403)
    assert "security token" in message


def test_unknown_path_after_authentication(admin):
    response = signed(admin, "GET", "/v2/no-such-thing")
    assert response.status_code == 404
    assert response.headers["x-amzn-errortype"] == "UnknownOperationException"
    assert "message" in response.json()


def _unimplemented() -> str:
    register_operations()
    model = service_model("datazone")
    for name in ("GetGlossary", "GetGlossaryTerm", "GetDataProduct", "GetFormType", "GetLineageNode",
                 "GetMetadataGenerationRun", "GetRule"):
        if name in model.operation_names and name not in HANDLERS["datazone"]:
            return name
    pytest.fail("every candidate operation is implemented; pick another")


def test_known_but_unimplemented_operation_is_a_clear_error(admin, domain_id):
    name = _unimplemented()
    method = {"GetGlossary": "get_glossary", "GetGlossaryTerm": "get_glossary_term",
              "GetDataProduct": "get_data_product", "GetFormType": "get_form_type",
              "GetLineageNode": "get_lineage_node", "GetMetadataGenerationRun": "get_metadata_generation_run",
              "GetRule": "get_rule"}[name]
    kwargs = {"domainIdentifier": domain_id, "identifier": "abcdefghijklmn"}
    if name == "GetFormType":
        kwargs = {"domainIdentifier": domain_id, "formTypeIdentifier": "amazon.datazone.GlueTableFormType"}
    code, message, status = code_of(getattr(admin.dz, method), **kwargs)
    assert status != 500 and 400 <= status < 500
    assert code == "UnknownOperationException"
    assert name in message and "not implement" in message


def test_validation_wording_through_boto3(admin):
    code, message, status = code_of(admin.dz.get_domain, identifier="bad!")
    assert (code, status) == ("ValidationException", 400)
    assert message == ("1 validation error detected: Value at 'identifier' failed to satisfy constraint: "
                       "Member must satisfy regular expression pattern: dzd[-_][a-zA-Z0-9_-]{1,36}")


def test_project_name_too_long(admin, domain_id):
    code, message, _ = code_of(admin.dz.create_project, domainIdentifier=domain_id, name="p" * 65)
    assert code == "ValidationException"
    assert message == ("1 validation error detected: Value at 'name' failed to satisfy constraint: "
                       "Member must have length less than or equal to 64")


def test_query_parameter_validation(admin):
    code, message, _ = code_of(admin.dz.list_domains, maxResults=26)
    assert code == "ValidationException" and "Member must have value less than or equal to 25" in message


def test_body_that_is_not_json_is_refused(admin):
    request = AWSRequest(method="POST", url=f"{admin.server.url}/v2/domains", data=b"{not json",
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(admin.key_id, admin.secret), "datazone", "us-east-1").add_auth(request)
    response = httpx.post(request.url, content=b"{not json", headers=dict(request.headers.items()))
    assert response.status_code == 400 and response.headers["x-amzn-errortype"] == "SerializationException"


def test_client_token_replays_the_same_domain(admin):
    token, name = str(uuid.uuid4()), f"Idem-{uuid.uuid4().hex[:6]}"
    first = admin.dz.create_domain(name=name, domainExecutionRole=ROLE, clientToken=token)
    again = admin.dz.create_domain(name=name, domainExecutionRole=ROLE, clientToken=token)
    # A replay, not a second attempt (which the name would make a ConflictException).
    assert again["id"] == first["id"] and again["arn"] == first["arn"]
    assert admin.dz.get_domain(identifier=first["id"])["name"] == name


def test_client_token_with_different_input_conflicts(admin):
    token = str(uuid.uuid4())
    admin.dz.create_domain(name=f"Idem-{uuid.uuid4().hex[:6]}", domainExecutionRole=ROLE, clientToken=token)
    code, message, status = code_of(admin.dz.create_domain, name=f"Other-{uuid.uuid4().hex[:6]}",
                                    domainExecutionRole=ROLE, clientToken=token)
    assert (code, status) == ("ConflictException", 409)
    assert token in message


def test_client_tokens_are_per_caller(server, admin):
    other = server.user(admin=True)
    token, name = str(uuid.uuid4()), f"Mine-{uuid.uuid4().hex[:6]}"
    admin.dz.create_domain(name=name, domainExecutionRole=ROLE, clientToken=token)
    # Another caller's token is not a replay of mine: the same name is then a plain conflict.
    code, _, _ = code_of(other.dz.create_domain, name=name, domainExecutionRole=ROLE, clientToken=token)
    assert code == "ConflictException"


def test_status_codes_follow_the_model(server, admin, domain_id):
    response = signed(admin, "POST", f"/v2/domains/{domain_id}/projects", {"name": "StatusCodes"})
    assert response.status_code == 201
    project_id = response.json()["id"]
    assert response.json()["name"] == "StatusCodes"
    assert isinstance(response.json()["createdAt"], str)  # ProjectOutput timestamps are ISO strings

    member = server.user()
    admin.dz.create_user_profile(domainIdentifier=domain_id, userIdentifier=member.arn)
    response = signed(admin, "POST", f"/v2/domains/{domain_id}/projects/{project_id}/createMembership",
                      {"member": {"userIdentifier": member.arn}, "designation": "PROJECT_CONTRIBUTOR"})
    assert response.status_code == 201 and response.json() == {}

    response = signed(admin, "POST", f"/v2/domains/{domain_id}/projects/{project_id}/deleteMembership",
                      {"member": {"userIdentifier": member.arn}})
    assert response.status_code == 204 and response.content == b""

    response = signed(admin, "GET", f"/v2/domains/{domain_id}/projects/{project_id}")
    assert response.status_code == 200 and response.json()["id"] == project_id


def test_percent_encoded_arn_in_the_path(server, admin, domain_id):
    user = server.user()
    admin.dz.create_user_profile(domainIdentifier=domain_id, userIdentifier=user.arn)
    # boto3 sends the ARN label as arn%3Aaws%3Aiam%3A%3A...%3Auser%2F<name>.
    profile = admin.dz.get_user_profile(domainIdentifier=domain_id, userIdentifier=user.arn)
    assert profile["details"]["iam"]["arn"] == user.arn


def test_athena_unsigned_is_an_error_with_type(server):
    response = httpx.post(f"{server.url}/", content=b"{}",
                          headers={"X-Amz-Target": "AmazonAthena.ListWorkGroups",
                                   "Content-Type": "application/x-amz-json-1.1"})
    assert response.status_code == 403
    body = response.json()
    assert body["__type"] == "AccessDeniedException" and body["Message"]


def test_athena_unknown_target(admin):
    response = signed(admin, "POST", "/", {}, service="athena",
                      headers={"X-Amz-Target": "AmazonAthena.DropEverything",
                               "Content-Type": "application/x-amz-json-1.1"})
    assert response.status_code == 400
    assert response.json()["__type"] == "InvalidRequestException"
    assert "AmazonAthena.DropEverything" in response.json()["Message"]


def test_athena_signed_for_datazone_is_refused(admin):
    response = signed(admin, "POST", "/", {}, service="datazone",
                      headers={"X-Amz-Target": "AmazonAthena.GetQueryExecution",
                               "Content-Type": "application/x-amz-json-1.1"})
    assert response.status_code == 403 and response.json()["__type"] == "InvalidSignatureException"


def test_athena_unknown_query_through_boto3(admin):
    code, _, status = code_of(admin.athena.get_query_execution, QueryExecutionId=str(uuid.uuid4()))
    assert (code, status) == ("InvalidRequestException", 400)


def _missing_required(shape, value, path: str, missing: list[str]) -> None:
    """Collect required members absent from a parsed response (botocore itself does not check)."""
    if value is None:
        return
    if shape.type_name == "structure":
        missing += [f"{path}.{name}" for name in shape.required_members if value.get(name) is None]
        for name, item in value.items():
            if name in shape.members:
                _missing_required(shape.members[name], item, f"{path}.{name}", missing)
    elif shape.type_name == "list":
        for index, item in enumerate(value):
            _missing_required(shape.member, item, f"{path}[{index}]", missing)
    elif shape.type_name == "map":
        for key, item in value.items():
            _missing_required(shape.value, item, f"{path}.{key}", missing)


def test_every_response_carries_its_required_members(server):
    """Stricter SDKs (Java, Go) reject responses without required members: check the whole loop's responses."""
    import boto3

    from scenario import build_world, glue_asset, query_rows

    missing, seen = [], set()

    def inspect(http_response, parsed, model, **_):
        if http_response.status_code < 300 and model.output_shape is not None:
            seen.add(model.name)
            _missing_required(model.output_shape, parsed, model.name, missing)

    events = boto3._get_default_session()._session.get_component("event_emitter")
    events.register("after-call", inspect, unique_id="openzone-required-members")
    try:
        world = build_world(server)
        domain, producer, consumer = world.domain_id, world.producer.dz, world.consumer.dz
        query_rows(world.producer, world.sales_env["id"], "CREATE TABLE required_check AS SELECT 1 AS a")
        asset = glue_asset(world.producer, world, "required_check", "Required check")
        producer.get_asset(domainIdentifier=domain, identifier=asset["id"])
        listing = producer.create_listing_change_set(domainIdentifier=domain, entityIdentifier=asset["id"],
                                                     entityType="ASSET", action="PUBLISH")
        consumer.get_listing(domainIdentifier=domain, identifier=listing["listingId"])
        consumer.search_listings(domainIdentifier=domain, searchText="required")
        made = consumer.create_subscription_request(
            domainIdentifier=domain, subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}],
            subscribedListings=[{"identifier": listing["listingId"]}], requestReason="check")
        consumer.list_subscription_requests(domainIdentifier=domain)
        producer.accept_subscription_request(domainIdentifier=domain, identifier=made["id"])
        subscription = consumer.list_subscriptions(domainIdentifier=domain)["items"][0]
        consumer.get_subscription(domainIdentifier=domain, identifier=subscription["id"])
        grant = consumer.list_subscription_grants(domainIdentifier=domain)["items"][0]
        consumer.get_subscription_grant(domainIdentifier=domain, identifier=grant["id"])
        consumer.list_subscription_targets(domainIdentifier=domain, environmentIdentifier=world.analytics_env["id"])
        consumer.list_environments(domainIdentifier=domain, projectIdentifier=world.analytics_id)
        consumer.list_projects(domainIdentifier=domain)
        consumer.get_project(domainIdentifier=domain, identifier=world.analytics_id)
        consumer.list_project_memberships(domainIdentifier=domain, projectIdentifier=world.analytics_id)
        consumer.list_domains()
        consumer.get_domain(identifier=domain)
        consumer.get_user_profile(domainIdentifier=domain, userIdentifier=world.consumer.arn)
        producer.revoke_subscription(domainIdentifier=domain, identifier=subscription["id"])
    finally:
        events.unregister("after-call", unique_id="openzone-required-members")
    assert len(seen) >= 25, sorted(seen)
    assert missing == []
