"""The lake grant engine: a governed view per granted table in the subscriber's subscription database.

A grant scoped to asset filters shows only the filters' columns and rows; the query service materializes
those rows when it builds the sandbox, so the table's files never become reachable from the consumer's SQL.
"""

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.fulfillment.models import LakeView
from openzone.lake.access import get_warehouse
from openzone.subscriptions import scopes
from openzone.subscriptions.filter_models import AssetScope


class GrantFailure(Exception):
    """The engine could not grant; the message becomes the grant's failureCause."""


def grant_table(session: Session, settings: Settings, grant_id: str, asset_id: str, consumer_db: str,
                source: tuple[str, str]) -> str:
    """Make `source` readable as a table of `consumer_db`; idempotent; returns the name it got."""
    existing = session.scalar(select(LakeView).where(LakeView.grant_id == grant_id, LakeView.asset_id == asset_id))
    if existing is not None:
        return existing.name
    source_db, source_table = source
    try:
        get_warehouse(settings).table(source_db, source_table)
    except (LookupError, ValueError):
        raise GrantFailure(f"The source table {source_db}.{source_table} no longer exists.") from None
    name = source_table
    # Only the two names it may get, not every table of a consumer that may have thousands.
    taken = set(session.scalars(select(LakeView.name).where(
        LakeView.database == consumer_db, LakeView.name.in_((name, f"{source_table}_{source_db}")))))
    if name in taken:  # two granted tables with one name: keep both readable, the newer one suffixed
        name = f"{source_table}_{source_db}"
    if name in taken:
        raise GrantFailure(f"{consumer_db} already has tables named {source_table} and {name}.")
    session.add(LakeView(grant_id=grant_id, asset_id=asset_id, database=consumer_db, name=name,
                         source_database=source_db, source_table=source_table))
    session.flush()
    return name


def revoke_table(session: Session, grant_id: str, asset_id: str) -> None:
    """Remove the governed view of this grant (nothing else); idempotent."""
    view = session.scalar(select(LakeView).where(LakeView.grant_id == grant_id, LakeView.asset_id == asset_id))
    if view is not None:
        session.delete(view)
        session.flush()


# Every query of a consumer builds its sandbox spec with this; built once, with a bound parameter.
_VIEWS_OF = select(LakeView.name, LakeView.source_database, LakeView.source_table, LakeView.grant_id,
                   LakeView.asset_id, AssetScope.id.label("scope")).outerjoin(AssetScope, and_(
    AssetScope.owner_kind == scopes.GRANT, AssetScope.owner_id == LakeView.grant_id,
    AssetScope.asset_id == LakeView.asset_id)).where(LakeView.database == bindparam("database"))


def views_of(session: Session, consumer_db: str) -> tuple[dict[str, tuple[str, str]], dict[str, scopes.Scope]]:
    """Every table visible in a subscription database, name -> (source database, source table), and those
    a filtered grant shows only in part, name -> scope."""
    rows = session.execute(_VIEWS_OF, {"database": consumer_db}).all()  # one query for both
    views = {row.name: (row.source_database, row.source_table) for row in rows}
    scoped = {row.name: scopes.effective_scope(session, row.grant_id, row.asset_id) for row in rows if row.scope is not None}
    return views, scoped
