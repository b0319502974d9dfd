"""The demo store with one accepted lake subscription, for the fulfillment tests."""

import pytest
from sqlalchemy import select

from conftest import make_settings
from openzone.catalog.models import Listing
from openzone.cli.demo import load_demo
from openzone.db.session import session_scope
from openzone.domains.models import Domain
from openzone.identity.models import User
from openzone.projects.models import Project
from openzone.subscriptions import service as subscriptions
from openzone.subscriptions.models import Subscription, SubscriptionGrant


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
