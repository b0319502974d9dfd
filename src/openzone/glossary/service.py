"""Glossaries and terms: owned and changed by a project's owners and contributors, read by the whole domain.

Visibility: an ENABLED glossary and its ENABLED terms are part of the business catalog, readable by every
user of the domain; DISABLED ones are seen only by members of the owning project (and administrators).
Whatever a caller cannot see is reported as not found, never as forbidden.
"""

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openzone.domains import service as domains
from openzone.errors import ConflictError, NotFoundError, ValidationError
from openzone.glossary.models import Glossary, GlossaryTerm, GlossaryTermRelation
from openzone.identity.models import User
from openzone.projects import service as projects
from openzone.wire.ids import new_id

ENABLED = "ENABLED"
RELATION_KINDS = ("isA", "classifies")


def _can_see(session: Session, actor: User, status: str, owning_project_id: str) -> bool:
    return status == ENABLED or actor.is_admin or projects.designation_of(session, owning_project_id, actor) is not None


def _visible_glossary(session: Session, actor: User, domain_id: str, glossary_id: str) -> Glossary:
    glossary = session.get(Glossary, glossary_id)
    if glossary is None or glossary.domain_id != domain_id or not _can_see(
            session, actor, glossary.status, glossary.owning_project_id):
        raise NotFoundError(f"Glossary {glossary_id} not found in domain {domain_id}.")
    return glossary


def _writable_glossary(session: Session, actor: User, domain_id: str, glossary_id: str) -> Glossary:
    glossary = _visible_glossary(session, actor, domain_id, glossary_id)
    projects.require_actor(session, actor, domain_id, glossary.owning_project_id)
    return glossary


def _name_taken(session: Session, domain_id: str, name: str, except_id: str | None = None) -> bool:
    query = select(Glossary.id).where(Glossary.domain_id == domain_id, Glossary.name == name)
    if except_id:
        query = query.where(Glossary.id != except_id)
    return session.scalar(query) is not None


def _flush(session: Session, conflict: str) -> None:
    try:
        session.flush()
    except IntegrityError:  # a concurrent request took the name between our check and the insert
        raise ConflictError(conflict) from None


def create_glossary(session: Session, actor: User, domain_id: str, p: dict) -> Glossary:
    """A glossary owned by a project the caller owns or contributes to; names are unique per domain."""
    project = projects.require_actor(session, actor, domain_id, p["owningProjectIdentifier"])
    conflict = f"A glossary named {p['name']} already exists in domain {domain_id}."
    if _name_taken(session, domain_id, p["name"]):
        raise ConflictError(conflict)
    glossary = Glossary(id=new_id(), domain_id=domain_id, owning_project_id=project.id, name=p["name"],
                        description=p.get("description"), status=p.get("status") or ENABLED,
                        usage_restrictions=p.get("usageRestrictions"), created_by=actor.id)
    session.add(glossary)
    _flush(session, conflict)
    return glossary


def get_glossary(session: Session, actor: User, domain_id: str, glossary_id: str) -> Glossary:
    """A glossary the caller can see (ENABLED ones: every domain user)."""
    domains.require_domain_user(session, actor, domain_id)
    return _visible_glossary(session, actor, domain_id, glossary_id)


def update_glossary(session: Session, actor: User, domain_id: str, glossary_id: str, p: dict) -> Glossary:
    """Rename, describe, enable or disable a glossary (owning project's owners and contributors)."""
    domains.require_domain_user(session, actor, domain_id)
    glossary = _writable_glossary(session, actor, domain_id, glossary_id)
    name = p.get("name")
    conflict = f"A glossary named {name} already exists in domain {domain_id}."
    if name is not None and name != glossary.name:
        if _name_taken(session, domain_id, name, except_id=glossary.id):
            raise ConflictError(conflict)
        glossary.name = name
    if p.get("description") is not None:
        glossary.description = p["description"]
    if p.get("status") is not None:
        glossary.status = p["status"]
    glossary.updated_by = actor.id
    _flush(session, conflict)
    return glossary


def delete_glossary(session: Session, actor: User, domain_id: str, glossary_id: str) -> None:
    """Delete a glossary; like DataZone, only a DISABLED glossary without terms can go."""
    domains.require_domain_user(session, actor, domain_id)
    glossary = _writable_glossary(session, actor, domain_id, glossary_id)
    if glossary.status == ENABLED:
        raise ConflictError(f"Glossary {glossary_id} is ENABLED; disable it before deleting it.")
    if session.scalar(select(exists().where(GlossaryTerm.glossary_id == glossary.id))):
        raise ConflictError(f"Glossary {glossary_id} still has terms; delete them first.")
    session.delete(glossary)
    session.flush()


