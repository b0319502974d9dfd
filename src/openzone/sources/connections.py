"""DataZone connections: how a data source reaches a system other than openzone's own lake.

A connection belongs to an environment's project (`environmentIdentifier` is required, as for DataZone's
project-scoped connections); its owners and contributors create and delete it, its members read it.
What openzone serves, by the member the caller fills:

- `props.redshiftProperties` (host, port, databaseName, credentials): PostgreSQL or Redshift (type REDSHIFT).
- `props.glueProperties.glueConnectionInput` with connectionType MYSQL, POSTGRESQL or REDSHIFT
  (connectionProperties HOST, PORT, DATABASE; authenticationConfiguration BASIC with
  basicAuthenticationCredentials or a secretArn), or ICEBERGRESTCATALOG (connectionProperties CATALOG_URI:
  an Iceberg REST catalog URL, or an SQL catalog's database URL; optional WAREHOUSE and CATALOG_NAME).
- `props.s3Properties.s3Uri`: a folder of files, `s3://bucket/prefix`, or `s3://openzone_files/<folder>` for a
  folder under the server's files root (OPENZONE_SOURCES_FILES_ROOT, default `<data dir>/files`) (type S3).
- `props.iamProperties` with `awsLocation` (awsAccountId, awsRegion): a real AWS Glue Data Catalog (type IAM);
  the endpoint and credentials come from the server's settings (OPENZONE_GLUE_ENDPOINT_URL, the AWS chain).

S3 and IAM connections may carry `configurations=[{"classification": "aws", "properties": {"endpointUrl": ...,
"secretArn": ...}}]`: an S3-compatible or Glue endpoint (a moto server, MinIO) and a secret holding an access key
id (username) and secret access key (password). S3 connections may also carry `{"classification": "files",
"properties": {...}}` with the folder's `layout` (tables, databases, table), a `database` name, `schemaFiles`, and
the provenance of third-party data (`provider`, `licence`, `source`, `product`: the DataProvenanceForm).

Inline passwords are stored as secrets at once; the connection keeps only the secret's ARN.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.domains import service as domains
from openzone.errors import ConflictError, NotFoundError, ValidationError
from openzone.identity.models import User
from openzone.projects import service as projects
from openzone.projects.models import Environment
from openzone.sources import secrets
from openzone.sources.connectors.base import GLUE, ICEBERG, MYSQL, POSTGRESQL, REDSHIFT
from openzone.sources.models import Connection, DataSource, Secret
from openzone.wire.ids import new_id

FILES = "FILES"
# s3://openzone_files/<folder> names a folder under the server's files root (OPENZONE_SOURCES_FILES_ROOT):
# DataZone's s3Uri must be an s3:// URI, and no AWS bucket can be called this (no underscores in bucket names).
LOCAL_BUCKET = "openzone_files"
_GLUE_INPUT = "props.glueProperties.glueConnectionInput"
_GLUE_TYPES = {"MYSQL": MYSQL, "POSTGRESQL": POSTGRESQL, "REDSHIFT": REDSHIFT, "ICEBERGRESTCATALOG": ICEBERG}
_DEFAULT_PORTS = {MYSQL: 3306, POSTGRESQL: 5432, REDSHIFT: 5439}
_SERVED = ("redshiftProperties", "glueProperties", "s3Properties", "iamProperties")


def _environment(session: Session, actor: User, domain_id: str, environment_id: str | None) -> Environment:
    if not environment_id:
        raise ValidationError("environmentIdentifier is required: a connection belongs to an environment's project.")
    environment = session.get(Environment, environment_id)
    if environment is None or environment.domain_id != domain_id:
        domains.require_domain_user(session, actor, domain_id)
        raise NotFoundError(f"Environment {environment_id} not found in domain {domain_id}.")
    projects.require_actor(session, actor, domain_id, environment.project_id)
    return environment


def _port(value, member: str) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{member} must be a port number.") from None
    if not 0 < port < 65536:
        raise ValidationError(f"{member} must be a port number.")
    return port


def _secret_arn(session: Session, settings: Settings, project_id: str, name: str, member: str,
                arn: str | None, username: str | None, password: str | None) -> str:
    """The secret the credentials name, or a new one holding the inline username and password."""
    if arn and (username or password is not None):
        raise ValidationError(f"{member}: give either a secretArn or a username and password, not both.")
    if arn:
        return secrets.usable_secret(session, arn, project_id, f"{member}.secretArn").arn
    if not username or password is None:
        raise ValidationError(f"{member} needs a secretArn or a username and password.")
    secret_name = f"openzone/connection/{name}-{new_id()[:6]}"
    return secrets.create_secret(session, settings, secret_name, username, password, project_id).arn


def _redshift(session: Session, settings: Settings, project_id: str, name: str, given: dict) -> tuple[str, dict, str]:
    member = "props.redshiftProperties"
    host = given.get("host")
    if not host:
        raise ValidationError(f"{member}.host is required: the PostgreSQL or Redshift server to read.")
    if not given.get("databaseName"):
        raise ValidationError(f"{member}.databaseName is required.")
    port = _port(given.get("port") or 5439, f"{member}.port")
    credentials = given.get("credentials") or {}
    login = credentials.get("usernamePassword") or {}
    arn = _secret_arn(session, settings, project_id, name, f"{member}.credentials", credentials.get("secretArn"),
                      login.get("username"), login.get("password"))
    storage = given.get("storage") or {}
    output = {"redshiftProperties": {
        "databaseName": given["databaseName"], "credentials": {"secretArn": arn}, "status": "READY",
        "isProvisionedSecret": not credentials.get("secretArn"),
        "jdbcUrl": f"jdbc:redshift://{host}:{port}/{given['databaseName']}",
        **({"storage": storage} if storage else {})}}
    spec = {"kind": REDSHIFT, "host": host, "port": port, "database": given["databaseName"]}
    return "REDSHIFT", {"output": output, "spec": spec, "endpoint": {"host": host, "port": port,
                                                                     "protocol": "JDBC"}}, arn


def _glue(session: Session, settings: Settings, project_id: str, name: str,
          given: dict) -> tuple[str, dict, str | None]:
    glue_input = given.get("glueConnectionInput")
    if not glue_input:
        raise ValidationError(f"{_GLUE_INPUT} is required.")
    connection_type = glue_input.get("connectionType")
    kind = _GLUE_TYPES.get(connection_type)
    if kind is None:
        raise ValidationError(f"{_GLUE_INPUT}.connectionType {connection_type} is not supported by openzone; "
                              f"use one of {', '.join(_GLUE_TYPES)}.")
    properties = dict(glue_input.get("connectionProperties") or {})
    member = f"{_GLUE_INPUT}.connectionProperties"
    arn = None
    if kind == ICEBERG:
        if not properties.get("CATALOG_URI"):
            raise ValidationError(f"{member}.CATALOG_URI is required: the Iceberg catalog's URL.")
        if urlsplit(properties["CATALOG_URI"]).password:
            # connectionProperties are shown as given: a password there would be in every GetConnection.
            raise ValidationError(f"{member}.CATALOG_URI must not contain a password.")
        spec = {"kind": ICEBERG, "uri": properties["CATALOG_URI"], "warehouse": properties.get("WAREHOUSE"),
                "catalog_name": properties.get("CATALOG_NAME") or "default"}
        endpoint = {"protocol": "HTTPS"}
    else:
        for key in ("HOST", "DATABASE"):
            if not properties.get(key):
                raise ValidationError(f"{member}.{key} is required.")
        port = _port(properties.get("PORT") or _DEFAULT_PORTS[kind], f"{member}.PORT")
        properties["PORT"] = str(port)
        auth = glue_input.get("authenticationConfiguration") or {}
        if auth.get("authenticationType", "BASIC") != "BASIC":
            raise ValidationError(f"{_GLUE_INPUT}.authenticationConfiguration.authenticationType "
                                  f"{auth['authenticationType']} is not supported; use BASIC.")
        basic = auth.get("basicAuthenticationCredentials") or {}
        arn = _secret_arn(session, settings, project_id, name, f"{_GLUE_INPUT}.authenticationConfiguration",
                          auth.get("secretArn"), basic.get("userName"), basic.get("password"))
        spec = {"kind": kind, "host": properties["HOST"], "port": port, "database": properties["DATABASE"]}
        endpoint = {"host": properties["HOST"], "port": port, "protocol": "JDBC"}
    glue_connection = {
        "name": glue_input.get("name") or name, "connectionType": connection_type,
        "connectionProperties": properties, "status": "READY",
        **({"description": glue_input["description"]} if glue_input.get("description") else {}),
        **({"authenticationConfiguration": {"authenticationType": "BASIC", "secretArn": arn}} if arn else {})}
    return connection_type, {"output": {"glueProperties": {"status": "READY"}}, "spec": spec,
                             "endpoint": {**endpoint, "glueConnection": glue_connection}}, arn


# configurations classification "files": how the folder is laid out, and the provenance of third-party data.
_FILES_OPTIONS = {"layout": "layout", "database": "database", "schemaFiles": "schema_files"}
_PROVENANCE = ("provider", "licence", "source", "product")


def _s3(given: dict, configurations: list[dict] | None) -> tuple[str, dict, None]:
    uri = given.get("s3Uri") or ""
    if not uri.startswith("s3://"):
        raise ValidationError(f"props.s3Properties.s3Uri must be an s3://bucket/prefix (or s3://{LOCAL_BUCKET}/folder "
                              f"for a folder under the server's files root).")
    if ".." in uri.split("/"):
        raise ValidationError("props.s3Properties.s3Uri must not contain '..'.")
    path = uri
    files = next((c.get("properties") or {} for c in configurations or () if c.get("classification") == "files"), {})
    unknown = set(files) - set(_FILES_OPTIONS) - set(_PROVENANCE)
    if unknown:
        raise ValidationError(f"configurations (classification files): unknown properties "
                              f"{', '.join(sorted(unknown))}; openzone reads "
                              f"{', '.join([*_FILES_OPTIONS, *_PROVENANCE])}.")
    if files.get("layout") not in (None, "tables", "databases", "table"):
        raise ValidationError("configurations (classification files): layout must be tables, databases or table.")
    options = {option: files[key] for key, option in _FILES_OPTIONS.items() if files.get(key)}
    provenance = {key: files[key] for key in _PROVENANCE if files.get(key)}
    if provenance:
        options["provenance"] = provenance
    return "S3", {"output": {"s3Properties": {"s3Uri": uri, "status": "READY"}},
                  "spec": {"kind": FILES, "path": path, "options": options}, "endpoint": {"protocol": "HTTPS"}}, None


def _iam(given: dict, location: dict | None) -> tuple[str, dict, None]:
    if not location or not location.get("awsAccountId") or not location.get("awsRegion"):
        raise ValidationError("awsLocation (awsAccountId, awsRegion) is required for an AWS Glue (IAM) connection.")
    return "IAM", {"output": {"iamProperties": {k: v for k, v in given.items() if k == "glueLineageSyncEnabled"}},
                   "spec": {"kind": GLUE, "region": location["awsRegion"], "catalog_id": location["awsAccountId"]},
                   "endpoint": {"protocol": "HTTPS"}}, None


def _aws_access(session: Session, project_id: str, configurations: list[dict] | None, stored: dict) -> str | None:
    """AWS Glue and S3 connections: the optional `aws` configuration (endpointUrl; secretArn of a secret whose
    username is the access key id and password the secret access key). Returns the secret's ARN."""
    aws = next((c.get("properties") or {} for c in configurations or () if c.get("classification") == "aws"), None)
    if aws is None:
        return None
    unknown = set(aws) - {"endpointUrl", "secretArn"}
    if unknown:
        raise ValidationError(f"configurations (classification aws): unknown properties {', '.join(sorted(unknown))}; "
                              f"openzone reads endpointUrl and secretArn.")
    if aws.get("endpointUrl"):
        if not aws["endpointUrl"].startswith(("http://", "https://")):
            raise ValidationError("configurations (classification aws): endpointUrl must be an http(s) URL.")
        stored["spec"]["endpoint_url"] = aws["endpointUrl"]
    if aws.get("secretArn"):
        return secrets.usable_secret(session, aws["secretArn"], project_id,
                                     "configurations (classification aws).secretArn").arn
    return None


