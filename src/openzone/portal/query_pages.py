"""The query editor: pick an environment, run SQL, page typed results, download CSV, save and publish a table."""

from __future__ import annotations

import csv
import io
import json
import re

import orjson
from starlette.responses import JSONResponse, Response

from openzone.errors import OpenzoneError, ValidationError
from openzone.portal.web import Page, redirect
from openzone.wire.pagination import encode_token

ROWS_PER_PAGE = 100
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,127}")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _environments(page: Page, domain_id: str) -> list[dict]:
    """The ACTIVE environments of the caller's projects, with their project's name."""
    found = []
    for project in page.call("ListProjects", domainIdentifier=domain_id, maxResults=50).get("items", []):
        for env in page.call("ListEnvironments", domainIdentifier=domain_id, projectIdentifier=project["id"],
                             status="ACTIVE", maxResults=50).get("items", []):
            found.append({**env, "projectName": project["name"]})
    return found


def editor(page: Page) -> Response:
    domain_id, params = page.request.path_params["domain"], page.request.query_params
    return page.render("query.html", domain_id=domain_id, environments=_environments(page, domain_id),
                       sql=page.form.get("sql") or params.get("sql", ""),
                       chosen=page.form.get("environment") or params.get("environment"), error=page.form.get("error"))


def run(page: Page) -> Response:
    domain_id, sql = page.request.path_params["domain"], page.form.get("sql", "").strip()
    try:
        if not sql:
            raise ValidationError("Write a SQL statement to run.")
        started = page.athena("StartQueryExecution", QueryString=sql, WorkGroup=page.form.get("environment"))
    except OpenzoneError as error:
        page.session.rollback()
        page.form["error"] = error.message
        response = editor(page)
        response.status_code = error.status
        return response
    return redirect(f"/d/{domain_id}/query/{started['QueryExecutionId']}")


def _rows(result: dict) -> list[list[str | None]]:
    """The cells of a GetQueryResults page; large pages hold rows as pre-encoded JSON (orjson.Fragment)."""
    rows = orjson.loads(orjson.dumps(result["ResultSet"]["Rows"]))
    return [[d.get("VarCharValue") for d in row.get("Data", [])] for row in rows]


def execution(page: Page) -> Response:
    domain_id, execution_id = page.request.path_params["domain"], page.request.path_params["execution"]
    found = page.athena("GetQueryExecution", QueryExecutionId=execution_id)["QueryExecution"]
    number = int(page.request.query_params.get("page", "1")) if page.request.query_params.get(
        "page", "1").isdigit() else 1
    columns, rows, more = [], [], False
    if found["Status"]["State"] == "SUCCEEDED":
        # Athena's first page starts with a row of column names: page n's data starts at row (n-1)*100 + 1.
        offset = (number - 1) * ROWS_PER_PAGE + (1 if number > 1 else 0)
        result = page.athena("GetQueryResults", QueryExecutionId=execution_id,
                             MaxResults=ROWS_PER_PAGE + (1 if number == 1 else 0),
                             NextToken=encode_token(offset) if offset else None)
        columns = result["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
        rows = _rows(result)[1 if number == 1 and columns else 0:]
        more = bool(result.get("NextToken"))
    return page.render("execution.html", domain_id=domain_id, execution=found, columns=columns, rows=rows,
                       number=number, more=more, is_select=found.get("StatementType") == "DML" and columns,
                       publish_name=page.request.query_params.get("publish"), form=page.form)


def status(page: Page) -> Response:
    execution_id = page.request.path_params["execution"]
    found = page.athena("GetQueryExecution", QueryExecutionId=execution_id)["QueryExecution"]
    return JSONResponse({"state": found["Status"]["State"]})


def _csv_cell(value: str | None) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    if value and value.startswith(_FORMULA_START):
        return "'" + value
    return value or ""


def download(page: Page) -> Response:
    execution_id = page.request.path_params["execution"]
    out, token = io.StringIO(), None
    writer = csv.writer(out)
    while True:
        result = page.athena("GetQueryResults", QueryExecutionId=execution_id, MaxResults=1000, NextToken=token)
        for cells in _rows(result):
            writer.writerow([_csv_cell(v) for v in cells])
        token = result.get("NextToken")
        if not token:
            break
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{execution_id}.csv"'})


def save_table(page: Page) -> Response:
    """CREATE TABLE <name> AS the query, in the environment's own (producer) database."""
    domain_id, execution_id = page.request.path_params["domain"], page.request.path_params["execution"]
    name = page.form.get("name", "").strip()
    found = page.athena("GetQueryExecution", QueryExecutionId=execution_id)["QueryExecution"]
    if not _TABLE_NAME.fullmatch(name):
        page.form["error"] = "A table name is 1-128 lower-case letters, digits and underscores, not starting with a digit."
        response = execution(page)
        response.status_code = 400
        return response
    env = page.call("GetEnvironment", domainIdentifier=domain_id, identifier=found["WorkGroup"])
    database = next(r["value"] for r in env["provisionedResources"] if r["name"] == "glueProducerDBName")
    started = page.athena("StartQueryExecution", WorkGroup=found["WorkGroup"],
                          QueryExecutionContext={"Database": database},
                          QueryString=f'CREATE TABLE "{name}" AS {found["Query"].strip().rstrip(";")}')
    return redirect(f"/d/{domain_id}/query/{started['QueryExecutionId']}", publish=name)


def publish_table(page: Page) -> Response:
    """Register the table a CTAS made as a Glue table asset of the environment's project, and publish it."""
    domain_id, execution_id = page.request.path_params["domain"], page.request.path_params["execution"]
    name = page.form.get("name", "")
    found = page.athena("GetQueryExecution", QueryExecutionId=execution_id)["QueryExecution"]
    env = page.call("GetEnvironment", domainIdentifier=domain_id, identifier=found["WorkGroup"])
    database = found["QueryExecutionContext"]["Database"]
    asset = page.call("CreateAsset", domainIdentifier=domain_id, owningProjectIdentifier=env["projectId"],
                      name=page.form.get("title", "").strip() or name, typeIdentifier="amazon.datazone.GlueTableAssetType",
                      description=page.form.get("description", "").strip() or None,
                      formsInput=[{"formName": "GlueTableForm", "typeIdentifier": "amazon.datazone.GlueTableFormType",
                                   "content": json.dumps({"databaseName": database, "tableName": name})}])
    page.call("CreateListingChangeSet", domainIdentifier=domain_id, entityIdentifier=asset["id"], entityType="ASSET",
              action="PUBLISH")
    return redirect(f"/d/{domain_id}/assets/{asset['id']}", notice="table published")
