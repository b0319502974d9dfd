"""The PostgreSQL side of reconciliation: privileges the environment roles actually hold vs recorded grants.

What openzone granted is in `warehouse_grants` (one row per granted asset). What PostgreSQL allows is read
from its catalogs: the ACLs of relations, columns and schemas (aclexplode), for the roles of warehouse
environments only, leaving out what a role holds as owner (its own schema and tables). Both directions:
  - a GRANTED asset with no record, a record whose privilege, view or role is gone: granted again the way
    the fulfiller grants (or GRANT_FAILED with the cause: the source table or the role no longer exists);
  - a privilege no record explains (a manual GRANT to an environment role), a membership of an environment
    role in another role, a SUPERUSER, CREATEROLE, CREATEDB or BYPASSRLS attribute, or a record of an asset
    that no longer holds access: revoked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from psycopg import sql
from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.catalog import service as catalog
from openzone.catalog.models import Listing
from openzone.config import Settings
from openzone.fulfillment import tasks
from openzone.fulfillment.models import WarehouseGrant
from openzone.fulfillment.reconcile.findings import HOLDS_ACCESS, REPAIRED, Finding, fail_grant, regrant
from openzone.projects.models import Environment, SubscriptionTarget
from openzone.projects.warehouse_env import admin_connection
from openzone.subscriptions import states
from openzone.subscriptions.models import GrantAsset, SubscriptionGrant

ENGINE = "WAREHOUSE"
_PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN", "USAGE",
               "CREATE"}

_RELATIONS = """SELECT r.rolname, n.nspname, c.relname, a.privilege_type
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee
 WHERE r.rolname = ANY(%s) AND a.grantee <> c.relowner"""
_COLUMNS = """SELECT r.rolname, n.nspname, c.relname, t.attname, a.privilege_type
  FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL aclexplode(t.attacl) a JOIN pg_roles r ON r.oid = a.grantee
 WHERE r.rolname = ANY(%s) AND t.attnum > 0 AND NOT t.attisdropped AND a.grantee <> c.relowner"""
_SCHEMAS = """SELECT r.rolname, n.nspname, a.privilege_type
  FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a JOIN pg_roles r ON r.oid = a.grantee
 WHERE r.rolname = ANY(%s) AND a.grantee <> n.nspowner"""
# Membership in another role gives all of that role's privileges (pg_read_all_data, a producer's role ...);
# openzone never makes an environment role a member of anything, nor gives it any of these attributes.
_MEMBERSHIPS = """SELECT m.rolname, g.rolname FROM pg_auth_members am
  JOIN pg_roles m ON m.oid = am.member JOIN pg_roles g ON g.oid = am.roleid WHERE m.rolname = ANY(%s)"""
_POWERS = {"rolsuper": "SUPERUSER", "rolcreaterole": "CREATEROLE", "rolcreatedb": "CREATEDB",
           "rolbypassrls": "BYPASSRLS"}
_ATTRIBUTES = ("SELECT rolname, " + ", ".join(_POWERS) + " FROM pg_roles WHERE rolname = ANY(%s)")
_EXISTING = """SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"""


@dataclass
class _Actual:
    """What one warehouse database allows the environment roles, as sets of tuples starting with the role."""

    roles: set[str] = field(default_factory=set)
    relations: set[tuple] = field(default_factory=set)  # (role, schema, relation, privilege)
    columns: set[tuple] = field(default_factory=set)  # (role, schema, relation, column, privilege)
    schemas: set[tuple] = field(default_factory=set)  # (role, schema, privilege)
    existing: set[tuple] = field(default_factory=set)  # (schema, relation)
    memberships: set[tuple] = field(default_factory=set)  # (role, role it is a member of)
    powers: set[tuple] = field(default_factory=set)  # (role, attribute such as SUPERUSER)


def _read(settings: Settings, database: str, roles: list[str], schemas: list[str]) -> _Actual:
    with admin_connection(settings, database) as conn:
        return _Actual(
            roles={r for (r,) in conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (roles,))},
            relations=set(map(tuple, conn.execute(_RELATIONS, (roles,)))),
            columns=set(map(tuple, conn.execute(_COLUMNS, (roles,)))),
            schemas=set(map(tuple, conn.execute(_SCHEMAS, (roles,)))),
            existing=set(map(tuple, conn.execute(_EXISTING, (schemas,)))),
            memberships=set(map(tuple, conn.execute(_MEMBERSHIPS, (roles,)))),
            powers={(row[0], power) for row in conn.execute(_ATTRIBUTES, (roles,))
                    for power, held in zip(_POWERS.values(), row[1:]) if held})


def _expected(record: WarehouseGrant) -> tuple[set, set, set]:
    """(relation, column, schema) privileges one record stands for, shaped like _Actual's tuples."""
    if record.view_name:
        return {(record.role, record.view_schema, record.view_name, "SELECT")}, set(), set()
    schema, table = record.source_schema, record.source_table
    usage = {(record.role, schema, "USAGE")} if record.schema_usage else set()
    if record.columns:
        return set(), {(record.role, schema, table, c, "SELECT") for c in record.columns}, usage
    return {(record.role, schema, table, "SELECT")}, set(), usage


