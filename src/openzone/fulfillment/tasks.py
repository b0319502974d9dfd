"""Worker jobs that fulfil and revoke grants, taking each asset through its visible states."""

import logging

from sqlalchemy.orm import Session

from openzone.catalog import service as catalog
from openzone.catalog.models import Listing
from openzone.config import Settings
from openzone.db.types import utcnow
from openzone.fulfillment import lake
from openzone.jobs.queue import task
from openzone.projects.models import Environment, SubscriptionTarget
from openzone.subscriptions import service as subscriptions
from openzone.subscriptions import states
from openzone.subscriptions.models import SubscriptionGrant

log = logging.getLogger("openzone.fulfillment")


@task("grant.fulfill")
def fulfill(session: Session, settings: Settings, payload: dict) -> None:
    """GRANT_PENDING -> GRANT_IN_PROGRESS -> GRANTED | GRANT_FAILED for each asset of the grant."""
    grant = session.get(SubscriptionGrant, payload["grant_id"])
    if grant is None:
        return
    pending = [a for a in subscriptions.grant_assets(session, grant.id) if a.status == states.GRANT_PENDING]
    if not pending:
        return
    for asset in pending:
        asset.status = states.move_asset(asset.status, states.GRANT_IN_PROGRESS)
    session.commit()  # the worker owns this transaction: make IN_PROGRESS visible before acting
    target = session.get(SubscriptionTarget, grant.target_id)
    environment = session.get(Environment, grant.environment_id)
    listing = session.get(Listing, grant.listing_id)
    for asset in pending:
        try:
            if target.type != "GlueSubscriptionTargetType" or environment.status != "ACTIVE":
                raise lake.GrantFailure(f"Target {target.id} cannot receive lake grants "
                                        f"(type {target.type}, environment {environment.status}).")
            asset.target_name = lake.grant_table(session, settings, grant.id, asset.asset_id,
                                                 environment.consumer_db, catalog.listing_table(listing))
            asset.status, asset.granted_at, asset.failure_cause = states.GRANTED, utcnow(), None
            subscriptions.grant_event(session, grant, asset.asset_id, None, "Subscription Grant Completed")
        except lake.GrantFailure as failure:
            asset.status, asset.failed_at, asset.failure_cause = states.GRANT_FAILED, utcnow(), str(failure)
            subscriptions.grant_event(session, grant, asset.asset_id, None, "Subscription Grant Failed",
                                      {"failureCause": str(failure)})
    session.flush()


@task("grant.revoke")
def revoke(session: Session, settings: Settings, payload: dict) -> None:
    """REVOKE_PENDING -> REVOKE_IN_PROGRESS -> REVOKED for each asset of the grant."""
    grant = session.get(SubscriptionGrant, payload["grant_id"])
    if grant is None:
        return
    pending = [a for a in subscriptions.grant_assets(session, grant.id) if a.status == states.REVOKE_PENDING]
    for asset in pending:
        asset.status = states.move_asset(asset.status, states.REVOKE_IN_PROGRESS)
    session.commit()
    for asset in pending:
        lake.revoke_table(session, grant.id, asset.asset_id)
        asset.status = states.move_asset(asset.status, states.REVOKED_ASSET)
        subscriptions.grant_event(session, grant, asset.asset_id, None, "Subscription Grant Revoke Completed")
    session.flush()
