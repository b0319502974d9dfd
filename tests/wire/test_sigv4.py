"""SigV4 verification against signatures made by botocore's own signer (what every AWS SDK sends)."""

import hashlib
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from openzone.errors import AccessDeniedError, AuthenticationError
from openzone.wire.sigv4 import Credential, SignedRequest, verify

KEY, SECRET = "AKIAOPENZONETEST0001", "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-0001"
ENDPOINT = "http://127.0.0.1:8000"
SKEW = 900
# DataZone sends user ARNs in the path percent-encoded, ':' and '/' included.
ARN_PATH = "/v2/domains/dzd_abc123/user-profiles/arn%3Aaws%3Aiam%3A%3A000000000000%3Auser%2Fteam%2Falice"


def lookup(key_id: str) -> Credential | None:
    return Credential(KEY, SECRET, principal="alice") if key_id == KEY else None


def sign(method: str = "POST", path: str = "/v2/domains", query: str = "", body: bytes = b"",
         service: str = "datazone", key: str = KEY, secret: str = SECRET, headers: dict | None = None) -> AWSRequest:
    """A request signed exactly as boto3 signs it."""
    url = f"{ENDPOINT}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body,
                         headers={"Content-Type": "application/json", **(headers or {})})
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
    return request


def received(request: AWSRequest, **changes) -> SignedRequest:
    """What the server sees for `request` (raw path and query as sent, Host added by the HTTP client)."""
    parts = urlsplit(request.url)
    headers = {name.lower(): value.decode() if isinstance(value, bytes) else value
               for name, value in request.headers.items()}
    headers["host"] = parts.netloc
    seen = SignedRequest(method=request.method, raw_path=parts.path, raw_query=parts.query,
                         headers=headers, body=request.body or b"")
    return SignedRequest(**{**seen.__dict__, **changes})


def check(request: SignedRequest, service: str = "datazone", now: datetime | None = None) -> Credential:
    return verify(request, service, lookup, SKEW, now)


def rejected(request: SignedRequest, code: str, **kwargs) -> str:
    with pytest.raises(AuthenticationError) as error:
        check(request, **kwargs)
    assert error.value.code == code and error.value.status == 403
    return error.value.message


def test_a_request_signed_by_botocore_verifies():
    body = json.dumps({"name": "Corporate", "clientToken": "t-1"}).encode()
    credential = check(received(sign(body=body)))
    assert credential.access_key_id == KEY and credential.principal == "alice"


def test_get_with_query_string_verifies():
    request = sign("GET", "/v2/domains", "maxResults=5&nextToken=abc%3D%3D&status=AVAILABLE")
    assert check(received(request)).principal == "alice"


def test_percent_encoded_slash_and_colon_in_the_path_verify():
    request = sign("GET", ARN_PATH)
    assert received(request).raw_path == ARN_PATH  # still encoded: the server must not decode before checking
    assert check(received(request)).principal == "alice"


def test_wrong_secret_is_an_invalid_signature():
    message = rejected(received(sign(secret="not-the-secret")), "InvalidSignatureException")
    assert "signature we calculated does not match" in message


def test_unknown_access_key_is_unrecognized():
    message = rejected(received(sign(key="AKIANOBODYKNOWSTHIS1")), "UnrecognizedClientException")
    assert "security token included in the request is invalid" in message


def test_missing_authorization_is_access_denied():
    signed = sign()
    headers = {k: v for k, v in received(signed).headers.items() if k != "authorization"}
    with pytest.raises(AccessDeniedError) as error:
        check(received(signed, headers=headers))
    assert error.value.code == "AccessDeniedException" and error.value.status == 403
    assert error.value.message == "Missing Authentication Token"


def test_malformed_authorization_is_an_incomplete_signature():
    signed = sign()
    headers = {**received(signed).headers, "authorization": "AWS4-HMAC-SHA256 Credential=nonsense"}
    rejected(received(signed, headers=headers), "IncompleteSignatureException")


def test_tampered_body_is_refused():
    request = sign(body=b'{"name": "Corporate"}')
    rejected(received(request, body=b'{"name": "Hijacked!"}'), "InvalidSignatureException")


def test_tampered_query_is_refused():
    request = sign("GET", "/v2/domains", "maxResults=1")
    rejected(received(request, raw_query="maxResults=25"), "InvalidSignatureException")


def test_an_added_query_parameter_is_refused():
    request = sign("GET", "/v2/domains", "maxResults=1")
    rejected(received(request, raw_query="maxResults=1&status=DELETED"), "InvalidSignatureException")


def test_tampered_path_is_refused():
    request = sign("GET", "/v2/domains/dzd_mine0000000001")
    rejected(received(request, raw_path="/v2/domains/dzd_yours000000001"), "InvalidSignatureException")


def test_tampered_method_is_refused():
    request = sign("GET", "/v2/domains/dzd_mine0000000001")
    rejected(received(request, method="DELETE"), "InvalidSignatureException")


def test_tampered_signed_header_is_refused():
    signed = sign()
    headers = {**received(signed).headers, "content-type": "text/plain"}
    rejected(received(signed, headers=headers), "InvalidSignatureException")


def test_content_sha256_header_that_lies_about_the_body_is_refused():
    # botocore signs the claimed hash; the server must hash the body it actually received.
    lie = hashlib.sha256(b'{"name": "innocent"}').hexdigest()
    request = sign(body=b'{"name": "something else"}', headers={"X-Amz-Content-SHA256": lie})
    message = rejected(received(request), "InvalidSignatureException")
    assert "x-amz-content-sha256" in message


def test_truthful_content_sha256_header_verifies():
    body = b'{"name": "Corporate"}'
    request = sign(body=body, headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()})
    assert check(received(request)).principal == "alice"


def _signed_at(request: SignedRequest) -> datetime:
    return datetime.strptime(request.headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("offset", [timedelta(minutes=16), -timedelta(minutes=16)])
def test_clock_skew_beyond_fifteen_minutes_is_expired(offset):
    request = received(sign())
    message = rejected(request, "InvalidSignatureException", now=_signed_at(request) + offset)
    assert message.startswith("Signature expired")


def test_clock_skew_within_fifteen_minutes_is_accepted():
    request = received(sign())
    assert check(request, now=_signed_at(request) + timedelta(minutes=14)).principal == "alice"
    assert check(request, now=_signed_at(request) - timedelta(minutes=14)).principal == "alice"


def test_signature_for_another_service_is_refused():
    message = rejected(received(sign(service="athena")), "InvalidSignatureException")
    assert "datazone" in message


def test_athena_signature_verifies_for_athena():
    request = sign("POST", "/", body=b"{}", service="athena",
                   headers={"X-Amz-Target": "AmazonAthena.GetQueryExecution"})
    assert check(received(request), service="athena").principal == "alice"


def test_unsigned_host_header_is_refused():
    signed = sign()
    request = received(signed)
    auth = request.headers["authorization"]
    # Drop `host` from SignedHeaders: the signature then no longer binds the endpoint.
    forged = auth.replace("SignedHeaders=content-type;host;x-amz-date", "SignedHeaders=content-type;x-amz-date")
    assert forged != auth
    rejected(received(signed, headers={**request.headers, "authorization": forged}), "InvalidSignatureException")
