"""Users, for administrators only."""

import httpx
import pytest

from portal.portal_world import csrf, set_password, sign_in


@pytest.fixture(scope="module")
def admin(server):
    caller = server.user(admin=True)
    set_password(server, caller.name)
    return sign_in(server, caller.name)


def test_admin_creates_a_user_who_can_sign_in(server, admin):
    page = admin.get("/portal/admin/users")
    assert page.status_code == 200 and "Create a user" in page.text
    short = admin.post("/portal/admin/users", data={"csrf_token": csrf(page.text), "name": "newcomer",
                                                    "password": "short"})
    assert short.status_code == 400 and "at least 8 characters" in short.text
    assert 'value="newcomer"' in short.text and "short" not in short.text.split('id="password"')[1][:80]
    made = admin.post("/portal/admin/users", data={"csrf_token": csrf(page.text), "name": "newcomer",
                                                   "password": "long enough pw"})
    assert made.status_code == 303
    assert sign_in(server, "newcomer", "long enough pw").get("/portal/").status_code == 200
    reset = admin.post("/portal/admin/users/password", data={"csrf_token": csrf(page.text), "name": "newcomer",
                                                             "password": "another password"})
    assert reset.status_code == 303
    sign_in(server, "newcomer", "another password")
    client = httpx.Client(base_url=server.url)
    form = client.get("/portal/login").text
    assert client.post("/portal/login", data={"username": "newcomer", "password": "long enough pw",
                                              "csrf_token": csrf(form)}).status_code == 401


def test_a_non_admin_is_refused(server):
    caller = server.user()
    set_password(server, caller.name)
    client = sign_in(server, caller.name)
    page = client.get("/portal/admin/users")
    assert page.status_code == 403 and "Only administrators" in page.text and "Users</a>" not in page.text
    home = client.get("/portal/")
    assert client.post("/portal/admin/users", data={"csrf_token": csrf(home.text), "name": "sneaky",
                                                    "password": "long enough pw"}).status_code == 403
