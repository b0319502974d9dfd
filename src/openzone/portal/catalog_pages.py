"""Home, the catalog search, a listing, and an asset with its schema, forms, revisions and predictions."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from starlette.responses import Response

from openzone.portal import event_pages
from openzone.portal.web import PREFIX, Page, redirect
from openzone.wire.pagination import encode_token

PAGE_SIZE = 20
FACETS = (("amazonmetadata.typeName", "Asset type"), ("owningProjectId", "Owning project"),
          ("__DataZoneGlossaryTerms", "Glossary terms"))
# Without search text, no sort means most recently updated first (the scope index's own order).
SORTS = {"relevance": None, "name": {"attribute": "name", "order": "ASCENDING"},
         "updated": {"attribute": "updatedAt", "order": "DESCENDING"}}


def home(page: Page) -> Response:
    domains = page.call("ListDomains", maxResults=25).get("items", [])
    if len(domains) == 1:
        return redirect(f"/d/{domains[0]['id']}")
    return page.render("home.html", domains=domains)


def domain_home(page: Page) -> Response:
    domain_id = page.request.path_params["domain"]
    domain = page.call("GetDomain", identifier=domain_id)
    projects = page.call("ListProjects", domainIdentifier=domain_id, maxResults=50).get("items", [])
    mine = {p["id"] for p in projects}
    pending = page.call("ListSubscriptionRequests", domainIdentifier=domain_id, status="PENDING",
                        maxResults=50).get("items", [])
    recent = page.call("SearchListings", domainIdentifier=domain_id, maxResults=10).get("items", [])  # newest first
    return page.render("domain.html", domain_id=domain_id, domain=domain, projects=projects, recent=recent,
                       to_review=[r for r in pending if r.get("subscribedListings") and
                                  r["subscribedListings"][0].get("ownerProjectId") in mine
                                  and r["subscribedPrincipals"][0]["project"]["id"] not in mine],
                       waiting=[r for r in pending if r["subscribedPrincipals"][0]["project"]["id"] in mine])


def _filters(params) -> dict | None:
    clauses = [{"filter": {"attribute": attribute, "value": params[key]}}
               for key, attribute in (("type", "amazonmetadata.typeName"), ("project", "owningProjectId"),
                                      ("term", "__DataZoneGlossaryTerms")) if params.get(key)]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"and": clauses}


def search(page: Page) -> Response:
    domain_id, params = page.request.path_params["domain"], page.request.query_params
    text = params.get("q", "").strip()
    number = max(1, int(params["page"])) if params.get("page", "").isdigit() else 1
    sort_key = params.get("sort") if params.get("sort") in SORTS else "relevance"
    sort = None if sort_key == "updated" and not text else SORTS[sort_key]
    result = page.call("SearchListings", domainIdentifier=domain_id, searchText=text or None,
                       filters=_filters(params), sort=sort, maxResults=PAGE_SIZE,
                       nextToken=encode_token((number - 1) * PAGE_SIZE) if number > 1 else None,
                       aggregations=[{"attribute": a} for a, _ in FACETS])
    facets = {a["attribute"]: a for a in result.get("aggregates") or []}
    total = result.get("totalMatchCount", 0)
    # The owning-project facet names every project on the page, even those the caller is not a member of.
    project_names = {v["value"]: v.get("displayValue") or v["value"]
                     for v in (facets.get("owningProjectId") or {}).get("items", [])}

    def link(changes: dict) -> str:
        """This search with some parameters changed (an empty value removes one); back to page 1 unless given."""
        query = {k: v for k, v in {**dict(params), "page": "", **changes}.items() if v}
        return f"{PREFIX}/d/{quote(domain_id, safe='')}/catalog?{urlencode(sorted(query.items()))}"

    return page.render("search.html", domain_id=domain_id, link=link, text=text, words=text.split(), project_names=project_names,
                       items=result.get("items", []), total=total, number=number, sort=sort_key,
                       pages=max(1, -(-total // PAGE_SIZE)), facets=[(facets.get(a), label, key) for (a, label), key
                                                                     in zip(FACETS, ("type", "project", "term"))],
                       params=dict(params), has_next=bool(result.get("nextToken")))


def _columns(forms: dict) -> list[dict]:
    """The schema's columns with their business names, descriptions and terms."""
    table = forms.get("GlueTableForm") or forms.get("RedshiftTableForm") or forms.get("GlueViewForm") or \
        forms.get("RedshiftViewForm") or {}
    business = {c["columnIdentifier"]: c for c in
                (forms.get("ColumnBusinessMetadataForm") or {}).get("columnsBusinessMetadata") or []}
    return [{"name": c.get("columnName") or c.get("name"), "type": c.get("dataType"),
             **{k: business.get(c.get("columnName") or c.get("name"), {}).get(k)
                for k in ("description", "glossaryTerms")},
             "business_name": business.get(c.get("columnName") or c.get("name"), {}).get("name")}
            for c in table.get("columns") or []]


