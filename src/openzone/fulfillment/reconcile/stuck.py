"""Grants openzone's own jobs should be moving but no job is: queue their job again.

Workers re-claim a job whose worker died once its lease runs out, and a job that fails for the last time
marks its assets failed. This catches what falls between: an asset still pending or in progress whose job
has finished or failed without moving it (say, the give-up hook itself failed). Grants no job ever took up
(unmanaged assets waiting for an external fulfiller) are not openzone's to move and are left alone."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.db.types import utcnow
from openzone.fulfillment.reconcile.findings import REPAIRED, Finding
from openzone.jobs.models import Job
from openzone.jobs.queue import enqueue
from openzone.subscriptions import states
from openzone.subscriptions.models import GrantAsset, SubscriptionGrant

ENGINE = "JOBS"
_JOB_OF = {states.GRANT_PENDING: "grant.fulfill", states.GRANT_IN_PROGRESS: "grant.fulfill",
           states.REVOKE_PENDING: "grant.revoke", states.REVOKE_IN_PROGRESS: "grant.revoke"}
# Younger than this, an asset may just be between two steps of a job that has not committed yet.
SETTLE = timedelta(minutes=1)


def check(session: Session, settings: Settings, domain_id: str | None, repair: bool) -> list[Finding]:
    """Find in-flight grant assets without a queued or running job; with `repair`, queue the job again."""
    query = select(GrantAsset.grant_id, GrantAsset.asset_id, GrantAsset.status, SubscriptionGrant.domain_id,
                   SubscriptionGrant.environment_id).join(SubscriptionGrant, SubscriptionGrant.id == GrantAsset.grant_id
                   ).where(GrantAsset.status.in_(list(_JOB_OF)), GrantAsset.updated_at < utcnow() - SETTLE)
    if domain_id is not None:
        query = query.where(SubscriptionGrant.domain_id == domain_id)
    candidates = session.execute(query).all()
    if not candidates:
        return []
    ever, alive = set(), set()
    for kind, status, payload in session.execute(select(Job.kind, Job.status, Job.payload).where(
            Job.kind.in_(set(_JOB_OF.values())))):
        ever.add((kind, payload.get("grant_id")))
        if status in ("QUEUED", "RUNNING"):
            alive.add((kind, payload.get("grant_id")))
    findings, queued = [], set()
    for grant_id, asset_id, status, domain, environment_id in candidates:
        job = (_JOB_OF[status], grant_id)
        if job not in ever or job in alive:
            continue
        finding = Finding(domain, ENGINE, "STUCK", f"{job[0]} job of grant {grant_id}",
                          f"The asset is {status} but no {job[0]} job is queued or running for its grant.",
                          grant_id, asset_id, environment_id)
        if repair:
            if job not in queued:
                enqueue(session, job[0], {"grant_id": grant_id})
                queued.add(job)
            finding.outcome = REPAIRED
        findings.append(finding)
    return findings
