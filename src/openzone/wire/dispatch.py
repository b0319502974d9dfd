"""One API call end to end: authenticate, validate, replay or run the handler, render, commit."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from botocore.model import OperationModel
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.db.session import session_scope
from openzone.errors import OpenzoneError
from openzone.wire import idempotency, sigv4
from openzone.wire.registry import HANDLERS, Call
from openzone.wire.render import render
from openzone.wire.validate import validate_input

log = logging.getLogger("openzone.wire")

Authenticator = Callable[[Session, str], sigv4.Credential | None]


class NotImplementedOperationError(OpenzoneError):
    code, status = "UnknownOperationException", 404


@dataclass(frozen=True)
class Gateway:
    """What the HTTP layer needs to serve API calls."""

    settings: Settings
    authenticate: Authenticator


def authenticate(gateway: Gateway, session: Session, service: str, request: sigv4.SignedRequest) -> object:
    credential = sigv4.verify(request, service, lambda key: gateway.authenticate(session, key),
                              gateway.settings.clock_skew_seconds)
    return credential.principal


def execute(gateway: Gateway, session: Session, principal: object, service: str,
            op: OperationModel, params: dict, request_id: str) -> tuple[int, dict | None]:
    """Run `op` for `principal` inside `session` and return (HTTP status, rendered body)."""
    handler = HANDLERS[service].get(op.name)
    if handler is None:
        raise NotImplementedOperationError(f"openzone does not implement {op.name} yet.")
    if op.input_shape is not None:
        validate_input(op.input_shape, params)
    token_member = next(iter(op.idempotent_members), None)
    token = params.get(token_member) if token_member else None
    principal_id = getattr(principal, "id", "")
    if token:
        digest = idempotency.request_hash(params, token_member)
        stored = idempotency.replay(session, principal_id, op.name, token, digest)
        if stored is not None:
            return stored["status"], stored["body"]
    call = Call(session=session, principal=principal, settings=gateway.settings,
                request_id=request_id, operation=op.name)
    result = handler(call, params)
    status = op.http.get("responseCode", 200)
    body = render(op.output_shape, result or {}) if op.output_shape is not None else None
    if token:
        idempotency.remember(session, principal_id, op.name, token, digest, {"status": status, "body": body})
    return status, body


def run_call(gateway: Gateway, service: str, request: sigv4.SignedRequest, request_id: str,
             resolve: Callable[[], tuple[OperationModel, dict]]) -> tuple[int, dict | None]:
    """Authenticate first (nothing is revealed to strangers), then resolve and execute in one transaction."""
    with session_scope(gateway.settings.metadata_url) as session:
        principal = authenticate(gateway, session, service, request)
        op, params = resolve()
        return execute(gateway, session, principal, service, op, params, request_id)
