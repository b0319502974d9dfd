"""The Alembic tree creates exactly the schema the ORM models describe, on both backends."""

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import openzone.models  # noqa: F401
from openzone.db.base import Base
from openzone.db.migrate import alembic_config, upgrade
from openzone.db.session import get_engine
from openzone.catalog.models import Asset
from openzone.db.types import utcnow
from openzone.domains.models import Domain
from openzone.identity.models import User
from openzone.projects.models import Project
from openzone.subscriptions.models import SubscriptionRequest
from openzone.search.index import include_object


def test_migrations_match_the_models(isolated_database_url):
    with get_engine(isolated_database_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                 # as env.py: FTS5 tables are the migration's own
                                                                 "include_object": include_object})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_0006_keeps_existing_listings_and_what_points_at_them(unmigrated_database_url):
    """Relaxing listings' asset columns rebuilds the table on SQLite: no row, index or reference is lost."""
    command.upgrade(alembic_config(unmigrated_database_url), "0005")
    now = utcnow()
    with get_engine(unmigrated_database_url).begin() as connection:  # rows as openzone 0005 wrote them
        for model, values in (
                (User, dict(id="u1", name="old", is_admin=True)),
                (Domain, dict(id="dzd_old", name="d", root_domain_unit_id="r", created_by="u1", settings={})),
                (Project, dict(id="p1", domain_id="dzd_old", name="P", created_by="u1")),
                (Asset, dict(id="a1", domain_id="dzd_old", owning_project_id="p1", type_identifier="t",
                             type_revision="1", revision=1, created_by="u1"))):
            connection.execute(sa.insert(model.__table__).values(**values))
        # listings and listing_revisions as they were at 0005 (not the current models)
        for name, values in (
                ("listings", dict(id="l1", domain_id="dzd_old", asset_id="a1", owning_project_id="p1", revision=1,
                                  asset_revision=1, status="ACTIVE", name="Legacy Ledger", asset_type="t",
                                  forms="{}", created_by="u1", created_at=now, updated_at=now)),
                ("listing_revisions", dict(listing_id="l1", revision=1, asset_revision=1, name="Legacy Ledger",
                                           forms="{}", created_by="u1", created_at=now))):
            connection.execute(sa.insert(sa.table(name, *(sa.column(key) for key in values))).values(**values))
        connection.execute(sa.insert(SubscriptionRequest.__table__).values(
            id="r1", domain_id="dzd_old", request_reason="x", project_id="p1", listing_id="l1", listing_revision=1,
            approver_project_id="p1", created_by="u1"))
    upgrade(unmigrated_database_url)
    with get_engine(unmigrated_database_url).connect() as connection:
        listing = connection.execute(sa.text("SELECT entity_type, asset_id, asset_revision FROM listings")).one()
        assert tuple(listing) == ("ASSET", "a1", 1)
        assert connection.scalar(sa.text("SELECT count(*) FROM listing_revisions WHERE listing_id = 'l1'")) == 1
        assert connection.scalar(sa.text("SELECT listing_id FROM subscription_requests")) == "l1"
    with pytest.raises(sa.exc.IntegrityError):  # foreign keys still hold after the rebuild
        with get_engine(unmigrated_database_url).begin() as connection:
            connection.execute(sa.text("UPDATE subscription_requests SET listing_id = 'nope'"))
    get_engine(unmigrated_database_url).dispose()


def test_0022_gives_existing_documents_their_filter_terms(unmigrated_database_url):
    """Documents indexed before 0022 get their filter tokens: a text query with a filter finds them."""
    from openzone.catalog.models import AssetRevision
    from openzone.db.session import session_scope
    from openzone.domains.models import UserProfile
    from openzone.projects.models import ProjectMember
    from openzone.search import index
    from openzone.search import service as search

    url = unmigrated_database_url
    upgrade(url)
    with session_scope(url) as session:  # indexed by the listener, as the current code does
        user = User(id="u1", name="old", is_admin=False)
        session.add(user)
        session.flush()
        session.add(Domain(id="dzd_old", name="d", root_domain_unit_id="r", created_by="u1", settings={}))
        session.flush()
        session.add(Project(id="p1", domain_id="dzd_old", name="P", created_by="u1"))
        session.flush()
        session.add_all([UserProfile(domain_id="dzd_old", user_id="u1"),
                         ProjectMember(project_id="p1", user_id="u1", designation="PROJECT_OWNER")])
        for asset_id, terms in (("a1", ["t-gold"]), ("a2", ["t-silver", "t-gold"]), ("a3", None)):
            session.add(Asset(id=asset_id, domain_id="dzd_old", owning_project_id="p1", type_identifier="t",
                              type_revision="1", revision=1, created_by="u1"))
            session.flush()
            session.add(AssetRevision(asset_id=asset_id, revision=1, name=f"Ledger {asset_id}", forms=[],
                                      glossary_terms=terms, created_by="u1"))
    command.downgrade(alembic_config(url), "0021")
    with get_engine(url).connect() as connection:
        assert "filter_terms" not in {c["name"] for c in sa.inspect(connection).get_columns("search_documents")}
    upgrade(url)
    with get_engine(url).begin() as connection:
        assert index.verify(connection) == []
    silver = {"filter": {"attribute": "__DataZoneGlossaryTerms", "value": "t-silver"}}
    gold_or_silver = {"or": [{"filter": {"attribute": "__DataZoneGlossaryTerms", "value": v}} for v in ("t-gold", "t-silver")]}
    with session_scope(url) as session:
        user = session.get(User, "u1")
        for filters, expected in ((silver, {"a2"}), (gold_or_silver, {"a1", "a2"}), (None, {"a1", "a2", "a3"})):
            result = search.search_inventory(session, user, "dzd_old", "ASSET", None,
                                             search.Request(text="ledger", filters=filters))
            assert {hit.entity_id for hit in result.hits} == expected
    get_engine(url).dispose()
