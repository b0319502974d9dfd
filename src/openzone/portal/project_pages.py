"""Projects: create one, members and their designations, environments and how to connect, inventory."""

from __future__ import annotations

from starlette.responses import Response

from openzone.errors import OpenzoneError
from openzone.portal.web import Page, redirect
from openzone.projects import environments

DESIGNATIONS = ("PROJECT_OWNER", "PROJECT_CONTRIBUTOR", "PROJECT_CATALOG_CONSUMER", "PROJECT_CATALOG_VIEWER",
                "PROJECT_CATALOG_STEWARD")


def projects(page: Page) -> Response:
    domain_id = page.request.path_params["domain"]
    mine = page.call("ListProjects", domainIdentifier=domain_id, maxResults=50).get("items", [])
    return page.render("projects.html", domain_id=domain_id, projects=mine, form=page.form)


def create_project(page: Page) -> Response:
    domain_id = page.request.path_params["domain"]
    try:
        created = page.call("CreateProject", domainIdentifier=domain_id, name=page.form.get("name", "").strip(),
                            description=page.form.get("description", "").strip() or None)
    except OpenzoneError as error:
        page.session.rollback()
        page.form["error"] = error.message
        response = projects(page)
        response.status_code = error.status
        return response
    return redirect(f"/d/{domain_id}/projects/{created['id']}", notice="project created")


def _user_name(page: Page, domain_id: str, user_id: str) -> str:
    try:
        arn = page.call("GetUserProfile", domainIdentifier=domain_id, userIdentifier=user_id)["details"]["iam"]["arn"]
    except (OpenzoneError, KeyError):
        return user_id
    return arn.rsplit("/", 1)[-1]


def project(page: Page) -> Response:
    domain_id, project_id = page.request.path_params["domain"], page.request.path_params["project"]
    found = page.call("GetProject", domainIdentifier=domain_id, identifier=project_id)
    members = page.call("ListProjectMemberships", domainIdentifier=domain_id, projectIdentifier=project_id,
                        maxResults=50).get("members", [])
    for member in members:
        user_id = (member["memberDetails"].get("user") or {}).get("userId", "")
        member["user_id"], member["name"] = user_id, _user_name(page, domain_id, user_id)
    mine = next((m["designation"] for m in members if m["user_id"] == page.user.id), None)
    environments = page.call("ListEnvironments", domainIdentifier=domain_id, projectIdentifier=project_id,
                             maxResults=50).get("items", [])
    details = [page.call("GetEnvironment", domainIdentifier=domain_id, identifier=e["id"]) for e in environments]
    profiles = page.call("ListEnvironmentProfiles", domainIdentifier=domain_id, projectIdentifier=project_id,
                         maxResults=50).get("items", [])
    inventory = page.call("Search", domainIdentifier=domain_id, searchScope="ASSET",
                          owningProjectIdentifier=project_id, maxResults=50).get("items", [])
    return page.render("project.html", domain_id=domain_id, project=found, members=members, environments=details,
                       profiles=profiles, inventory=inventory, designations=DESIGNATIONS,
                       is_owner=mine == "PROJECT_OWNER", can_create=mine in ("PROJECT_OWNER", "PROJECT_CONTRIBUTOR"),
                       form=page.form)


def _again(page: Page, error: OpenzoneError) -> Response:
    """The project page again with the error and what was typed."""
    page.session.rollback()
    page.form["error"] = error.message
    response = project(page)
    response.status_code = error.status
    return response


def set_member(page: Page) -> Response:
    domain_id, project_id = page.request.path_params["domain"], page.request.path_params["project"]
    user = page.form.get("user", "").strip()
    try:
        page.call("CreateProjectMembership", domainIdentifier=domain_id, projectIdentifier=project_id,
                  member={"userIdentifier": user}, designation=page.form.get("designation", ""))
    except OpenzoneError as error:
        return _again(page, error)
    return redirect(f"/d/{domain_id}/projects/{project_id}", notice="member saved")


def remove_member(page: Page) -> Response:
    domain_id, project_id = page.request.path_params["domain"], page.request.path_params["project"]
    try:
        page.call("DeleteProjectMembership", domainIdentifier=domain_id, projectIdentifier=project_id,
                  member={"userIdentifier": page.form.get("user", "")})
    except OpenzoneError as error:
        return _again(page, error)
    return redirect(f"/d/{domain_id}/projects/{project_id}", notice="member removed")


def create_environment(page: Page) -> Response:
    domain_id, project_id = page.request.path_params["domain"], page.request.path_params["project"]
    try:
        page.call("CreateEnvironment", domainIdentifier=domain_id, projectIdentifier=project_id,
                  name=page.form.get("name", "").strip(), environmentProfileIdentifier=page.form.get("profile"))
    except OpenzoneError as error:
        return _again(page, error)
    return redirect(f"/d/{domain_id}/projects/{project_id}", notice="environment requested")


def warehouse_login(page: Page) -> Response:
    """How to connect to a data warehouse environment with psql or a BI tool (project members only)."""
    domain_id, environment_id = page.request.path_params["domain"], page.request.path_params["environment"]
    login = environments.warehouse_login(page.session, page.request.app.state.settings, page.user, domain_id,
                                         environment_id)
    response = page.render("warehouse_login.html", domain_id=domain_id, login=login, environment_id=environment_id)
    response.headers["Cache-Control"] = "no-store"  # a password: never kept by the browser or a proxy
    return response