def check(session: Session, settings: Settings, domain_id: str | None, repair: bool) -> list[Finding]:
    """Compare warehouse grants with the privileges PostgreSQL gives; with `repair`, make them agree."""
    if not settings.warehouse_url:
        return []
    assets = select(GrantAsset.grant_id, GrantAsset.asset_id, GrantAsset.status, SubscriptionGrant.domain_id,
                    SubscriptionGrant.environment_id, Listing, GrantAsset.asset_revision
                    ).join(SubscriptionGrant, SubscriptionGrant.id == GrantAsset.grant_id
                    ).join(SubscriptionTarget, SubscriptionTarget.id == SubscriptionGrant.target_id
                    ).join(Listing, Listing.id == SubscriptionGrant.listing_id
                    ).where(SubscriptionTarget.type == tasks.REDSHIFT_TARGET)
    records = select(WarehouseGrant, SubscriptionGrant.domain_id, SubscriptionGrant.environment_id).join(
        SubscriptionGrant, SubscriptionGrant.id == WarehouseGrant.grant_id)
    environments = select(Environment).where(Environment.warehouse_role.is_not(None))
    if domain_id is not None:
        assets, records = (q.where(SubscriptionGrant.domain_id == domain_id) for q in (assets, records))
        environments = environments.where(Environment.domain_id == domain_id)
    status = {(g, a): (s, d, e, listing, revision) for g, a, s, d, e, listing, revision in session.execute(assets)}
    by_database = defaultdict(list)
    for record, domain, environment_id in session.execute(records):
        by_database[record.database].append((record, domain, environment_id))
    roles_of = defaultdict(dict)
    for environment in session.scalars(environments):
        roles_of[environment.warehouse_database][environment.warehouse_role] = environment
    findings, recorded = [], set()
    for database in sorted(set(by_database) | set(roles_of)):
        rows = by_database.get(database, [])
        recorded.update((r.grant_id, r.asset_id) for r, _, _ in rows)
        roles = sorted(set(roles_of.get(database, {})) | {r.role for r, _, _ in rows})
        schemas = sorted({r.source_schema for r, _, _ in rows} | {r.view_schema for r, _, _ in rows if r.view_schema})
        actual = _read(settings, database, roles, schemas)
        findings += _records(session, settings, rows, status, actual, repair)
        findings += _unexplained(settings, database, rows, actual, roles_of.get(database, {}), repair)
    for (grant_id, asset_id), (state, domain, environment_id, _, _) in status.items():
        if state == states.GRANTED and (grant_id, asset_id) not in recorded:
            finding = Finding(domain, ENGINE, "MISSING_ACCESS", f"asset {asset_id}",
                              "The grant is GRANTED but the warehouse has no record of granting it.",
                              grant_id, asset_id, environment_id)
            if repair and (name := regrant(session, settings, finding)):
                finding.resource = name
            findings.append(finding)
    return findings


def _records(session: Session, settings: Settings, rows: list, status: dict, actual: _Actual,
             repair: bool) -> list[Finding]:
    """Each recorded grant of a GRANTED asset must still be in force; a record of anything else must go."""
    findings = []
    for record, domain, environment_id in rows:
        state, *_, listing, revision = status.get((record.grant_id, record.asset_id), (None,) * 5)
        shown = f"{record.view_schema}.{record.view_name}" if record.view_name else (
            f"{record.source_schema}.{record.source_table}")
        finding = Finding(domain, ENGINE, "", shown, "", record.grant_id, record.asset_id, environment_id)
        if state not in HOLDS_ACCESS:
            finding.kind = "EXTRA_ACCESS"
            finding.detail = (f"Role {record.role} holds {shown} for a grant asset that is "
                              f"{state or 'not a warehouse grant'}.")
            if repair:
                tasks.revoke_asset(session, settings, record.grant_id, record.asset_id)
                finding.outcome = REPAIRED
        elif state != states.GRANTED:
            continue  # being granted or revoked by a job right now
        elif record.role not in actual.roles:
            finding.kind, finding.detail = "MISSING_ACCESS", f"The environment role {record.role} no longer exists."
            if repair and fail_grant(session, finding):
                tasks.revoke_asset(session, settings, record.grant_id, record.asset_id)
        elif (source := _source(session, listing, record.asset_id, revision)) and source != (
                record.database, record.source_schema, record.source_table):
            finding.kind = "WRONG_SOURCE"
            finding.detail = (f"Role {record.role} was given {record.database}.{record.source_schema}."
                              f"{record.source_table}; the grant gives {'.'.join(source)}.")
            if repair:
                regrant(session, settings, finding)
        elif (record.source_schema, record.source_table) not in actual.existing:
            finding.kind = "SOURCE_GONE"
            finding.detail = f"The source table {record.source_schema}.{record.source_table} no longer exists."
            if repair and fail_grant(session, finding):
                tasks.revoke_asset(session, settings, record.grant_id, record.asset_id)
        else:
            relations, columns, schemas = _expected(record)
            lost = sorted(map(str, (relations - actual.relations) | (columns - actual.columns)
                              | (schemas - actual.schemas)))
            if record.view_name and (record.view_schema, record.view_name) not in actual.existing:
                lost.insert(0, f"view {shown} dropped")
            if not lost:
                continue
            finding.kind = "MISSING_ACCESS"
            finding.detail = f"Role {record.role} lost what the grant gives it: {'; '.join(lost)}."
            if repair:
                regrant(session, settings, finding)
        findings.append(finding)
    return findings


