"""The audit trail: governance events from the outbox, indexed by asset, project, user and time.

An entry is written with its event, in the same transaction (outbox.emit calls record()), so the trail holds
exactly the changes that committed; `reindex` rebuilds it from the outbox.
"""

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from openzone.events.models import AuditEntry, OutboxEvent

# DataZone detail-types -> the audit action; other "Subscription ..." events are kept under a derived name.
ACTIONS = {
    "Subscription Request Created": "REQUESTED",
    "Subscription Request Accepted": "APPROVED",
    "Subscription Request Rejected": "REJECTED",
    "Subscription Request Updated": "REQUEST_UPDATED",
    "Subscription Request Deleted": "REQUEST_DELETED",
    "Subscription Created": "SUBSCRIBED",
    "Subscription Revoked": "REVOKED",
    "Subscription Cancelled": "CANCELLED",
    "Subscription Grant Requested": "GRANT_REQUESTED",
    "Subscription Grant Completed": "GRANTED",
    "Subscription Grant Failed": "GRANT_FAILED",
    "Subscription Grant Revoke Completed": "GRANT_REVOKED",
    "Subscription Grant Revoke Failed": "GRANT_REVOKE_FAILED",
}


def action_of(detail_type: str) -> str | None:
    """The audit action of a detail-type, or None when the event is not part of the trail."""
    if detail_type in ACTIONS:
        return ACTIONS[detail_type]
    if detail_type.startswith("Subscription "):
        return detail_type.removeprefix("Subscription ").upper().replace(" ", "_")
    return None


def record(session: Session, row: dict) -> None:
    """Add the audit entry of one outbox row (emit's), if its event belongs to the trail."""
    action = action_of(row["detail_type"])
    if action is None:
        return
    detail = row["envelope"]["detail"]
    meta, data = detail.get("metadata", {}), detail.get("data") or {}
    entry = AuditEntry(event_id=row["id"], time=row["time"], domain_id=row["domain_id"], action=action,
                       detail_type=row["detail_type"], actor_id=meta.get("user"),
                       entity_type=meta.get("typeName", ""), entity_id=meta.get("id", ""))
    listings = data.get("subscribedListings") or [data.get("subscribedListing") or {}]
    principals = data.get("subscribedPrincipals") or [data.get("subscribedPrincipal") or {}]
    entry.listing_id = listings[0].get("id")
    entry.owner_project_id = listings[0].get("ownerProjectId") or meta.get("owningProjectId")
    entry.project_id = principals[0].get("id")
    if listings[0].get("entityType") == "ASSET":
        entry.asset_id = listings[0].get("entityId")
    asset = data.get("asset") or {}
    if asset:  # grant events: the asset itself; the subscriber is the subscription's
        entry.asset_id, entry.listing_id = asset.get("id"), asset.get("listingId")
        entry.project_id = _subscriber(session, data.get("subscriptionId"))
    entry.reason = _reason(action, data)
    session.add(entry)


def _reason(action: str, data: dict) -> str | None:
    # The requester says why on a request; a reviewer's comment is the why of a decision.
    key = "requestReason" if action in ("REQUESTED", "REQUEST_UPDATED") else "decisionComment"
    if data.get(key) or data.get("reason"):
        return data.get(key) or data["reason"]
    cause = data.get("failureCause") or data.get("error")
    if isinstance(cause, dict):
        return cause.get("message")
    return cause if isinstance(cause, str) else None


def _subscriber(session: Session, subscription_id: str | None) -> str | None:
    if not subscription_id:
        return None
    for pending in session.new:  # the subscription may have been created in this very transaction
        if isinstance(pending, AuditEntry) and pending.entity_id == subscription_id and pending.project_id:
            return pending.project_id
    with session.no_autoflush:  # emit runs in the middle of its caller's work: flush nothing of theirs here
        return session.scalar(select(AuditEntry.project_id).where(
            AuditEntry.entity_id == subscription_id, AuditEntry.project_id.is_not(None)).limit(1))


def entries(session: Session, *, asset_id: str | None = None, listing_id: str | None = None,
            project_id: str | None = None, user_id: str | None = None, domain_id: str | None = None,
            since: datetime | None = None, until: datetime | None = None, visible_projects: set[str] | None = None,
            offset: int = 0, limit: int = 100) -> list[AuditEntry]:
    """The trail, newest first, filtered; `visible_projects` (None: everything, for administrators) keeps only
    entries whose subscriber or publisher project the caller may see."""
    query = select(AuditEntry)
    if asset_id:
        # Requests name the listing; grants name both, which ties a listing to its asset.
        listings = select(AuditEntry.listing_id).where(AuditEntry.asset_id == asset_id).distinct()
        query = query.where(or_(AuditEntry.asset_id == asset_id, AuditEntry.listing_id.in_(listings)))
    if listing_id:
        query = query.where(AuditEntry.listing_id == listing_id)
    if project_id:
        query = query.where(or_(AuditEntry.project_id == project_id, AuditEntry.owner_project_id == project_id))
    if user_id:
        query = query.where(AuditEntry.actor_id == user_id)
    if domain_id:
        query = query.where(AuditEntry.domain_id == domain_id)
    if since:
        query = query.where(AuditEntry.time >= since)
    if until:
        query = query.where(AuditEntry.time < until)
    if visible_projects is not None:
        query = query.where(or_(AuditEntry.project_id.in_(visible_projects),
                                AuditEntry.owner_project_id.in_(visible_projects)))
    return list(session.scalars(query.order_by(AuditEntry.time.desc(), AuditEntry.id.desc())
                                .offset(offset).limit(limit)))


def as_dict(entry: AuditEntry) -> dict:
    """An entry as JSON (CLI and portal)."""
    return {"time": entry.time.strftime("%Y-%m-%dT%H:%M:%SZ"), "action": entry.action, "actor": entry.actor_id,
            "reason": entry.reason, "entityType": entry.entity_type, "entityId": entry.entity_id,
            "projectId": entry.project_id, "ownerProjectId": entry.owner_project_id,
            "listingId": entry.listing_id, "assetId": entry.asset_id, "domainId": entry.domain_id,
            "detailType": entry.detail_type, "eventId": entry.event_id}


def reindex(session: Session, batch: int = 1000) -> int:
    """Rebuild the trail from the whole outbox; returns how many entries it holds."""
    session.execute(delete(AuditEntry))
    cursor, count = 0, 0
    while True:
        events = list(session.scalars(select(OutboxEvent).where(OutboxEvent.seq > cursor)
                                      .order_by(OutboxEvent.seq).limit(batch)))
        if not events:
            return count
        for event in events:
            if action_of(event.detail_type):
                record(session, {"id": event.id, "time": event.time, "domain_id": event.domain_id,
                                 "detail_type": event.detail_type, "envelope": event.envelope})
                count += 1
        session.flush()
        cursor = events[-1].seq
