"""DataZone wire operations for asset filters."""

from sqlalchemy.orm import Session

from openzone.subscriptions import asset_filters
from openzone.subscriptions.asset_filters import AssetFilter, Evaluation, sensitive
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


def _summary(row: AssetFilter, evaluation: Evaluation, show_rows: bool = True) -> dict:
    return {"id": row.id, "domainId": row.domain_id, "assetId": row.asset_id, "name": row.name,
            "description": row.description, "status": evaluation.status, "createdAt": row.created_at,
            "errorMessage": evaluation.error, "effectiveColumnNames": evaluation.effective_columns,
            "effectiveRowFilter": evaluation.effective_row_filter if show_rows else None}


def _filter(session: Session, row: AssetFilter) -> dict:
    evaluation = asset_filters.evaluate(row.configuration, asset_filters.asset_columns(session, row.asset_id))
    return {**_summary(row, evaluation), "configuration": row.configuration}


@datazone("CreateAssetFilter")
def create_filter(call: Call, p: dict) -> dict:
    row, _ = asset_filters.create_filter(call.session, call.principal, p["domainIdentifier"], p["assetIdentifier"], p)
    return _filter(call.session, row)


@datazone("GetAssetFilter")
def get_filter(call: Call, p: dict) -> dict:
    row, _ = asset_filters.get_filter(call.session, call.principal, p["domainIdentifier"], p["assetIdentifier"],
                                      p["identifier"])
    return _filter(call.session, row)


@datazone("UpdateAssetFilter")
def update_filter(call: Call, p: dict) -> dict:
    row, _ = asset_filters.update_filter(call.session, call.principal, p["domainIdentifier"], p["assetIdentifier"],
                                         p["identifier"], p)
    return _filter(call.session, row)


@datazone("DeleteAssetFilter")
def delete_filter(call: Call, p: dict) -> None:
    asset_filters.delete_filter(call.session, call.principal, p["domainIdentifier"], p["assetIdentifier"],
                                p["identifier"])


@datazone("ListAssetFilters")
def list_filters(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    found, asset = asset_filters.list_filters(call.session, call.principal, p["domainIdentifier"],
                                              p["assetIdentifier"], p.get("status"))
    items, token = page(found[offset:offset + limit + 1], offset, limit)
    member = asset_filters.is_member(call.session, call.principal, asset)
    # A sensitive row filter's expression stays with the owning project; others see its name and columns.
    return {"items": [_summary(row, e, member or not sensitive(row)) for row, e in items], "nextToken": token}
