"""GetAsset's read path: the asset, the caller's right to see it and everything its output shows, in one query.

GetAsset is the hottest read of the catalog. Done entity by entity (assets.get_asset, then the predictions
and governed terms the renderer looks up) it costs seven statements: on PostgreSQL seven round trips and
seven trips through the ORM. Here one prebuilt Core statement joins them, starting from the domain so that
the checks and their refusals are exactly those of `assets.get_asset`:

1. no such domain, or the caller is neither an administrator nor one of its users: Domain ... not found;
2. no such asset in the domain, or the caller is neither an administrator nor a member of its owning
   project: Asset ... not found (inventory never leaks);
3. a revision that is not a number: ValidationError; a revision the asset does not have: NotFound.

The statement yields one row per governed term on the asset (at most 20), one row when there are none.
"""

from collections import namedtuple
from dataclasses import dataclass

from sqlalchemy import Integer, and_, bindparam, func, select
from sqlalchemy.orm import Session

from openzone.catalog.assets import DELETED, revision_number
from openzone.catalog.models import Asset, AssetRevision, Listing
from openzone.domains.models import Domain, UserProfile
from openzone.enrichment.models import AssetPredictions
from openzone.errors import NotFoundError
from openzone.governance.models import AssetGovernedTerm
from openzone.identity.models import User
from openzone.projects.models import ProjectMember

# The columns read of each table, named as the ORM attributes the renderer uses.
AssetRow = namedtuple("AssetRow", "id domain_id owning_project_id type_identifier type_revision "
                                  "external_identifier revision created_at created_by")
RevisionRow = namedtuple("RevisionRow", "revision name description glossary_terms forms created_at created_by")
ListingRow = namedtuple("ListingRow", "id status")
PredictionsRow = namedtuple("PredictionsRow", "enabled generator suggestions")

_A, _R, _L, _P = (Asset.__table__, AssetRevision.__table__, Listing.__table__, AssetPredictions.__table__)
_D, _U, _M, _G = (Domain.__table__, UserProfile.__table__, ProjectMember.__table__, AssetGovernedTerm.__table__)
_GROUPS = ((AssetRow, _A), (RevisionRow, _R), (ListingRow, _L), (PredictionsRow, _P))
_COLUMNS = [table.c[name] for row_type, table in _GROUPS for name in row_type._fields]

# Parameters: domain, actor, asset, revision (None: the latest).
_VIEW = (
    select(_U.c.user_id, _M.c.designation, _G.c.term_id, *_COLUMNS)
    .select_from(_D)
    .outerjoin(_U, and_(_U.c.domain_id == _D.c.id, _U.c.user_id == bindparam("actor")))
    .outerjoin(_A, and_(_A.c.id == bindparam("asset"), _A.c.domain_id == _D.c.id))
    .outerjoin(_M, and_(_M.c.project_id == _A.c.owning_project_id, _M.c.user_id == bindparam("actor")))
    .outerjoin(_R, and_(_R.c.asset_id == _A.c.id,
                        _R.c.revision == func.coalesce(bindparam("revision", type_=Integer), _A.c.revision)))
    .outerjoin(_L, _L.c.asset_id == _A.c.id)
    .outerjoin(_P, and_(_P.c.asset_id == _R.c.asset_id, _P.c.revision == _R.c.revision))
    .outerjoin(_G, _G.c.asset_id == _A.c.id)
    .where(_D.c.id == bindparam("domain"))
    .order_by(_G.c.created_at, _G.c.term_id)
)
_FIXED = 3  # the leading columns of _VIEW before _COLUMNS
_MAX_REVISION = 2**31 - 1  # asset_revisions.revision is an INTEGER


@dataclass(frozen=True)
class AssetView:
    """One revision of an asset with its listing (unless deleted), predictions and governed terms."""

    asset: AssetRow
    revision: RevisionRow
    listing: ListingRow | None
    predictions: PredictionsRow | None
    governed_terms: list[str]


def asset_view(session: Session, actor: User, domain_id: str, asset_id: str, revision: str | None = None) -> AssetView:
    """What GetAsset shows of an asset of the caller's project inventory (same checks as assets.get_asset)."""
    wanted = int(revision) if revision is not None and revision.isdigit() else None
    if wanted is not None and wanted > _MAX_REVISION:
        wanted = 0  # beyond the column's range: no such revision (revisions count from 1)
    rows = session.connection().execute(_VIEW, {"domain": domain_id, "actor": actor.id, "asset": asset_id,
                                                "revision": wanted}).all()
    if not rows or not (actor.is_admin or rows[0][0] is not None):
        raise NotFoundError(f"Domain {domain_id} not found.")
    first = rows[0]
    parts, at = [], _FIXED
    for row_type, _ in _GROUPS:
        parts.append(row_type._make(first[at:at + len(row_type._fields)]))
        at += len(row_type._fields)
    asset, revision_row, listing, predictions = parts
    if asset.id is None or not (actor.is_admin or first[1] is not None):
        raise NotFoundError(f"Asset {asset_id} not found.")
    revision_number(revision, asset.revision)  # a revision that is not a number is refused here, after the checks
    if revision_row.revision is None:
        raise NotFoundError(f"Asset {asset_id} has no revision {revision}.")
    return AssetView(asset, revision_row, listing if listing.id is not None and listing.status != DELETED else None,
                     predictions if predictions.enabled is not None else None,  # enabled is NOT NULL
                     [row[2] for row in rows if row[2] is not None])
