"""Data sources: the create wizard (source, details and tables, schedule, review), run now, run history."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from openzone.errors import OpenzoneError, ValidationError
from openzone.portal.web import Page, moment, redirect

STEPS = ("source", "details", "schedule", "review")
RUNNING = ("REQUESTED", "RUNNING")
# A connection's type -> the data source type that reads it (see sources/service.py).
_SOURCE_TYPE = {"REDSHIFT": "REDSHIFT", "POSTGRESQL": "REDSHIFT", "MYSQL": "MYSQL"}


def _choices(page: Page, domain_id: str, projects: list[dict]) -> list[dict]:
    """Where each of the caller's projects can import from: its data lake environments and its connections."""
    choices = []
    for project in projects:
        pid, name = project["id"], project["name"]
        choices += [{"value": f"env:{e['id']}", "label": f"{name} / data lake of environment {e['name']}",
                     "type": "GLUE", "project": pid}
                    for e in page.call("ListEnvironments", domainIdentifier=domain_id, projectIdentifier=pid,
                                       status="ACTIVE", maxResults=50).get("items", [])]
        choices += [{"value": f"conn:{c['connectionId']}", "label": f"{name} / connection {c['name']} ({c['type']})",
                     "type": _SOURCE_TYPE.get(c["type"], "GLUE"), "project": pid}
                    for c in page.call("ListConnections", domainIdentifier=domain_id, projectIdentifier=pid,
                                       maxResults=50).get("items", [])]
    return choices


def sources(page: Page) -> Response:
    domain_id = page.request.path_params["domain"]
    projects = page.call("ListProjects", domainIdentifier=domain_id, maxResults=50).get("items", [])
    listed = [{**s, "projectName": p["name"], "projectId": p["id"]} for p in projects
              for s in page.call("ListDataSources", domainIdentifier=domain_id, projectIdentifier=p["id"],
                                 maxResults=50).get("items", [])]
    return page.render("sources.html", domain_id=domain_id, sources=listed, projects=projects)


def _patterns(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]


def _request(domain_id: str, form: dict, choice: dict) -> dict:
    """CreateDataSource's input from the wizard's fields."""
    expressions = [{"type": "INCLUDE", "expression": e} for e in _patterns(form.get("include", ""))] + \
                  [{"type": "EXCLUDE", "expression": e} for e in _patterns(form.get("exclude", ""))]
    relational = {"databaseName": form.get("database", "").strip(),
                  "filterExpressions": expressions or [{"type": "INCLUDE", "expression": "*"}]}
    if form.get("schema", "").strip():
        relational["schemaName"] = form["schema"].strip()
    kind, _, ident = form.get("origin", "").partition(":")
    key = "redshiftRunConfiguration" if choice["type"] == "REDSHIFT" else "glueRunConfiguration"
    request = {"domainIdentifier": domain_id, "projectIdentifier": choice["project"], "type": choice["type"],
               "name": form.get("name", "").strip(), "description": form.get("description", "").strip() or None,
               "configuration": {key: {"relationalFilterConfigurations": [relational]}},
               "publishOnImport": form.get("publish") == "on"}
    request["environmentIdentifier" if kind == "env" else "connectionIdentifier"] = ident
    if form.get("cron", "").strip():
        request["schedule"] = {"schedule": form["cron"].strip(), "timezone": form.get("timezone") or "UTC"}
    return request


def wizard(page: Page) -> Response:
    """One step of the wizard; every earlier answer travels in the form, so Back and errors lose nothing."""
    domain_id, form = page.request.path_params["domain"], page.form or dict(page.request.query_params)
    projects = page.call("ListProjects", domainIdentifier=domain_id, maxResults=50).get("items", [])
    step = form.get("step") if form.get("step") in STEPS else "source"
    if form.get("go") == "back":
        step = STEPS[max(0, STEPS.index(step) - 1)]
    choices = _choices(page, domain_id, projects)
    error = None
    if form.get("go") == "next":
        try:
            step = _advance(step, form, choices)
        except ValidationError as problem:
            error = problem.message
    elif form.get("go") == "create":
        choice = next((c for c in choices if c["value"] == form.get("origin")), None)
        try:
            if choice is None:
                raise ValidationError("Choose where to import from.")
            created = page.call("CreateDataSource", **_request(domain_id, form, choice))
        except OpenzoneError as problem:
            page.session.rollback()
            error, step = problem.message, "review"
        else:
            return redirect(f"/d/{domain_id}/sources/{created['id']}", notice="data source created")
    return page.render("source_wizard.html", domain_id=domain_id, step=step, steps=STEPS, form=form,
                       choices=choices, error=error, status=400 if error else 200)


def _advance(step: str, form: dict, choices: list[dict]) -> str:
    """The next step, once this step's answers are complete."""
    if step == "source":
        if not form.get("name", "").strip():
            raise ValidationError("Give the data source a name.")
        if not any(c["value"] == form.get("origin") for c in choices):
            raise ValidationError("Choose where to import from (a data lake environment or a connection).")
    if step == "details" and not form.get("database", "").strip():
        raise ValidationError("Name the database to import from.")
    return STEPS[min(len(STEPS) - 1, STEPS.index(step) + 1)]


def source(page: Page) -> Response:
    domain_id, source_id = page.request.path_params["domain"], page.request.path_params["source"]
    found = page.call("GetDataSource", domainIdentifier=domain_id, identifier=source_id)
    runs = page.call("ListDataSourceRuns", domainIdentifier=domain_id, dataSourceIdentifier=source_id,
                     maxResults=25).get("items", [])
    for run in runs:
        if run.get("startedAt") and run.get("stoppedAt"):
            run["seconds"] = round((moment(run["stoppedAt"]) - moment(run["startedAt"])).total_seconds(), 1)
    return page.render("source.html", domain_id=domain_id, source=found, runs=runs,
                       running=any(r["status"] in RUNNING for r in runs))


def run_now(page: Page) -> Response:
    domain_id, source_id = page.request.path_params["domain"], page.request.path_params["source"]
    page.call("StartDataSourceRun", domainIdentifier=domain_id, dataSourceIdentifier=source_id)
    return redirect(f"/d/{domain_id}/sources/{source_id}", notice="run started")


def status(page: Page) -> Response:
    domain_id, source_id = page.request.path_params["domain"], page.request.path_params["source"]
    runs = page.call("ListDataSourceRuns", domainIdentifier=domain_id, dataSourceIdentifier=source_id,
                     maxResults=5).get("items", [])
    return JSONResponse({"state": "RUNNING" if any(r["status"] in RUNNING for r in runs) else "DONE"})


def activities(page: Page) -> Response:
    domain_id, run_id = page.request.path_params["domain"], page.request.path_params["run"]
    run = page.call("GetDataSourceRun", domainIdentifier=domain_id, identifier=run_id)
    items = page.call("ListDataSourceRunActivities", domainIdentifier=domain_id, identifier=run_id,
                      maxResults=50).get("items", [])
    return page.render("source_run.html", domain_id=domain_id, run=run, activities=items)
