"""DataZone wire operation SearchListings."""

import json

from openzone.catalog.service import short_type_name
from openzone.search import service as search
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


@datazone("SearchListings")
def search_listings(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    rows, total = search.search_listings(call.session, call.principal, p["domainIdentifier"], p.get("searchText"),
                                         p.get("sort"), offset, limit)
    items, token = page(rows, offset, limit)
    with_forms = "FORMS" in (p.get("additionalAttributes") or [])
    return {"items": [{"assetListing": {
        "listingId": row.id, "listingRevision": str(row.revision), "name": row.name, "entityId": row.asset_id,
        "entityRevision": str(row.asset_revision), "entityType": short_type_name(row.asset_type),
        "description": row.description, "createdAt": row.created_at, "listingCreatedBy": row.created_by,
        "listingUpdatedBy": row.updated_by or row.created_by, "owningProjectId": row.owning_project_id,
        "additionalAttributes": {"forms": json.dumps(row.forms)} if with_forms else None,
    }} for row in items], "nextToken": token, "totalMatchCount": total}
