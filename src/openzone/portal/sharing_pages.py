"""Sharing: request access with a reason, the owner's inbox, and the requested data with its grants."""

from __future__ import annotations

import json

from starlette.responses import Response

from openzone.errors import OpenzoneError
from openzone.portal import catalog_pages
from openzone.portal.web import Page, redirect

STATES = ("PENDING", "ACCEPTED", "REJECTED")


def request_access(page: Page) -> Response:
    domain_id, listing_id = page.request.path_params["domain"], page.request.path_params["listing"]
    reason, project = page.form.get("reason", "").strip(), page.form.get("project", "")
    if not reason:
        page.form["error"] = "Say why your project needs this data: the owners read it before they decide."
        return _listing_again(page)
    filter_ids = [value for key, value in page.form.items() if key.startswith("filter:")]
    until = page.form.get("until", "").strip()
    try:
        created = page.call(
            "CreateSubscriptionRequest", domainIdentifier=domain_id, requestReason=reason,
            subscribedListings=[{"identifier": listing_id}], subscribedPrincipals=[{"project": {"identifier": project}}],
            assetScopes=[{"assetId": page.form["asset"], "filterIds": filter_ids}] if filter_ids else None,
            # access until the end of that day (UTC), in openzone's expiry form
            metadataForms=[{"formName": "OpenzoneAccessExpiryForm",
                            "typeIdentifier": "amazon.datazone.OpenzoneAccessExpiryFormType",
                            "content": json.dumps({"expiresAt": f"{until}T23:59:59Z"})}] if until else None)
    except OpenzoneError as error:
        page.session.rollback()
        page.form["error"] = error.message
        return _listing_again(page)
    return redirect(f"/d/{domain_id}/requests/{created['id']}", notice="requested")


def _listing_again(page: Page) -> Response:
    """The listing page again, with what was typed and why it failed (status 400)."""
    response = catalog_pages.listing(page)
    response.status_code = 400
    return response


def _requests(page: Page, domain_id: str, **filters) -> list[dict]:
    return page.call("ListSubscriptionRequests", domainIdentifier=domain_id, maxResults=50, **filters).get("items", [])


def inbox(page: Page) -> Response:
    domain_id = page.request.path_params["domain"]
    projects = page.call("ListProjects", domainIdentifier=domain_id, maxResults=50).get("items", [])
    mine = {p["id"] for p in projects}
    pending = [r for r in _requests(page, domain_id, status="PENDING")
               if r["subscribedListings"][0].get("ownerProjectId") in mine]
    return page.render("inbox.html", domain_id=domain_id, pending=pending)


def requested(page: Page) -> Response:
    domain_id = page.request.path_params["domain"]
    projects = {p["id"]: p for p in page.call("ListProjects", domainIdentifier=domain_id, maxResults=50)["items"]}
    requests = [r for r in _requests(page, domain_id)
                if r["subscribedPrincipals"][0]["project"]["id"] in projects]
    subscriptions = {s["subscriptionRequestId"]: s for s in page.call(
        "ListSubscriptions", domainIdentifier=domain_id, maxResults=50).get("items", [])
        if s.get("subscriptionRequestId")}
    return page.render("requested.html", domain_id=domain_id, requests=requests, subscriptions=subscriptions)


def request_detail(page: Page) -> Response:
    domain_id, request_id = page.request.path_params["domain"], page.request.path_params["request"]
    found = page.call("GetSubscriptionRequestDetails", domainIdentifier=domain_id, identifier=request_id)
    subscriptions = page.call("ListSubscriptions", domainIdentifier=domain_id,
                              subscriptionRequestIdentifier=request_id, maxResults=5).get("items", [])
    subscription = subscriptions[0] if subscriptions else None
    grants = page.call("ListSubscriptionGrants", domainIdentifier=domain_id, subscriptionId=subscription["id"],
                       maxResults=50).get("items", []) if subscription else []
    projects = {p["id"] for p in page.call("ListProjects", domainIdentifier=domain_id, maxResults=50)["items"]}
    owner_side = found["subscribedListings"][0].get("ownerProjectId") in projects
    subscriber_side = found["subscribedPrincipals"][0]["project"]["id"] in projects
    return page.render("request.html", domain_id=domain_id, req=found, subscription=subscription, grants=grants,
                       can_decide=found["status"] == "PENDING" and owner_side and not subscriber_side,
                       owner_side=owner_side, subscriber_side=subscriber_side)


def decide(page: Page) -> Response:
    domain_id, request_id = page.request.path_params["domain"], page.request.path_params["request"]
    accept = page.form.get("decision") == "accept"
    page.call("AcceptSubscriptionRequest" if accept else "RejectSubscriptionRequest", domainIdentifier=domain_id,
              identifier=request_id, decisionComment=page.form.get("comment", "").strip() or None)
    return redirect(f"/d/{domain_id}/requests/{request_id}", notice="approved" if accept else "rejected")


def revoke(page: Page) -> Response:
    domain_id, subscription_id = page.request.path_params["domain"], page.request.path_params["subscription"]
    page.call("RevokeSubscription", domainIdentifier=domain_id, identifier=subscription_id)
    return redirect(f"/d/{domain_id}/requested", notice="revoked")


def unsubscribe(page: Page) -> Response:
    domain_id, subscription_id = page.request.path_params["domain"], page.request.path_params["subscription"]
    page.call("CancelSubscription", domainIdentifier=domain_id, identifier=subscription_id)
    return redirect(f"/d/{domain_id}/requested", notice="unsubscribed")
