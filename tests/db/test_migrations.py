"""The Alembic tree creates exactly the schema the ORM models describe, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import openzone.models  # noqa: F401
from openzone.db.base import Base
from openzone.db.session import get_engine
from openzone.search.index import include_object


def test_migrations_match_the_models(isolated_database_url):
    with get_engine(isolated_database_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                 # as env.py: FTS5 tables are the migration's own
                                                                 "include_object": include_object})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
