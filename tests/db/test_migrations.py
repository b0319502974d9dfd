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
