"""`openzone demo`: the Corporate domain, a Sales producer with TPC-H published, an Analytics consumer."""

import os
import secrets
import stat
from pathlib import Path

import duckdb
import typer
from sqlalchemy import func, select

from openzone.cli.main import app, settings_for
from openzone.config import Settings
from openzone.db.session import session_scope
from openzone.domains import service as domains
from openzone.domains.models import Domain
from openzone.identity.models import User

DEMO_DOMAIN, ADMIN = "Corporate", "admin"
TPCH_SCALE = 0.01


def _tpch_tables(settings: Settings) -> dict:
    """The eight TPC-H tables at a small scale factor, generated offline by DuckDB's tpch extension."""
    from openzone.lake.extensions import duckdb_config, prepare_extension_dir

    ext_dir = prepare_extension_dir(settings.extension_dir)
    with duckdb.connect(":memory:", config=duckdb_config(ext_dir)) as con:
        con.execute("LOAD tpch")
        con.execute(f"CALL dbgen(sf={TPCH_SCALE})")
        names = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {name: con.execute(f'SELECT * FROM "{name}"').to_arrow_table() for name in names}


def load_demo(settings: Settings) -> tuple[str, str] | None:
    """Create the demo; returns the admin's new (access key id, secret), or None if it already exists."""
    from openzone.app import register_operations
    from openzone.catalog import service as catalog
    from openzone.identity import passwords, service as identity
    from openzone.jobs.runner import drain
    from openzone.lake.access import get_warehouse
    from openzone.projects import environments
    from openzone.projects import service as projects
    from openzone.projects.models import Environment

    register_operations()
    url = settings.metadata_url
    with session_scope(url) as session:
        if session.scalar(select(Domain.id).where(Domain.name == DEMO_DOMAIN)):
            return None
    with session_scope(url) as session:
        admin = session.scalar(select(User).where(User.name == ADMIN)) or identity.create_user(session, ADMIN, admin=True)
        key = identity.create_access_key(session, ADMIN)
        password = secrets.token_urlsafe(12)
        passwords.set_password(session, admin, password)
        credentials = (key.id, key.secret, password)
        domain = domains.create_domain(session, admin, DEMO_DOMAIN, "openzone demo domain", {})
        lake = environments.blueprint_id(domain.id, environments.DATA_LAKE)
        environments.put_blueprint_configuration(session, admin, domain.id, lake, {"enabledRegions": [settings.region]})
        env_ids = {}
        for project_name, env_name, about in (("Sales", "sales_lake", "Producer of the TPC-H sales data"),
                                              ("Analytics", "analytics_lake", "Consumer: analysts and data scientists")):
            project = projects.create_project(session, admin, domain.id, project_name, about, None)
            env = environments.create_environment(session, admin, domain.id, {
                "projectIdentifier": project.id, "name": env_name, "environmentBlueprintIdentifier": lake}, settings)
            env_ids[project_name] = (project.id, env.id)
    drain(settings)  # provision both environments now
    sales_project, sales_env_id = env_ids["Sales"]
    with session_scope(url) as session:
        producer_db = session.get(Environment, sales_env_id).producer_db
    warehouse = get_warehouse(settings)
    tables = _tpch_tables(settings)
    for name, data in tables.items():
        warehouse.create_table(producer_db, name, data)
    with session_scope(url) as session:
        admin = session.scalar(select(User).where(User.name == ADMIN))
        for name in tables:
            content = f'{{"databaseName": "{producer_db}", "tableName": "{name}"}}'
            asset, _ = catalog.create_asset(session, admin, domain.id, {
                "owningProjectIdentifier": sales_project, "name": f"TPC-H {name}", "typeIdentifier": "GlueTableAssetType",
                "description": f"TPC-H {name} table (scale factor {TPCH_SCALE})",
                "formsInput": [{"formName": "GlueTableForm", "content": content}]}, settings)
            catalog.change_listing(session, admin, domain.id, {"entityIdentifier": asset.id, "entityType": "ASSET",
                                                               "action": "PUBLISH"})
    return credentials


