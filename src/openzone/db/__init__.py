"""Metadata database: declarative base, portable types, sessions and the Alembic tree."""
