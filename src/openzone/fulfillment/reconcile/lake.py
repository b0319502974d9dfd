"""The lake side of reconciliation: governed views (LakeView rows, what the query service enforces) vs grants.

Both directions: every GRANTED asset of a lake target must have exactly its view, reading the table the
listing names, which must still exist; every view must belong to an asset that holds access."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.catalog import service as catalog
from openzone.catalog.models import Listing
from openzone.config import Settings
from openzone.fulfillment import lake, tasks
from openzone.fulfillment.models import LakeView
from openzone.fulfillment.reconcile.findings import HOLDS_ACCESS, REPAIRED, Finding, fail_grant, regrant
from openzone.lake.access import get_warehouse
from openzone.projects.models import Environment, SubscriptionTarget
from openzone.subscriptions import states
from openzone.subscriptions.models import GrantAsset, SubscriptionGrant

ENGINE = "LAKE"
TARGET_TYPE = tasks.GLUE_TARGET


def check(session: Session, settings: Settings, domain_id: str | None, repair: bool) -> list[Finding]:
    """Compare lake grants with lake views in both directions; with `repair`, make the views match."""
    grants = select(GrantAsset.grant_id, GrantAsset.asset_id, GrantAsset.asset_revision, GrantAsset.status,
                    SubscriptionGrant.domain_id, SubscriptionGrant.environment_id, Environment.consumer_db, Listing
                    ).join(SubscriptionGrant, SubscriptionGrant.id == GrantAsset.grant_id
                    ).join(SubscriptionTarget, SubscriptionTarget.id == SubscriptionGrant.target_id
                    ).join(Environment, Environment.id == SubscriptionGrant.environment_id
                    ).join(Listing, Listing.id == SubscriptionGrant.listing_id
                    ).where(SubscriptionTarget.type == TARGET_TYPE)
    views = select(LakeView, SubscriptionGrant.domain_id, SubscriptionGrant.environment_id).join(
        SubscriptionGrant, SubscriptionGrant.id == LakeView.grant_id)
    if domain_id is not None:
        grants = grants.where(SubscriptionGrant.domain_id == domain_id)
        views = views.where(SubscriptionGrant.domain_id == domain_id)
    unexplained = {(v.grant_id, v.asset_id): (v, d, e) for v, d, e in session.execute(views)}
    statuses, findings = {}, []
    tables = _TableLister(settings)
    for grant_id, asset_id, revision, status, domain, environment_id, consumer_db, listing in session.execute(grants):
        key = (grant_id, asset_id)
        statuses[key] = status
        if status not in HOLDS_ACCESS:
            continue
        view = unexplained.pop(key, (None,))[0]
        if status != states.GRANTED:
            continue
        finding = Finding(domain, ENGINE, "", "", "", grant_id, asset_id, environment_id)
        try:
            source = catalog.asset_table(session, listing, asset_id, revision)
        except LookupError as error:
            source, gone = None, str(error)
        else:
            gone = None if source[1] in tables.of(source[0]) else (
                f"The source table {source[0]}.{source[1]} no longer exists.")
        if gone is not None:
            findings.append(_source_gone(session, finding, view, source, gone, repair))
        elif view is None:
            findings.append(_missing(session, settings, finding, consumer_db, source, repair))
        elif (view.database, view.source_database, view.source_table) != (consumer_db, *source):
            findings.append(_wrong(session, settings, finding, view, consumer_db, source, repair))
    for view, domain, environment_id in unexplained.values():
        findings.append(_extra(session, Finding(domain, ENGINE, "", "", "", view.grant_id, view.asset_id,
                                                environment_id), view, statuses.get((view.grant_id, view.asset_id)),
                               repair))
    return findings


class _TableLister:
    """Tables of each source database, listed once per pass (one catalog query per database)."""

    def __init__(self, settings: Settings) -> None:
        self.warehouse, self.known = get_warehouse(settings), {}

    def of(self, database: str) -> set[str]:
        if database not in self.known:
            try:
                self.known[database] = set(self.warehouse.list_tables(database))
            except ValueError:  # not a valid database name: nothing can exist in it
                self.known[database] = set()
        return self.known[database]


def _source_gone(session: Session, finding: Finding, view: LakeView | None, source: tuple[str, str] | None,
                 cause: str, repair: bool) -> Finding:
    finding.kind, finding.detail = "SOURCE_GONE", cause
    finding.resource = (f"{view.database}.{view.name}" if view is not None else
                        ".".join(source) if source else f"asset {finding.asset_id}")
    if repair and fail_grant(session, finding):
        lake.revoke_table(session, finding.grant_id, finding.asset_id)  # failed: nothing stays readable under it
    return finding


def _missing(session: Session, settings: Settings, finding: Finding, consumer_db: str, source: tuple[str, str],
             repair: bool) -> Finding:
    finding.kind, finding.resource = "MISSING_ACCESS", f"{consumer_db}.{source[1]}"
    finding.detail = f"The grant is GRANTED but {consumer_db} has no table reading {source[0]}.{source[1]}."
    if repair and (name := regrant(session, settings, finding)):
        finding.resource = f"{consumer_db}.{name}"
    return finding


def _wrong(session: Session, settings: Settings, finding: Finding, view: LakeView, consumer_db: str,
           source: tuple[str, str], repair: bool) -> Finding:
    finding.kind, finding.resource = "WRONG_SOURCE", f"{view.database}.{view.name}"
    finding.detail = (f"{view.database}.{view.name} reads {view.source_database}.{view.source_table}; "
                      f"the grant gives {source[0]}.{source[1]} in {consumer_db}.")
    if repair and (name := regrant(session, settings, finding)):
        finding.resource = f"{consumer_db}.{name}"
    return finding


def _extra(session: Session, finding: Finding, view: LakeView, status: str | None, repair: bool) -> Finding:
    finding.kind, finding.resource = "EXTRA_ACCESS", f"{view.database}.{view.name}"
    held = f"its grant asset is {status}" if status else "no lake grant gives it"
    finding.detail = f"{view.database}.{view.name} reads {view.source_database}.{view.source_table} but {held}."
    if repair:
        session.delete(view)
        session.flush()
        finding.outcome = REPAIRED
    return finding