def write_credentials(settings: Settings, key_id: str, secret: str, password: str) -> Path:
    """Keep the admin's key in <data dir>/credentials (AWS profile format) and the portal password in
    <data dir>/portal-password, both readable by the owner only."""
    path = settings.data_path / "credentials"
    path.write_text(f"[openzone]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    portal = settings.data_path / "portal-password"
    portal.write_text(password + "\n")
    os.chmod(portal, stat.S_IRUSR | stat.S_IWUSR)
    return path


def _portal_line(settings: Settings, password: str) -> str:
    return (f"Portal: http://{settings.host}:{settings.port}/portal/  user {ADMIN}, password {password} "
            f"(also in {settings.data_path / 'portal-password'})")


def quick_start(settings: Settings, key_id: str, secret: str) -> str:
    """Ten lines of boto3 that search, subscribe, approve and query the demo."""
    endpoint = f"http://{settings.host}:{settings.port}"
    return f'''import boto3, time
kw = dict(endpoint_url="{endpoint}", region_name="{settings.region}",
          aws_access_key_id="{key_id}", aws_secret_access_key="{secret}")
dz, athena = boto3.client("datazone", **kw), boto3.client("athena", **kw)
domain = dz.list_domains()["items"][0]["id"]
hit = dz.search_listings(domainIdentifier=domain, searchText="orders")["items"][0]["assetListing"]
analytics = dz.list_projects(domainIdentifier=domain, name="Analytics")["items"][0]["id"]
req = dz.create_subscription_request(domainIdentifier=domain, requestReason="demo", subscribedListings=[{{"identifier": hit["listingId"]}}], subscribedPrincipals=[{{"project": {{"identifier": analytics}}}}])
dz.accept_subscription_request(domainIdentifier=domain, identifier=req["id"]); time.sleep(1)
env = dz.list_environments(domainIdentifier=domain, projectIdentifier=analytics)["items"][0]["id"]
q = athena.start_query_execution(QueryString="SELECT count(*) FROM analytics_lake_sub_db.orders", WorkGroup=env)["QueryExecutionId"]
time.sleep(1); print(athena.get_query_results(QueryExecutionId=q)["ResultSet"]["Rows"])'''


def load_demo_if_empty(settings: Settings) -> None:
    """On a store without users, load the demo and print the admin's key and a boto3 quick start."""
    with session_scope(settings.metadata_url) as session:
        if session.scalar(select(func.count()).select_from(User)):
            return
    typer.echo("Empty data directory: loading the demo (TPC-H sf 0.01)...")
    credentials = load_demo(settings)
    if credentials:
        path = write_credentials(settings, *credentials)
        typer.echo(f"\n{_portal_line(settings, credentials[2])}\n\nAdmin access key (also saved in {path}):\n"
                   f"  AWS_ACCESS_KEY_ID={credentials[0]}\n  AWS_SECRET_ACCESS_KEY={credentials[1]}\n\n"
                   f"Quick start:\n\n{quick_start(settings, *credentials[:2])}\n")


@app.command()
def demo(data_dir: Path = typer.Option(None, "--data-dir")) -> None:
    """Load the demo (domain Corporate, projects Sales and Analytics, TPC-H published) into the store."""
    settings = settings_for(data_dir)
    credentials = load_demo(settings)
    if credentials is None:
        typer.echo(f"The demo domain {DEMO_DOMAIN} already exists; nothing to do.")
        return
    path = write_credentials(settings, *credentials)
    typer.echo(f"Demo loaded. Admin access key saved in {path}:\n  AWS_ACCESS_KEY_ID={credentials[0]}\n"
               f"  AWS_SECRET_ACCESS_KEY={credentials[1]}\n{_portal_line(settings, credentials[2])}")
