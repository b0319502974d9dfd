"""Recording a finding (a row in grant_findings, an event in the outbox) and the two repairs every engine shares:
granting an asset again as the fulfiller would, and marking it failed when that cannot be done."""

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from openzone.catalog.models import Listing
from openzone.config import Settings
from openzone.db.types import utcnow
from openzone.events.outbox import Entity, emit
from openzone.fulfillment import tasks
from openzone.fulfillment.lake import GrantFailure
from openzone.fulfillment.reconcile.models import GrantFinding
from openzone.projects.models import Environment, SubscriptionTarget
from openzone.subscriptions import service as subscriptions
from openzone.subscriptions import states
from openzone.subscriptions.models import GrantAsset, SubscriptionGrant

DETECTED, REPAIRED, FAILED = "DETECTED", "REPAIRED", "FAILED"
DRIFT_DETECTED, DRIFT_REPAIRED = "Subscription Grant Drift Detected", "Subscription Grant Drift Repaired"
# Access in the engine is expected for an asset in these states: granted, being granted, or about to be revoked
# by a queued job (which removes it; removing it here would only race that job).
HOLDS_ACCESS = {states.GRANTED, states.GRANT_IN_PROGRESS, states.REVOKE_PENDING, states.REVOKE_IN_PROGRESS}


@dataclass
class Finding:
    """One difference between what the catalog says is granted and what an engine allows."""

    domain_id: str
    engine: str
    kind: str
    resource: str
    detail: str
    grant_id: str | None = None
    asset_id: str | None = None
    environment_id: str | None = None
    outcome: str = DETECTED

    @property
    def drift(self) -> bool:
        """True when the engine still differs from the catalog (nothing was done about it)."""
        return self.outcome == DETECTED


def record(session: Session, run_id: str, finding: Finding) -> GrantFinding:
    """Store the finding and emit its event, in the caller's transaction."""
    row = GrantFinding(run_id=run_id, domain_id=finding.domain_id, grant_id=finding.grant_id,
                       asset_id=finding.asset_id, environment_id=finding.environment_id, engine=finding.engine,
                       kind=finding.kind, resource=finding.resource[:512], detail=finding.detail,
                       outcome=finding.outcome)
    session.add(row)
    session.flush()
    data = {"finding": {"id": str(row.id), "runId": run_id, "engine": finding.engine, "kind": finding.kind,
                        "resource": finding.resource, "detail": finding.detail, "outcome": finding.outcome}}
    detail_type = DRIFT_REPAIRED if finding.outcome == REPAIRED else DRIFT_DETECTED
    grant = session.get(SubscriptionGrant, finding.grant_id) if finding.grant_id else None
    if grant is not None and finding.asset_id:
        subscriptions.grant_event(session, grant, finding.asset_id, None, detail_type, data)
        return row
    environment = session.get(Environment, finding.environment_id) if finding.environment_id else None
    entity = (Entity(environment.id, "EnvironmentEntityType", owning_project_id=environment.project_id)
              if environment is not None else Entity(finding.grant_id or finding.domain_id, "SubscriptionGrantEntityType"))
    emit(session, detail_type=detail_type, domain_id=finding.domain_id, entity=entity, user_id=None, data=data)
    return row


def fail_grant(session: Session, finding: Finding) -> bool:
    """Mark the finding's GRANTED asset GRANT_FAILED with the finding as its cause; False if it moved meanwhile."""
    moved = session.execute(update(GrantAsset).where(
        GrantAsset.grant_id == finding.grant_id, GrantAsset.asset_id == finding.asset_id,
        GrantAsset.status == states.GRANTED).values(
            status=states.GRANT_FAILED, failure_cause=finding.detail, failed_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        return False
    grant = session.get(SubscriptionGrant, finding.grant_id)
    subscriptions.grant_event(session, grant, finding.asset_id, None, "Subscription Grant Failed",
                              {"failureCause": finding.detail})
    finding.outcome = FAILED
    return True


def regrant(session: Session, settings: Settings, finding: Finding) -> str | None:
    """Take back what the engine still has for the finding's asset and grant it again exactly as the fulfiller
    does; returns the name the subscriber reads it by, or None when it cannot be granted (then GRANT_FAILED)."""
    grant = session.get(SubscriptionGrant, finding.grant_id)
    asset = session.get(GrantAsset, (finding.grant_id, finding.asset_id))
    try:
        tasks.revoke_asset(session, settings, grant.id, asset.asset_id)
        name = tasks.grant_asset(session, settings, grant, session.get(SubscriptionTarget, grant.target_id),
                                 session.get(Environment, grant.environment_id), session.get(Listing, grant.listing_id),
                                 asset)
    except (GrantFailure, LookupError) as failure:
        finding.detail = f"{finding.detail} It cannot be restored: {failure}"
        fail_grant(session, finding)
        return None
    asset.target_name, finding.outcome = name, REPAIRED
    return name
