"""Domain units: the domain's tree of business units, with owners who govern what lies below them.

Every domain has a root unit (created with the domain, named like it, owned by the domain's creator). As in
DataZone, an owner of a unit also governs every unit below it; openzone administrators govern every unit.
Every user of the domain may read the tree. A project belongs to one unit (`projects.service.project_unit_id`:
the root unit unless CreateProject named another).
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openzone.domains import service as domains
from openzone.domains.models import DomainUnit
from openzone.errors import AccessDeniedError, ConflictError, NotFoundError
from openzone.events.outbox import Entity, emit
from openzone.identity.models import User
from openzone.wire.ids import new_id


def unit_of_domain(session: Session, domain_id: str, unit_id: str) -> DomainUnit:
    """A unit of the domain, without an access check (for other modules that checked the caller already)."""
    unit = session.get(DomainUnit, unit_id)
    if unit is None or unit.domain_id != domain_id:
        raise NotFoundError(f"Domain unit {unit_id} not found in domain {domain_id}.")
    return unit


def ancestor_ids(session: Session, unit: DomainUnit) -> list[str]:
    """Ids of the unit's ancestors, root first."""
    chain, parent = [], unit.parent_id
    while parent is not None:
        chain.append(parent)
        parent = session.get(DomainUnit, parent).parent_id
    return list(reversed(chain))


def owns_unit(session: Session, actor: User, unit: DomainUnit) -> bool:
    """Owners of the unit or of any unit above it, and administrators."""
    if actor.is_admin:
        return True
    node: DomainUnit | None = unit
    while node is not None:
        if actor.id in (node.owners or []):
            return True
        node = session.get(DomainUnit, node.parent_id) if node.parent_id else None
    return False


def require_unit_owner(session: Session, actor: User, domain_id: str, unit_id: str) -> DomainUnit:
    """The unit, if the caller governs it (AccessDenied otherwise)."""
    unit = get_unit(session, actor, domain_id, unit_id)
    if not owns_unit(session, actor, unit):
        raise AccessDeniedError(f"Only owners of domain unit {unit_id} (or of a unit above it) can do this.")
    return unit


def get_unit(session: Session, actor: User, domain_id: str, unit_id: str) -> DomainUnit:
    """A unit of a domain the caller belongs to."""
    domains.require_domain_user(session, actor, domain_id)
    return unit_of_domain(session, domain_id, unit_id)


def create_unit(session: Session, actor: User, domain_id: str, parent_id: str, name: str,
                description: str | None) -> DomainUnit:
    """A child unit, created by an owner of the parent; the creator owns it. Names are unique among siblings."""
    parent = require_unit_owner(session, actor, domain_id, parent_id)
    conflict = f"A domain unit named {name} already exists under {parent.id}."
    if session.scalar(select(DomainUnit.id).where(DomainUnit.domain_id == domain_id,
                                                  DomainUnit.parent_id == parent.id, DomainUnit.name == name)):
        raise ConflictError(conflict)
    unit = DomainUnit(id=new_id(), domain_id=domain_id, parent_id=parent.id, name=name, description=description,
                      owners=[actor.id], created_by=actor.id)
    session.add(unit)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(conflict) from None
    emit(session, detail_type="Domain Unit Created", domain_id=domain_id,
         entity=Entity(unit.id, "DomainUnitEntityType"), user_id=actor.id,
         data={"domainUnitId": unit.id, "parentDomainUnitId": parent.id, "name": name})
    return unit


def list_children(session: Session, actor: User, domain_id: str, parent_id: str, offset: int,
                  limit: int) -> list[DomainUnit]:
    """The units directly under a unit, by name (limit+1 rows for paging)."""
    parent = get_unit(session, actor, domain_id, parent_id)
    return list(session.scalars(select(DomainUnit).where(DomainUnit.parent_id == parent.id)
                                .order_by(DomainUnit.name, DomainUnit.id).offset(offset).limit(limit + 1)))
