"""Metadata enforcement rules: created and changed by the owners of the domain unit they target.

A rule says: when someone publishes (CREATE_LISTING_CHANGE_SET) or requests a subscription
(CREATE_SUBSCRIPTION_REQUEST) for something in scope, it must carry these metadata forms
(METADATA_FORM_ENFORCEMENT) or these glossary terms (GLOSSARY_TERM_ENFORCEMENT). The rule type follows
from the detail given. Scope: projects (ALL or specific ids; no project member means all projects),
asset types (ALL or specific ids) and/or data products; a rule with neither asset types nor data products
would never apply and is refused.

Who: as in DataZone, owners of the target domain unit (or of a unit above it) and administrators manage
rules; every user of the domain may read them, since publishers and subscribers must know what to supply.
Glossary term enforcement applies to publishing only: a subscription request carries no glossary terms.
Every change makes a new revision; GetRule can read any of them.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.catalog import types
from openzone.domains import service as domains
from openzone.domains import units
from openzone.errors import NotFoundError, ValidationError
from openzone.glossary.models import GlossaryTerm
from openzone.governance.models import Rule, RuleRevision
from openzone.identity.models import User
from openzone.projects import service as projects
from openzone.projects.models import Project
from openzone.wire.ids import new_id

PUBLISH, SUBSCRIBE = "CREATE_LISTING_CHANGE_SET", "CREATE_SUBSCRIPTION_REQUEST"
FORMS, TERMS = "METADATA_FORM_ENFORCEMENT", "GLOSSARY_TERM_ENFORCEMENT"
RULE_TYPES = {"metadataFormEnforcementDetail": FORMS, "glossaryTermEnforcementDetail": TERMS}
ALL, SPECIFIC = "ALL", "SPECIFIC"


# ---------------------------------------------------------------- checking input


def _selection(part: dict, field: str, member: str, check) -> dict:
    mode, chosen = part["selectionMode"], part.get(member)
    if mode == ALL:
        if chosen:
            raise ValidationError(f"scope.{field}.{member} must be empty when selectionMode is ALL.")
        return {"selectionMode": ALL}
    if not chosen:
        raise ValidationError(f"scope.{field}.{member} must name at least one when selectionMode is SPECIFIC.")
    return {"selectionMode": SPECIFIC, member: list(dict.fromkeys(check(item) for item in chosen))}


def _scope(session: Session, domain_id: str, scope: dict) -> dict:
    """The scope with asset types by canonical name, after checking that what it names exists."""
    def project(project_id: str) -> str:
        found = session.get(Project, project_id)
        if found is None or found.domain_id != domain_id:
            raise ValidationError(f"scope.project: project {project_id} not found in domain {domain_id}.")
        return found.id

    def asset_type(identifier: str) -> str:
        try:
            return types.resolve_asset_type(session, domain_id, identifier).name
        except NotFoundError:
            raise ValidationError(f"scope.assetType: asset type {identifier} not found in domain "
                                  f"{domain_id}.") from None

    if not scope.get("assetType") and not scope.get("dataProduct"):
        raise ValidationError("scope must name assetType and/or set dataProduct: otherwise the rule applies to "
                              "nothing.")
    out: dict = {}
    if scope.get("assetType"):
        out["assetType"] = _selection(scope["assetType"], "assetType", "specificAssetTypes", asset_type)
    if scope.get("dataProduct") is not None:
        out["dataProduct"] = scope["dataProduct"]
    if scope.get("project"):
        out["project"] = _selection(scope["project"], "project", "specificProjects", project)
    return out


def _form_reference(session: Session, domain_id: str, reference: dict) -> dict:
    identifier, revision = reference["typeIdentifier"], reference["typeRevision"]
    try:
        form_type = types.resolve_form_type(session, domain_id, identifier, revision)
    except NotFoundError:
        raise ValidationError(f"detail.metadataFormEnforcementDetail: form type {identifier} revision {revision} "
                              f"not found in domain {domain_id}.") from None
    if form_type.status != types.ENABLED:
        raise ValidationError(f"detail.metadataFormEnforcementDetail: form type {form_type.name} revision "
                              f"{form_type.revision} is DISABLED.")
    return {"typeIdentifier": form_type.name, "typeRevision": form_type.revision}


def _term_id(session: Session, domain_id: str, term_id: str) -> str:
    term = session.get(GlossaryTerm, term_id)
    if term is None or term.domain_id != domain_id or term.status != "ENABLED":
        raise ValidationError(f"detail.glossaryTermEnforcementDetail: glossary term {term_id} is not an ENABLED "
                              f"term of domain {domain_id}.")
    return term.id


def _detail(session: Session, domain_id: str, action: str, detail: dict) -> tuple[str, dict]:
    """(rule type, detail with canonical form type names) for a RuleDetail union."""
    (member, body), = detail.items()  # the wire layer lets exactly one union member through
    rule_type = RULE_TYPES[member]
    if rule_type == FORMS:
        references = [_form_reference(session, domain_id, ref) for ref in body.get("requiredMetadataForms") or []]
        if not references:
            raise ValidationError("detail.metadataFormEnforcementDetail.requiredMetadataForms must name a form.")
        if len({ref["typeIdentifier"] for ref in references}) != len(references):
            raise ValidationError("detail.metadataFormEnforcementDetail names a form type more than once.")
        return rule_type, {member: {"requiredMetadataForms": references}}
    if action != PUBLISH:
        raise ValidationError("GLOSSARY_TERM_ENFORCEMENT rules apply to CREATE_LISTING_CHANGE_SET only: a "
                              "subscription request carries no glossary terms.")
    terms = [_term_id(session, domain_id, term_id) for term_id in body.get("requiredGlossaryTermIds") or []]
    if not terms:
        raise ValidationError("detail.glossaryTermEnforcementDetail.requiredGlossaryTermIds must name a term.")
    return rule_type, {member: {"requiredGlossaryTermIds": list(dict.fromkeys(terms))}}


# ---------------------------------------------------------------- use cases


def _snapshot(session: Session, rule: Rule, actor: User) -> None:
    session.add(RuleRevision(rule_id=rule.id, revision=rule.revision, created_by=actor.id, snapshot={
        "name": rule.name, "description": rule.description, "scope": rule.scope, "detail": rule.detail,
        "includeChildDomainUnits": rule.include_child_units}))
    session.flush()


def create_rule(session: Session, actor: User, domain_id: str, p: dict) -> Rule:
    """A rule on a domain unit the caller governs."""
    target = p["target"]["domainUnitTarget"]
    unit = units.require_unit_owner(session, actor, domain_id, target["domainUnitId"])
    rule_type, detail = _detail(session, domain_id, p["action"], p["detail"])
    rule = Rule(id=new_id(), domain_id=domain_id, domain_unit_id=unit.id,
                include_child_units=bool(target.get("includeChildDomainUnits")), name=p["name"],
                description=p.get("description"), rule_type=rule_type, action=p["action"],
                scope=_scope(session, domain_id, p["scope"]), detail=detail, revision=1, created_by=actor.id,
                updated_by=actor.id)
    session.add(rule)
    session.flush()
    _snapshot(session, rule, actor)
    return rule


def _rule(session: Session, actor: User, domain_id: str, rule_id: str) -> Rule:
    domains.require_domain_user(session, actor, domain_id)
    rule = session.get(Rule, rule_id)
    if rule is None or rule.domain_id != domain_id:
        raise NotFoundError(f"Rule {rule_id} not found in domain {domain_id}.")
    return rule


def get_rule(session: Session, actor: User, domain_id: str, rule_id: str,
             revision: str | None = None) -> tuple[Rule, RuleRevision]:
    """A rule and one of its revisions (the latest by default); any user of the domain may read rules."""
    rule = _rule(session, actor, domain_id, rule_id)
    if revision is not None and not revision.isdigit():
        raise ValidationError(f"Revision {revision} is not a number.")
    row = session.get(RuleRevision, (rule.id, int(revision) if revision is not None else rule.revision))
    if row is None:
        raise NotFoundError(f"Rule {rule_id} has no revision {revision}.")
    return rule, row


def update_rule(session: Session, actor: User, domain_id: str, rule_id: str, p: dict) -> tuple[Rule, RuleRevision]:
    """Change a rule's name, description, scope, detail or cascade (owners of its unit); a new revision."""
    rule = _rule(session, actor, domain_id, rule_id)
    units.require_unit_owner(session, actor, domain_id, rule.domain_unit_id)
    if p.get("detail") is not None:
        rule_type, detail = _detail(session, domain_id, rule.action, p["detail"])
        if rule_type != rule.rule_type:
            raise ValidationError(f"Rule {rule.id} is a {rule.rule_type} rule; its type cannot change.")
        rule.detail = detail
    if p.get("scope") is not None:
        rule.scope = _scope(session, domain_id, p["scope"])
    for field, member in (("name", "name"), ("description", "description"),
                          ("include_child_units", "includeChildDomainUnits")):
        if p.get(member) is not None:
            setattr(rule, field, p[member])
    rule.revision, rule.updated_by = rule.revision + 1, actor.id
    session.flush()
    _snapshot(session, rule, actor)
    return rule, session.get(RuleRevision, (rule.id, rule.revision))


