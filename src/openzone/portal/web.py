"""Request plumbing shared by the portal's pages: sign-in state, CSRF, templates, error pages."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from openzone.db.session import session_scope
from openzone.errors import OpenzoneError
from openzone.identity import web_sessions
from openzone.identity.models import PortalSession, User
from openzone.portal import api

log = logging.getLogger("openzone.portal")
SESSION_COOKIE, LOGIN_CSRF_COOKIE = "oz_session", "oz_login_csrf"
PREFIX = "/portal"


def moment(value) -> datetime:
    """A rendered timestamp (epoch seconds, or an ISO string where the model says so) as a datetime."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _when(value) -> str:
    """A rendered timestamp shown in UTC to the minute."""
    return moment(value).strftime("%Y-%m-%d %H:%M UTC") if value not in (None, "") else ""


def _highlight(text: str | None, words: list[str]) -> Markup:
    """`text` escaped, with each searched word wrapped in <mark> (case-insensitive)."""
    if not text:
        return Markup("")
    lowered, marks = text.lower(), []
    for word in {w.lower() for w in words if w}:
        start = lowered.find(word)
        while start != -1:
            marks.append((start, start + len(word)))
            start = lowered.find(word, start + len(word))
    out, position = [], 0
    for start, end in sorted(marks):
        if start < position:
            continue
        out += [escape(text[position:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        position = end
    out.append(escape(text[position:]))
    return Markup("").join(out)


templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
templates.filters.update(when=_when, highlight=_highlight, urlquote=lambda v: quote(str(v), safe=""))
templates.globals.update(prefix=PREFIX, urlencode=urlencode)


@dataclass
class Page:
    """One portal request: who is asking, in which transaction, and how to answer."""

    request: Request
    session: Session
    user: User
    web_session: PortalSession
    form: dict = field(default_factory=dict)

    def call(self, operation: str, /, **params) -> dict:
        """Run a DataZone operation as this user."""
        return api.call(self.request.app.state.gateway, self.session, self.user, operation, **params)

    def athena(self, operation: str, /, **params) -> dict:
        """Run an Athena operation (the query service) as this user."""
        return api.call(self.request.app.state.gateway, self.session, self.user, operation, service="athena",
                        **params)

    def render(self, template: str, status: int = 200, **context) -> HTMLResponse:
        context.setdefault("notice", self.request.query_params.get("notice"))
        html = templates.get_template(template).render(user=self.user, csrf_token=self.web_session.csrf_token,
                                                       request=self.request, **context)
        return HTMLResponse(html, status_code=status)


Handler = Callable[[Page], Response]


def _signed_in(session: Session, request: Request) -> tuple[User, PortalSession] | None:
    return web_sessions.resolve(session, request.cookies.get(SESSION_COOKIE))


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{PREFIX}/login?{urlencode({'next': target})}", status_code=303)


def _serve(request: Request, form: dict | None, handler: Handler) -> Response:
    settings = request.app.state.settings
    with session_scope(settings.metadata_url) as session:
        found = _signed_in(session, request)
        if found is None:
            return _to_login(request)
        user, web_session = found
        if form is not None and not hmac.compare_digest(str(form.get("csrf_token", "")), web_session.csrf_token):
            return error_page(request, 403, "This form has expired or did not come from openzone.",
                              "Go back, reload the page and submit the form again.", user)
        page = Page(request=request, session=session, user=user, web_session=web_session, form=form or {})
        try:
            return handler(page)
        except OpenzoneError as error:
            session.rollback()
            return error_page(request, error.status, error.message, _next_step(error.status), user, web_session)
        except Exception:
            log.exception("portal page %s failed", request.url.path)
            session.rollback()
            return error_page(request, 500, "openzone could not show this page because of an internal error.",
                              "Try again; if it keeps failing, the operator finds the cause in the server log.",
                              user, web_session)


def _next_step(status: int) -> str:
    return {403: "Ask an owner of the project for access, or sign in as another user.",
            404: "It may have been deleted, or you may not be a member of the project that owns it.",
            409: "Reload the page to see the current state, then try again."}.get(
        status, "Correct what the message names and try again.")


def error_page(request: Request, status: int, message: str, next_step: str, user: User | None = None,
               web_session: PortalSession | None = None) -> HTMLResponse:
    context = {"domain_id": request.path_params["domain"]} if "domain" in request.path_params else {}
    html = templates.get_template("error.html").render(
        status=status, message=message, next_step=next_step, user=user, request=request,
        csrf_token=web_session.csrf_token if web_session else "", **context)
    return HTMLResponse(html, status_code=status)


def _timed(request: Request, form: dict | None, handler: Handler) -> Response:
    """Serve, and say in a Server-Timing header how long the server took (browsers' devtools show it)."""
    started = time.perf_counter()
    response = _serve(request, form, handler)
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


def page(handler: Handler):
    """A signed-in GET page."""
    async def endpoint(request: Request) -> Response:
        return await run_in_threadpool(_timed, request, None, handler)
    return endpoint


def action(handler: Handler):
    """A signed-in POST form, checked against the session's CSRF token."""
    async def endpoint(request: Request) -> Response:
        form = dict(await request.form())
        return await run_in_threadpool(_timed, request, form, handler)
    return endpoint


def redirect(path: str, **query) -> RedirectResponse:
    """See-other to a portal path (after a successful POST)."""
    query = {k: v for k, v in query.items() if v}
    return RedirectResponse(PREFIX + path + (f"?{urlencode(query)}" if query else ""), status_code=303)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)
