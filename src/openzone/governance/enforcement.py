"""Enforcing rules where they bite: publishing to the catalog and requesting a subscription.

A required metadata form counts only when it is there at the rule's form type and revision, and filled:
its content validates against that revision's model and is not an empty object. All that is missing is
named in one ValidationException, with the rule that asks for it, so one round of fixes is enough.
"""

import json

from sqlalchemy.orm import Session

from openzone.catalog import types
from openzone.catalog.form_content import FormContentError, validate_content
from openzone.errors import NotFoundError, ValidationError
from openzone.governance import rules as rule_service
from openzone.governance.models import Rule


def _form_problem(session: Session, domain_id: str, name: str, revision: str, content) -> str | None:
    """Why a carried form does not satisfy a rule (None when it does)."""
    model = types.form_model(session, domain_id, name, revision)
    try:
        checked = validate_content(name, model, content if content is not None else "{}")
    except FormContentError as error:
        return str(error)
    return None if checked else f"form {name} revision {revision} is empty"


def _required_forms(rule: Rule) -> list[dict]:
    return rule.detail.get("metadataFormEnforcementDetail", {}).get("requiredMetadataForms", [])


def check_listing(session: Session, domain_id: str, project_id: str, what: str, asset_type: str | None,
                  forms: list[dict], glossary_terms: list[str], data_product: bool = False) -> None:
    """Refuse to publish `what` unless it satisfies every rule on publishing that applies to it.

    forms are FormOutput dicts (formName, typeName, typeRevision, content as JSON text); glossary_terms are
    the term ids the entity carries (plain and governed).
    """
    problems = []
    for rule in rule_service.rules_for(session, domain_id, rule_service.PUBLISH, project_id, asset_type,
                                       data_product):
        missing = []
        for ref in _required_forms(rule):
            name, revision = ref["typeIdentifier"], ref["typeRevision"]
            form = next((f for f in forms if f.get("typeName") == name and f.get("typeRevision") == revision), None)
            problem = (f"{name} revision {revision}" if form is None
                       else _form_problem(session, domain_id, name, revision, form.get("content")))
            if problem:
                missing.append(problem)
        if missing:
            problems.append(f"rule '{rule.name}' ({rule.id}) requires metadata forms: {'; '.join(missing)}")
        required_terms = rule.detail.get("glossaryTermEnforcementDetail", {}).get("requiredGlossaryTermIds", [])
        absent = [term for term in required_terms if term not in glossary_terms]
        if absent:
            problems.append(f"rule '{rule.name}' ({rule.id}) requires glossary terms: {', '.join(absent)}")
    if problems:
        raise ValidationError(f"Cannot publish {what}: " + " | ".join(problems))


def _entry_type(session: Session, domain_id: str, entry: dict) -> str | None:
    """The form type name a metadataForms entry is of (by typeIdentifier, else by formName)."""
    identifier = entry.get("typeIdentifier")
    if identifier is None:
        return None
    try:
        return types.resolve_form_type(session, domain_id, identifier).name
    except NotFoundError:
        raise ValidationError(f"metadataForms: form {entry['formName']}: form type {identifier} not found.") from None


def _matches(name: str, entry: dict, entry_type: str | None) -> bool:
    if entry_type is not None:
        return entry_type == name
    short = name.removeprefix(types.PREFIX)
    return entry["formName"] in (name, short, short.removesuffix("Type"))


def check_subscription_request(session: Session, domain_id: str, listing_project_id: str, asset_type: str,
                               metadata_forms: list[dict]) -> None:
    """Refuse a subscription request whose metadataForms lack a form a rule on the listing requires.

    The rules that apply are those of the publishing project's domain unit, scoped by the publishing
    project and the listing's asset type: the publisher's governance decides what subscribers must say.
    """
    applicable = rule_service.rules_for(session, domain_id, rule_service.SUBSCRIBE, listing_project_id, asset_type)
    if not applicable:
        return  # metadataForms are not this module's to judge when no rule asks for them
    typed = [(entry, _entry_type(session, domain_id, entry)) for entry in metadata_forms]
    problems = []
    for rule in applicable:
        missing = []
        for ref in _required_forms(rule):
            name, revision = ref["typeIdentifier"], ref["typeRevision"]
            entry = next((e for e, t in typed if _matches(name, e, t)), None)
            if entry is None:
                missing.append(f"{name} revision {revision}")
            elif entry.get("typeRevision") not in (None, revision):
                missing.append(f"{name} must be at revision {revision}, not {entry['typeRevision']}")
            else:
                content = entry.get("content")
                problem = _form_problem(session, domain_id, name, revision,
                                        content if content is not None else json.dumps({}))
                if problem:
                    missing.append(problem)
        if missing:
            problems.append(f"rule '{rule.name}' ({rule.id}) requires metadata forms: {'; '.join(missing)}")
    if problems:
        raise ValidationError("Cannot request this subscription: " + " | ".join(problems))