def delete_rule(session: Session, actor: User, domain_id: str, rule_id: str) -> None:
    """Delete a rule (owners of its unit): what it required is no longer enforced."""
    rule = _rule(session, actor, domain_id, rule_id)
    units.require_unit_owner(session, actor, domain_id, rule.domain_unit_id)
    session.delete(rule)
    session.flush()


def _selected(part: dict | None, member: str, wanted: list[str]) -> bool:
    """Whether a scope part covers any of `wanted` (an absent part covers nothing)."""
    if not part:
        return False
    return part["selectionMode"] == ALL or bool(set(part.get(member) or ()) & set(wanted))


def list_rules(session: Session, actor: User, domain_id: str, p: dict, offset: int, limit: int) -> list[Rule]:
    """Rules on a domain unit (and, with includeCascaded, those cascading from units above), newest first."""
    unit = units.get_unit(session, actor, domain_id, p["targetIdentifier"])
    query = select(Rule).where(Rule.domain_id == domain_id)
    for member, column in (("ruleType", Rule.rule_type), ("action", Rule.action)):
        if p.get(member):
            query = query.where(column == p[member])
    rows = list(session.scalars(query.order_by(Rule.created_at.desc(), Rule.id)))
    above = set(units.ancestor_ids(session, unit)) if p.get("includeCascaded") else set()
    rows = [rule for rule in rows if rule.domain_unit_id == unit.id
            or (rule.domain_unit_id in above and rule.include_child_units)]
    if p.get("projectIds"):
        rows = [rule for rule in rows if "project" not in rule.scope
                or _selected(rule.scope["project"], "specificProjects", p["projectIds"])]
    if p.get("assetTypes"):
        wanted = [_canonical_asset_type(session, domain_id, name) for name in p["assetTypes"]]
        rows = [rule for rule in rows if _selected(rule.scope.get("assetType"), "specificAssetTypes", wanted)]
    if p.get("dataProduct") is not None:
        rows = [rule for rule in rows if bool(rule.scope.get("dataProduct")) == p["dataProduct"]]
    return rows[offset:offset + limit + 1]


