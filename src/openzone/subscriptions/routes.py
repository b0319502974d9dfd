"""DataZone wire operations for subscription requests, subscriptions and grants."""

import json

from sqlalchemy.orm import Session

from openzone.catalog import service as catalog
from openzone.catalog.service import short_type_name
from openzone.projects import service as projects
from openzone.projects.routes import target_to_wire
from openzone.subscriptions import manual, permissions, scopes, service, states, targets
from openzone.subscriptions.models import GrantAsset, Subscription, SubscriptionGrant, SubscriptionRequest
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


def _principal(session: Session, project_id: str) -> dict:
    project = projects.project_by_id(session, project_id)
    return {"project": {"id": project.id, "name": project.name}}


def _listing(session: Session, listing_id: str, revision: int, scope: tuple[str, str] | None = None) -> dict:
    listing, snapshot = catalog.listing_snapshot(session, listing_id, revision)
    owner = projects.project_by_id(session, listing.owning_project_id)
    if listing.entity_type == "DATA_PRODUCT":
        item = {"productListing": {
            "entityId": listing.data_product_id, "entityRevision": str(snapshot.data_product_revision),
            "glossaryTerms": [], "name": snapshot.name, "description": snapshot.description or "",
            "assetListings": [{"entityId": a["assetId"], "entityRevision": str(a["assetRevision"]),
                               "entityType": short_type_name(a["assetType"])} for a in snapshot.items or ()]}}
    else:
        item = {"assetListing": {"entityId": listing.asset_id, "entityRevision": str(snapshot.asset_revision),
                                 "entityType": short_type_name(listing.asset_type),
                                 "forms": json.dumps(snapshot.forms), "glossaryTerms": [],
                                 "assetScope": scope and scopes.render(session, *scope, listing.asset_id),
                                 "permissions": scope and permissions.render(session, *scope, listing.asset_id)}}
    return {"id": listing.id, "revision": str(revision), "name": snapshot.name,
            "description": snapshot.description or "", "ownerProjectId": owner.id, "ownerProjectName": owner.name,
            "item": item}


def _request(session: Session, request: SubscriptionRequest, summary: bool = False) -> dict:
    out = {"id": request.id, "createdBy": request.created_by, "updatedBy": request.updated_by,
           "domainId": request.domain_id, "status": request.status, "createdAt": request.created_at,
           "updatedAt": request.updated_at, "requestReason": request.request_reason,
           "subscribedPrincipals": [_principal(session, request.project_id)],
           "subscribedListings": [_listing(session, request.listing_id, request.listing_revision,
                                           (scopes.REQUEST, request.id))],
           "reviewerId": request.reviewer_id, "decisionComment": request.decision_comment,
           "existingSubscriptionId": request.existing_subscription_id}
    forms = request.metadata_forms or []
    if summary:
        out["metadataFormsSummary"] = [{"formName": f["formName"], "typeName": f.get("typeIdentifier", f["formName"]),
                                        "typeRevision": f.get("typeRevision", "1")} for f in forms] or None
    else:
        out["metadataForms"] = [{"formName": f["formName"], "typeName": f.get("typeIdentifier"),
                                 "typeRevision": f.get("typeRevision"), "content": f.get("content")}
                                for f in forms] or None
    return out


@datazone("CreateSubscriptionRequest")
def create_request(call: Call, p: dict) -> dict:
    return _request(call.session, service.create_request(call.session, call.principal, p["domainIdentifier"], p))


@datazone("GetSubscriptionRequestDetails")
def get_request(call: Call, p: dict) -> dict:
    return _request(call.session, service.get_request(call.session, call.principal, p["domainIdentifier"],
                                                      p["identifier"]))


@datazone("AcceptSubscriptionRequest")
def accept_request(call: Call, p: dict) -> dict:
    return _request(call.session, service.accept_request(call.session, call.principal, p["domainIdentifier"],
                                                         p["identifier"], p.get("decisionComment"),
                                                         p.get("assetScopes"),
                                                         asset_permissions=p.get("assetPermissions")))


@datazone("RejectSubscriptionRequest")
def reject_request(call: Call, p: dict) -> dict:
    return _request(call.session, service.reject_request(call.session, call.principal, p["domainIdentifier"],
                                                         p["identifier"], p.get("decisionComment")))


