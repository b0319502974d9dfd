"""Requesting, approving, revoking and cancelling subscriptions; each change records grant intents."""

import json
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openzone.catalog import service as catalog
from openzone.catalog.models import AssetRevision, Listing
from openzone.domains import service as domains
from openzone.errors import AccessDeniedError, ConflictError, NotFoundError, ValidationError
from openzone.events.outbox import Entity, emit
from openzone.governance import enforcement
from openzone.identity.models import User
from openzone.jobs.queue import enqueue
from openzone.projects import environments
from openzone.projects import service as projects
from openzone.projects.models import Environment, SubscriptionTarget
from openzone.subscriptions import expiry, permissions, scopes, states, targets
from openzone.subscriptions.models import GrantAsset, Subscription, SubscriptionGrant, SubscriptionRequest
from openzone.wire.ids import new_id


def create_request(session: Session, actor: User, domain_id: str, p: dict) -> SubscriptionRequest:
    """Ask, with a reason, for the subscriber project to get a published listing."""
    principals, listings = p["subscribedPrincipals"], p["subscribedListings"]
    if len(principals) != 1 or "project" not in principals[0]:
        raise ValidationError("Exactly one subscribed principal of type project is supported.")
    if len(listings) != 1:
        raise ValidationError("Exactly one subscribed listing is required.")
    project = projects.require_actor(session, actor, domain_id, principals[0]["project"]["identifier"])
    listing = catalog.active_listing(session, domain_id, listings[0]["identifier"])
    enforcement.check_subscription_request(session, domain_id, listing.owning_project_id, listing.asset_type,
                                           p.get("metadataForms") or [])
    expiry.requested_expiry(p.get("metadataForms"))
    if listing.owning_project_id == project.id:
        raise ValidationError("A project cannot subscribe to a listing it publishes; it already owns the asset.")
    if session.scalar(select(SubscriptionRequest.id).where(
            SubscriptionRequest.project_id == project.id, SubscriptionRequest.listing_id == listing.id,
            SubscriptionRequest.status == states.REQUEST_PENDING)):
        raise ConflictError(f"Project {project.id} already has a pending request for listing {listing.id}.")
    existing = _approved_subscription(session, project.id, listing.id)
    if existing is not None:
        raise ConflictError(f"Project {project.id} is already subscribed to listing {listing.id} "
                            f"(subscription {existing.id}).")
    asset_scopes = scopes.validate(session, listing, listing.revision, p.get("assetScopes"))
    asked = permissions.validate(session, listing, listing.revision, p.get("assetPermissions"))
    request = SubscriptionRequest(
        id=new_id(), domain_id=domain_id, request_reason=p["requestReason"], project_id=project.id,
        listing_id=listing.id, listing_revision=listing.revision, approver_project_id=listing.owning_project_id,
        metadata_forms=p.get("metadataForms"), created_by=actor.id)
    session.add(request)
    session.flush()
    scopes.record(session, scopes.REQUEST, request.id, asset_scopes)
    permissions.record(session, scopes.REQUEST, request.id, asked)
    auto = not approval_required(session, listing)
    request_event(session, request, actor, "Subscription Request Created", auto)
    return accept_request(session, actor, domain_id, request.id, None, auto=True) if auto else request


def approval_required(session: Session, listing: Listing) -> bool:
    """False when the listed asset's OpenzoneSubscriptionTermsForm says approvalRequired: false."""
    if listing.entity_type != "ASSET":
        return True
    revision = session.get(AssetRevision, (listing.asset_id, listing.asset_revision))
    for form in revision.forms if revision is not None else ():
        if form.get("typeName", "").removeprefix("amazon.datazone.") == "OpenzoneSubscriptionTermsFormType":
            return json.loads(form.get("content") or "{}").get("approvalRequired") is not False
    return True


def _approved_subscription(session: Session, project_id: str, listing_id: str) -> Subscription | None:
    return session.scalar(select(Subscription).where(
        Subscription.project_id == project_id, Subscription.listing_id == listing_id,
        Subscription.status == states.APPROVED))


