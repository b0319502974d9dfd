"""Subscription targets of an environment (where approved assets are delivered), and which ones an engine fulfils.

A target in AUTOMATIC mode gets a grant as soon as a subscription of its project to a listing of one of its
applicable asset types is approved; in MANUAL mode grants are only made by hand (CreateSubscriptionGrant)
and are fulfilled outside openzone. A grant asset is *managed* when one of openzone's engines can fulfil it at
that target; every other one waits in GRANT_PENDING for an external fulfiller (UpdateSubscriptionGrantStatus).
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.catalog import types
from openzone.catalog.service import short_type_name
from openzone.errors import ConflictError, NotFoundError, ValidationError
from openzone.identity.models import User
from openzone.projects import environments
from openzone.projects import service as projects
from openzone.projects.models import SubscriptionTarget
from openzone.subscriptions.models import SubscriptionGrant
from openzone.wire.ids import new_id

AUTOMATIC, MANUAL = "AUTOMATIC", "MANUAL"
# Target type -> the asset types an engine of openzone grants there (fulfillment/: lake views, warehouse grants).
ENGINES = {
    "GlueSubscriptionTargetType": frozenset({"GlueTableAssetType"}),
    "RedshiftSubscriptionTargetType": frozenset({"RedshiftTableAssetType", "RedshiftViewAssetType"}),
}
MANAGED_ASSET_TYPES = frozenset().union(*ENGINES.values())
DEFAULT_PROVIDER = "Custom"


def is_managed(target: SubscriptionTarget, asset_type: str) -> bool:
    """Whether an engine of openzone fulfils this asset type at this target (MANUAL targets: never)."""
    return target.creation_mode == AUTOMATIC and short_type_name(asset_type) in ENGINES.get(target.type, ())


def accepts(target: SubscriptionTarget, asset_types: set[str]) -> bool:
    """Whether the target takes any of these asset types (short names)."""
    return bool(asset_types & set(target.applicable_asset_types))


def _asset_types(session: Session, domain_id: str, names: list[str]) -> list[str]:
    if not names:
        raise ValidationError("applicableAssetTypes must name at least one asset type.")
    for name in names:
        types.resolve_asset_type(session, domain_id, name)  # NotFound for a type the domain does not have
    return [short_type_name(name) for name in names]


def _mode(value: str | None) -> str:
    if value not in (AUTOMATIC, MANUAL):
        raise ValidationError(f"subscriptionGrantCreationMode must be AUTOMATIC or MANUAL, not {value}.")
    return value


def _name_free(session: Session, environment_id: str, name: str, target_id: str | None = None) -> str:
    if not name or not name.strip():
        raise ValidationError("A subscription target needs a name.")
    taken = session.scalar(select(SubscriptionTarget.id).where(
        SubscriptionTarget.environment_id == environment_id, SubscriptionTarget.name == name))
    if taken is not None and taken != target_id:
        raise ConflictError(f"Environment {environment_id} already has a subscription target named {name}.")
    return name


def create_target(session: Session, actor: User, domain_id: str, p: dict) -> SubscriptionTarget:
    """A target in an environment of a project the caller owns or contributes to."""
    environment = environments.get_environment(session, actor, domain_id, p["environmentIdentifier"])
    projects.require_actor(session, actor, domain_id, environment.project_id)
    target = SubscriptionTarget(
        id=new_id(), domain_id=domain_id, environment_id=environment.id, project_id=environment.project_id,
        name=_name_free(session, environment.id, p["name"]), type=p["type"],
        config=p["subscriptionTargetConfig"], authorized_principals=p["authorizedPrincipals"],
        manage_access_role=p["manageAccessRole"],
        applicable_asset_types=_asset_types(session, domain_id, p["applicableAssetTypes"]),
        provider=p.get("provider") or DEFAULT_PROVIDER,
        creation_mode=_mode(p.get("subscriptionGrantCreationMode", AUTOMATIC)), created_by=actor.id)
    session.add(target)
    session.flush()
    return target


def get_target(session: Session, actor: User, domain_id: str, environment_id: str,
               target_id: str) -> SubscriptionTarget:
    """A target of an environment the caller can see."""
    environment = environments.get_environment(session, actor, domain_id, environment_id)
    target = session.get(SubscriptionTarget, target_id)
    if target is None or target.environment_id != environment.id:
        raise NotFoundError(f"Subscription target {target_id} not found in environment {environment_id}.")
    return target


def _writable(session: Session, actor: User, domain_id: str, p: dict) -> SubscriptionTarget:
    target = get_target(session, actor, domain_id, p["environmentIdentifier"], p["identifier"])
    projects.require_actor(session, actor, domain_id, target.project_id)
    return target


def update_target(session: Session, actor: User, domain_id: str, p: dict) -> SubscriptionTarget:
    """Change what the caller gives; grants already made keep the mode they were made with."""
    target = _writable(session, actor, domain_id, p)
    if p.get("name") is not None:
        target.name = _name_free(session, target.environment_id, p["name"], target.id)
    if p.get("applicableAssetTypes") is not None:
        target.applicable_asset_types = _asset_types(session, domain_id, p["applicableAssetTypes"])
    if p.get("subscriptionGrantCreationMode") is not None:
        target.creation_mode = _mode(p["subscriptionGrantCreationMode"])
    for member, column in (("authorizedPrincipals", "authorized_principals"),
                           ("subscriptionTargetConfig", "config"), ("manageAccessRole", "manage_access_role"),
                           ("provider", "provider")):
        if p.get(member) is not None:
            setattr(target, column, p[member])
    target.updated_by = actor.id
    session.flush()
    return target


def delete_target(session: Session, actor: User, domain_id: str, p: dict) -> None:
    """Delete a target that no grant points at (delete its grants first)."""
    target = _writable(session, actor, domain_id, p)
    grant_id = session.scalar(select(SubscriptionGrant.id).where(SubscriptionGrant.target_id == target.id).limit(1))
    if grant_id is not None:
        raise ConflictError(f"Subscription target {target.id} still has subscription grants (e.g. {grant_id}); "
                            f"delete them first.")
    session.delete(target)
    session.flush()