@datazone("ListSubscriptionRequests")
def list_requests(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    items, token = page(service.list_requests(call.session, call.principal, p, offset, limit), offset, limit)
    return {"items": [_request(call.session, r, summary=True) for r in items], "nextToken": token}


def _subscription(session: Session, subscription: Subscription) -> dict:
    return {"id": subscription.id, "createdBy": subscription.created_by, "updatedBy": subscription.updated_by,
            "domainId": subscription.domain_id, "status": subscription.status,
            "createdAt": subscription.created_at, "updatedAt": subscription.updated_at,
            "subscribedPrincipal": _principal(session, subscription.project_id),
            "subscribedListing": _listing(session, subscription.listing_id, subscription.listing_revision,
                                          (scopes.SUBSCRIPTION, subscription.id)),
            "subscriptionRequestId": subscription.request_id, "retainPermissions": subscription.retain_permissions}


@datazone("GetSubscription")
def get_subscription(call: Call, p: dict) -> dict:
    return _subscription(call.session, service.get_subscription(call.session, call.principal,
                                                                p["domainIdentifier"], p["identifier"]))


@datazone("ListSubscriptions")
def list_subscriptions(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    items, token = page(service.list_subscriptions(call.session, call.principal, p, offset, limit), offset, limit)
    return {"items": [_subscription(call.session, s) for s in items], "nextToken": token}


@datazone("RevokeSubscription")
def revoke_subscription(call: Call, p: dict) -> dict:
    return _subscription(call.session, service.revoke(call.session, call.principal, p["domainIdentifier"],
                                                      p["identifier"], p.get("retainPermissions")))


@datazone("CancelSubscription")
def cancel_subscription(call: Call, p: dict) -> dict:
    return _subscription(call.session, service.cancel(call.session, call.principal, p["domainIdentifier"],
                                                      p["identifier"]))


# Shown on an unmanaged asset while it waits: approval alone has not given access (DataZone's own wording).
UNMANAGED = ("Subscription approval does not provide access to data. Subscription grants on this asset are not "
             "managed by openzone: an external fulfiller grants access and reports it with "
             "UpdateSubscriptionGrantStatus.")


def _cause(asset: GrantAsset) -> dict | None:
    if asset.failure_cause:
        return {"message": asset.failure_cause}
    if not asset.managed and asset.status == states.GRANT_PENDING:
        return {"message": UNMANAGED}
    return None


def _grant(session: Session, grant: SubscriptionGrant, assets: list[GrantAsset] | None = None) -> dict:
    assets = service.grant_assets(session, grant.id) if assets is None else assets
    return {"id": grant.id, "createdBy": grant.created_by, "updatedBy": grant.updated_by, "domainId": grant.domain_id,
            "createdAt": grant.created_at, "updatedAt": grant.updated_at, "environmentId": grant.environment_id,
            "subscriptionTargetId": grant.target_id, "subscriptionId": grant.subscription_id,
            "grantedEntity": {"listing": {"id": grant.listing_id, "revision": str(grant.listing_revision)}},
            "status": states.overall([a.status for a in assets]),
            "assets": [{"assetId": a.asset_id, "assetRevision": str(a.asset_revision), "status": a.status,
                        "targetName": a.target_name, "grantedTimestamp": a.granted_at, "failureTimestamp": a.failed_at,
                        "failureCause": _cause(a),
                        "assetScope": scopes.render(session, scopes.GRANT, grant.id, a.asset_id),
                        "permissions": permissions.render(session, scopes.GRANT, grant.id, a.asset_id)}
                       for a in assets]}


@datazone("GetSubscriptionGrant")
def get_grant(call: Call, p: dict) -> dict:
    return _grant(call.session, service.get_grant(call.session, call.principal, p["domainIdentifier"], p["identifier"]))


@datazone("ListSubscriptionGrants")
def list_grants(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    items, token = page(service.list_grants(call.session, call.principal, p, offset, limit), offset, limit)
    return {"items": [_grant(call.session, g) for g in items], "nextToken": token}


@datazone("UpdateSubscriptionGrantStatus")
def update_grant_status(call: Call, p: dict) -> dict:
    return _grant(call.session, manual.update_grant_status(call.session, call.principal, p["domainIdentifier"],
                                                           p["identifier"], p["assetIdentifier"], p))


@datazone("CreateSubscriptionGrant")
def create_grant(call: Call, p: dict) -> dict:
    return _grant(call.session, manual.create_grant(call.session, call.principal, p["domainIdentifier"], p))


@datazone("DeleteSubscriptionGrant")
def delete_grant(call: Call, p: dict) -> dict:
    return _grant(call.session, *manual.delete_grant(call.session, call.principal, p["domainIdentifier"],
                                                     p["identifier"]))


@datazone("UpdateSubscriptionRequest")
def update_request(call: Call, p: dict) -> dict:
    return _request(call.session, manual.update_request(call.session, call.principal, p["domainIdentifier"],
                                                        p["identifier"], p["requestReason"]))


@datazone("DeleteSubscriptionRequest")
def delete_request(call: Call, p: dict) -> dict:
    manual.delete_request(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return {}


@datazone("CreateSubscriptionTarget")
def create_target(call: Call, p: dict) -> dict:
    return target_to_wire(targets.create_target(call.session, call.principal, p["domainIdentifier"], p))


@datazone("GetSubscriptionTarget")
def get_target(call: Call, p: dict) -> dict:
    return target_to_wire(targets.get_target(call.session, call.principal, p["domainIdentifier"],
                                             p["environmentIdentifier"], p["identifier"]))


@datazone("UpdateSubscriptionTarget")
def update_target(call: Call, p: dict) -> dict:
    return target_to_wire(targets.update_target(call.session, call.principal, p["domainIdentifier"], p))


@datazone("DeleteSubscriptionTarget")
def delete_target(call: Call, p: dict) -> dict:
    targets.delete_target(call.session, call.principal, p["domainIdentifier"], p)
    return {}