def request_event(session: Session, request: SubscriptionRequest, actor: User, detail_type: str,
                  auto: bool = False) -> None:
    """Emit a Subscription Request event (autoApproved: the listing needed no approval)."""
    listing = session.get(Listing, request.listing_id)
    asset_types = {catalog.short_type_name(t) for _, _, t in
                   catalog.listing_assets(session, listing, request.listing_revision)}
    emit(session, detail_type=detail_type, domain_id=request.domain_id,
         entity=Entity(request.id, "SubscriptionRequestEntityType", owning_project_id=request.project_id),
         user_id=actor.id, data={
             "autoApproved": auto, "requesterId": request.created_by, "reviewerId": request.reviewer_id,
             # false: approval alone grants nothing; an external fulfiller must act and report back
             "isManagedAsset": asset_types <= targets.MANAGED_ASSET_TYPES, "status": request.status,
             # openzone additions, for the audit trail's "why": the requester's reason, the reviewer's comment.
             "requestReason": request.request_reason, "decisionComment": request.decision_comment,
             "subscribedListings": [{"id": request.listing_id, "ownerProjectId": request.approver_project_id,
                                     "version": str(request.listing_revision),
                                     # openzone addition: the listed asset or data product (audit per asset)
                                     "entityId": listing.asset_id or listing.data_product_id,
                                     "entityType": listing.entity_type}],
             "subscribedPrincipals": [{"id": request.project_id, "type": "PROJECT"}]})


def _visible(session: Session, actor: User, *project_ids: str) -> bool:
    return actor.is_admin or any(projects.designation_of(session, pid, actor) for pid in project_ids)


def get_request(session: Session, actor: User, domain_id: str, request_id: str) -> SubscriptionRequest:
    """A request, visible to members of the subscriber and of the approver project."""
    domains.require_domain_user(session, actor, domain_id)
    request = session.get(SubscriptionRequest, request_id)
    if request is None or request.domain_id != domain_id or not _visible(
            session, actor, request.project_id, request.approver_project_id):
        raise NotFoundError(f"Subscription request {request_id} not found.")
    return request


def _decide(session: Session, actor: User, domain_id: str, request_id: str) -> SubscriptionRequest:
    request = get_request(session, actor, domain_id, request_id)
    if not projects.is_actor(session, request.approver_project_id, actor):
        raise AccessDeniedError("Only owners and contributors of the publishing project can decide on this request.")
    if request.status != states.REQUEST_PENDING:
        raise ConflictError(f"Subscription request {request_id} is {request.status}, not PENDING.")
    return request


def reject_request(session: Session, actor: User, domain_id: str, request_id: str,
                   comment: str | None) -> SubscriptionRequest:
    """Reject a pending request with an optional decision comment."""
    request = _decide(session, actor, domain_id, request_id)
    request.status, request.reviewer_id, request.updated_by = states.REQUEST_REJECTED, actor.id, actor.id
    request.decision_comment = comment
    session.flush()
    request_event(session, request, actor, "Subscription Request Rejected")
    return request


def accept_request(session: Session, actor: User, domain_id: str, request_id: str,
                   comment: str | None, asset_scopes: list[dict] | None = None, auto: bool = False,
                   asset_permissions: list[dict] | None = None) -> SubscriptionRequest:
    """Approve a pending request: a subscription, and one grant per matching target of the subscriber.

    assetScopes and assetPermissions given on approval replace the requested ones (the approver decides
    what is shared);
    auto: the listing needs no approval; the requester's own call accepts it, with no reviewer."""
    request = get_request(session, actor, domain_id, request_id) if auto else _decide(session, actor, domain_id,
                                                                                       request_id)
    if asset_scopes is not None:
        scopes.record(session, scopes.REQUEST, request.id, scopes.validate(
            session, session.get(Listing, request.listing_id), request.listing_revision, asset_scopes))
    if asset_permissions is not None:
        permissions.record(session, scopes.REQUEST, request.id, permissions.validate(
            session, session.get(Listing, request.listing_id), request.listing_revision, asset_permissions))
    expires_at = _expiry_still_ahead(request)
    request.status, request.reviewer_id, request.updated_by = (
        states.REQUEST_ACCEPTED, None if auto else actor.id, actor.id)
    request.decision_comment = comment
    subscription = Subscription(
        id=new_id(), domain_id=domain_id, project_id=request.project_id, listing_id=request.listing_id,
        listing_revision=request.listing_revision, approver_project_id=request.approver_project_id,
        request_id=request.id, created_by=actor.id)
    session.add(subscription)
    session.flush()
    _carry(session, (scopes.REQUEST, request.id), (scopes.SUBSCRIPTION, subscription.id))
    expiry.schedule(session, subscription, expires_at)
    request_event(session, request, actor, "Subscription Request Accepted", auto)
    _subscription_event(session, subscription, actor.id, "Subscription Created")
    listing = session.get(Listing, request.listing_id)
    # A data product's listing grants all its assets at once: a target takes it if it takes any of their types.
    asset_types = {catalog.short_type_name(t) for _, _, t in
                   catalog.listing_assets(session, listing, subscription.listing_revision)}
    for target in environments.targets_of_project(session, request.project_id):
        if target.creation_mode == targets.AUTOMATIC and targets.accepts(target, asset_types):
            create_grant(session, actor, subscription, target.id, target.environment_id, listing)
    return request


