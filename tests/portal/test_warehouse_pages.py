"""A data warehouse environment in the portal: how to connect, for project members only."""

import pytest

from portal.portal_world import set_password, sign_in
from warehouse import build_warehouse_world, connect_as
from warehouse_fixtures import warehouse_url, wh_server  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def world(wh_server):
    world = build_warehouse_world(wh_server)
    for caller in (world.producer, world.consumer):
        set_password(wh_server, caller.name)
    return world


def test_members_see_how_to_connect_and_the_login_works(wh_server, world):
    producer = sign_in(wh_server, world.producer.name)
    project = producer.get(f"/portal/d/{world.domain.id}/projects/{world.sales_id}").text
    link = f"/portal/d/{world.domain.id}/environments/{world.sales_env['id']}/login"
    assert link in project and "redshiftSchemaName" in project
    page = producer.get(link)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    fields = dict(zip(*[iter(__import__("re").findall(r"<d[td]>(?:<code>)?([^<]*)", page.text))] * 2))
    login = {"host": fields["Host"], "port": int(fields["Port"]), "database": fields["Database"],
             "user": fields["User"], "password": fields["Password"], "schema": fields["Schema"]}
    with connect_as(login) as conn:  # what the page shows is what psql needs
        assert conn.execute("SELECT current_user").fetchone() == (login["user"],)

    consumer = sign_in(wh_server, world.consumer.name)
    refused = consumer.get(link)
    assert refused.status_code in (403, 404) and fields["Password"] not in refused.text
