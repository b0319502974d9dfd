"""Reading environment profiles: each belongs to a project and is visible to that project's members."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.domains import service as domains
from openzone.errors import NotFoundError
from openzone.identity.models import User
from openzone.projects import environments, service as projects
from openzone.projects.models import EnvironmentProfile


def get_profile(session: Session, actor: User, domain_id: str, profile_id: str) -> EnvironmentProfile:
    """A profile of one of the caller's projects (any, for admins)."""
    domains.require_domain_user(session, actor, domain_id)
    profile = session.get(EnvironmentProfile, profile_id)
    if profile is None or profile.domain_id != domain_id or not (
            actor.is_admin or projects.designation_of(session, profile.project_id, actor)):
        raise NotFoundError(f"Environment profile {profile_id} not found.")
    return profile


def list_profiles(session: Session, actor: User, domain_id: str, p: dict, offset: int,
                  limit: int) -> list[EnvironmentProfile]:
    """Profiles of the caller's projects (of one project when asked), newest first, filtered as asked."""
    domains.require_domain_user(session, actor, domain_id)
    query = select(EnvironmentProfile).where(EnvironmentProfile.domain_id == domain_id)
    if p.get("projectIdentifier"):
        project = projects.get_project(session, actor, domain_id, p["projectIdentifier"])
        query = query.where(EnvironmentProfile.project_id == project.id)
    elif not actor.is_admin:
        query = query.where(EnvironmentProfile.project_id.in_(projects.member_project_ids(session, actor, domain_id)))
    if p.get("environmentBlueprintIdentifier"):
        blueprint = environments.resolve_blueprint(domain_id, p["environmentBlueprintIdentifier"])
        query = query.where(EnvironmentProfile.blueprint_id == environments.blueprint_id(domain_id, blueprint))
    for key, column in (("awsAccountId", EnvironmentProfile.aws_account_id),
                        ("awsAccountRegion", EnvironmentProfile.region), ("name", EnvironmentProfile.name)):
        if p.get(key):
            query = query.where(column == p[key])
    query = query.order_by(EnvironmentProfile.created_at.desc(), EnvironmentProfile.id)
    return list(session.scalars(query.offset(offset).limit(limit + 1)))
