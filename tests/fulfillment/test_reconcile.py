"""The reconciler against the lake: drift made behind openzone's back is found, reported and repaired."""

from datetime import timedelta

from sqlalchemy import select, update

from openzone.db.session import session_scope
from openzone.db.types import utcnow
from openzone.events.models import OutboxEvent
from openzone.fulfillment.models import LakeView
from openzone.fulfillment.reconcile import service as reconciler
from openzone.fulfillment.reconcile.models import GrantFinding
from openzone.identity.models import User
from openzone.jobs.models import Job
from openzone.jobs.queue import schedule_periodic
from openzone.jobs.runner import drain
from openzone.lake.access import get_warehouse
from openzone.subscriptions import service as subscriptions
from openzone.subscriptions.models import GrantAsset


def _granted(demo):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    drain(settings)
    return settings, domain_id, grant_id


def _verify(settings, domain_id, repair=False):
    with session_scope(settings.metadata_url) as session:
        run_id, findings, errors = reconciler.verify(session, settings, domain_id, repair)
        assert errors == {}
        return run_id, [(f.kind, f.outcome) for f in findings]


def _view(settings, grant_id):
    with session_scope(settings.metadata_url) as session:
        view = session.scalar(select(LakeView).where(LakeView.grant_id == grant_id))
        return None if view is None else (view.database, view.name, view.source_database, view.source_table)


def _asset(settings, grant_id):
    with session_scope(settings.metadata_url) as session:
        asset = session.scalar(select(GrantAsset).where(GrantAsset.grant_id == grant_id))
        return asset.status, asset.failure_cause


def _events(settings, grant_id):
    with session_scope(settings.metadata_url) as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))
        return [(e.detail_type, e.envelope["detail"]["data"]) for e in rows
                if e.envelope["detail"]["metadata"]["id"] == grant_id]


def test_grants_that_match_the_lake_give_no_findings(demo):
    settings, domain_id, grant_id = _granted(demo)
    assert _verify(settings, domain_id)[1] == []
    assert _verify(settings, domain_id, repair=True)[1] == []


def test_a_dropped_view_is_reported_then_restored(demo):
    settings, domain_id, grant_id = _granted(demo)
    granted = _view(settings, grant_id)
    with session_scope(settings.metadata_url) as session:
        session.execute(LakeView.__table__.delete().where(LakeView.grant_id == grant_id))
    run_id, found = _verify(settings, domain_id)
    assert found == [("MISSING_ACCESS", "DETECTED")] and _view(settings, grant_id) is None
    assert _verify(settings, domain_id, repair=True)[1] == [("MISSING_ACCESS", "REPAIRED")]
    assert _view(settings, grant_id) == granted and _asset(settings, grant_id) == ("GRANTED", None)
    assert _verify(settings, domain_id)[1] == []
    drift = [(t, d["finding"]["kind"], d["finding"]["outcome"]) for t, d in _events(settings, grant_id)
             if "Drift" in t]
    assert drift == [("Subscription Grant Drift Detected", "MISSING_ACCESS", "DETECTED"),
                     ("Subscription Grant Drift Repaired", "MISSING_ACCESS", "REPAIRED")]
    with session_scope(settings.metadata_url) as session:
        rows = reconciler.list_findings(session, grant_id=grant_id)
        assert [(r.kind, r.outcome) for r in rows] == [("MISSING_ACCESS", "REPAIRED"), ("MISSING_ACCESS", "DETECTED")]
        assert rows[1].run_id == run_id and rows[0].resource == f"{granted[0]}.{granted[1]}"


def test_a_view_pointing_elsewhere_is_pointed_back(demo):
    settings, domain_id, grant_id = _granted(demo)
    granted = _view(settings, grant_id)
    with session_scope(settings.metadata_url) as session:
        session.execute(update(LakeView).where(LakeView.grant_id == grant_id).values(source_table="customer"))
    assert _verify(settings, domain_id, repair=True)[1] == [("WRONG_SOURCE", "REPAIRED")]
    assert _view(settings, grant_id) == granted


def test_a_view_nobody_granted_is_removed_and_reported(demo):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    drain(settings)
    granted = _view(settings, grant_id)
    with session_scope(settings.metadata_url) as session:
        subscriptions.cancel(session, session.get(User, admin_id), domain_id, subscription_id)
    drain(settings)
    with session_scope(settings.metadata_url) as session:  # access put back by hand after the revoke
        session.add(LakeView(grant_id=grant_id, asset_id=session.scalar(select(GrantAsset.asset_id).where(
            GrantAsset.grant_id == grant_id)), database=granted[0], name=granted[1], source_database=granted[2],
            source_table=granted[3]))
    assert _verify(settings, domain_id)[1] == [("EXTRA_ACCESS", "DETECTED")]
    assert _verify(settings, domain_id, repair=True)[1] == [("EXTRA_ACCESS", "REPAIRED")]
    assert _view(settings, grant_id) is None and _asset(settings, grant_id)[0] == "REVOKED"