def _visible_term(session: Session, actor: User, domain_id: str, term_id: str) -> tuple[GlossaryTerm, Glossary]:
    term = session.get(GlossaryTerm, term_id)
    glossary = session.get(Glossary, term.glossary_id) if term is not None else None
    if (term is None or term.domain_id != domain_id
            or not _can_see(session, actor, glossary.status, glossary.owning_project_id)
            or not _can_see(session, actor, term.status, glossary.owning_project_id)):
        raise NotFoundError(f"Glossary term {term_id} not found in domain {domain_id}.")
    return term, glossary


def _term_name_taken(session: Session, glossary_id: str, name: str, except_id: str | None = None) -> bool:
    query = select(GlossaryTerm.id).where(GlossaryTerm.glossary_id == glossary_id, GlossaryTerm.name == name)
    if except_id:
        query = query.where(GlossaryTerm.id != except_id)
    return session.scalar(query) is not None


def _term_target(session: Session, actor: User, domain_id: str, glossary_id: str) -> Glossary:
    """A glossary the caller may add terms to: theirs to change, and ENABLED (DataZone's prerequisite)."""
    glossary = _writable_glossary(session, actor, domain_id, glossary_id)
    if glossary.status != ENABLED:
        raise ConflictError(f"Glossary {glossary_id} is DISABLED; enable it before adding terms to it.")
    return glossary


def create_term(session: Session, actor: User, domain_id: str, p: dict) -> tuple[GlossaryTerm, Glossary]:
    """A term in an ENABLED glossary of the caller's project; names are unique per glossary."""
    domains.require_domain_user(session, actor, domain_id)
    glossary = _term_target(session, actor, domain_id, p["glossaryIdentifier"])
    conflict = f"A term named {p['name']} already exists in glossary {glossary.id}."
    if _term_name_taken(session, glossary.id, p["name"]):
        raise ConflictError(conflict)
    term = GlossaryTerm(id=new_id(), domain_id=domain_id, glossary_id=glossary.id, name=p["name"],
                        short_description=p.get("shortDescription"), long_description=p.get("longDescription"),
                        status=p.get("status") or ENABLED, created_by=actor.id)
    session.add(term)
    _flush(session, conflict)
    _set_relations(session, actor, term, p.get("termRelations") or {})
    return term, glossary


def get_term(session: Session, actor: User, domain_id: str, term_id: str) -> tuple[GlossaryTerm, Glossary]:
    """A term the caller can see, with its glossary."""
    domains.require_domain_user(session, actor, domain_id)
    return _visible_term(session, actor, domain_id, term_id)


def update_term(session: Session, actor: User, domain_id: str, term_id: str, p: dict) -> tuple[GlossaryTerm, Glossary]:
    """Change a term; glossaryIdentifier moves it, termRelations replaces all of its relations."""
    domains.require_domain_user(session, actor, domain_id)
    term, glossary = _visible_term(session, actor, domain_id, term_id)
    projects.require_actor(session, actor, domain_id, glossary.owning_project_id)
    target = p.get("glossaryIdentifier")
    if target is not None and target != glossary.id:
        glossary = _term_target(session, actor, domain_id, target)
    name = p.get("name") or term.name
    conflict = f"A term named {name} already exists in glossary {glossary.id}."
    if (name, glossary.id) != (term.name, term.glossary_id) and _term_name_taken(session, glossary.id, name, term.id):
        raise ConflictError(conflict)
    term.name, term.glossary_id = name, glossary.id
    for field, member in (("short_description", "shortDescription"), ("long_description", "longDescription"),
                          ("status", "status")):
        if p.get(member) is not None:
            setattr(term, field, p[member])
    term.updated_by = actor.id
    _flush(session, conflict)
    if p.get("termRelations") is not None:
        _set_relations(session, actor, term, p["termRelations"])
    return term, glossary


def delete_term(session: Session, actor: User, domain_id: str, term_id: str) -> None:
    """Delete a term; like DataZone, refused while it relates to other terms or other terms relate to it."""
    domains.require_domain_user(session, actor, domain_id)
    term, glossary = _visible_term(session, actor, domain_id, term_id)
    projects.require_actor(session, actor, domain_id, glossary.owning_project_id)
    linked = session.scalar(select(exists().where(or_(GlossaryTermRelation.term_id == term.id,
                                                      GlossaryTermRelation.related_term_id == term.id))))
    if linked:
        raise ConflictError(f"Glossary term {term_id} is related to other terms; remove those relations first.")
    session.delete(term)
    session.flush()


