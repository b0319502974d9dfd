"""The warehouse grant engine: real PostgreSQL privileges for a subscriber environment's role.

Whole table: USAGE on the source schema and SELECT on the table. Only some columns: SELECT (a, b) on the
table. Rows filtered: a security-barrier view in the subscriber's schema, owned by the source table's owner
(who can read the source; the subscriber cannot), SELECT on the view only. Every grant is recorded in
`warehouse_grants` so a revoke takes back exactly that, and revokes tolerate what is already gone.
"""

from __future__ import annotations

from contextlib import suppress

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.fulfillment.lake import GrantFailure
from openzone.fulfillment.models import WarehouseGrant
from openzone.projects.models import Environment
from openzone.projects.warehouse_env import WarehouseError, admin_connection

# Revoking from a role, table, view or schema that is no longer there has nothing left to take back.
GONE = (pg_errors.UndefinedObject, pg_errors.UndefinedTable, pg_errors.InvalidSchemaName)


def grant_table(session: Session, settings: Settings, grant_id: str, asset_id: str, environment: Environment,
                owning_project_id: str, source: tuple[str, str, str], columns: tuple[str, ...] | None = None,
                row_filter_sql: str | None = None) -> str:
    """Make `source` (database, schema, table) readable by the environment's role; idempotent; returns the
    `schema.name` the subscriber reads. The source must be in a schema of the owning project's environments."""
    existing = session.scalar(select(WarehouseGrant).where(WarehouseGrant.grant_id == grant_id,
                                                           WarehouseGrant.asset_id == asset_id))
    if existing is not None:
        return f"{existing.view_schema or existing.source_schema}.{existing.view_name or existing.source_table}"
    database, schema, table = source
    if not environment.warehouse_role:
        raise GrantFailure(f"Environment {environment.id} is not a data warehouse environment.")
    if database != environment.warehouse_database:
        raise GrantFailure(f"The source table is in database {database}; environment {environment.id} "
                           f"lives in {environment.warehouse_database}.")
    # openzone grants as the warehouse's administrator: only what the publishing project owns may be shared.
    if not session.scalar(select(Environment.id).where(
            Environment.project_id == owning_project_id, Environment.warehouse_database == database,
            Environment.warehouse_schema == schema)):
        raise GrantFailure(f"Schema {schema} does not belong to a data warehouse environment of the project "
                           f"that published the asset.")
    role = environment.warehouse_role
    row = WarehouseGrant(grant_id=grant_id, asset_id=asset_id, database=database, role=role, source_schema=schema,
                         source_table=table, columns=list(columns) if columns else None, schema_usage=False)
    try:
        with admin_connection(settings, database) as conn:
            owner, schema_owner, known = _describe(conn, schema, table)
            missing = [c for c in columns or () if c not in known]
            if missing:
                raise GrantFailure(f"{schema}.{table} has no column(s) {', '.join(missing)}.")
            if row_filter_sql:
                row.view_schema = environment.warehouse_schema
                row.view_name = _view_name(session, conn, row, table)
                _create_view(conn, row, owner, row_filter_sql)
            else:
                row.schema_usage = schema_owner != role
                _grant_select(conn, row)
    except (psycopg.Error, WarehouseError) as error:
        raise GrantFailure(f"The warehouse refused the grant on {schema}.{table}: {error}") from None
    session.add(row)
    session.flush()
    return f"{row.view_schema or schema}.{row.view_name or table}"


def _describe(conn: psycopg.Connection, schema: str, table: str) -> tuple[str, str, set[str]]:
    """(table owner, schema owner, column names) of a table or view; GrantFailure when it is gone."""
    found = conn.execute(
        "SELECT pg_get_userbyid(c.relowner), pg_get_userbyid(n.nspowner) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
        (schema, table)).fetchone()
    if found is None:
        raise GrantFailure(f"The source table {schema}.{table} no longer exists.")
    columns = {name for (name,) in conn.execute(
        "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped", (schema, table))}
    return found[0], found[1], columns


def _marker(row: WarehouseGrant) -> str:
    return f"openzone grant {row.grant_id} asset {row.asset_id}"


