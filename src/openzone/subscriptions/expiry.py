"""Time-bound access: a request may carry OpenzoneAccessExpiryForm; its subscription is revoked at that time.

The date travels in DataZone's own `metadataForms` member, so the wire stays compatible:
`{"formName": "OpenzoneAccessExpiryForm", "typeIdentifier": "amazon.datazone.OpenzoneAccessExpiryFormType",
"content": "{\"expiresAt\": \"2027-01-31T00:00:00Z\"}"}`. The job that ends the subscription is queued on
approval with `run_after` at that time; workers poll every `worker_poll_seconds`, so it runs within seconds.
"""

import json
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from openzone.db.types import utcnow
from openzone.errors import ValidationError
from openzone.jobs.queue import enqueue
from openzone.subscriptions.models import Subscription

FORM_NAME = "OpenzoneAccessExpiryForm"
TYPE_NAME = "OpenzoneAccessExpiryFormType"
REASON = "The access the subscription request asked for expired at {expires_at}."


def _is_expiry_form(form: dict) -> bool:
    type_id = form.get("typeIdentifier")
    if type_id:
        return type_id.removeprefix("amazon.datazone.") == TYPE_NAME
    return form.get("formName") == FORM_NAME


def requested_expiry(metadata_forms: list[dict] | None) -> datetime | None:
    """The expiry a request asks for (UTC), or None; ValidationError when it is unreadable or not in the future."""
    forms = [f for f in metadata_forms or () if _is_expiry_form(f)]
    if not forms:
        return None
    if len(forms) > 1:
        raise ValidationError(f"Only one {FORM_NAME} may be given.")
    try:
        content = json.loads(forms[0].get("content") or "{}")
        value = content["expiresAt"]
        expires_at = datetime.fromisoformat(value.replace("Z", "+00:00") if isinstance(value, str) else value)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValidationError(f"{FORM_NAME} needs content {{\"expiresAt\": \"<ISO-8601 date-time>\"}}, "
                              f"e.g. 2027-01-31T00:00:00Z.") from None
    if expires_at.tzinfo is None:  # no offset given: UTC, as everywhere else in the API
        expires_at = expires_at.replace(tzinfo=timezone.utc)
    expires_at = expires_at.astimezone(timezone.utc)
    if expires_at <= utcnow():
        raise ValidationError(f"{FORM_NAME}.expiresAt {value} is not in the future.")
    return expires_at


def schedule(session: Session, subscription: Subscription, expires_at: datetime | None) -> None:
    """Record the subscription's expiry and queue the job that revokes it then."""
    if expires_at is None:
        return
    subscription.expires_at = expires_at
    job = enqueue(session, "subscription.expire", {"subscription_id": subscription.id})
    job.run_after = expires_at
    session.flush()
