"""DataZone wire operations for rules and governed glossary terms."""

from openzone.governance import governed_terms, rules
from openzone.governance.models import Rule, RuleRevision
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


def _target(rule: Rule, include_children: bool) -> dict:
    return {"domainUnitTarget": {"domainUnitId": rule.domain_unit_id, "includeChildDomainUnits": include_children}}


def _rule(rule: Rule, row: RuleRevision) -> dict:
    """A rule as it was at one revision (GetRule/UpdateRule)."""
    snap = row.snapshot
    return {"identifier": rule.id, "revision": str(row.revision), "name": snap["name"], "ruleType": rule.rule_type,
            "target": _target(rule, snap["includeChildDomainUnits"]), "action": rule.action, "scope": snap["scope"],
            "detail": snap["detail"], "targetType": "DOMAIN_UNIT", "description": snap["description"],
            "createdAt": rule.created_at, "updatedAt": row.created_at, "createdBy": rule.created_by,
            "lastUpdatedBy": row.created_by}


@datazone("CreateRule")
def create_rule(call: Call, p: dict) -> dict:
    rule = rules.create_rule(call.session, call.principal, p["domainIdentifier"], p)
    return {"identifier": rule.id, "name": rule.name, "ruleType": rule.rule_type,
            "target": _target(rule, rule.include_child_units), "action": rule.action, "scope": rule.scope,
            "detail": rule.detail, "targetType": "DOMAIN_UNIT", "description": rule.description,
            "createdAt": rule.created_at, "createdBy": rule.created_by}


@datazone("GetRule")
def get_rule(call: Call, p: dict) -> dict:
    return _rule(*rules.get_rule(call.session, call.principal, p["domainIdentifier"], p["identifier"],
                                 p.get("revision")))


@datazone("UpdateRule")
def update_rule(call: Call, p: dict) -> dict:
    out = _rule(*rules.update_rule(call.session, call.principal, p["domainIdentifier"], p["identifier"], p))
    out.pop("targetType")  # not a member of UpdateRuleOutput
    return out


@datazone("DeleteRule")
def delete_rule(call: Call, p: dict) -> dict:
    rules.delete_rule(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return {}


@datazone("ListRules")
def list_rules(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    items, token = page(rules.list_rules(call.session, call.principal, p["domainIdentifier"], p, offset, limit),
                        offset, limit)
    return {"items": [{"identifier": rule.id, "revision": str(rule.revision), "ruleType": rule.rule_type,
                       "name": rule.name, "targetType": "DOMAIN_UNIT",
                       "target": _target(rule, rule.include_child_units), "action": rule.action,
                       "scope": rule.scope, "updatedAt": rule.updated_at, "lastUpdatedBy": rule.updated_by}
                      for rule in items], "nextToken": token}


@datazone("AssociateGovernedTerms")
def associate_governed_terms(call: Call, p: dict) -> dict:
    governed_terms.associate(call.session, call.principal, p["domainIdentifier"], p["entityType"],
                             p["entityIdentifier"], p["governedGlossaryTerms"])
    return {}


@datazone("DisassociateGovernedTerms")
def disassociate_governed_terms(call: Call, p: dict) -> dict:
    governed_terms.disassociate(call.session, call.principal, p["domainIdentifier"], p["entityType"],
                                p["entityIdentifier"], p["governedGlossaryTerms"])
    return {}