def _view_name(session: Session, conn: psycopg.Connection, row: WarehouseGrant, table: str) -> str:
    """The table's own name, or `<table>_<schema>` when the subscriber's schema already has that name; a
    view an interrupted attempt of this same grant made is taken over."""
    for name in (table, f"{table}_{row.source_schema}"):
        taken = session.scalar(select(WarehouseGrant.id).where(
            WarehouseGrant.database == row.database, WarehouseGrant.view_schema == row.view_schema,
            WarehouseGrant.view_name == name))
        found = conn.execute("SELECT obj_description(c.oid, 'pg_class') FROM pg_class c "
                             "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
                             (row.view_schema, name)).fetchone()
        if not taken and (found is None or found[0] == _marker(row)):
            return name
    raise GrantFailure(f"{row.view_schema} already has relations named {table} and {table}_{row.source_schema}.")


def _create_view(conn: psycopg.Connection, row: WarehouseGrant, owner: str, row_filter_sql: str) -> None:
    view = sql.Identifier(row.view_schema, row.view_name)
    source = sql.Identifier(row.source_schema, row.source_table)
    selected = sql.SQL(", ").join(map(sql.Identifier, row.columns)) if row.columns else sql.SQL("*")
    with conn.transaction():  # all or nothing: no view that is readable but not yet marked as this grant's
        conn.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(view))
        # The filter is SQL openzone generated from a structured row filter (subscriptions.row_filters).
        conn.execute(sql.SQL("CREATE VIEW {} WITH (security_barrier) AS SELECT {} FROM {} WHERE {}").format(
            view, selected, source, sql.SQL(row_filter_sql)))
        conn.execute(sql.SQL("COMMENT ON VIEW {} IS {}").format(view, sql.Literal(_marker(row))))
        conn.execute(sql.SQL("ALTER VIEW {} OWNER TO {}").format(view, sql.Identifier(owner)))
        conn.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(view))
        conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(view, sql.Identifier(row.role)))


def _grant_select(conn: psycopg.Connection, row: WarehouseGrant) -> None:
    role, table = sql.Identifier(row.role), sql.Identifier(row.source_schema, row.source_table)
    if row.schema_usage:
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(row.source_schema), role))
    if row.columns:
        conn.execute(sql.SQL("GRANT SELECT ({}) ON {} TO {}").format(
            sql.SQL(", ").join(map(sql.Identifier, row.columns)), table, role))
    else:
        conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(table, role))


def revoke_table(session: Session, settings: Settings, grant_id: str, asset_id: str) -> None:
    """Take back exactly what this grant added (what other grants still need stays); idempotent."""
    row = forget(session, grant_id, asset_id)
    if row is not None:
        take_back(session, settings, row)


def forget(session: Session, grant_id: str, asset_id: str) -> WarehouseGrant | None:
    """Drop the record of what this grant made, leaving the privileges in place (see `take_back`)."""
    row = session.scalar(select(WarehouseGrant).where(WarehouseGrant.grant_id == grant_id,
                                                      WarehouseGrant.asset_id == asset_id))
    if row is not None:
        session.delete(row)
        session.flush()
    return row


def take_back(session: Session, settings: Settings, row: WarehouseGrant) -> None:
    """Revoke what a no longer recorded grant `row` made, except what a recorded grant still needs (a view
    of the same name now serves that grant: it is kept)."""
    with admin_connection(settings, row.database) as conn, conn.transaction():
        if row.view_name:
            if not session.scalar(select(WarehouseGrant.id).where(
                    WarehouseGrant.database == row.database, WarehouseGrant.view_schema == row.view_schema,
                    WarehouseGrant.view_name == row.view_name)):
                conn.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(sql.Identifier(row.view_schema, row.view_name)))
            return
        role = sql.Identifier(row.role)
        # Table and column privileges go together, then whatever remaining grants of this role need comes back
        # (in one transaction: a grant that keeps the table never sees it closed).
        with suppress(*GONE), conn.transaction():
            conn.execute(sql.SQL("REVOKE SELECT ON {} FROM {}").format(
                sql.Identifier(row.source_schema, row.source_table), role))
        remaining = list(session.scalars(select(WarehouseGrant).where(
            WarehouseGrant.database == row.database, WarehouseGrant.role == row.role,
            WarehouseGrant.source_schema == row.source_schema, WarehouseGrant.view_name.is_(None))))
        for other in remaining:
            if other.source_table == row.source_table:
                with suppress(*GONE), conn.transaction():
                    _grant_select(conn, other)
        if row.schema_usage and not any(other.schema_usage for other in remaining):
            with suppress(*GONE), conn.transaction():
                conn.execute(sql.SQL("REVOKE USAGE ON SCHEMA {} FROM {}").format(
                    sql.Identifier(row.source_schema), role))
