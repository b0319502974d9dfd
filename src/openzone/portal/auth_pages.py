"""Signing in and out of the portal."""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from openzone.db.session import session_scope
from openzone.errors import AccessDeniedError
from openzone.identity import web_sessions
from openzone.portal.web import LOGIN_CSRF_COOKIE, PREFIX, SESSION_COOKIE, new_login_csrf, templates


def _safe_next(target: str | None) -> str:
    """Only a path inside the portal: never an open redirect to another site."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


def _login_form(request: Request, status: int = 200, error: str | None = None, name: str = "") -> HTMLResponse:
    token = new_login_csrf()
    html = templates.get_template("login.html").render(
        request=request, user=None, csrf_token=token, error=error, name=name,
        next=_safe_next(request.query_params.get("next") or request.headers.get("x-next")))
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path=PREFIX,
                        secure=request.url.scheme == "https")
    return response


async def login_page(request: Request) -> Response:
    return _login_form(request)


def _sign_in(request: Request, form: dict) -> Response:
    name, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, str(form.get("csrf_token", ""))):
        return _login_form(request, 403, "The sign-in form expired. Enter your name and password again.", name)
    if not name or not password:
        return _login_form(request, 400, "Enter both your user name and your password.", name)
    try:
        with session_scope(request.app.state.settings.metadata_url) as session:
            token, row = web_sessions.sign_in(session, name, password)
            max_age = int((row.expires_at - row.created_at).total_seconds())
    except AccessDeniedError as error:
        return _login_form(request, 401, error.message + " Check both and try again.", name)
    response = RedirectResponse(_safe_next(str(form.get("next", ""))), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", path=PREFIX,
                        secure=request.url.scheme == "https")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return response


async def login(request: Request) -> Response:
    form = dict(await request.form())
    return await run_in_threadpool(_sign_in, request, form)


def _sign_out(request: Request, form: dict) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    with session_scope(request.app.state.settings.metadata_url) as session:
        found = web_sessions.resolve(session, token)
        # Signing out is a state change too: only the signed-in page's own form may do it.
        if found and hmac.compare_digest(found[1].csrf_token, str(form.get("csrf_token", ""))):
            web_sessions.sign_out(session, token)
    response = RedirectResponse(PREFIX + "/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


async def logout(request: Request) -> Response:
    form = dict(await request.form())
    return await run_in_threadpool(_sign_out, request, form)