def relations_of(session: Session, term_id: str) -> dict[str, list[str]]:
    """{"isA": [...], "classifies": [...]} in the order they were given (empty kinds left out)."""
    rows = session.scalars(select(GlossaryTermRelation).where(GlossaryTermRelation.term_id == term_id)
                           .order_by(GlossaryTermRelation.kind, GlossaryTermRelation.position))
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row.kind, []).append(row.related_term_id)
    return out


def _set_relations(session: Session, actor: User, term: GlossaryTerm, relations: dict) -> None:
    """Replace the term's relations after checking that they name visible terms of the domain, no loop."""
    wanted = {kind: list(dict.fromkeys(relations.get(kind) or [])) for kind in RELATION_KINDS}
    both = set(wanted["isA"]) & set(wanted["classifies"])
    if both:
        raise ValidationError(f"Term {sorted(both)[0]} cannot be both in isA and in classifies.")
    for related_id in wanted["isA"] + wanted["classifies"]:
        if related_id == term.id:
            raise ValidationError("A glossary term cannot be related to itself.")
        try:
            _visible_term(session, actor, term.domain_id, related_id)
        except NotFoundError:
            raise ValidationError(f"Glossary term {related_id} not found in domain {term.domain_id}.") from None
    session.execute(delete(GlossaryTermRelation).where(GlossaryTermRelation.term_id == term.id))
    for kind, ids in wanted.items():
        for position, related_id in enumerate(ids):
            session.add(GlossaryTermRelation(term_id=term.id, kind=kind, related_term_id=related_id, position=position))
    session.flush()
    _refuse_cycles(session, term)


def _refuse_cycles(session: Session, term: GlossaryTerm) -> None:
    """A term may not end up as its own ancestor (A isA B means B is A's parent; A classifies C, C's)."""
    children: dict[str, set[str]] = {}
    rows = session.execute(select(GlossaryTermRelation.term_id, GlossaryTermRelation.kind,
                                  GlossaryTermRelation.related_term_id)
                           .join(GlossaryTerm, GlossaryTerm.id == GlossaryTermRelation.term_id)
                           .where(GlossaryTerm.domain_id == term.domain_id))
    for source, kind, related in rows:
        parent, child = (related, source) if kind == "isA" else (source, related)
        children.setdefault(parent, set()).add(child)
    stack, seen = list(children.get(term.id, ())), set()
    while stack:
        node = stack.pop()
        if node == term.id:
            raise ValidationError(f"These relations would make glossary term {term.id} its own ancestor.")
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, ()))


# ---------------------------------------------------------------- terms attached to assets and columns

GOVERNED = "ASSET_GOVERNED_TERMS"


def is_governed(glossary: Glossary) -> bool:
    """Terms of a restricted glossary are governed: attached only with AssociateGovernedTerms."""
    return GOVERNED in (glossary.usage_restrictions or [])


def attachable_term(session: Session, domain_id: str, term_id: str) -> tuple[GlossaryTerm, Glossary] | str:
    """The term and its glossary if it can be attached to metadata now, else why not.

    Attachable: a term of the domain, ENABLED, in an ENABLED glossary (DataZone attaches only enabled terms).
    """
    term = session.get(GlossaryTerm, term_id)
    glossary = session.get(Glossary, term.glossary_id) if term is not None else None
    if term is None or term.domain_id != domain_id:
        return f"glossary term {term_id} not found in domain {domain_id}"
    if term.status != ENABLED or glossary.status != ENABLED:
        return f"glossary term {term_id} ({term.name}) is DISABLED"
    return term, glossary


def check_column_terms(session: Session, domain_id: str, form_name: str, content: dict) -> None:
    """ColumnBusinessMetadataForm: every column's glossaryTerms are attachable, non-governed terms.

    Governed terms apply to whole assets only (as in DataZone), so a column may not carry them.
    """
    for column in content.get("columnsBusinessMetadata") or []:
        for term_id in column.get("glossaryTerms") or []:
            found = attachable_term(session, domain_id, term_id)
            if isinstance(found, str):
                raise ValidationError(f"Form {form_name}: column {column['columnIdentifier']}: {found}.")
            if is_governed(found[1]):
                raise ValidationError(f"Form {form_name}: column {column['columnIdentifier']}: glossary term "
                                      f"{term_id} is a governed term; governed terms attach to assets only.")


def term_glossary_id(session: Session, term_id: str) -> str:
    """The glossary a term belongs to (no access check; the term must exist)."""
    return session.get(GlossaryTerm, term_id).glossary_id


def detailed_terms(session: Session, term_ids: list[str] | None) -> list[dict]:
    """DetailedGlossaryTerm entries ({name, shortDescription}) for term ids, skipping deleted terms."""
    out = []
    for term_id in term_ids or ():
        term = session.get(GlossaryTerm, term_id)
        if term is not None:
            out.append({"name": term.name, "shortDescription": term.short_description})
    return out
