"""Manual control: external fulfillers report grant status, grants made and deleted by hand, requests edited
or withdrawn by the requester."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.catalog import service as catalog
from openzone.catalog.models import Listing
from openzone.db.types import utcnow
from openzone.domains import service as domains
from openzone.errors import AccessDeniedError, ConflictError, NotFoundError, ValidationError
from openzone.identity.models import User
from openzone.projects import environments
from openzone.projects import service as projects
from openzone.projects.models import SubscriptionTarget
from openzone.subscriptions import service, states, targets
from openzone.subscriptions.models import GrantAsset, Subscription, SubscriptionGrant, SubscriptionRequest

# What an external fulfiller's report means, as the event DataZone emits for it.
_REPORT_EVENTS = {states.GRANTED: "Subscription Grant Completed", states.GRANT_FAILED: "Subscription Grant Failed",
                  states.REVOKED_ASSET: "Subscription Grant Revoke Completed",
                  states.REVOKE_FAILED: "Subscription Grant Revoke Failed"}
# A grant may be deleted only while it gives no access: nothing granted yet, failed, or revoked.
_DELETABLE = {states.GRANT_PENDING, states.GRANT_FAILED, states.REVOKED_ASSET}


def _publisher_or_admin(session: Session, actor: User, domain_id: str, grant: SubscriptionGrant) -> None:
    listing = session.get(Listing, grant.listing_id)
    domain = domains.require_domain_user(session, actor, domain_id)
    if not (projects.is_actor(session, listing.owning_project_id, actor)
            or domains.can_manage_domain(session, actor, domain)):
        raise AccessDeniedError("Only owners and contributors of the publishing project, or administrators of the "
                                "domain, can report the status of a subscription grant.")


def update_grant_status(session: Session, actor: User, domain_id: str, grant_id: str, asset_id: str,
                        p: dict) -> SubscriptionGrant:
    """An external fulfiller reports progress on one unmanaged asset of a grant (UpdateSubscriptionGrantStatus)."""
    grant = service.get_grant(session, actor, domain_id, grant_id)
    _publisher_or_admin(session, actor, domain_id, grant)
    asset = session.get(GrantAsset, (grant.id, asset_id))
    if asset is None:
        raise NotFoundError(f"Asset {asset_id} is not part of subscription grant {grant_id}.")
    if asset.managed:
        raise ConflictError(f"Asset {asset_id} of subscription grant {grant_id} is fulfilled by openzone itself; "
                            f"its status cannot be reported from outside.")
    status, cause = p["status"], (p.get("failureCause") or {}).get("message")
    asset.status = states.move_reported(asset.status, status)
    now = utcnow()
    if status in (states.GRANT_FAILED, states.REVOKE_FAILED):
        asset.failure_cause, asset.failed_at = cause or f"The external fulfiller reported {status}.", now
    else:
        asset.failure_cause = None
    if status == states.GRANTED:
        asset.granted_at = now
    if p.get("targetName") is not None:
        asset.target_name = p["targetName"]
    asset.updated_at = grant.updated_at = now  # the grant's own row does not change otherwise
    grant.updated_by = actor.id
    session.flush()
    if status in _REPORT_EVENTS:
        extra = {"failureCause": asset.failure_cause} if asset.failure_cause else None
        service.grant_event(session, grant, asset.asset_id, actor.id, _REPORT_EVENTS[status], extra)
    return grant


def _target_for(session: Session, environment_id: str, target_id: str | None,
                asset_types: set[str]) -> SubscriptionTarget:
    if target_id:
        target = session.get(SubscriptionTarget, target_id)
        if target is None or target.environment_id != environment_id:
            raise NotFoundError(f"Subscription target {target_id} not found in environment {environment_id}.")
        if not targets.accepts(target, asset_types):
            raise ValidationError(f"Subscription target {target_id} takes {', '.join(target.applicable_asset_types)}"
                                  f", not {', '.join(sorted(asset_types))}.")
        return target
    for target in session.scalars(select(SubscriptionTarget).where(SubscriptionTarget.environment_id == environment_id)
                                  .order_by(SubscriptionTarget.created_at, SubscriptionTarget.id)):
        if targets.accepts(target, asset_types):
            return target
    raise ValidationError(f"Environment {environment_id} has no subscription target for "
                          f"{', '.join(sorted(asset_types))}; give subscriptionTargetIdentifier or create a target.")


def create_grant(session: Session, actor: User, domain_id: str, p: dict) -> SubscriptionGrant:
    """Grant an approved subscription's listing at a target by hand (e.g. a MANUAL target, or a new environment)."""
    environment = environments.get_environment(session, actor, domain_id, p["environmentIdentifier"])
    projects.require_actor(session, actor, domain_id, environment.project_id)
    entity = (p.get("grantedEntity") or {}).get("listing")
    if not entity:
        raise ValidationError("grantedEntity.listing (identifier and revision) is required.")
    listing = session.get(Listing, entity["identifier"])
    subscription = session.scalar(select(Subscription).where(
        Subscription.project_id == environment.project_id, Subscription.listing_id == entity["identifier"],
        Subscription.status == states.APPROVED)) if listing is not None and listing.domain_id == domain_id else None
    if subscription is None:
        raise ValidationError(f"Project {environment.project_id} has no approved subscription to listing "
                              f"{entity['identifier']}.")
    if str(entity.get("revision")) != str(subscription.listing_revision):
        raise ValidationError(f"Subscription {subscription.id} is to revision {subscription.listing_revision} of "
                              f"listing {listing.id}, not {entity.get('revision')}.")
    granted = catalog.listing_assets(session, listing, subscription.listing_revision)
    target = _target_for(session, environment.id, p.get("subscriptionTargetIdentifier"),
                         {catalog.short_type_name(t) for _, _, t in granted})
    _no_live_grant(session, subscription.id, target.id)
    names = {entry["assetId"]: entry["targetName"] for entry in p.get("assetTargetNames") or ()}
    unknown = set(names) - {asset_id for asset_id, _, _ in granted}
    if unknown:
        raise ValidationError(f"assetTargetNames names assets the listing does not grant: {', '.join(sorted(unknown))}.")
    grant = service.create_grant(session, actor, subscription, target.id, environment.id, listing)
    for asset in service.grant_assets(session, grant.id):
        asset.target_name = names.get(asset.asset_id, asset.target_name)
    session.flush()
    return grant


