"""DataZone wire operations Search (inventory) and SearchListings (the published catalog)."""

from sqlalchemy import bindparam, select

from openzone.catalog import product_routes
from openzone.catalog.system_forms import is_read_only_form
from openzone.glossary.models import GlossaryTerm
from openzone.search import kinds, service as search
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


def _request(p: dict) -> search.Request:
    attributes = p.get("additionalAttributes") or []
    return search.Request(text=p.get("searchText"), search_in=[i["attribute"] for i in p.get("searchIn") or []] or None,
                          filters=p.get("filters"), sort=p.get("sort"), aggregations=p.get("aggregations"),
                          rationale="TEXT_MATCH_RATIONALE" in attributes, offset=decode_token(p.get("nextToken")),
                          limit=p.get("maxResults", 50))


_TERMS = select(GlossaryTerm).where(GlossaryTerm.id.in_(bindparam("ids", expanding=True)))  # built once


def _preload_terms(session, term_lists) -> list[GlossaryTerm]:
    """A page's glossary terms in one query: while the caller holds the list, glossary.detailed_terms reads
    them from the session's identity map (which only holds weak references)."""
    ids = sorted({t for terms in term_lists for t in terms or () if isinstance(t, str)})
    return list(session.scalars(_TERMS, {"ids": ids})) if ids else []


def _listing_items(session, hits: list[search.Hit], with_forms: bool) -> list[dict]:
    listings = [hit.entity for hit in hits]
    governed = kinds.governed_terms(session, (x.asset_id for x in listings if x.asset_id))
    loaded = _preload_terms(session, [*(x.glossary_terms for x in listings), *governed.values()])
    items = [product_routes.search_item(session, hit.entity, with_forms, hit.rationale,
                                        governed.get(hit.entity.asset_id, [])) for hit in hits]
    del loaded  # held until every item is rendered
    return items


@datazone("SearchListings")
def search_listings(call: Call, p: dict) -> dict:
    request = _request(p)
    result = search.search_listings(call.session, call.principal, p["domainIdentifier"], request)
    items, token = page(result.hits, request.offset, request.limit)
    with_forms = "FORMS" in (p.get("additionalAttributes") or [])
    return {"items": _listing_items(call.session, items, with_forms), "nextToken": token,
            "totalMatchCount": result.total, "aggregates": result.aggregates or None}


def _inventory_item(hit: search.Hit, with_forms: bool, governed: dict[str, list[str]]) -> dict:
    rationale = hit.rationale or None
    if hit.kind == "DATA_PRODUCT":
        product, revision = hit.entity
        return {"dataProductItem": {
            "domainId": product.domain_id, "id": product.id, "name": revision.name,
            "owningProjectId": product.owning_project_id, "description": revision.description,
            "glossaryTerms": revision.glossary_terms or None, "createdAt": revision.created_at,
            "createdBy": revision.created_by, "firstRevisionCreatedAt": product.created_at,
            "firstRevisionCreatedBy": product.created_by,
            "additionalAttributes": {"matchRationale": rationale} if rationale else None}}
    if hit.kind == "ASSET":
        asset, revision = hit.entity
        forms = revision.forms if with_forms else []
        extra = {"formsOutput": [f for f in forms if not is_read_only_form(f)] or None,
                 "readOnlyFormsOutput": [f for f in forms if is_read_only_form(f)] or None,
                 "matchRationale": rationale}
        return {"assetItem": {
            "domainId": asset.domain_id, "identifier": asset.id, "name": revision.name,
            "typeIdentifier": asset.type_identifier, "typeRevision": asset.type_revision,
            "externalIdentifier": asset.external_identifier, "description": revision.description,
            "createdAt": revision.created_at, "createdBy": revision.created_by,
            "firstRevisionCreatedAt": asset.created_at, "firstRevisionCreatedBy": asset.created_by,
            "glossaryTerms": revision.glossary_terms or None, "owningProjectId": asset.owning_project_id,
            "governedGlossaryTerms": governed.get(asset.id) or None,
            "additionalAttributes": extra if any(v is not None for v in extra.values()) else None}}
    if hit.kind == "GLOSSARY":
        g = hit.entity
        return {"glossaryItem": {
            "domainId": g.domain_id, "id": g.id, "name": g.name, "owningProjectId": g.owning_project_id,
            "description": g.description, "status": g.status, "usageRestrictions": g.usage_restrictions or None,
            "createdAt": g.created_at, "createdBy": g.created_by, "updatedAt": g.updated_at,
            "updatedBy": g.updated_by, "additionalAttributes": {"matchRationale": rationale} if rationale else None}}
    term, glossary = hit.entity
    return {"glossaryTermItem": {
        "domainId": term.domain_id, "glossaryId": term.glossary_id, "id": term.id, "name": term.name,
        "shortDescription": term.short_description, "longDescription": term.long_description,
        "usageRestrictions": glossary.usage_restrictions or None, "status": term.status,
        "createdAt": term.created_at, "createdBy": term.created_by, "updatedAt": term.updated_at,
        "updatedBy": term.updated_by, "additionalAttributes": {"matchRationale": rationale} if rationale else None}}


@datazone("Search")
def search_inventory(call: Call, p: dict) -> dict:
    request = _request(p)
    result = search.search_inventory(call.session, call.principal, p["domainIdentifier"], p["searchScope"],
                                     p.get("owningProjectIdentifier"), request)
    items, token = page(result.hits, request.offset, request.limit)
    with_forms = "FORMS" in (p.get("additionalAttributes") or [])
    governed = kinds.governed_terms(call.session, (hit.entity_id for hit in items if hit.kind == "ASSET"))
    return {"items": [_inventory_item(hit, with_forms, governed) for hit in items], "nextToken": token,
            "totalMatchCount": result.total}
