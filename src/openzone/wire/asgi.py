"""Starlette endpoints for the two protocols: DataZone rest-json under /v2, Athena JSON 1.1 at POST /."""

import json
import logging
import uuid

import orjson

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from openzone.errors import AccessDeniedError, ConflictError, NotFoundError, OpenzoneError, ValidationError
from openzone.wire import rest
from openzone.wire.dispatch import Gateway, run_call
from openzone.wire.model import service_model
from openzone.wire.sigv4 import SignedRequest

log = logging.getLogger("openzone.wire")


async def _signed(request: Request) -> SignedRequest:
    body = await request.body()
    raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    return SignedRequest(
        method=request.method, raw_path=raw_path.split("?")[0],
        raw_query=request.scope.get("query_string", b"").decode("latin-1"),
        headers={k.lower(): v for k, v in request.headers.items()}, body=body)


def _call_encoded(gateway: Gateway, service: str, signed: SignedRequest, request_id: str,
                  resolve) -> tuple[int, bytes | None]:
    """run_call, with the body encoded in the worker thread (orjson: a large result page in ~0.2 ms,
    and the event loop stays free for other requests meanwhile)."""
    status, body = run_call(gateway, service, signed, request_id, resolve)
    return status, None if body is None else orjson.dumps(body)


async def datazone_endpoint(request: Request) -> Response:
    """Serve any DataZone operation (routes come from the service model)."""
    gateway: Gateway = request.app.state.gateway
    request_id = str(uuid.uuid4())
    signed = await _signed(request)

    def resolve():
        op, labels = rest.match("datazone", signed.method, signed.raw_path)
        return op, rest.build_input(op, labels, signed.raw_query, signed.headers, signed.body)

    try:
        status, body = await run_in_threadpool(_call_encoded, gateway, "datazone", signed, request_id, resolve)
    except OpenzoneError as error:
        return _rest_error(error.code, error.status, error.message, request_id)
    except Exception:
        log.exception("unexpected error in %s %s", signed.method, signed.raw_path)
        return _rest_error("InternalServerException", 500, "An internal error occurred.", request_id)
    headers = {"x-amzn-requestid": request_id}
    if status == 204 or body is None:
        return Response(status_code=status, headers=headers)
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def _rest_error(code: str, status: int, message: str, request_id: str) -> Response:
    return JSONResponse({"message": message}, status_code=status,
                        headers={"x-amzn-errortype": code, "x-amzn-requestid": request_id})


# Athena's model has no AccessDenied/NotFound/Conflict shapes: it answers those as invalid requests.
_ATHENA_CODES = {ValidationError: "InvalidRequestException", NotFoundError: "InvalidRequestException",
                 ConflictError: "InvalidRequestException", AccessDeniedError: "AccessDeniedException"}
# JSON 1.1 services on POST /, told apart by the X-Amz-Target prefix: service -> (prefix, error message key).
_JSON_SERVICES = {"AmazonAthena": ("athena", "Message"), "AWSEvents": ("events", "message")}


async def json_endpoint(request: Request) -> Response:
    """Serve the JSON 1.1 protocols at POST /: Athena (X-Amz-Target: AmazonAthena.<Operation>) and
    EventBridge (AWSEvents.<Operation>)."""
    gateway: Gateway = request.app.state.gateway
    request_id = str(uuid.uuid4())
    signed = await _signed(request)
    target = signed.headers.get("x-amz-target", "")
    prefix, _, name = target.partition(".")
    service, message_key = _JSON_SERVICES.get(prefix, ("athena", "Message"))

    def resolve():
        model = service_model(service)
        if prefix not in _JSON_SERVICES or name not in model.operation_names:
            raise ValidationError(f"Unknown operation {target!r}.")
        try:
            params = json.loads(signed.body or b"{}")
        except ValueError:
            raise ValidationError("The request body is not valid JSON.") from None
        if not isinstance(params, dict):
            raise ValidationError("The request body must be a JSON object.")
        return model.operation_model(name), params

    try:
        status, body = await run_in_threadpool(_call_encoded, gateway, service, signed, request_id, resolve)
    except OpenzoneError as error:
        code, status = error.code, error.status
        if service == "athena":
            code = next((c for kind, c in _ATHENA_CODES.items() if isinstance(error, kind)), error.code)
            # Athena answers InvalidRequestException with 400, whatever it stands for here (e.g. not found).
            status = 400 if code == "InvalidRequestException" else error.status
        elif status < 500 and status != 403:
            status = 400  # EventBridge answers every client error, not found included, with 400
        return _json_error(code, status, error.message, request_id, message_key)
    except Exception:
        log.exception("unexpected error in %s", target)
        return _json_error("InternalException" if service == "events" else "InternalServerException", 500,
                           "An internal error occurred.", request_id, message_key)
    return Response(body or b"{}", status_code=200, media_type="application/x-amz-json-1.1",
                    headers={"x-amzn-requestid": request_id})


def _json_error(code: str, status: int, message: str, request_id: str, message_key: str) -> Response:
    return JSONResponse({"__type": code, message_key: message}, status_code=status,
                        media_type="application/x-amz-json-1.1", headers={"x-amzn-requestid": request_id})