def _source(session: Session, listing: Listing, asset_id: str, revision: int) -> tuple[str, str, str] | None:
    try:
        return catalog.asset_warehouse_table(session, listing, asset_id, revision)
    except LookupError:  # no longer a warehouse table in the catalog: the other checks still apply
        return None


def _unexplained(settings: Settings, database: str, rows: list, actual: _Actual,
                 environments: dict[str, Environment], repair: bool) -> list[Finding]:
    """Privileges of environment roles that no record of an asset holding access explains."""
    relations, columns, schemas = set(), set(), set()
    for record, _, _ in rows:  # a record of an asset that lost access is reported (and revoked) by _records
        r, c, s = _expected(record)
        relations, columns, schemas = relations | r, columns | c, schemas | s
    extra = ([("relation", p) for p in sorted(actual.relations - relations)]
             + [("column", p) for p in sorted(actual.columns - columns)]
             + [("schema", p) for p in sorted(actual.schemas - schemas)]
             + [("membership", p) for p in sorted(actual.memberships)]
             + [("power", p) for p in sorted(actual.powers)])
    findings = []
    for what, privilege in extra:
        role = privilege[0]
        environment = environments.get(role)
        if environment is None:
            continue  # a role of an environment outside the domain being checked
        if what == "membership":
            resource, detail = f"role {privilege[1]}", (
                f"Role {role} is a member of role {privilege[1]} and so holds all its privileges; no grant gives it that.")
        elif what == "power":
            resource, detail = f"role {role}", f"Role {role} has {privilege[1]}, which openzone never gives."
        else:
            target = ".".join(privilege[1:-1])
            resource, detail = f"{database}.{target}", (
                f"Role {role} holds {privilege[-1]} on {what} {target}, which no grant gives it.")
        finding = Finding(environment.domain_id, ENGINE, "EXTRA_ACCESS", resource, detail,
                          environment_id=environment.id)
        if repair:
            _revoke(settings, database, what, privilege)
            finding.outcome = REPAIRED
        findings.append(finding)
    return findings


def _revoke(settings: Settings, database: str, what: str, privilege: tuple) -> None:
    """REVOKE one privilege found in an ACL, a role membership or a role attribute (types come from
    PostgreSQL or our own tables, names are quoted)."""
    if what == "membership":
        statement = sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(privilege[1]), sql.Identifier(privilege[0]))
    elif what == "power":
        statement = sql.SQL("ALTER ROLE {} NO" + privilege[1]).format(sql.Identifier(privilege[0]))
    else:
        statement = _revoke_privilege(what, privilege)
    with admin_connection(settings, database) as conn:
        conn.execute(statement)


def _revoke_privilege(what: str, privilege: tuple) -> sql.Composed:
    if privilege[-1] not in _PRIVILEGES:  # never the case for aclexplode's output; keeps the SQL closed anyway
        raise ValueError(f"unknown privilege {privilege[-1]!r}")
    role, kind = sql.Identifier(privilege[0]), sql.SQL(privilege[-1])
    if what == "schema":
        return sql.SQL("REVOKE {} ON SCHEMA {} FROM {}").format(kind, sql.Identifier(privilege[1]), role)
    if what == "column":
        return sql.SQL("REVOKE {} ({}) ON {} FROM {}").format(
            kind, sql.Identifier(privilege[3]), sql.Identifier(privilege[1], privilege[2]), role)
    return sql.SQL("REVOKE {} ON {} FROM {}").format(kind, sql.Identifier(privilege[1], privilege[2]), role)
