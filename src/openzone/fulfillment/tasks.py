"""Worker jobs that fulfil and revoke grants, taking each asset through its visible states."""

import logging
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from openzone.catalog import service as catalog
from openzone.catalog.models import Listing
from openzone.config import Settings
from openzone.db.types import utcnow
from openzone.fulfillment import lake, warehouse
from openzone.jobs.queue import enqueue, task
from openzone.projects.models import Environment, SubscriptionTarget
from openzone.subscriptions import row_filters, scopes
from openzone.subscriptions import service as subscriptions
from openzone.subscriptions import states
from openzone.subscriptions.models import GrantAsset, SubscriptionGrant

log = logging.getLogger("openzone.fulfillment")
GLUE_TARGET, REDSHIFT_TARGET = "GlueSubscriptionTargetType", "RedshiftSubscriptionTargetType"


def _gave_up_granting(session: Session, settings: Settings, payload: dict, error: str) -> None:
    """Every retry failed: the assets still being granted end GRANT_FAILED with the engine's last error."""
    _give_up(session, payload, (states.GRANT_PENDING, states.GRANT_IN_PROGRESS), states.GRANT_FAILED,
             f"Granting failed after every retry: {error}", "Subscription Grant Failed")


def _gave_up_revoking(session: Session, settings: Settings, payload: dict, error: str) -> None:
    """Every retry failed: the assets still being revoked end REVOKE_FAILED with the engine's last error."""
    _give_up(session, payload, (states.REVOKE_PENDING, states.REVOKE_IN_PROGRESS), states.REVOKE_FAILED,
             f"Revoking failed after every retry: {error}", "Subscription Grant Revoke Failed")


def _give_up(session: Session, payload: dict, stuck: tuple[str, ...], status: str, cause: str,
             detail_type: str) -> None:
    grant = session.get(SubscriptionGrant, payload["grant_id"])
    if grant is None:
        return
    for asset in subscriptions.grant_assets(session, grant.id):
        if asset.status in stuck and asset.managed:
            asset.status = states.move_asset(asset.status, status)
            asset.failure_cause, asset.failed_at = cause, utcnow()
            subscriptions.grant_event(session, grant, asset.asset_id, None, detail_type, {"failureCause": cause})
    session.flush()


@task("grant.fulfill", on_give_up=_gave_up_granting)
def fulfill(session: Session, settings: Settings, payload: dict) -> None:
    """GRANT_PENDING -> GRANT_IN_PROGRESS -> GRANTED | GRANT_FAILED for each asset of the grant.

    Assets already GRANT_IN_PROGRESS are taken up again: they belong to an earlier attempt of this job that
    failed (a transient engine error, retried with backoff) or whose worker died (its lease ran out)."""
    grant = session.get(SubscriptionGrant, payload["grant_id"])
    if grant is None:
        return
    # Unmanaged assets are an external fulfiller's (UpdateSubscriptionGrantStatus): never touch them.
    pending = [a for a in subscriptions.grant_assets(session, grant.id)
               if a.status in (states.GRANT_PENDING, states.GRANT_IN_PROGRESS) and a.managed]
    if not pending:
        return
    for asset in pending:
        if asset.status == states.GRANT_PENDING:
            asset.status = states.move_asset(asset.status, states.GRANT_IN_PROGRESS)
    session.commit()  # the worker owns this transaction: make IN_PROGRESS visible before acting
    target = session.get(SubscriptionTarget, grant.target_id)
    environment = session.get(Environment, grant.environment_id)
    listing = session.get(Listing, grant.listing_id)
    for asset in pending:
        try:
            name = grant_asset(session, settings, grant, target, environment, listing, asset)
        except (lake.GrantFailure, LookupError) as failure:  # LookupError: not a table the engine can grant
            if _finish(session, asset, states.GRANT_FAILED, failed_at=utcnow(), failure_cause=str(failure)):
                subscriptions.grant_event(session, grant, asset.asset_id, None, "Subscription Grant Failed",
                                          {"failureCause": str(failure)})
            continue
        if _finish(session, asset, states.GRANTED, granted_at=utcnow(), failure_cause=None, target_name=name):
            subscriptions.grant_event(session, grant, asset.asset_id, None, "Subscription Grant Completed")
        else:  # revoked while we were granting: take back what we just made
            revoke_asset(session, settings, grant.id, asset.asset_id)


