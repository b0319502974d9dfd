"""The portal's URL map, mounted at /portal by the app."""

from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pathlib import Path

from openzone.portal import admin_pages, auth_pages, catalog_pages, event_pages, governance_pages, project_pages, query_pages, sharing_pages, source_pages
from openzone.portal.web import PREFIX, action, page

D = "/d/{domain}"


def portal_routes() -> list:
    """Routes of every page, plus the root redirect and static files."""
    pages = [
        Route("/login", auth_pages.login_page, methods=["GET"]),
        Route("/login", auth_pages.login, methods=["POST"]),
        Route("/logout", auth_pages.logout, methods=["POST"]),
        Route("/", page(catalog_pages.home), methods=["GET"]),
        Route("/admin/users", page(admin_pages.users), methods=["GET"]),
        Route("/admin/users", action(admin_pages.create_user), methods=["POST"]),
        Route("/admin/users/password", action(admin_pages.set_password), methods=["POST"]),
        Route("/admin/events", page(event_pages.rules), methods=["GET"]),
        Route("/admin/events", action(event_pages.create_rule), methods=["POST"]),
        Route("/admin/events/change", action(event_pages.change_rule), methods=["POST"]),
        Route(D, page(catalog_pages.domain_home), methods=["GET"]),
        Route(D + "/catalog", page(catalog_pages.search), methods=["GET"]),
        Route(D + "/listings/{listing}", page(catalog_pages.listing), methods=["GET"]),
        Route(D + "/listings/{listing}/request", action(sharing_pages.request_access), methods=["POST"]),
        Route(D + "/assets/{asset}", page(catalog_pages.asset), methods=["GET"]),
        Route(D + "/assets/{asset}/publish", action(catalog_pages.publish), methods=["POST"]),
        Route(D + "/assets/{asset}/predictions", action(catalog_pages.decide_predictions), methods=["POST"]),
        Route(D + "/projects", page(project_pages.projects), methods=["GET"]),
        Route(D + "/projects", action(project_pages.create_project), methods=["POST"]),
        Route(D + "/projects/{project}", page(project_pages.project), methods=["GET"]),
        Route(D + "/projects/{project}/members", action(project_pages.set_member), methods=["POST"]),
        Route(D + "/projects/{project}/members/remove", action(project_pages.remove_member), methods=["POST"]),
        Route(D + "/projects/{project}/environments", action(project_pages.create_environment), methods=["POST"]),
        Route(D + "/environments/{environment}/login", page(project_pages.warehouse_login), methods=["GET"]),
        Route(D + "/query", page(query_pages.editor), methods=["GET"]),
        Route(D + "/query", action(query_pages.run), methods=["POST"]),
        Route(D + "/query/{execution}", page(query_pages.execution), methods=["GET"]),
        Route(D + "/query/{execution}/status", page(query_pages.status), methods=["GET"]),
        Route(D + "/query/{execution}/results.csv", page(query_pages.download), methods=["GET"]),
        Route(D + "/query/{execution}/table", action(query_pages.save_table), methods=["POST"]),
        Route(D + "/query/{execution}/publish", action(query_pages.publish_table), methods=["POST"]),
        Route(D + "/sources", page(source_pages.sources), methods=["GET"]),
        Route(D + "/sources/new", page(source_pages.wizard), methods=["GET"]),
        Route(D + "/sources/new", action(source_pages.wizard), methods=["POST"]),
        Route(D + "/sources/{source}", page(source_pages.source), methods=["GET"]),
        Route(D + "/sources/{source}/run", action(source_pages.run_now), methods=["POST"]),
        Route(D + "/sources/{source}/status", page(source_pages.status), methods=["GET"]),
        Route(D + "/sources/{source}/runs/{run}", page(source_pages.activities), methods=["GET"]),
        Route(D + "/glossaries", page(governance_pages.glossaries), methods=["GET"]),
        Route(D + "/glossaries", action(governance_pages.create_glossary), methods=["POST"]),
        Route(D + "/glossaries/{glossary}", page(governance_pages.glossary), methods=["GET"]),
        Route(D + "/glossaries/{glossary}/terms", action(governance_pages.create_term), methods=["POST"]),
        Route(D + "/types", page(governance_pages.types), methods=["GET"]),
        Route(D + "/types/forms", action(governance_pages.create_form_type), methods=["POST"]),
        Route(D + "/types/assets", action(governance_pages.create_asset_type), methods=["POST"]),
        Route(D + "/inbox", page(sharing_pages.inbox), methods=["GET"]),
        Route(D + "/requested", page(sharing_pages.requested), methods=["GET"]),
        Route(D + "/requests/{request}", page(sharing_pages.request_detail), methods=["GET"]),
        Route(D + "/requests/{request}/decision", action(sharing_pages.decide), methods=["POST"]),
        Route(D + "/subscriptions/{subscription}/revoke", action(sharing_pages.revoke), methods=["POST"]),
        Route(D + "/subscriptions/{subscription}/cancel", action(sharing_pages.unsubscribe), methods=["POST"]),
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="portal-static"),
    ]
    return [Mount(PREFIX, routes=pages),
            Route("/", lambda request: RedirectResponse(PREFIX + "/", status_code=307), methods=["GET"])]
