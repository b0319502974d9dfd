"""Alembic environment: one tree for SQLite and PostgreSQL (batch mode on SQLite)."""

from alembic import context

import openzone.models  # noqa: F401  (registers every table)
from openzone.db.base import Base
from openzone.db.session import get_engine
from openzone.search.index import include_object

config = context.config
url = config.get_main_option("sqlalchemy.url")


def run() -> None:
    engine = get_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                          include_object=include_object)  # FTS5 tables are the migration's own
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