def create_connection(session: Session, actor: User, domain_id: str, p: dict, settings: Settings) -> Connection:
    """A connection of an environment's project (its owners and contributors)."""
    environment = _environment(session, actor, domain_id, p.get("environmentIdentifier"))
    if p.get("scope", "PROJECT") != "PROJECT":
        raise ValidationError("scope DOMAIN is not supported by openzone; connections belong to a project.")
    props = p.get("props") or {}
    given = [key for key, value in props.items() if value is not None]
    if len(given) != 1 or given[0] not in _SERVED:
        raise ValidationError("props must hold exactly one of " + ", ".join(f"props.{k}" for k in _SERVED)
                              + (f"; {', '.join('props.' + k for k in given)} given" if given else ""))
    if session.scalar(select(Connection.id).where(Connection.domain_id == domain_id, Connection.name == p["name"])):
        raise ConflictError(f"A connection named {p['name']} already exists in domain {domain_id}.")
    key, project_id, name = given[0], environment.project_id, p["name"]
    if key == "redshiftProperties":
        kind, stored, arn = _redshift(session, settings, project_id, name, props[key])
    elif key == "glueProperties":
        kind, stored, arn = _glue(session, settings, project_id, name, props[key])
    elif key == "s3Properties":
        kind, stored, arn = _s3(props[key], p.get("configurations"))
    else:
        kind, stored, arn = _iam(props[key], p.get("awsLocation"))
    if key in ("s3Properties", "iamProperties"):
        arn = _aws_access(session, project_id, p.get("configurations"), stored)
    location = p.get("awsLocation") or {"awsAccountId": environment.aws_account_id, "awsRegion": environment.region}
    row = Connection(id=new_id(), domain_id=domain_id, project_id=project_id, environment_id=environment.id,
                     name=name, description=p.get("description"), type=kind, props=stored,
                     aws_location=location, secret_arn=arn, created_by=actor.id)
    try:
        session.add(row)
        session.flush()
    except IntegrityError:
        raise ConflictError(f"A connection named {name} already exists in domain {domain_id}.") from None
    return row


