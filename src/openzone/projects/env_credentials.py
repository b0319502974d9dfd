"""GetEnvironmentCredentials: SDK credentials that act as an environment, for members of its project.

An environment acts through a principal of its own, user `datazone_usr_<environment id>` (the name its
userRoleArn carries), a PROJECT_CATALOG_CONSUMER of the project: it can query the project's workgroups and
read what was granted, but not administer the project. Its single access key is what every member receives;
deleting the environment deactivates it.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.domains.models import UserProfile
from openzone.errors import AccessDeniedError, ConflictError
from openzone.identity import service as identity
from openzone.identity.models import AccessKey, User
from openzone.projects import service as projects
from openzone.projects.models import Environment, ProjectMember

DESIGNATION = "PROJECT_CATALOG_CONSUMER"


def principal_name(environment_id: str) -> str:
    return f"datazone_usr_{environment_id}"


def credentials(session: Session, actor: User, environment: Environment) -> AccessKey:
    """The environment principal's access key (made on first use); members of the project only."""
    if projects.designation_of(session, environment.project_id, actor) is None:
        raise AccessDeniedError(f"Only members of project {environment.project_id} can obtain the credentials "
                                f"of environment {environment.id}.")
    if environment.status != "ACTIVE":
        raise ConflictError(f"Environment {environment.id} is {environment.status}, not ACTIVE.")
    name = principal_name(environment.id)
    user = session.scalar(select(User).where(User.name == name)) or identity.create_user(session, name)
    if session.get(UserProfile, (environment.domain_id, user.id)) is None:
        session.add(UserProfile(domain_id=environment.domain_id, user_id=user.id))
    if session.get(ProjectMember, (environment.project_id, user.id)) is None:
        session.add(ProjectMember(project_id=environment.project_id, user_id=user.id, designation=DESIGNATION))
    session.flush()
    key = session.scalar(select(AccessKey).where(AccessKey.user_id == user.id, AccessKey.status == "Active")
                         .order_by(AccessKey.created_at))
    return key or identity.create_access_key(session, name)


def retire(session: Session, environment: Environment) -> None:
    """The environment is gone: its principal loses its keys and its project membership."""
    user = session.scalar(select(User).where(User.name == principal_name(environment.id)))
    if user is None:
        return
    for key in session.scalars(select(AccessKey).where(AccessKey.user_id == user.id)):
        key.status = "Inactive"
    member = session.get(ProjectMember, (environment.project_id, user.id))
    if member is not None:
        session.delete(member)
    session.flush()
