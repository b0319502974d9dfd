"""Projects and memberships, and the checks every other module uses to decide who may act."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openzone.domains import service as domains
from openzone.domains import units
from openzone.domains.models import Domain
from openzone.errors import AccessDeniedError, ConflictError, NotFoundError, ValidationError
from openzone.events.outbox import Entity, emit
from openzone.identity import service as identity
from openzone.identity.models import User
from openzone.projects.models import Project, ProjectMember
from openzone.wire.ids import new_id

OWNER, CONTRIBUTOR = "PROJECT_OWNER", "PROJECT_CONTRIBUTOR"
# Designations that may create and change things in the project (DataZone's owners and contributors).
ACTORS = (OWNER, CONTRIBUTOR)


def create_project(session: Session, actor: User, domain_id: str, name: str, description: str | None,
                   glossary_terms: list | None, domain_unit_id: str | None = None) -> Project:
    """Create a project in a domain the caller belongs to (in its root unit by default); the caller owns it."""
    domain = domains.require_domain_user(session, actor, domain_id)
    if domain_unit_id is not None:
        try:
            units.unit_of_domain(session, domain_id, domain_unit_id)
        except NotFoundError:
            raise ValidationError(f"domainUnitId {domain_unit_id} is not a unit of domain {domain_id}.") from None
    if session.scalar(select(Project.id).where(Project.domain_id == domain_id, Project.name == name)):
        raise ConflictError(f"A project named {name} already exists in domain {domain_id}.")
    project = Project(id=new_id(), domain_id=domain_id, name=name, description=description,
                      glossary_terms=glossary_terms, created_by=actor.id,
                      domain_unit_id=domain_unit_id or domain.root_domain_unit_id)
    try:
        session.add(project)
        session.flush()
        session.add(ProjectMember(project_id=project.id, user_id=actor.id, designation=OWNER))
        session.flush()
    except IntegrityError:
        raise ConflictError(f"A project named {name} already exists in domain {domain_id}.") from None
    emit(session, detail_type="Project Creation Succeeded", domain_id=domain_id,
         entity=Entity(project.id, "ProjectEntityType", owning_project_id=project.id), user_id=actor.id, data={"projectId": project.id, "name": name})
    return project


def project_visible(session: Session, actor: User, domain_id: str, row, project_id: str | None, what: str):
    """`row` (an entity of a project's inventory), if the caller may see it: it is in the domain and the caller
    is a member of its project (administrators see all). Otherwise ResourceNotFound naming `what`, so
    inventory never leaks."""
    domains.require_domain_user(session, actor, domain_id)
    if row is None or row.domain_id != domain_id or not (actor.is_admin or designation_of(session, project_id, actor)):
        raise NotFoundError(f"{what} not found.")
    return row


def project_unit_id(session: Session, project_id: str) -> str:
    """The domain unit a project belongs to (what metadata rules and unit owners govern it by)."""
    project = session.get(Project, project_id)
    return project.domain_unit_id or session.get(Domain, project.domain_id).root_domain_unit_id


def project_by_id(session: Session, project_id: str) -> Project:
    """A project by id, for rendering references to it (no access check)."""
    return session.get(Project, project_id)


def designation_of(session: Session, project_id: str, user: User) -> str | None:
    member = session.get(ProjectMember, (project_id, user.id))
    return member.designation if member else None


def get_project(session: Session, actor: User, domain_id: str, project_id: str) -> Project:
    """A project of the domain that the caller is a member of (admins see every project)."""
    domains.require_domain_user(session, actor, domain_id)
    project = session.get(Project, project_id)
    if project is None or project.domain_id != domain_id:
        raise NotFoundError(f"Project {project_id} not found in domain {domain_id}.")
    if not actor.is_admin and designation_of(session, project.id, actor) is None:
        raise AccessDeniedError(f"You are not a member of project {project_id}.")
    return project


def require_actor(session: Session, actor: User, domain_id: str, project_id: str) -> Project:
    """The project, if the caller is one of its owners or contributors."""
    project = get_project(session, actor, domain_id, project_id)
    if designation_of(session, project.id, actor) not in ACTORS:
        raise AccessDeniedError(f"Only owners and contributors of project {project_id} can do this.")
    return project


def require_owner(session: Session, actor: User, domain_id: str, project_id: str) -> Project:
    """The project, if the caller is one of its owners."""
    project = get_project(session, actor, domain_id, project_id)
    if designation_of(session, project.id, actor) != OWNER:
        raise AccessDeniedError(f"Only owners of project {project_id} can do this.")
    return project


def is_actor(session: Session, project_id: str, user: User) -> bool:
    return designation_of(session, project_id, user) in ACTORS


def member_project_ids(session: Session, user: User, domain_id: str) -> list[str]:
    """Ids of the domain's projects the user is a member of."""
    return list(session.scalars(select(Project.id).join(ProjectMember, ProjectMember.project_id == Project.id)
                                .where(Project.domain_id == domain_id, ProjectMember.user_id == user.id)))


def list_projects(session: Session, actor: User, domain_id: str, member_identifier: str | None,
                  name: str | None, offset: int, limit: int, account_id: str) -> list[Project]:
    """Projects the caller is a member of (all for admins), optionally of one user or by name."""
    domains.require_domain_user(session, actor, domain_id)
    query = select(Project).where(Project.domain_id == domain_id)
    if not actor.is_admin:
        query = query.where(Project.id.in_(select(ProjectMember.project_id).where(ProjectMember.user_id == actor.id)))
    if member_identifier:
        member = identity.resolve_user(session, member_identifier, account_id)
        query = query.where(Project.id.in_(select(ProjectMember.project_id).where(ProjectMember.user_id == member.id)))
    if name:
        query = query.where(Project.name == name)
    return list(session.scalars(query.order_by(Project.created_at.desc(), Project.id).offset(offset).limit(limit + 1)))


def add_member(session: Session, actor: User, domain_id: str, project_id: str, user_identifier: str,
               designation: str, account_id: str) -> ProjectMember:
    """Add a domain user to the project, or change their designation (owners only)."""
    project = require_owner(session, actor, domain_id, project_id)
    if designation not in ("PROJECT_OWNER", "PROJECT_CONTRIBUTOR", "PROJECT_CATALOG_VIEWER",
                           "PROJECT_CATALOG_CONSUMER", "PROJECT_CATALOG_STEWARD"):
        raise ValidationError(f"Designation {designation} cannot be given to a user.")
    user = identity.resolve_user(session, user_identifier, account_id)
    if not domains.is_domain_user(session, domain_id, user):
        raise ValidationError(f"User {user.name} has no profile in domain {domain_id}; create one first.")
    member = session.get(ProjectMember, (project.id, user.id))
    if member is not None and member.designation == OWNER and designation != OWNER:
        _keep_an_owner(session, project.id)
    if member is None:
        member = ProjectMember(project_id=project.id, user_id=user.id, designation=designation)
        session.add(member)
    member.designation = designation
    session.flush()
    emit(session, detail_type="Project Member Addition Succeeded", domain_id=domain_id,
         entity=Entity(project.id, "ProjectEntityType", owning_project_id=project.id), user_id=actor.id, data={"memberId": user.id, "designation": designation})
    return member


def remove_member(session: Session, actor: User, domain_id: str, project_id: str, user_identifier: str,
                  account_id: str) -> None:
    """Remove a member (owners only); a project always keeps at least one owner."""
    project = require_owner(session, actor, domain_id, project_id)
    user = identity.resolve_user(session, user_identifier, account_id)
    member = session.get(ProjectMember, (project.id, user.id))
    if member is None:
        raise NotFoundError(f"User {user.name} is not a member of project {project_id}.")
    if member.designation == OWNER:
        _keep_an_owner(session, project.id)
    session.delete(member)
    session.flush()
    emit(session, detail_type="Project Member Removal Succeeded", domain_id=domain_id,
         entity=Entity(project.id, "ProjectEntityType", owning_project_id=project.id), user_id=actor.id, data={"memberId": user.id})


def _keep_an_owner(session: Session, project_id: str) -> None:
    owners = session.scalar(select(func.count()).select_from(ProjectMember).where(
        ProjectMember.project_id == project_id, ProjectMember.designation == OWNER))
    if owners <= 1:
        raise ConflictError("A project must keep at least one owner.")


def list_members(session: Session, actor: User, domain_id: str, project_id: str, descending: bool,
                 offset: int, limit: int) -> list[ProjectMember]:
    """The project's members (visible to its members)."""
    project = get_project(session, actor, domain_id, project_id)
    order = ProjectMember.created_at.desc() if descending else ProjectMember.created_at
    return list(session.scalars(select(ProjectMember).where(ProjectMember.project_id == project.id)
                                .order_by(order, ProjectMember.user_id).offset(offset).limit(limit + 1)))
