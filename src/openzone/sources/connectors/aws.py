"""What the Glue and S3 connectors share: a boto3 client from a ConnectionSpec, and AWS errors as SourceUnreachable."""

from __future__ import annotations

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from openzone.sources.connectors.base import ConnectionSpec, SourceUnreachable

DEFAULT_REGION = "us-east-1"

# AWS error codes → DataZone's DataSourceErrorType, and what a person should check.
_ACCESS = ("ACCESS_DENIED_EXCEPTION", "check the access key and that its policy allows {action}")
_CODES = {
    "AccessDenied": _ACCESS, "AccessDeniedException": _ACCESS, "UnrecognizedClientException": _ACCESS,
    "InvalidClientTokenId": _ACCESS, "InvalidAccessKeyId": _ACCESS, "SignatureDoesNotMatch": _ACCESS,
    "InvalidSignatureException": _ACCESS, "ExpiredToken": _ACCESS, "ExpiredTokenException": _ACCESS,
    "AllAccessDisabled": _ACCESS,
    "EntityNotFoundException": ("RESOURCE_NOT_FOUND_EXCEPTION", "check the names in the data source's filters"),
    "NoSuchBucket": ("RESOURCE_NOT_FOUND_EXCEPTION", "check the bucket name of the data source's path"),
    "NoSuchKey": ("RESOURCE_NOT_FOUND_EXCEPTION", "check the data source's path"),
    "ThrottlingException": ("THROTTLING_EXCEPTION", "run again later or raise the account's request quota"),
    "SlowDown": ("THROTTLING_EXCEPTION", "run again later"),
    "ResourceNumberLimitExceededException": ("SERVICE_QUOTA_EXCEEDED_EXCEPTION", "raise the account's quota"),
    "InvalidInputException": ("VALIDATION_EXCEPTION", "check the data source's settings"),
    "ValidationException": ("VALIDATION_EXCEPTION", "check the data source's settings"),
}


def client(spec: ConnectionSpec, service: str):
    """A boto3 client for `service` reaching the spec's endpoint with its credentials (or the default chain)."""
    import boto3  # boto3 import is slow; only connectors that reach AWS pay for it

    config = Config(connect_timeout=spec.timeout_seconds, read_timeout=max(spec.timeout_seconds, 30),
                    retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client(service, endpoint_url=spec.endpoint_url or None, region_name=region(spec),
                        aws_access_key_id=spec.access_key_id or None,
                        aws_secret_access_key=spec.secret_access_key or None, config=config)


def region(spec: ConnectionSpec) -> str:
    return spec.region or DEFAULT_REGION


def unreachable(error: Exception, what: str, action: str, spec: ConnectionSpec) -> SourceUnreachable:
    """Turn a boto3 failure while doing `what` (e.g. "listing Glue databases") into SourceUnreachable.

    The message names the endpoint and what to check, never the secret key.
    """
    where = spec.endpoint_url or f"AWS in {region(spec)}"
    if isinstance(error, NoCredentialsError):
        return SourceUnreachable(f"{what} at {where} failed: no AWS credentials; give the data source an access key",
                                 "ACCESS_DENIED_EXCEPTION")
    if isinstance(error, EndpointConnectionError) or (isinstance(error, BotoCoreError)
                                                       and "connect" in type(error).__name__.lower()):
        return SourceUnreachable(f"{what} failed: cannot connect to {where}; check the endpoint URL and that the "
                                 f"service is running and reachable from openzone", "INTERNAL_SERVER_EXCEPTION")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = error.response.get("Error", {}).get("Message") or code
        if code not in _CODES and status == 403:  # some refusals come back without a parseable code
            code, message = "AccessDenied", "the request was refused (HTTP 403)"
        error_type, hint = _CODES.get(code, ("INTERNAL_SERVER_EXCEPTION", "check the service's status and try again"))
        return SourceUnreachable(f"{what} at {where} failed: {message} ({code or status}); "
                                 f"{hint.format(action=action)}", error_type)
    return SourceUnreachable(f"{what} at {where} failed: {error}", "INTERNAL_SERVER_EXCEPTION")