def grant_asset(session: Session, settings: Settings, grant: SubscriptionGrant, target: SubscriptionTarget,
                environment: Environment, listing: Listing, asset: GrantAsset) -> str:
    """Grant one asset in the engine the target stands for; returns the name the subscriber reads it by."""
    if environment.status != "ACTIVE" or target.type not in (GLUE_TARGET, REDSHIFT_TARGET):
        raise lake.GrantFailure(f"Target {target.id} cannot receive grants "
                                f"(type {target.type}, environment {environment.status}).")
    if target.type == REDSHIFT_TARGET:
        source = catalog.asset_warehouse_table(session, listing, asset.asset_id, asset.asset_revision)
        scope = scopes.effective_scope(session, grant.id, asset.asset_id)
        if scope is not None and scope.columns == ():
            raise lake.GrantFailure("None of the asset filters of this subscription is valid for the asset's "
                                    "current columns; nothing can be granted.")
        return warehouse.grant_table(
            session, settings, grant.id, asset.asset_id, environment, listing.owning_project_id, source,
            columns=scope.columns if scope else None,
            row_filter_sql=row_filters.to_sql(scope.row_filter, "postgres") if scope and scope.row_filter else None)
    source = catalog.asset_table(session, listing, asset.asset_id, asset.asset_revision)
    return lake.grant_table(session, settings, grant.id, asset.asset_id, environment.consumer_db, source)


REFILTER_RETRY = timedelta(seconds=2)


@task("grant.refilter")
def refilter(session: Session, settings: Settings, payload: dict) -> None:
    """Make a GRANTED warehouse asset show what its filters say now (an owner changed one): the view or
    column privileges are made again; a filter that no longer grants anything fails the asset, with the cause."""
    grant = session.get(SubscriptionGrant, payload["grant_id"])
    asset = session.get(GrantAsset, (payload["grant_id"], payload["asset_id"]))
    if grant is None or asset is None:
        return
    if asset.status in (states.GRANT_PENDING, states.GRANT_IN_PROGRESS):
        # Being granted: it may have read the filter before the change. Look again once it has settled.
        enqueue(session, "grant.refilter", payload, run_after=utcnow() + REFILTER_RETRY)
        return
    old = warehouse.forget(session, grant.id, asset.asset_id) if asset.status == states.GRANTED else None
    if old is None:
        return  # no longer granted, or a lake grant (the lake applies filters at query time)
    # The new privileges come first (a view of the same name is replaced in one transaction), then what
    # only the old ones gave is taken back: the subscriber is never shown more, nor briefly nothing.
    try:
        name = grant_asset(session, settings, grant, session.get(SubscriptionTarget, grant.target_id),
                           session.get(Environment, grant.environment_id), session.get(Listing, grant.listing_id),
                           asset)
    except (lake.GrantFailure, LookupError) as failure:
        warehouse.take_back(session, settings, old)
        asset.status = states.move_asset(asset.status, states.GRANT_FAILED)
        asset.failed_at, asset.failure_cause = utcnow(), str(failure)
        subscriptions.grant_event(session, grant, asset.asset_id, None, "Subscription Grant Failed",
                                  {"failureCause": str(failure)})
        return
    warehouse.take_back(session, settings, old)
    moved = session.execute(update(GrantAsset).where(
        GrantAsset.grant_id == grant.id, GrantAsset.asset_id == asset.asset_id,
        GrantAsset.status == states.GRANTED).values(target_name=name, updated_at=utcnow()))
    if moved.rowcount == 0:  # revoked meanwhile: take back what was just made
        warehouse.revoke_table(session, settings, grant.id, asset.asset_id)


def revoke_asset(session: Session, settings: Settings, grant_id: str, asset_id: str) -> None:
    """Take back whatever either engine made for this asset of the grant (each is a no-op when it made nothing)."""
    lake.revoke_table(session, grant_id, asset_id)
    warehouse.revoke_table(session, settings, grant_id, asset_id)


def _finish(session: Session, asset: GrantAsset, status: str, **values) -> bool:
    """Move GRANT_IN_PROGRESS to `status` unless a revoke got there first (checked in the UPDATE itself)."""
    moved = session.execute(update(GrantAsset).where(
        GrantAsset.grant_id == asset.grant_id, GrantAsset.asset_id == asset.asset_id,
        GrantAsset.status == states.GRANT_IN_PROGRESS).values(status=status, updated_at=utcnow(), **values))
    return moved.rowcount == 1


@task("grant.revoke", on_give_up=_gave_up_revoking)
def revoke(session: Session, settings: Settings, payload: dict) -> None:
    """REVOKE_PENDING -> REVOKE_IN_PROGRESS -> REVOKED for each asset of the grant (REVOKE_IN_PROGRESS
    ones again after a failed attempt or a dead worker; revoking what is already gone succeeds)."""
    grant = session.get(SubscriptionGrant, payload["grant_id"])
    if grant is None:
        return
    pending = [a for a in subscriptions.grant_assets(session, grant.id)
               if a.status in (states.REVOKE_PENDING, states.REVOKE_IN_PROGRESS) and a.managed]
    for asset in pending:
        if asset.status == states.REVOKE_PENDING:
            asset.status = states.move_asset(asset.status, states.REVOKE_IN_PROGRESS)
    session.commit()
    for asset in pending:
        revoke_asset(session, settings, grant.id, asset.asset_id)
        asset.status = states.move_asset(asset.status, states.REVOKED_ASSET)
        subscriptions.grant_event(session, grant, asset.asset_id, None, "Subscription Grant Revoke Completed")
    session.flush()
