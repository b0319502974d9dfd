"""Write EventBridge-shaped DataZone events into the outbox, inside the caller's transaction."""

import threading
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.db.session import after_commit
from openzone.db.types import utcnow
from openzone.events import audit
from openzone.events.models import OutboxEvent


# The account and region that events report; set once from Settings by the process (configure()).
_ORIGIN = {"account": "000000000000", "region": "us-east-1"}
# Set after a commit that recorded events, so an in-process dispatcher delivers them at once instead of polling.
wakeup = threading.Event()


def configure(account_id: str, region: str) -> None:
    """Set the account and region stamped on every event this process writes."""
    _ORIGIN.update(account=account_id, region=region)


def origin() -> tuple[str, str]:
    """(account, region) that events and ARNs report."""
    return _ORIGIN["account"], _ORIGIN["region"]


@dataclass(frozen=True)
class Entity:
    """What `detail.metadata` says about the entity an event is about."""

    id: str
    type_name: str
    version: str = "1"
    owning_project_id: str | None = None


def emit(session: Session, *, detail_type: str, domain_id: str | None, entity: Entity,
         user_id: str | None, data: dict) -> OutboxEvent:
    """Record one event; it exists if and only if the surrounding transaction commits."""
    row = event_row(detail_type=detail_type, domain_id=domain_id, entity=entity, user_id=user_id, data=data)
    event = OutboxEvent(**row)
    session.add(event)
    audit.record(session, row)
    after_commit(session, wakeup.set)
    return event


def event_row(*, detail_type: str, domain_id: str | None, entity: Entity, user_id: str | None, data: dict) -> dict:
    """The outbox row of one event, for writers that insert many events with one statement (data source runs)."""
    now = utcnow()
    account_id, region = _ORIGIN["account"], _ORIGIN["region"]
    event_id = str(uuid.uuid4())
    metadata = {"id": entity.id, "version": entity.version, "typeName": entity.type_name,
                "domain": domain_id, "user": user_id, "awsAccountId": account_id,
                "owningProjectId": entity.owning_project_id}
    envelope = {
        "version": "0", "id": event_id, "detail-type": detail_type, "source": "aws.datazone",
        "account": account_id, "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region, "resources": [],
        "detail": {"version": "0", "metadata": {k: v for k, v in metadata.items() if v is not None},
                   "data": data},
    }
    return {"id": event_id, "domain_id": domain_id, "detail_type": detail_type, "time": now, "envelope": envelope}


def since(session: Session, after_seq: int, limit: int = 500) -> list[OutboxEvent]:
    """Events recorded after `after_seq`, oldest first."""
    return list(session.scalars(
        select(OutboxEvent).where(OutboxEvent.seq > after_seq).order_by(OutboxEvent.seq).limit(limit)))