def _canonical_asset_type(session: Session, domain_id: str, identifier: str) -> str:
    try:
        return types.resolve_asset_type(session, domain_id, identifier).name
    except NotFoundError:
        return identifier  # filtering by an unknown type simply matches no SPECIFIC rule


def rules_for(session: Session, domain_id: str, action: str, project_id: str, asset_type: str | None,
              data_product: bool = False) -> list[Rule]:
    """The rules that apply to publishing (or subscribing to) an asset of `asset_type` — or a data product —
    of a project: its domain unit is targeted (directly, or from above with includeChildDomainUnits), and
    the project and the entity are in scope."""
    candidates = list(session.scalars(select(Rule).where(Rule.domain_id == domain_id, Rule.action == action)
                                      .order_by(Rule.created_at, Rule.id)))
    if not candidates:  # the common case: no query about units at all
        return []
    unit = units.unit_of_domain(session, domain_id, projects.project_unit_id(session, project_id))
    above = set(units.ancestor_ids(session, unit))
    applicable = []
    for rule in candidates:
        if not (rule.domain_unit_id == unit.id or (rule.domain_unit_id in above and rule.include_child_units)):
            continue
        if "project" in rule.scope and not _selected(rule.scope["project"], "specificProjects", [project_id]):
            continue
        covered = (bool(rule.scope.get("dataProduct")) if data_product
                   else _selected(rule.scope.get("assetType"), "specificAssetTypes", [asset_type]))
        if covered:
            applicable.append(rule)
    return applicable