def _carry(session: Session, source: tuple[str, str], to: tuple[str, str]) -> None:
    """The asset scopes and S3 permissions of a request or subscription, recorded again for what it became."""
    scopes.record(session, *to, scopes.scopes_of(session, *source))
    permissions.record(session, *to, permissions.of(session, *source))


def _expiry_still_ahead(request: SubscriptionRequest) -> datetime | None:
    try:
        return expiry.requested_expiry(request.metadata_forms)
    except ValidationError as expired:  # asked for access that ended while the request waited
        raise ConflictError(f"Subscription request {request.id} cannot be accepted: {expired}") from None


def create_grant(session: Session, actor: User, subscription: Subscription, target_id: str,
                 environment_id: str, listing: Listing) -> SubscriptionGrant:
    """Record the intent to grant the listing's assets (one, or a data product's) at one target; a worker fulfils it."""
    grant = SubscriptionGrant(id=new_id(), domain_id=subscription.domain_id, subscription_id=subscription.id,
                              target_id=target_id, environment_id=environment_id, listing_id=listing.id,
                              listing_revision=subscription.listing_revision, created_by=actor.id)
    session.add(grant)
    session.flush()  # no ORM relationships: flush the parent before rows that point at it
    _carry(session, (scopes.SUBSCRIPTION, subscription.id), (scopes.GRANT, grant.id))
    granted = catalog.listing_assets(session, listing, subscription.listing_revision)
    target = session.get(SubscriptionTarget, target_id)
    rows = [GrantAsset(grant_id=grant.id, asset_id=asset_id, asset_revision=asset_revision,
                       status=states.GRANT_PENDING, managed=targets.is_managed(target, asset_type))
            for asset_id, asset_revision, asset_type in granted]
    session.add_all(rows)
    session.flush()
    for row in rows:
        grant_event(session, grant, row.asset_id, actor.id, "Subscription Grant Requested")
    if any(row.managed for row in rows):  # the others wait for an external fulfiller
        enqueue(session, "grant.fulfill", {"grant_id": grant.id})
    return grant


def grant_event(session: Session, grant: SubscriptionGrant, asset_id: str, user_id: str | None,
                detail_type: str, extra: dict | None = None) -> None:
    """Emit a Subscription Grant event carrying what a fulfiller needs: the asset and its forms, the target,
    the subscriber, and whether an engine of openzone fulfils it (isManagedAsset) or someone must act."""
    listing = session.get(Listing, grant.listing_id)
    row = session.get(GrantAsset, (grant.id, asset_id))
    revision = session.get(AssetRevision, (asset_id, row.asset_revision)) if row is not None else None
    target = session.get(SubscriptionTarget, grant.target_id)
    emit(session, detail_type=detail_type, domain_id=grant.domain_id,
         entity=Entity(grant.id, "SubscriptionGrantEntityType", owning_project_id=listing.owning_project_id),
         user_id=user_id, data={
             "asset": {"id": asset_id, "listingId": grant.listing_id, "listingVersion": str(grant.listing_revision),
                       "typeName": catalog.short_type_name(catalog.granted_asset_type(session, listing, asset_id)),
                       "revision": str(row.asset_revision) if row is not None else None,
                       "name": revision.name if revision is not None else None,
                       "forms": revision.forms if revision is not None else []},
             "subscriptionTarget": {"id": grant.target_id, "environmentId": grant.environment_id,
                                    "name": target.name, "typeName": target.type, "provider": target.provider,
                                    "subscriptionTargetConfig": target.config,
                                    "authorizedPrincipals": target.authorized_principals,
                                    "subscriptionGrantCreationMode": target.creation_mode},
             "subscribedPrincipal": {"id": target.project_id, "type": "PROJECT"},
             "publishingProjectId": listing.owning_project_id,
             # the filters the asset is scoped to (None: the whole asset), for a fulfiller outside openzone
             "assetScope": scopes.render(session, scopes.GRANT, grant.id, asset_id),
             "permissions": permissions.render(session, scopes.GRANT, grant.id, asset_id),
             "isManagedAsset": bool(row.managed) if row is not None else True,
             "status": row.status if row is not None else None,
             "subscriptionId": grant.subscription_id, **(extra or {})})


