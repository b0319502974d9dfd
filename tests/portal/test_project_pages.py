"""Projects: members and designations, environments from profiles, inventory."""

import re

import pytest

from conftest import wait_for
from portal.portal_world import build_portal_world, csrf, sign_in


@pytest.fixture(scope="module")
def pw(server):
    return build_portal_world(server)


def _form_token(html: str, action: str) -> str:
    return csrf(html.split(f'{action}"')[1])


def test_owner_adds_changes_and_removes_a_member(server, pw):
    producer = sign_in(server, pw.world.producer.name)
    url = f"/portal/d/{pw.world.domain_id}/projects/{pw.world.sales_id}"
    page = producer.get(url)
    assert page.status_code == 200 and "PROJECT_OWNER" in page.text and "Customer orders" in page.text
    token = _form_token(page.text, "/members")

    unknown = producer.post(url + "/members", data={"csrf_token": token, "user": "no-such-user",
                                                    "designation": "PROJECT_CONTRIBUTOR"})
    assert unknown.status_code == 404 and "no-such-user" in unknown.text
    assert 'value="no-such-user"' in unknown.text  # what was typed is kept

    added = producer.post(url + "/members", data={"csrf_token": token, "user": pw.world.consumer.name,
                                                  "designation": "PROJECT_CATALOG_VIEWER"})
    assert added.status_code == 303
    page = producer.get(url)
    row = re.search(rf"<td>{pw.world.consumer.name}</td><td>(\w+)</td>", page.text)
    assert row and row[1] == "PROJECT_CATALOG_VIEWER"

    producer.post(url + "/members", data={"csrf_token": token, "user": pw.world.consumer.name,
                                          "designation": "PROJECT_CONTRIBUTOR"})
    assert re.search(rf"<td>{pw.world.consumer.name}</td><td>PROJECT_CONTRIBUTOR</td>", producer.get(url).text)

    # A contributor sees the project but none of the owner's controls.
    consumer_view = sign_in(server, pw.world.consumer.name).get(url)
    assert consumer_view.status_code == 200 and "Add member" not in consumer_view.text

    user_id = re.search(rf'name="user" value="([^"]+)">\s*<label for="designation-\d+" class="muted">Designation of '
                        rf'{pw.world.consumer.name}', page.text)[1]
    assert producer.post(url + "/members/remove", data={"csrf_token": token, "user": user_id}).status_code == 303
    assert pw.world.consumer.name not in producer.get(url).text
    gone = sign_in(server, pw.world.consumer.name).get(url)
    assert gone.status_code == 403 and "Customer orders" not in gone.text


def test_environments_show_how_to_connect_and_can_be_created(server, pw):
    producer = sign_in(server, pw.world.producer.name)
    url = f"/portal/d/{pw.world.domain_id}/projects/{pw.world.sales_id}"
    page = producer.get(url)
    assert "sales_lake" in page.text and "glueProducerDBName" in page.text and "workgroup" in page.text
    made = producer.post(url + "/environments", data={"csrf_token": _form_token(page.text, "/environments"),
                                                      "name": "sales_extra",
                                                      "profile": pw.world.sales_env["environmentProfileId"]})
    assert made.status_code == 303
    wait_for(lambda: "sales_extra <span class=\"muted\">ACTIVE" in producer.get(url).text, timeout=30)


def test_a_non_member_cannot_see_a_project(server, pw):
    consumer = sign_in(server, pw.world.consumer.name)
    page = consumer.get(f"/portal/d/{pw.world.domain_id}/projects/{pw.world.sales_id}")
    assert page.status_code == 403 and "Customer orders" not in page.text and "Ask an owner" in page.text
