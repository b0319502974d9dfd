"""Worker jobs of subscriptions: time-bound access ends by itself."""

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.db.types import utcnow
from openzone.jobs.queue import enqueue, task
from openzone.subscriptions import expiry, service, states
from openzone.subscriptions.models import Subscription


RETRY_EXPIRY_AFTER = timedelta(minutes=5)
log = logging.getLogger("openzone.subscriptions")


def _gave_up_expiring(session: Session, settings: Settings, payload: dict, error: str) -> None:
    """Access must still end: an expiry that failed for the last time is tried again later, for ever."""
    log.error("expiring subscription %s failed (%s); trying again in %s", payload.get("subscription_id"), error,
              RETRY_EXPIRY_AFTER)
    enqueue(session, "subscription.expire", payload, run_after=utcnow() + RETRY_EXPIRY_AFTER)


@task("subscription.expire", on_give_up=_gave_up_expiring)
def expire(session: Session, settings: Settings, payload: dict) -> None:
    """Revoke an APPROVED subscription whose OpenzoneAccessExpiryForm time has come (idempotent)."""
    subscription = session.get(Subscription, payload["subscription_id"])
    if subscription is None or subscription.status != states.APPROVED or subscription.expires_at is None:
        return  # already ended by someone, or never time-bound
    if subscription.expires_at > utcnow():  # claimed early (clock skew between workers): come back then
        enqueue(session, "subscription.expire", payload).run_after = subscription.expires_at
        return
    reason = expiry.REASON.format(expires_at=subscription.expires_at.isoformat())
    service.end(session, None, subscription, states.REVOKED, None, "Subscription Revoked", reason)