def test_a_view_awaiting_its_revoke_job_is_not_extra(demo):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    drain(settings)
    with session_scope(settings.metadata_url) as session:
        subscriptions.cancel(session, session.get(User, admin_id), domain_id, subscription_id)
    assert _verify(settings, domain_id, repair=True)[1] == []
    assert _view(settings, grant_id) is not None


def test_a_dropped_source_table_fails_the_grant_with_its_cause(demo):
    settings, domain_id, grant_id = _granted(demo)
    database, name, source_db, source_table = _view(settings, grant_id)
    get_warehouse(settings).drop_table(source_db, source_table)
    assert _verify(settings, domain_id)[1] == [("SOURCE_GONE", "DETECTED")]
    assert _asset(settings, grant_id)[0] == "GRANTED"
    assert _verify(settings, domain_id, repair=True)[1] == [("SOURCE_GONE", "FAILED")]
    cause = f"The source table {source_db}.{source_table} no longer exists."
    assert _asset(settings, grant_id) == ("GRANT_FAILED", cause) and _view(settings, grant_id) is None
    assert ("Subscription Grant Failed", cause) in [(t, d.get("failureCause")) for t, d in _events(settings, grant_id)]
    assert _verify(settings, domain_id)[1] == []  # a failed grant promises no access


def test_an_asset_left_in_progress_without_a_job_is_queued_again(demo):
    settings, domain_id, grant_id = _granted(demo)
    with session_scope(settings.metadata_url) as session:  # as if the job had finished without moving it
        session.execute(LakeView.__table__.delete().where(LakeView.grant_id == grant_id))
        session.execute(update(GrantAsset).where(GrantAsset.grant_id == grant_id).values(
            status="GRANT_IN_PROGRESS", updated_at=utcnow() - timedelta(minutes=5)))
    assert _verify(settings, domain_id)[1] == [("STUCK", "DETECTED")]
    assert _verify(settings, domain_id, repair=True)[1] == [("STUCK", "REPAIRED")]
    assert _verify(settings, domain_id)[1] == []  # its job is queued now
    drain(settings)
    assert _asset(settings, grant_id) == ("GRANTED", None) and _view(settings, grant_id) is not None


def test_the_periodic_job_repairs_and_queues_its_next_run(demo):
    settings, domain_id, grant_id = _granted(demo)
    settings = settings.model_copy(update={"reconcile_interval_seconds": 3600})
    with session_scope(settings.metadata_url) as session:
        session.execute(update(Job).where(Job.kind == "grants.reconcile", Job.status == "QUEUED").values(status="DONE"))
        schedule_periodic(session, settings)
        schedule_periodic(session, settings)  # a second worker starting: still one chain
        session.execute(LakeView.__table__.delete().where(LakeView.grant_id == grant_id))
    assert _queued_reconciles(settings) == 1
    with session_scope(settings.metadata_url) as session:  # its time has come
        session.execute(update(Job).where(Job.kind == "grants.reconcile", Job.status == "QUEUED").values(
            run_after=utcnow() - timedelta(seconds=1)))
    drain(settings)
    assert _view(settings, grant_id) is not None
    with session_scope(settings.metadata_url) as session:
        assert session.scalar(select(GrantFinding.outcome).where(GrantFinding.grant_id == grant_id)) == "REPAIRED"
        following = session.scalar(select(Job).where(Job.kind == "grants.reconcile", Job.status == "QUEUED"))
        assert following.run_after > utcnow() + timedelta(minutes=59)
    assert _queued_reconciles(settings) == 1


def test_no_periodic_job_when_the_interval_is_zero(demo):
    settings = demo[0].model_copy(update={"reconcile_interval_seconds": 0})
    with session_scope(settings.metadata_url) as session:
        session.execute(update(Job).where(Job.kind == "grants.reconcile", Job.status == "QUEUED").values(status="DONE"))
        schedule_periodic(session, settings)
    assert _queued_reconciles(settings) == 0


def _queued_reconciles(settings) -> int:
    with session_scope(settings.metadata_url) as session:
        return len(session.scalars(select(Job.id).where(Job.kind == "grants.reconcile", Job.status == "QUEUED")).all())