def _subscription_event(session: Session, subscription: Subscription, user_id: str | None, detail_type: str,
                        extra: dict | None = None) -> None:
    emit(session, detail_type=detail_type, domain_id=subscription.domain_id,
         entity=Entity(subscription.id, "SubscriptionEntityType", owning_project_id=subscription.project_id),
         user_id=user_id, data={
             **(extra or {}), "expiresAt": subscription.expires_at.isoformat() if subscription.expires_at else None,
             "status": subscription.status, "subscriptionRequestId": subscription.request_id,
             "subscribedListing": {"id": subscription.listing_id, "ownerProjectId": subscription.approver_project_id,
                                   "version": str(subscription.listing_revision)},
             "subscribedPrincipal": {"id": subscription.project_id, "type": "PROJECT"}})


def get_subscription(session: Session, actor: User, domain_id: str, subscription_id: str) -> Subscription:
    """A subscription, visible to members of both projects."""
    domains.require_domain_user(session, actor, domain_id)
    subscription = session.get(Subscription, subscription_id)
    if subscription is None or subscription.domain_id != domain_id or not _visible(
            session, actor, subscription.project_id, subscription.approver_project_id):
        raise NotFoundError(f"Subscription {subscription_id} not found.")
    return subscription


def revoke(session: Session, actor: User, domain_id: str, subscription_id: str,
           retain_permissions: bool | None) -> Subscription:
    """The publisher ends a subscription; grants are revoked unless permissions are retained."""
    subscription = get_subscription(session, actor, domain_id, subscription_id)
    if not projects.is_actor(session, subscription.approver_project_id, actor):
        raise AccessDeniedError("Only owners and contributors of the publishing project can revoke a subscription.")
    return end(session, actor.id, subscription, states.REVOKED, retain_permissions, "Subscription Revoked")


def cancel(session: Session, actor: User, domain_id: str, subscription_id: str) -> Subscription:
    """The subscriber ends its own subscription; its grants are revoked."""
    subscription = get_subscription(session, actor, domain_id, subscription_id)
    if not projects.is_actor(session, subscription.project_id, actor):
        raise AccessDeniedError("Only owners and contributors of the subscribing project can cancel a subscription.")
    return end(session, actor.id, subscription, states.CANCELLED, None, "Subscription Cancelled")


def end(session: Session, user_id: str | None, subscription: Subscription, status: str, retain: bool | None,
        detail_type: str, reason: str | None = None) -> Subscription:
    """End an APPROVED subscription (user_id None: openzone itself, e.g. on expiry) and revoke its grants."""
    if subscription.status != states.APPROVED:
        raise ConflictError(f"Subscription {subscription.id} is {subscription.status}, not APPROVED.")
    subscription.status, subscription.updated_by, subscription.retain_permissions = status, user_id, retain
    session.flush()
    _subscription_event(session, subscription, user_id, detail_type, {"reason": reason} if reason else None)
    if not retain:
        for grant in session.scalars(select(SubscriptionGrant).where(SubscriptionGrant.subscription_id == subscription.id)):
            request_revoke(session, user_id, grant)
    return subscription


def request_revoke(session: Session, user_id: str | None, grant: SubscriptionGrant) -> None:
    """Move the grant's assets to REVOKE_PENDING and queue the revocation of those an engine manages."""
    managed = False
    for asset in session.scalars(select(GrantAsset).where(GrantAsset.grant_id == grant.id)):
        if asset.status in (states.REVOKED_ASSET, states.REVOKE_PENDING, states.REVOKE_IN_PROGRESS):
            continue
        asset.status = states.move_asset(asset.status, states.REVOKE_PENDING)
        managed = managed or asset.managed
        session.flush()
        grant_event(session, grant, asset.asset_id, user_id, "Subscription Grant Revoke Requested")
    grant.updated_by = user_id
    session.flush()
    if managed:
        enqueue(session, "grant.revoke", {"grant_id": grant.id})


