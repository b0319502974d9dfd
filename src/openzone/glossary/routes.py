"""DataZone wire operations for business glossaries and glossary terms."""

from openzone.glossary import service
from openzone.glossary.models import Glossary, GlossaryTerm
from openzone.wire.registry import Call, datazone


def _glossary(glossary: Glossary, detail: bool = False) -> dict:
    out = {"domainId": glossary.domain_id, "id": glossary.id, "name": glossary.name,
           "owningProjectId": glossary.owning_project_id, "description": glossary.description,
           "status": glossary.status, "usageRestrictions": glossary.usage_restrictions or None}
    if detail:
        out |= {"createdAt": glossary.created_at, "createdBy": glossary.created_by,
                "updatedAt": glossary.updated_at, "updatedBy": glossary.updated_by}
    return out


@datazone("CreateGlossary")
def create_glossary(call: Call, p: dict) -> dict:
    return _glossary(service.create_glossary(call.session, call.principal, p["domainIdentifier"], p))


@datazone("GetGlossary")
def get_glossary(call: Call, p: dict) -> dict:
    return _glossary(service.get_glossary(call.session, call.principal, p["domainIdentifier"], p["identifier"]),
                     detail=True)


@datazone("UpdateGlossary")
def update_glossary(call: Call, p: dict) -> dict:
    return _glossary(service.update_glossary(call.session, call.principal, p["domainIdentifier"],
                                             p["identifier"], p))


@datazone("DeleteGlossary")
def delete_glossary(call: Call, p: dict) -> dict:
    service.delete_glossary(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return {}


def _term(call: Call, term: GlossaryTerm, glossary: Glossary, detail: bool = False) -> dict:
    out = {"id": term.id, "domainId": term.domain_id, "glossaryId": term.glossary_id, "name": term.name,
           "status": term.status, "shortDescription": term.short_description,
           "longDescription": term.long_description,
           "termRelations": service.relations_of(call.session, term.id) or None,
           "usageRestrictions": glossary.usage_restrictions or None}
    if detail:
        out |= {"createdAt": term.created_at, "createdBy": term.created_by,
                "updatedAt": term.updated_at, "updatedBy": term.updated_by}
    return out


@datazone("CreateGlossaryTerm")
def create_term(call: Call, p: dict) -> dict:
    return _term(call, *service.create_term(call.session, call.principal, p["domainIdentifier"], p))


@datazone("GetGlossaryTerm")
def get_term(call: Call, p: dict) -> dict:
    return _term(call, *service.get_term(call.session, call.principal, p["domainIdentifier"], p["identifier"]),
                 detail=True)


@datazone("UpdateGlossaryTerm")
def update_term(call: Call, p: dict) -> dict:
    return _term(call, *service.update_term(call.session, call.principal, p["domainIdentifier"],
                                            p["identifier"], p))


@datazone("DeleteGlossaryTerm")
def delete_term(call: Call, p: dict) -> dict:
    service.delete_term(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return {}
