"""Asset scopes: the filters a request, subscription or grant limits an asset to, and what they let through.

Several filters combine as DataZone combines them: the union of their columns and their row filters
OR-ed; a filter without a column configuration means all columns, one without a row configuration all
rows. The scope is resolved from the filters as they are now, so an updated filter changes what every
grant using it shows on the next query.
"""

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openzone.catalog import service as catalog
from openzone.catalog.models import Listing
from openzone.errors import ValidationError
from openzone.subscriptions import asset_filters, row_filters
from openzone.subscriptions.filter_models import AssetFilter, AssetScope

REQUEST, SUBSCRIPTION, GRANT = "REQUEST", "SUBSCRIPTION", "GRANT"


@dataclass(frozen=True)
class Scope:
    """What a filtered grant shows: columns (None: all) and rows (None: all).

    columns == () means nothing at all: every filter of the scope was deleted or is INVALID now, and a
    grant engine must then grant nothing rather than fall back to the whole table.
    """

    columns: tuple[str, ...] | None
    row_filter: dict | None


NOTHING = Scope(columns=(), row_filter=None)


def validate(session: Session, listing: Listing, revision: int, asset_scopes: list[dict] | None) -> dict[str, list[str]]:
    """asset id -> filter ids of the wire's assetScopes; each asset granted by the listing, each filter VALID."""
    granted = {asset_id for asset_id, _, _ in catalog.listing_assets(session, listing, revision)}
    out: dict[str, list[str]] = {}
    for entry in asset_scopes or ():
        asset_id, filter_ids = entry["assetId"], list(dict.fromkeys(entry.get("filterIds") or ()))
        if asset_id not in granted:
            raise ValidationError(f"Asset {asset_id} is not part of listing {listing.id}.")
        if asset_id in out:
            raise ValidationError(f"Asset {asset_id} appears more than once in assetScopes.")
        if not filter_ids:
            raise ValidationError(f"The asset scope of asset {asset_id} needs at least one filter id.")
        columns = asset_filters.asset_columns(session, asset_id)
        for filter_id in filter_ids:
            row = session.get(AssetFilter, filter_id)
            if row is None or row.asset_id != asset_id:
                raise ValidationError(f"Asset filter {filter_id} does not exist for asset {asset_id}.")
            evaluation = asset_filters.evaluate(row.configuration, columns)
            if evaluation.status != asset_filters.VALID:
                raise ValidationError(f"Asset filter {filter_id} is INVALID: {evaluation.error}")
        out[asset_id] = filter_ids
    return out


def record(session: Session, kind: str, owner_id: str, scopes: dict[str, list[str]]) -> None:
    """Store (replacing any earlier ones) the scopes of a request, subscription or grant."""
    session.execute(delete(AssetScope).where(AssetScope.owner_kind == kind, AssetScope.owner_id == owner_id))
    for asset_id, filter_ids in scopes.items():
        session.add(AssetScope(owner_kind=kind, owner_id=owner_id, asset_id=asset_id, filter_ids=filter_ids))
    session.flush()


def scopes_of(session: Session, kind: str, owner_id: str) -> dict[str, list[str]]:
    """asset id -> filter ids recorded for a request, subscription or grant."""
    rows = session.scalars(select(AssetScope).where(AssetScope.owner_kind == kind, AssetScope.owner_id == owner_id))
    return {row.asset_id: list(row.filter_ids) for row in rows}


def render(session: Session, kind: str, owner_id: str, asset_id: str) -> dict | None:
    """The wire's AssetScope of one asset (status VALID, or INVALID with the reason), None when unscoped."""
    filter_ids = scopes_of(session, kind, owner_id).get(asset_id)
    if filter_ids is None:
        return None
    errors = [f"{fid}: {error}" for fid, error in _errors(session, asset_id, filter_ids)]
    return {"assetId": asset_id, "filterIds": filter_ids, "status": "INVALID" if errors else "VALID",
            **({"errorMessage": "; ".join(errors)} if errors else {})}


def _errors(session: Session, asset_id: str, filter_ids: list[str]):
    columns = asset_filters.asset_columns(session, asset_id)
    for filter_id in filter_ids:
        row = session.get(AssetFilter, filter_id)
        if row is None:
            yield filter_id, "the asset filter was deleted"
        elif (evaluation := asset_filters.evaluate(row.configuration, columns)).error:
            yield filter_id, evaluation.error


def combine(evaluations: list[asset_filters.Evaluation], column_order: list[str]) -> Scope:
    """One scope from VALID filters: union of columns (in the table's order), row filters OR-ed."""
    if not evaluations:
        return NOTHING
    if any(e.columns is None for e in evaluations):
        columns = None
    else:
        wanted = {c for e in evaluations for c in e.columns}
        columns = tuple(c for c in column_order if c in wanted)
    if any(e.row_filter is None for e in evaluations):
        rows = None
    else:
        rows = row_filters.any_of([e.row_filter for e in evaluations])
    return Scope(columns=columns, row_filter=rows)


def effective_scope(session: Session, grant_id: str, asset_id: str) -> Scope | None:
    """What grant `grant_id` shows of asset `asset_id` now; None when it is not filtered (the whole table)."""
    filter_ids = scopes_of(session, GRANT, grant_id).get(asset_id)
    if filter_ids is None:
        return None
    columns = asset_filters.asset_columns(session, asset_id)
    rows = [session.get(AssetFilter, fid) for fid in filter_ids]
    evaluations = [asset_filters.evaluate(row.configuration, columns) for row in rows if row is not None]
    return combine([e for e in evaluations if e.status == asset_filters.VALID], list(columns or ()))
