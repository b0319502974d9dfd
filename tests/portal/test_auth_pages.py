"""Signing in and out: passwords, cookies, CSRF, redirects and refusals."""

import httpx
import pytest

from portal.portal_world import PASSWORD, csrf, set_password, sign_in


@pytest.fixture(scope="module")
def member(server):
    caller = server.user()
    set_password(server, caller.name)
    return caller


def test_pages_need_a_signed_in_user(server):
    answer = httpx.get(f"{server.url}/portal/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/portal/login?next=%2Fportal%2F"
    assert httpx.get(f"{server.url}/", follow_redirects=False).headers["location"] == "/portal/"


def test_sign_in_sets_a_safe_cookie_and_signs_out(server, member):
    client = httpx.Client(base_url=server.url)
    form = client.get("/portal/login")
    assert form.status_code == 200 and '<label for="password">Password</label>' in form.text
    answer = client.post("/portal/login", data={"username": member.name, "password": PASSWORD,
                                                "csrf_token": csrf(form.text), "next": "/portal/"})
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("oz_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/portal" in cookie
    home = client.get("/portal/")
    assert home.status_code == 200 and f"Signed in as <strong>{member.name}</strong>" in home.text

    # Signing out needs the page's CSRF token; without it nothing happens.
    client.post("/portal/logout", data={"csrf_token": "forged"})
    client.cookies.set("oz_session", cookie.split(";")[0].split("=", 1)[1], path="/portal")
    assert client.get("/portal/").status_code == 200
    client.post("/portal/logout", data={"csrf_token": csrf(home.text)})
    client.cookies.set("oz_session", cookie.split(";")[0].split("=", 1)[1], path="/portal")
    assert client.get("/portal/", follow_redirects=False).status_code == 303  # the session is gone server-side


@pytest.mark.parametrize("who, password", [("member", "wrong password"), ("nobody-such", PASSWORD)])
def test_wrong_name_or_password_gets_one_message_and_keeps_the_name(server, member, who, password):
    name = member.name if who == "member" else who
    client = httpx.Client(base_url=server.url)
    form = client.get("/portal/login")
    answer = client.post("/portal/login", data={"username": name, "password": password, "csrf_token": csrf(form.text)})
    assert answer.status_code == 401
    assert "The user name or the password is wrong." in answer.text
    assert f'value="{name}"' in answer.text and "oz_session" not in answer.headers.get("set-cookie", "")


def test_sign_in_without_the_forms_token_is_refused(server, member):
    answer = httpx.post(f"{server.url}/portal/login", data={"username": member.name, "password": PASSWORD,
                                                            "csrf_token": "made-up"})
    assert answer.status_code == 403 and "expired" in answer.text


def test_next_never_leaves_the_portal(server, member):
    client = httpx.Client(base_url=server.url)
    form = client.get("/portal/login")
    answer = client.post("/portal/login", data={"username": member.name, "password": PASSWORD,
                                                "csrf_token": csrf(form.text), "next": "https://evil.example/"})
    assert answer.headers["location"] == "/portal/"


def test_forms_of_signed_in_pages_need_the_sessions_token(server, member):
    client = sign_in(server, member.name)
    answer = client.post("/portal/d/dzd_whatever/inbox", data={})
    assert answer.status_code == 405  # a GET page
    answer = client.post("/portal/d/dzd_whatever/requests/abc/decision", data={"csrf_token": "forged",
                                                                              "decision": "accept"})
    assert answer.status_code == 403 and "did not come from openzone" in answer.text