def _scoped(session: Session, actor: User, query, model, p: dict):
    """Apply the common list filters and restrict to what the caller's projects may see."""
    if p.get("status"):
        query = query.where(model.status == p["status"])
    if p.get("subscribedListingId"):
        query = query.where(model.listing_id == p["subscribedListingId"])
    if p.get("owningProjectId"):
        query = query.where(model.project_id == p["owningProjectId"])
    if p.get("approverProjectId"):
        query = query.where(model.approver_project_id == p["approverProjectId"])
    if not actor.is_admin:
        mine = projects.member_project_ids(session, actor, p["domainIdentifier"])
        query = query.where(or_(model.project_id.in_(mine), model.approver_project_id.in_(mine)))
    column = model.updated_at if p.get("sortBy") == "UPDATED_AT" else model.created_at
    return query.order_by(column.asc() if p.get("sortOrder") == "ASCENDING" else column.desc(), model.id)


def list_requests(session: Session, actor: User, p: dict, offset: int, limit: int) -> list[SubscriptionRequest]:
    """Requests the caller's projects made or must decide on."""
    domains.require_domain_user(session, actor, p["domainIdentifier"])
    query = select(SubscriptionRequest).where(SubscriptionRequest.domain_id == p["domainIdentifier"])
    return list(session.scalars(_scoped(session, actor, query, SubscriptionRequest, p).offset(offset).limit(limit + 1)))


def list_subscriptions(session: Session, actor: User, p: dict, offset: int, limit: int) -> list[Subscription]:
    """Subscriptions of, or to, the caller's projects."""
    domains.require_domain_user(session, actor, p["domainIdentifier"])
    query = select(Subscription).where(Subscription.domain_id == p["domainIdentifier"])
    if p.get("subscriptionRequestIdentifier"):
        query = query.where(Subscription.request_id == p["subscriptionRequestIdentifier"])
    return list(session.scalars(_scoped(session, actor, query, Subscription, p).offset(offset).limit(limit + 1)))


def _grant_projects(session: Session, grant: SubscriptionGrant) -> tuple[str, str]:
    """(subscriber project, publisher project) of a grant."""
    return (session.get(Environment, grant.environment_id).project_id,
            session.get(Listing, grant.listing_id).owning_project_id)


def get_grant(session: Session, actor: User, domain_id: str, grant_id: str) -> SubscriptionGrant:
    """A grant, visible to members of the subscriber and of the publisher project."""
    domains.require_domain_user(session, actor, domain_id)
    grant = session.get(SubscriptionGrant, grant_id)
    if grant is None or grant.domain_id != domain_id or not _visible(session, actor, *_grant_projects(session, grant)):
        raise NotFoundError(f"Subscription grant {grant_id} not found.")
    return grant


def list_grants(session: Session, actor: User, p: dict, offset: int, limit: int) -> list[SubscriptionGrant]:
    """Grants to or from the caller's projects."""
    domain_id = p["domainIdentifier"]
    domains.require_domain_user(session, actor, domain_id)
    query = select(SubscriptionGrant).where(SubscriptionGrant.domain_id == domain_id)
    for key, column in (("environmentId", SubscriptionGrant.environment_id),
                        ("subscriptionTargetId", SubscriptionGrant.target_id),
                        ("subscribedListingId", SubscriptionGrant.listing_id),
                        ("subscriptionId", SubscriptionGrant.subscription_id)):
        if p.get(key):
            query = query.where(column == p[key])
    if not actor.is_admin:
        mine = projects.member_project_ids(session, actor, domain_id)
        query = query.where(or_(
            SubscriptionGrant.environment_id.in_(select(Environment.id).where(Environment.project_id.in_(mine))),
            SubscriptionGrant.listing_id.in_(select(Listing.id).where(Listing.owning_project_id.in_(mine)))))
    column = SubscriptionGrant.updated_at if p.get("sortBy") == "UPDATED_AT" else SubscriptionGrant.created_at
    order = column.asc() if p.get("sortOrder") == "ASCENDING" else column.desc()
    return list(session.scalars(query.order_by(order, SubscriptionGrant.id).offset(offset).limit(limit + 1)))


def grant_assets(session: Session, grant_id: str) -> list[GrantAsset]:
    return list(session.scalars(select(GrantAsset).where(GrantAsset.grant_id == grant_id).order_by(GrantAsset.asset_id)))
