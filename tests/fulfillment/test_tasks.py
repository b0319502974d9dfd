"""Grant fulfilment and revocation as the worker runs them, including revokes that race a grant."""

import pytest
from sqlalchemy import select

from conftest import make_settings
from openzone.cli.demo import load_demo
from openzone.db.session import session_scope
from openzone.domains.models import Domain
from openzone.fulfillment import lake
from openzone.fulfillment.models import LakeView
from openzone.identity.models import User
from openzone.jobs.runner import drain
from openzone.projects.models import Project
from openzone.subscriptions import service as subscriptions
from openzone.subscriptions.models import GrantAsset, Subscription, SubscriptionGrant
from openzone.catalog.models import Listing


@pytest.fixture
def demo(isolated_database_url, tmp_path):
    """The demo store, with a request of Analytics for TPC-H orders accepted but not yet fulfilled."""
    settings = make_settings(tmp_path, isolated_database_url, run_workers=False)
    with session_scope(settings.metadata_url) as session:
        for domain in session.scalars(select(Domain).where(Domain.name == "Corporate")):
            domain.name = f"old-{domain.id}"  # each test loads its own demo into the shared module database
        for user in session.scalars(select(User).where(User.name == "admin")):
            user.name = f"admin-{user.id[:8]}"
    load_demo(settings)
    with session_scope(settings.metadata_url) as session:
        admin = session.scalar(select(User).where(User.name == "admin"))
        domain = session.scalar(select(Domain).where(Domain.name == "Corporate"))
        analytics = session.scalar(select(Project).where(Project.domain_id == domain.id, Project.name == "Analytics"))
        listing = session.scalar(select(Listing).where(Listing.domain_id == domain.id, Listing.name == "TPC-H orders"))
        request = subscriptions.create_request(session, admin, domain.id, {
            "subscribedPrincipals": [{"project": {"identifier": analytics.id}}],
            "subscribedListings": [{"identifier": listing.id}], "requestReason": "race"})
        subscriptions.accept_request(session, admin, domain.id, request.id, None)
        subscription = session.scalar(select(Subscription).where(Subscription.request_id == request.id))
        grant = session.scalar(select(SubscriptionGrant).where(SubscriptionGrant.subscription_id == subscription.id))
        return settings, admin.id, domain.id, subscription.id, grant.id


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
