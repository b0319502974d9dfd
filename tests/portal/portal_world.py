"""A domain with a published table and users who can sign in to the portal, for the portal's tests."""

import re
from dataclasses import dataclass

import httpx

from conftest import LiveServer
from openzone.db.session import session_scope
from openzone.identity import passwords, service as identity
from scenario import World, build_world, glue_asset, query_rows

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class PortalWorld:
    world: World
    asset_id: str
    listing_id: str


def csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return _CSRF.search(html)[1]


def set_password(server: LiveServer, name: str, password: str = PASSWORD) -> None:
    with session_scope(server.settings.metadata_url) as session:
        passwords.set_password(session, identity.get_user_by_name(session, name), password)


def sign_in(server: LiveServer, name: str, password: str = PASSWORD) -> httpx.Client:
    """A browser-like client signed in to the portal as `name`."""
    client = httpx.Client(base_url=server.url, timeout=30)
    form = client.get("/portal/login")
    answer = client.post("/portal/login", data={"username": name, "password": password,
                                                "csrf_token": csrf(form.text), "next": "/portal/"})
    assert answer.status_code == 303, answer.text
    return client


def build_portal_world(server: LiveServer) -> PortalWorld:
    """build_world, plus a published 'Customer orders' table, and portal passwords for both users."""
    world = build_world(server)
    query_rows(world.producer, world.sales_env["id"], "CREATE TABLE customer_orders AS SELECT * FROM (VALUES "
               "(1, 'alice', 10.5), (2, 'bob', 20.0)) t(order_id, customer, amount)")
    asset = glue_asset(world.producer, world, "customer_orders", "Customer orders", "Orders placed by customers")
    listing = world.producer.dz.create_listing_change_set(domainIdentifier=world.domain_id, entityIdentifier=asset["id"],
                                                          entityType="ASSET", action="PUBLISH")
    for caller in (world.admin, world.producer, world.consumer):
        set_password(server, caller.name)
    return PortalWorld(world, asset["id"], listing["listingId"])
