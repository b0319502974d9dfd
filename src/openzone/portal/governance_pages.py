"""Business glossaries and their terms; metadata form types and asset types."""

from __future__ import annotations

from starlette.responses import Response

from openzone.errors import OpenzoneError
from openzone.portal.web import Page, redirect


def _again(page: Page, handler, error: OpenzoneError) -> Response:
    """Show the page again with the error and what was typed."""
    page.session.rollback()
    page.form["error"] = error.message
    response = handler(page)
    response.status_code = error.status
    return response


def _projects(page: Page, domain_id: str) -> list[dict]:
    return page.call("ListProjects", domainIdentifier=domain_id, maxResults=50).get("items", [])


def glossaries(page: Page) -> Response:
    domain_id = page.request.path_params["domain"]
    found = page.call("Search", domainIdentifier=domain_id, searchScope="GLOSSARY", maxResults=50,
                      sort={"attribute": "name", "order": "ASCENDING"}).get("items", [])
    return page.render("glossaries.html", domain_id=domain_id, glossaries=[i["glossaryItem"] for i in found],
                       projects=_projects(page, domain_id), form=page.form)


def create_glossary(page: Page) -> Response:
    domain_id = page.request.path_params["domain"]
    try:
        made = page.call("CreateGlossary", domainIdentifier=domain_id, name=page.form.get("name", "").strip(),
                         owningProjectIdentifier=page.form.get("project"), status="ENABLED",
                         description=page.form.get("description", "").strip() or None)
    except OpenzoneError as error:
        return _again(page, glossaries, error)
    return redirect(f"/d/{domain_id}/glossaries/{made['id']}", notice="glossary created")


def glossary(page: Page) -> Response:
    domain_id, glossary_id = page.request.path_params["domain"], page.request.path_params["glossary"]
    found = page.call("GetGlossary", domainIdentifier=domain_id, identifier=glossary_id)
    terms = page.call("Search", domainIdentifier=domain_id, searchScope="GLOSSARY_TERM", maxResults=50,
                      filters={"filter": {"attribute": "glossaryId", "value": glossary_id}},
                      sort={"attribute": "name", "order": "ASCENDING"}).get("items", [])
    return page.render("glossary.html", domain_id=domain_id, glossary=found,
                       terms=[i["glossaryTermItem"] for i in terms], form=page.form)


def create_term(page: Page) -> Response:
    domain_id, glossary_id = page.request.path_params["domain"], page.request.path_params["glossary"]
    try:
        page.call("CreateGlossaryTerm", domainIdentifier=domain_id, glossaryIdentifier=glossary_id,
                  name=page.form.get("name", "").strip(), status="ENABLED",
                  shortDescription=page.form.get("short", "").strip() or None,
                  longDescription=page.form.get("long", "").strip() or None)
    except OpenzoneError as error:
        return _again(page, glossary, error)
    return redirect(f"/d/{domain_id}/glossaries/{glossary_id}", notice="term created")


def types(page: Page) -> Response:
    domain_id = page.request.path_params["domain"]
    found = {}
    for scope, managed in (("FORM_TYPE", False), ("FORM_TYPE", True), ("ASSET_TYPE", False), ("ASSET_TYPE", True)):
        items = page.call("SearchTypes", domainIdentifier=domain_id, searchScope=scope, managed=managed,
                          maxResults=50, sort={"attribute": "name", "order": "ASCENDING"}).get("items", [])
        found[(scope, managed)] = [i.get("formTypeItem") or i.get("assetTypeItem") for i in items]
    return page.render("types.html", domain_id=domain_id, found=found, projects=_projects(page, domain_id),
                       form=page.form)


def create_form_type(page: Page) -> Response:
    domain_id = page.request.path_params["domain"]
    try:
        page.call("CreateFormType", domainIdentifier=domain_id, name=page.form.get("name", "").strip(),
                  owningProjectIdentifier=page.form.get("project"), status="ENABLED",
                  model={"smithy": page.form.get("model", "")},
                  description=page.form.get("description", "").strip() or None)
    except OpenzoneError as error:
        return _again(page, types, error)
    return redirect(f"/d/{domain_id}/types", notice="form type created")


def create_asset_type(page: Page) -> Response:
    domain_id = page.request.path_params["domain"]
    forms = [name.strip() for name in page.form.get("forms", "").split(",") if name.strip()]
    try:
        # Each form at its current revision, as CreateAssetType needs it.
        revisions = {form: page.call("GetFormType", domainIdentifier=domain_id, formTypeIdentifier=form)["revision"]
                     for form in forms}
        page.call("CreateAssetType", domainIdentifier=domain_id, name=page.form.get("asset_name", "").strip(),
                  owningProjectIdentifier=page.form.get("asset_project"),
                  description=page.form.get("asset_description", "").strip() or None,
                  formsInput={form: {"typeIdentifier": form, "typeRevision": revision, "required": False}
                              for form, revision in revisions.items()})
    except OpenzoneError as error:
        return _again(page, types, error)
    return redirect(f"/d/{domain_id}/types", notice="asset type created")
