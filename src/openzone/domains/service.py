"""Domains: created by admins, visible to their users; user profiles admit users to a domain."""

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from openzone.domains.models import Domain, DomainUnit, UserProfile
from openzone.errors import AccessDeniedError, ConflictError, NotFoundError
from openzone.identity import service as identity
from openzone.identity.models import User
from openzone.wire.ids import new_domain_id, new_id

ECHOED_SETTINGS = ("singleSignOn", "domainExecutionRole", "kmsKeyIdentifier", "tags", "domainVersion",
                   "serviceRole")


def create_domain(session: Session, actor: User, name: str, description: str | None, settings: dict) -> Domain:
    """Create a domain (admins only); its creator becomes its first user."""
    if not actor.is_admin:
        raise AccessDeniedError("Only administrators can create domains.")
    if session.scalar(select(Domain).where(Domain.name == name)):
        raise ConflictError(f"A domain named {name} already exists.")
    domain = Domain(id=new_domain_id(), name=name, description=description, created_by=actor.id,
                    root_domain_unit_id=new_id(), settings=settings)
    session.add(domain)
    session.flush()
    session.add(UserProfile(domain_id=domain.id, user_id=actor.id))
    session.flush()
    # Every domain has a root unit, named like the domain and owned by its creator (DataZone's root unit owner).
    session.add(DomainUnit(id=domain.root_domain_unit_id, domain_id=domain.id, parent_id=None, name=name,
                           description=description, owners=[actor.id], created_by=actor.id))
    session.flush()
    return domain


def is_domain_user(session: Session, domain_id: str, user: User) -> bool:
    return session.get(UserProfile, (domain_id, user.id)) is not None


# One query for the domain and the caller's profile in it: every API call begins here (so it is built once).
_DOMAIN_FOR = (select(Domain, UserProfile.user_id)
               .outerjoin(UserProfile, and_(UserProfile.domain_id == Domain.id,
                                            UserProfile.user_id == bindparam("actor")))
               .where(Domain.id == bindparam("domain")))


def get_domain(session: Session, actor: User, domain_id: str) -> Domain:
    """A domain the caller belongs to (admins see all); others get ResourceNotFound, never a hint."""
    row = session.execute(_DOMAIN_FOR, {"actor": actor.id, "domain": domain_id}).first()
    if row is None or not (actor.is_admin or row.user_id is not None):
        raise NotFoundError(f"Domain {domain_id} not found.")
    return row.Domain


def list_domains(session: Session, actor: User, status: str | None, offset: int, limit: int) -> list[Domain]:
    """Domains visible to the caller, newest first (limit+1 rows for paging)."""
    query = select(Domain)
    if not actor.is_admin:
        query = query.join(UserProfile, UserProfile.domain_id == Domain.id).where(UserProfile.user_id == actor.id)
    if status:
        query = query.where(Domain.status == status)
    return list(session.scalars(query.order_by(Domain.created_at.desc(), Domain.id).offset(offset).limit(limit + 1)))


def can_manage_domain(session: Session, actor: User, domain: Domain) -> bool:
    return actor.is_admin or domain.created_by == actor.id


def create_user_profile(session: Session, actor: User, domain_id: str, user_identifier: str,
                        account_id: str) -> tuple[UserProfile, User]:
    """Admit a user to the domain (domain owners and admins); idempotent for an existing member."""
    domain = get_domain(session, actor, domain_id)
    if not can_manage_domain(session, actor, domain):
        raise AccessDeniedError("Only the domain's owner or an administrator can add users to it.")
    user = identity.resolve_user(session, user_identifier, account_id)
    profile = session.get(UserProfile, (domain.id, user.id))
    if profile is None:
        profile = UserProfile(domain_id=domain.id, user_id=user.id)
        session.add(profile)
        session.flush()
    return profile, user


def get_user_profile(session: Session, actor: User, domain_id: str, user_identifier: str,
                     account_id: str) -> tuple[UserProfile, User]:
    """The profile of a user in a domain the caller belongs to."""
    domain = get_domain(session, actor, domain_id)
    user = identity.resolve_user(session, user_identifier, account_id)
    profile = session.get(UserProfile, (domain.id, user.id))
    if profile is None:
        raise NotFoundError(f"User {user_identifier} has no profile in domain {domain_id}.")
    return profile, user


def require_domain_user(session: Session, actor: User, domain_id: str) -> Domain:
    """The domain, if the caller is one of its users (admins included)."""
    return get_domain(session, actor, domain_id)