def listing(page: Page) -> Response:
    domain_id, listing_id = page.request.path_params["domain"], page.request.path_params["listing"]
    found = page.call("GetListing", domainIdentifier=domain_id, identifier=listing_id)
    item = found["item"].get("assetListing") or found["item"].get("dataProductListing")
    forms = json.loads(item.get("forms") or "{}")
    projects = page.call("ListProjects", domainIdentifier=domain_id, maxResults=50).get("items", [])
    subscribers = [p for p in projects if p["id"] != item.get("owningProjectId")]
    asset_id = (found["item"].get("assetListing") or {}).get("assetId")
    filters = page.call("ListAssetFilters", domainIdentifier=domain_id, assetIdentifier=asset_id, status="VALID",
                        maxResults=50).get("items", []) if asset_id else []
    return page.render("listing.html", domain_id=domain_id, listing=found, item=item, forms=forms, filters=filters,
                       columns=_columns(forms), projects=subscribers, reason=page.form.get("reason", ""),
                       form_error=page.form.get("error"))


def asset(page: Page) -> Response:
    domain_id, asset_id = page.request.path_params["domain"], page.request.path_params["asset"]
    found = page.call("GetAsset", domainIdentifier=domain_id, identifier=asset_id)
    forms = {f["formName"]: json.loads(f.get("content") or "{}") for f in found.get("formsOutput") or []}
    read_only = {f["formName"]: json.loads(f.get("content") or "{}") for f in found.get("readOnlyFormsOutput") or []}
    revisions = page.call("ListAssetRevisions", domainIdentifier=domain_id, identifier=asset_id,
                          maxResults=25).get("items", [])
    listing_id = (found.get("listing") or {}).get("listingId")
    subscribers = page.call("ListSubscriptions", domainIdentifier=domain_id, subscribedListingId=listing_id,
                            status="APPROVED", maxResults=50).get("items", []) if listing_id else []
    history = event_pages.trail(page, asset_id, found["owningProjectId"])
    return page.render("asset.html", domain_id=domain_id, asset=found, history=history, forms=forms, read_only=read_only,
                       columns=_columns({**forms, **read_only}), revisions=revisions, subscribers=subscribers,
                       suggestions=[t for t in (read_only.get("SuggestionForm") or {}).get("suggestions") or []
                                    if t.get("status") == "PENDING" and t.get("predictions")])


def publish(page: Page) -> Response:
    domain_id, asset_id = page.request.path_params["domain"], page.request.path_params["asset"]
    action = "UNPUBLISH" if page.form.get("action") == "UNPUBLISH" else "PUBLISH"
    page.call("CreateListingChangeSet", domainIdentifier=domain_id, entityIdentifier=asset_id,
              entityType="ASSET", action=action)
    return redirect(f"/d/{domain_id}/assets/{asset_id}", notice="published" if action == "PUBLISH" else "unpublished")


def decide_predictions(page: Page) -> Response:
    """Accept the checked suggestions (as edited in their fields), or reject every pending one."""
    domain_id, asset_id = page.request.path_params["domain"], page.request.path_params["asset"]
    if page.form.get("decision") == "reject":
        page.call("RejectPredictions", domainIdentifier=domain_id, identifier=asset_id, rejectRule={"rule": "ALL"})
        return redirect(f"/d/{domain_id}/assets/{asset_id}", notice="suggestions rejected")
    choices = []
    for key, target in page.form.items():
        if key.startswith("use:"):
            index = key[4:]
            choice = {"predictionTarget": target, "predictionChoice": int(page.form.get(f"choice:{index}", "0"))}
            edited, offered = page.form.get(f"value:{index}", "").strip(), page.form.get(f"offered:{index}", "")
            if edited and edited != offered:
                choice["editedValue"] = edited
            choices.append(choice)
    if not choices:
        return redirect(f"/d/{domain_id}/assets/{asset_id}", notice="nothing selected, nothing changed")
    page.call("AcceptPredictions", domainIdentifier=domain_id, identifier=asset_id, acceptChoices=choices)
    return redirect(f"/d/{domain_id}/assets/{asset_id}", notice="suggestions accepted")