def _no_live_grant(session: Session, subscription_id: str, target_id: str) -> None:
    for grant in session.scalars(select(SubscriptionGrant).where(SubscriptionGrant.subscription_id == subscription_id,
                                                                 SubscriptionGrant.target_id == target_id)):
        if any(a.status != states.REVOKED_ASSET for a in service.grant_assets(session, grant.id)):
            raise ConflictError(f"Subscription {subscription_id} already has grant {grant.id} at target {target_id}.")


def delete_grant(session: Session, actor: User, domain_id: str, grant_id: str) -> tuple[SubscriptionGrant, list]:
    """Delete a grant that gives no access (revoke the subscription first otherwise); returns it as it was."""
    grant = service.get_grant(session, actor, domain_id, grant_id)
    subscriber, publisher = (session.get(SubscriptionTarget, grant.target_id).project_id,
                             session.get(Listing, grant.listing_id).owning_project_id)
    domain = domains.require_domain_user(session, actor, domain_id)
    if not (projects.is_actor(session, subscriber, actor) or projects.is_actor(session, publisher, actor)
            or domains.can_manage_domain(session, actor, domain)):
        raise AccessDeniedError("Only owners and contributors of the subscribing or publishing project can delete "
                                "a subscription grant.")
    assets = service.grant_assets(session, grant.id)
    live = [f"{a.asset_id} ({a.status})" for a in assets if a.status not in _DELETABLE]
    if live:
        raise ConflictError(f"Subscription grant {grant_id} may still give access to {', '.join(live)}; revoke or "
                            f"cancel the subscription and let the revocation finish before deleting it.")
    for asset in assets:  # the rows go; the objects stay readable for the response
        session.delete(asset)
    session.flush()
    session.delete(grant)
    session.flush()
    return grant, assets


def _own_request(session: Session, actor: User, domain_id: str, request_id: str) -> SubscriptionRequest:
    request = service.get_request(session, actor, domain_id, request_id)
    if not projects.is_actor(session, request.project_id, actor):
        raise AccessDeniedError("Only owners and contributors of the requesting project can change or withdraw "
                                "its subscription request.")
    return request


def update_request(session: Session, actor: User, domain_id: str, request_id: str,
                   reason: str) -> SubscriptionRequest:
    """The requester rewrites the reason of a request still PENDING."""
    request = _own_request(session, actor, domain_id, request_id)
    if request.status != states.REQUEST_PENDING:
        raise ConflictError(f"Subscription request {request_id} is {request.status}; only a PENDING request can "
                            f"be updated.")
    if not reason or not reason.strip():
        raise ValidationError("requestReason must not be empty.")
    request.request_reason, request.updated_by = reason, actor.id
    request.updated_at = utcnow()
    session.flush()
    return request


def delete_request(session: Session, actor: User, domain_id: str, request_id: str) -> None:
    """The requester withdraws a PENDING request, or deletes a REJECTED one; an ACCEPTED one is its
    subscription's record (cancel the subscription instead)."""
    request = _own_request(session, actor, domain_id, request_id)
    if request.status == states.REQUEST_ACCEPTED:
        raise ConflictError(f"Subscription request {request_id} was accepted (subscription of listing "
                            f"{request.listing_id}); cancel the subscription instead of deleting the request.")
    service.request_event(session, request, actor, "Subscription Request Deleted")
    session.delete(request)
    session.flush()

