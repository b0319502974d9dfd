"""DefaultDataWarehouse environments: a schema and a LOGIN role in the configured PostgreSQL warehouse.

Each environment gets role and schema `oz_env_<environment id>` in the database of `OPENZONE_WAREHOUSE_URL`:
the role owns the schema (so it creates tables there) and nothing else; PUBLIC loses CREATE/USAGE on `public`
and CONNECT/TEMPORARY on the database, so an environment sees no other environment's schema unless a grant
says so. The role's password lives Fernet-encrypted in a project secret (openzone.sources.secrets), which
a REDSHIFT connection of the project can name. Every step is idempotent: a provisioning job that crashed
half-way simply runs again.
"""

from __future__ import annotations

import secrets as random
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.errors import ValidationError
from openzone.projects.models import Environment
from openzone.sources import secrets
from openzone.sources.models import Secret

PREFIX = "oz_env_"


class WarehouseError(Exception):
    """The warehouse could not be reached or refused a step; the message becomes the failure reason."""


@dataclass(frozen=True)
class Login:
    """What psql or a BI tool needs to connect as an environment."""

    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)
    schema: str = ""

    def as_dict(self) -> dict:
        return {"host": self.host, "port": self.port, "database": self.database, "user": self.user,
                "password": self.password, "schema": self.schema}


def require_configured(settings: Settings) -> None:
    """Refuse warehouse environments up front when no warehouse is configured."""
    if not settings.warehouse_url:
        raise ValidationError("DefaultDataWarehouse environments need a PostgreSQL warehouse: set "
                              "OPENZONE_WAREHOUSE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/warehouse).")


def address(settings: Settings) -> tuple[str, int, str]:
    """(host, port, database) of the configured warehouse."""
    require_configured(settings)
    url = make_url(settings.warehouse_url)
    if not url.database:
        raise ValidationError("OPENZONE_WAREHOUSE_URL must name a database.")
    return url.host or "localhost", url.port or 5432, url.database


@contextmanager
def admin_connection(settings: Settings, database: str | None = None):
    """An autocommit connection to the warehouse as its administrator (the URL's user)."""
    url = make_url(settings.warehouse_url)
    host, port, default_db = address(settings)
    try:
        conn = psycopg.connect(host=host, port=port, dbname=database or default_db, user=url.username,
                               password=url.password, autocommit=True, connect_timeout=10)
    except psycopg.Error as error:
        raise WarehouseError(f"The warehouse PostgreSQL at {host}:{port} is not reachable: {error}") from None
    try:
        yield conn
    finally:
        conn.close()


def names_for(environment_id: str) -> str:
    """The role and schema name of an environment (ids are [a-z0-9], so the name is a plain identifier)."""
    return PREFIX + environment_id


def _password(session: Session, settings: Settings, environment: Environment) -> tuple[str, str]:
    """(secret ARN, password): the stored one when a previous attempt got that far, else a new one."""
    name = f"openzone/environments/{environment.id}/warehouse"
    arn = session.scalar(select(Secret.arn).where(Secret.name == name))
    if arn is not None:
        return arn, secrets.resolve(session, settings, arn).password
    password = random.token_urlsafe(24)
    row = secrets.create_secret(session, settings, name, names_for(environment.id), password,
                                project_id=environment.project_id)
    return row.arn, password


def provision(session: Session, settings: Settings, environment: Environment) -> list[dict]:
    """Create (or repair) the environment's role and schema; returns its provisioned resources."""
    host, port, database = address(settings)
    name = names_for(environment.id)
    arn, password = _password(session, settings, environment)
    role, schema = sql.Identifier(name), sql.Identifier(name)
    try:
        with admin_connection(settings, database) as conn:
            _lock_down(conn, database)
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}")
                         .format(role, sql.Literal(password)))
            conn.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(
                role, sql.Literal(f"openzone environment {environment.id} in database {database}")))
            conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role))
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(schema, role))
            conn.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema, role))
            conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema))
            conn.execute(sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = {}").format(
                role, sql.Identifier(database), schema))
    except psycopg.Error as error:
        raise WarehouseError(f"Provisioning {name} in the warehouse failed: {error}") from None
    environment.warehouse_database, environment.warehouse_schema, environment.warehouse_role = database, name, name
    environment.warehouse_secret_arn = arn
    return [
        {"name": "redshiftDatabaseName", "value": database, "type": "REDSHIFT_DATABASE", "provider": "openzone"},
        {"name": "redshiftSchemaName", "value": name, "type": "REDSHIFT_SCHEMA", "provider": "openzone"},
        {"name": "redshiftUser", "value": name, "type": "REDSHIFT_USER", "provider": "openzone"},
        {"name": "redshiftHost", "value": host, "type": "REDSHIFT_HOST", "provider": "openzone"},
        {"name": "redshiftPort", "value": str(port), "type": "REDSHIFT_PORT", "provider": "openzone"},
        {"name": "redshiftSecretArn", "value": arn, "type": "SECRET", "provider": "openzone"},
        {"name": "athenaWorkGroupName", "value": environment.id, "type": "ATHENA_WORKGROUP", "provider": "openzone"},
    ]


def _lock_down(conn: psycopg.Connection, database: str) -> None:
    """PUBLIC (every role) may neither connect to the warehouse nor use or create in `public`."""
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
    conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")


def deprovision(settings: Settings, environment: Environment) -> None:
    """Drop the environment's schema (with its tables) and its role; idempotent."""
    if not environment.warehouse_role:
        return
    role, schema = sql.Identifier(environment.warehouse_role), sql.Identifier(environment.warehouse_schema)
    try:
        with admin_connection(settings, environment.warehouse_database) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (environment.warehouse_role,)).fetchone():
                # Whatever else the role owns here goes to the administrator; its grants go with DROP OWNED.
                conn.execute(sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(role))
                conn.execute(sql.SQL("DROP OWNED BY {}").format(role))
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(role))
    except psycopg.Error as error:
        raise WarehouseError(f"Removing {environment.warehouse_role} from the warehouse failed: {error}") from None


def login(session: Session, settings: Settings, environment: Environment) -> Login:
    """The environment role's login details (callers check membership first)."""
    if not environment.warehouse_role or environment.status != "ACTIVE":
        raise ValidationError(f"Environment {environment.id} is not an ACTIVE data warehouse environment.")
    host, port, _ = address(settings)
    password = secrets.resolve(session, settings, environment.warehouse_secret_arn).password
    return Login(host, port, environment.warehouse_database, environment.warehouse_role, password,
                 environment.warehouse_schema)
