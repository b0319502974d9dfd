"""Run a DataZone operation for the signed-in user exactly as the API would (validation, rules, rendering)."""

import uuid

from sqlalchemy.orm import Session

from openzone.identity.models import User
from openzone.wire.dispatch import Gateway, execute
from openzone.wire.model import operation


def call(gateway: Gateway, session: Session, user: User, operation_name: str, /, service: str = "datazone",
         **params) -> dict:
    """The rendered response of a DataZone (or Athena) operation; raises the API's OpenzoneErrors."""
    params = {k: v for k, v in params.items() if v is not None}
    _, body = execute(gateway, session, user, service, operation(service, operation_name), params, str(uuid.uuid4()))
    return body or {}
