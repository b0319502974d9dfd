"""Users, for administrators: create one with a portal password, reset a password."""

from __future__ import annotations

from starlette.responses import Response

from openzone.errors import OpenzoneError
from openzone.identity import passwords, service as identity
from openzone.portal.web import Page, redirect


def users(page: Page) -> Response:
    return page.render("users.html", users=identity.list_users(page.session, page.user), form=page.form)


def create_user(page: Page) -> Response:
    identity.list_users(page.session, page.user)  # administrators only
    try:
        user = identity.create_user(page.session, page.form.get("name", "").strip(), page.form.get("admin") == "on")
        passwords.set_password(page.session, user, page.form.get("password", ""))
    except OpenzoneError as error:
        page.session.rollback()
        page.form["error"] = error.message
        page.form.pop("password", None)  # never echoed back
        response = users(page)
        response.status_code = error.status
        return response
    return redirect("/admin/users", notice=f"user {user.name} created")


def set_password(page: Page) -> Response:
    identity.list_users(page.session, page.user)  # administrators only
    name = page.form.get("name", "")
    try:
        passwords.set_password(page.session, identity.get_user_by_name(page.session, name),
                               page.form.get("password", ""))
    except OpenzoneError as error:
        page.session.rollback()
        page.form = {"error": error.message}
        response = users(page)
        response.status_code = error.status
        return response
    return redirect("/admin/users", notice=f"password of {name} set")
