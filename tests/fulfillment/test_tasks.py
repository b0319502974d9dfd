"""Grant fulfilment and revocation as the worker runs them, including revokes that race a grant."""

from sqlalchemy import select

from openzone.db.session import session_scope
from openzone.fulfillment import lake
from openzone.fulfillment.models import LakeView
from openzone.identity.models import User
from openzone.jobs.runner import drain
from openzone.subscriptions import service as subscriptions
from openzone.subscriptions.models import GrantAsset


def _state(settings, grant_id):
    with session_scope(settings.metadata_url) as session:
        asset = session.scalar(select(GrantAsset).where(GrantAsset.grant_id == grant_id))
        views = session.scalars(select(LakeView).where(LakeView.grant_id == grant_id)).all()
        return asset.status, len(views)


def _cancel(settings, admin_id, domain_id, subscription_id):
    with session_scope(settings.metadata_url) as session:
        subscriptions.cancel(session, session.get(User, admin_id), domain_id, subscription_id)


def test_fulfil_then_revoke_creates_and_removes_exactly_one_view(demo):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    assert _state(settings, grant_id) == ("GRANT_PENDING", 0)
    drain(settings)
    assert _state(settings, grant_id) == ("GRANTED", 1)
    _cancel(settings, admin_id, domain_id, subscription_id)
    drain(settings)
    assert _state(settings, grant_id) == ("REVOKED", 0)


def test_a_revoke_before_fulfilment_never_grants(demo):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    _cancel(settings, admin_id, domain_id, subscription_id)
    drain(settings)
    assert _state(settings, grant_id) == ("REVOKED", 0)


def test_a_revoke_while_granting_leaves_no_access(demo, monkeypatch):
    settings, admin_id, domain_id, subscription_id, grant_id = demo
    original = lake.grant_table

    def revoke_arrives_meanwhile(*args, **kwargs):
        _cancel(settings, admin_id, domain_id, subscription_id)
        return original(*args, **kwargs)

    monkeypatch.setattr(lake, "grant_table", revoke_arrives_meanwhile)
    drain(settings)
    assert _state(settings, grant_id) == ("REVOKED", 0)
