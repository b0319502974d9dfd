"""Failure-tolerant grant and revoke: dead workers, transient engine errors, retries running out, revoking
what is already gone. No grant stays IN_PROGRESS."""

from datetime import timedelta

from sqlalchemy import select, update

from openzone.db.session import session_scope
from openzone.db.types import utcnow
from openzone.events.models import OutboxEvent
from openzone.fulfillment import lake
from openzone.fulfillment.models import LakeView
from openzone.identity.models import User
from openzone.jobs import runner
from openzone.jobs.models import Job
from openzone.jobs.runner import drain
from openzone.subscriptions import service as subscriptions
from openzone.subscriptions.models import GrantAsset


def _asset(settings, grant_id):
    with session_scope(settings.metadata_url) as session:
        asset = session.scalar(select(GrantAsset).where(GrantAsset.grant_id == grant_id))
        views = session.scalars(select(LakeView).where(LakeView.grant_id == grant_id)).all()
        return asset.status, asset.failure_cause, len(views)


def _grant_job(settings, grant_id, kind="grant.fulfill") -> Job:
    with session_scope(settings.metadata_url) as session:
        jobs = [j for j in session.scalars(select(Job).where(Job.kind == kind)) if j.payload["grant_id"] == grant_id]
        session.expunge_all()
        return jobs[-1]


def _make_due(settings, job_id):
    """The backoff has passed."""
    with session_scope(settings.metadata_url) as session:
        session.execute(update(Job).where(Job.id == job_id).values(run_after=utcnow() - timedelta(seconds=1)))


def _worker_died(settings, grant_id, kind, status):
    """A worker claimed the grant's job, moved its asset to `status`, then died (its lease has run out)."""
    job = _grant_job(settings, grant_id, kind)
    with session_scope(settings.metadata_url) as session:
        session.execute(update(GrantAsset).where(GrantAsset.grant_id == grant_id).values(status=status))
        session.execute(update(Job).where(Job.id == job.id).values(
            status="RUNNING", attempts=1, locked_by="dead", updated_at=utcnow() - runner.LEASE * 2))


def _cancel(settings, admin_id, domain_id, subscription_id):
    with session_scope(settings.metadata_url) as session:
        subscriptions.cancel(session, session.get(User, admin_id), domain_id, subscription_id)


def test_a_grant_whose_worker_died_in_progress_is_finished_by_another(demo):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    _worker_died(settings, grant_id, "grant.fulfill", "GRANT_IN_PROGRESS")
    drain(settings)
    assert _asset(settings, grant_id) == ("GRANTED", None, 1)


def test_a_transient_engine_error_is_retried_with_backoff(demo, monkeypatch):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    original, calls = lake.grant_table, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the lake catalog is locked")
        return original(*args, **kwargs)

    monkeypatch.setattr(lake, "grant_table", flaky)
    drain(settings)
    job = _grant_job(settings, grant_id)
    assert job.status == "QUEUED" and job.run_after > utcnow() and "locked" in job.last_error
    assert _asset(settings, grant_id) == ("GRANT_IN_PROGRESS", None, 0)
    _make_due(settings, job.id)
    drain(settings)
    assert _asset(settings, grant_id) == ("GRANTED", None, 1)
    assert _grant_job(settings, grant_id).status == "DONE"


def test_when_retries_run_out_the_grant_fails_with_the_cause(demo, monkeypatch):
    settings, admin_id, domain_id, subscription_id, grant_id = demo

    def down(*args, **kwargs):
        raise OSError("the lake catalog is unreachable")

    monkeypatch.setattr(lake, "grant_table", down)
    for _ in range(runner.MAX_ATTEMPTS):
        _make_due(settings, _grant_job(settings, grant_id).id)
        drain(settings)
    assert _grant_job(settings, grant_id).status == "FAILED"
    status, cause, views = _asset(settings, grant_id)
    assert status == "GRANT_FAILED" and views == 0 and "unreachable" in cause
    with session_scope(settings.metadata_url) as session:
        failed = [e.envelope["detail"]["data"] for e in session.scalars(select(OutboxEvent).where(
            OutboxEvent.detail_type == "Subscription Grant Failed"))
            if e.envelope["detail"]["metadata"]["id"] == grant_id]
    assert [d["failureCause"] for d in failed] == [cause]


def test_revoking_what_is_already_gone_completes(demo):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    drain(settings)
    with session_scope(settings.metadata_url) as session:  # someone removed the access by hand first
        session.execute(LakeView.__table__.delete().where(LakeView.grant_id == grant_id))
    _cancel(settings, admin_id, domain_id, subscription_id)
    drain(settings)
    assert _asset(settings, grant_id) == ("REVOKED", None, 0)


def test_a_revoke_whose_worker_died_in_progress_is_finished_by_another(demo):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    drain(settings)
    _cancel(settings, admin_id, domain_id, subscription_id)
    _worker_died(settings, grant_id, "grant.revoke", "REVOKE_IN_PROGRESS")
    drain(settings)
    assert _asset(settings, grant_id) == ("REVOKED", None, 0)


def test_when_revoke_retries_run_out_the_grant_says_revoke_failed(demo, monkeypatch):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    drain(settings)
    _cancel(settings, admin_id, domain_id, subscription_id)

    def down(*args, **kwargs):
        raise OSError("the lake catalog is unreachable")

    monkeypatch.setattr(lake, "revoke_table", down)
    for _ in range(runner.MAX_ATTEMPTS):
        _make_due(settings, _grant_job(settings, grant_id, "grant.revoke").id)
        drain(settings)
    status, cause, views = _asset(settings, grant_id)
    assert status == "REVOKE_FAILED" and "unreachable" in cause and views == 1
