"""S3 permissions (the wire's assetPermissions): what a request, subscription or grant asks for on S3 assets.

openzone grants no S3 access itself (S3 object collections are unmanaged assets): the permissions travel
from the request (or the approver's decision) to the subscription and its grants, are shown on each, and
are carried by the grant events to the fulfiller outside openzone that acts on them.
"""

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openzone.catalog import service as catalog
from openzone.catalog.models import Listing
from openzone.errors import ValidationError
from openzone.subscriptions.filter_models import AssetPermissions

S3_ASSET_TYPE = "S3ObjectCollectionAssetType"


def validate(session: Session, listing: Listing, revision: int, asset_permissions: list[dict] | None) -> dict[str, list[str]]:
    """asset id -> S3 permissions of the wire's assetPermissions; each an S3 object collection of the listing."""
    types = {asset_id: catalog.short_type_name(asset_type)
             for asset_id, _, asset_type in catalog.listing_assets(session, listing, revision)}
    out: dict[str, list[str]] = {}
    for entry in asset_permissions or ():
        asset_id, s3 = entry["assetId"], list(dict.fromkeys((entry.get("permissions") or {}).get("s3") or ()))
        if asset_id not in types:
            raise ValidationError(f"Asset {asset_id} is not part of listing {listing.id}.")
        if types[asset_id] != S3_ASSET_TYPE:
            raise ValidationError(f"assetPermissions apply to S3 object collections; asset {asset_id} is a "
                                  f"{types[asset_id]}.")
        if asset_id in out:
            raise ValidationError(f"Asset {asset_id} appears more than once in assetPermissions.")
        if not s3:
            raise ValidationError(f"The permissions of asset {asset_id} need at least one S3 permission (READ, WRITE).")
        out[asset_id] = s3
    return out


def record(session: Session, kind: str, owner_id: str, permissions: dict[str, list[str]]) -> None:
    """Store (replacing any earlier ones) the S3 permissions of a request, subscription or grant."""
    session.execute(delete(AssetPermissions).where(AssetPermissions.owner_kind == kind,
                                                   AssetPermissions.owner_id == owner_id))
    for asset_id, s3 in permissions.items():
        session.add(AssetPermissions(owner_kind=kind, owner_id=owner_id, asset_id=asset_id, s3=s3))
    session.flush()


def of(session: Session, kind: str, owner_id: str) -> dict[str, list[str]]:
    """asset id -> S3 permissions recorded for a request, subscription or grant."""
    rows = session.scalars(select(AssetPermissions).where(AssetPermissions.owner_kind == kind,
                                                          AssetPermissions.owner_id == owner_id))
    return {row.asset_id: list(row.s3) for row in rows}


def render(session: Session, kind: str, owner_id: str, asset_id: str) -> dict | None:
    """The wire's Permissions of one asset, None when none were asked for."""
    s3 = of(session, kind, owner_id).get(asset_id)
    return {"s3": s3} if s3 else None
