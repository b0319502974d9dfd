"""DataZone wire operation SearchTypes."""

from openzone.catalog import type_search
from openzone.catalog.type_routes import _asset_type, _form_type
from openzone.catalog.types import AssetTypeInfo
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


@datazone("SearchTypes")
def search_types(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    found = type_search.search_types(call.session, call.principal, p["domainIdentifier"], p)
    items, token = page(found[offset:offset + limit + 1], offset, limit)
    return {"items": [{"assetTypeItem": _asset_type(info)} if isinstance(info, AssetTypeInfo)
                      else {"formTypeItem": _form_type(info, detail=True)} for info in items],
            "nextToken": token, "totalMatchCount": len(found)}