def _visible(session: Session, actor: User, domain_id: str, connection_id: str) -> Connection:
    row = session.get(Connection, connection_id)
    return projects.project_visible(session, actor, domain_id, row, row and row.project_id,
                                    f"Connection {connection_id}")


def get_connection(session: Session, actor: User, domain_id: str, connection_id: str) -> Connection:
    """A connection of a project the caller is a member of."""
    return _visible(session, actor, domain_id, connection_id)


def usable_connection(session: Session, actor: User, domain_id: str, connection_id: str, project_id: str) -> Connection:
    """A connection a data source of `project_id` may use: one of that project's own."""
    row = _visible(session, actor, domain_id, connection_id)
    if row.project_id != project_id:
        raise ValidationError(f"connectionIdentifier: connection {connection_id} belongs to another project.")
    return row


def list_connections(session: Session, actor: User, domain_id: str, p: dict, offset: int,
                     limit: int) -> list[Connection]:
    """Connections of the projects the caller is a member of, filtered as ListConnections asks."""
    domains.require_domain_user(session, actor, domain_id)
    query = select(Connection).where(Connection.domain_id == domain_id)
    if not actor.is_admin:
        query = query.where(Connection.project_id.in_(projects.member_project_ids(session, actor, domain_id)))
    for member, column in (("projectIdentifier", Connection.project_id), ("name", Connection.name),
                           ("environmentIdentifier", Connection.environment_id), ("type", Connection.type)):
        if p.get(member):
            query = query.where(column == p[member])
    if p.get("scope") == "DOMAIN":
        return []
    order = Connection.name.desc() if p.get("sortOrder") == "DESCENDING" else Connection.name
    return list(session.scalars(query.order_by(order, Connection.id).offset(offset).limit(limit + 1)))


def delete_connection(session: Session, actor: User, domain_id: str, connection_id: str) -> None:
    """Delete a connection (owners and contributors); refused while a data source uses it."""
    row = _visible(session, actor, domain_id, connection_id)
    projects.require_actor(session, actor, domain_id, row.project_id)
    user = session.scalar(select(DataSource.name).where(DataSource.connection_id == row.id).limit(1))
    if user is not None:
        raise ConflictError(f"Connection {row.id} is used by data source {user}; delete the data source first.")
    secret = session.get(Secret, row.secret_arn) if row.secret_arn else None
    session.delete(row)
    # A secret made from this connection's inline credentials goes with it; an operator's secret stays.
    if secret is not None and secret.project_id == row.project_id and not session.scalar(
            select(Connection.id).where(Connection.secret_arn == secret.arn, Connection.id != row.id).limit(1)):
        session.delete(secret)
    session.flush()
