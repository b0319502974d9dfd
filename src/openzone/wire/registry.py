"""Where each package's routes register the operations they implement."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from openzone.config import Settings


@dataclass
class Call:
    """Everything a route needs about one API call."""

    session: Session
    principal: Any  # the authenticated user (identity.models.User)
    settings: Settings
    request_id: str
    operation: str


Handler = Callable[[Call, dict], dict | None]

HANDLERS: dict[str, dict[str, Handler]] = {"datazone": {}, "athena": {}, "events": {}}


def operation(service: str, name: str) -> Callable[[Handler], Handler]:
    """Register `handler` as the implementation of `service`'s operation `name`."""

    def register(handler: Handler) -> Handler:
        if name in HANDLERS[service]:
            raise RuntimeError(f"{service}.{name} registered twice")
        HANDLERS[service][name] = handler
        return handler

    return register


def datazone(name: str) -> Callable[[Handler], Handler]:
    return operation("datazone", name)


def athena(name: str) -> Callable[[Handler], Handler]:
    return operation("athena", name)


def events(name: str) -> Callable[[Handler], Handler]:
    return operation("events", name)
