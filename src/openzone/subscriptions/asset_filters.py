"""Asset filters: named column or row filters of an asset that subscriptions can be scoped to.

A filter's status is derived, never stored: it is checked against the columns of the asset's current
revision (its Glue or Redshift schema form) each time it is read or enforced, so a new revision that
drops a column makes the filters using it INVALID at once, and enforcement drops them.
"""

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openzone.catalog import assets as catalog_assets
from openzone.catalog.models import Asset, AssetRevision
from openzone.domains import service as domains
from openzone.errors import AccessDeniedError, ConflictError, NotFoundError, ValidationError
from openzone.identity.models import User
from openzone.jobs.queue import enqueue
from openzone.projects import service as projects
from openzone.subscriptions import row_filters, states
from openzone.subscriptions.filter_models import AssetFilter, AssetScope
from openzone.subscriptions.models import GrantAsset, Subscription, SubscriptionRequest
from openzone.wire.ids import new_id

VALID, INVALID = "VALID", "INVALID"


@dataclass(frozen=True)
class Evaluation:
    """A filter checked against its asset's current columns."""

    status: str
    error: str | None
    columns: tuple[str, ...] | None  # None: all columns (a row filter)
    row_filter: dict | None  # None: all rows (a column filter)
    effective_columns: list[str]
    effective_row_filter: str | None


def asset_columns(session: Session, asset_id: str) -> dict[str, str] | None:
    """name -> data type of the asset's current revision (from a form with `columns`), None if it has none."""
    asset = session.get(Asset, asset_id)
    revision = session.get(AssetRevision, (asset.id, asset.revision)) if asset else None
    for form in revision.forms if revision else ():
        content = json.loads(form["content"]) if isinstance(form.get("content"), str) else form.get("content")
        if isinstance(content, dict) and isinstance(content.get("columns"), list):
            return {c["columnName"]: c.get("dataType") for c in content["columns"] if c.get("columnName")}
    return None


def evaluate(configuration: dict, columns: dict[str, str] | None) -> Evaluation:
    """Whether the configuration applies to a table with these columns, and what it lets through."""
    kind, value = _configuration(configuration)
    known = list(columns or {})
    if kind == "columnConfiguration":
        names = tuple(dict.fromkeys(value["includedColumnNames"]))
        missing = [n for n in names if n not in (columns or {})]
        error = (f"Columns {', '.join(missing)} do not exist in the asset." if missing else None)
        return Evaluation(INVALID if error else VALID, error, names, None, list(names), None)
    rule = value["rowFilter"]
    error = row_filters.problems(rule, columns or {})
    return Evaluation(INVALID if error else VALID, error, None, rule, known, row_filters.describe(rule))


def _configuration(configuration: dict) -> tuple[str, dict]:
    present = [(k, v) for k, v in (configuration or {}).items() if v is not None]
    if len(present) != 1 or present[0][0] not in ("columnConfiguration", "rowConfiguration"):
        raise ValidationError("The configuration must have exactly one of columnConfiguration and rowConfiguration.")
    return present[0]


def _validate(configuration: dict, columns: dict[str, str] | None) -> None:
    """Refuse configurations that cannot be a filter of any table (wrong shape); INVALID is for the rest."""
    kind, value = _configuration(configuration)
    if kind == "columnConfiguration":
        if not value.get("includedColumnNames"):
            raise ValidationError("A column configuration must include at least one column name.")
    else:
        row_filters.validate_shape(value.get("rowFilter") or {})
    if columns is None:
        raise ValidationError("The asset has no columns in its schema (GlueTableForm or RedshiftTableForm); "
                              "asset filters need them.")


def _asset(session: Session, actor: User, domain_id: str, asset_id: str, write: bool = False) -> Asset:
    """The filtered asset: members of its owning project (owners/contributors to write); anyone in the
    domain may read the filters of a published asset, to choose them in a subscription request."""
    domains.require_domain_user(session, actor, domain_id)
    asset = session.get(Asset, asset_id)
    if asset is None or asset.domain_id != domain_id:
        raise NotFoundError(f"Asset {asset_id} not found.")
    listing = catalog_assets.asset_listing(session, asset.id)
    if not is_member(session, actor, asset) and (listing is None or listing.status != "ACTIVE"):
        raise NotFoundError(f"Asset {asset_id} not found.")  # unpublished inventory never leaks
    if write and not (actor.is_admin or projects.is_actor(session, asset.owning_project_id, actor)):
        raise AccessDeniedError("Only owners and contributors of the asset's owning project can manage its filters.")
    return asset


def is_member(session: Session, actor: User, asset: Asset) -> bool:
    """Whether the caller sees the asset's filters as its owners do (sensitive row filters included)."""
    return actor.is_admin or bool(projects.designation_of(session, asset.owning_project_id, actor))


def _filter(session: Session, asset: Asset, filter_id: str) -> AssetFilter:
    row = session.get(AssetFilter, filter_id)
    if row is None or row.asset_id != asset.id:
        raise NotFoundError(f"Asset filter {filter_id} not found.")
    return row


def sensitive(row: AssetFilter) -> bool:
    """Whether the row filter's expression is for the owning project's eyes only."""
    return bool((row.configuration.get("rowConfiguration") or {}).get("sensitive"))


def create_filter(session: Session, actor: User, domain_id: str, asset_id: str, p: dict) -> tuple[AssetFilter, Asset]:
    """A new filter of the asset (owners and contributors of its owning project)."""
    asset = _asset(session, actor, domain_id, asset_id, write=True)
    _validate(p["configuration"], asset_columns(session, asset.id))
    row = AssetFilter(id=new_id(), domain_id=domain_id, asset_id=asset.id, name=p["name"],
                      description=p.get("description"), configuration=p["configuration"], created_by=actor.id)
    _save(session, row)
    return row, asset


def _save(session: Session, row: AssetFilter) -> None:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise ConflictError(f"An asset filter named {row.name} already exists for asset {row.asset_id}.") from None


def get_filter(session: Session, actor: User, domain_id: str, asset_id: str, filter_id: str) -> tuple[AssetFilter, Asset]:
    """One filter; a sensitive row filter only for members of the asset's owning project."""
    asset = _asset(session, actor, domain_id, asset_id)
    row = _filter(session, asset, filter_id)
    if sensitive(row) and not is_member(session, actor, asset):
        raise AccessDeniedError(f"Asset filter {filter_id} is sensitive; only members of the asset's owning "
                                f"project can read its row filter.")
    return row, asset


def update_filter(session: Session, actor: User, domain_id: str, asset_id: str, filter_id: str,
                  p: dict) -> tuple[AssetFilter, Asset]:
    """Change a filter's name, description or configuration; grants that use it see the change on their next query."""
    asset = _asset(session, actor, domain_id, asset_id, write=True)
    row = _filter(session, asset, filter_id)
    if p.get("configuration") is not None:
        _validate(p["configuration"], asset_columns(session, asset.id))
        if p["configuration"] != row.configuration:
            row.configuration = p["configuration"]
            _refilter_grants(session, row)
    if p.get("name") is not None and p["name"] != row.name:
        if session.scalar(select(AssetFilter.id).where(AssetFilter.asset_id == asset.id, AssetFilter.name == p["name"])):
            raise ConflictError(f"An asset filter named {p['name']} already exists for asset {asset.id}.")
        row.name = p["name"]
    if p.get("description") is not None:
        row.description = p["description"]
    row.updated_by = actor.id
    session.flush()
    return row, asset


def _refilter_grants(session: Session, row: AssetFilter) -> None:
    """Queue a re-grant of every live grant scoped to the filter: the lake reads filters at query time,
    but a warehouse grant made its column privileges or view from the filter as it was."""
    for scope in session.scalars(select(AssetScope).where(AssetScope.owner_kind == "GRANT",
                                                          AssetScope.asset_id == row.asset_id)):
        if row.id in scope.filter_ids and session.scalar(select(GrantAsset.status).where(
                GrantAsset.grant_id == scope.owner_id, GrantAsset.asset_id == row.asset_id)) in (
                states.GRANTED, states.GRANT_IN_PROGRESS):
            enqueue(session, "grant.refilter", {"grant_id": scope.owner_id, "asset_id": row.asset_id})


def delete_filter(session: Session, actor: User, domain_id: str, asset_id: str, filter_id: str) -> None:
    """Delete a filter, unless a pending request, an approved subscription or a live grant uses it."""
    asset = _asset(session, actor, domain_id, asset_id, write=True)
    row = _filter(session, asset, filter_id)
    user = in_use_by(session, row)
    if user:
        raise ConflictError(f"Asset filter {filter_id} is used by {user}; revoke or reject it first.")
    session.delete(row)
    session.flush()


def in_use_by(session: Session, row: AssetFilter) -> str | None:
    """What still depends on the filter: a pending request, an approved subscription or an unrevoked grant."""
    live = {"REQUEST": lambda i: session.scalar(select(SubscriptionRequest.status).where(
                SubscriptionRequest.id == i)) == states.REQUEST_PENDING,
            "SUBSCRIPTION": lambda i: session.scalar(select(Subscription.status).where(
                Subscription.id == i)) == states.APPROVED,
            "GRANT": lambda i: session.scalar(select(GrantAsset.status).where(
                GrantAsset.grant_id == i, GrantAsset.asset_id == row.asset_id)) not in (states.REVOKED_ASSET, None)}
    names = {"REQUEST": "subscription request", "SUBSCRIPTION": "subscription", "GRANT": "subscription grant"}
    for scope in session.scalars(select(AssetScope).where(AssetScope.asset_id == row.asset_id)):
        if row.id in scope.filter_ids and live[scope.owner_kind](scope.owner_id):
            return f"{names[scope.owner_kind]} {scope.owner_id}"
    return None


def list_filters(session: Session, actor: User, domain_id: str, asset_id: str,
                 status: str | None) -> tuple[list[tuple[AssetFilter, Evaluation]], Asset]:
    """The asset's filters (oldest first) with their evaluation, optionally only those of one status."""
    asset = _asset(session, actor, domain_id, asset_id)
    columns = asset_columns(session, asset.id)
    rows = session.scalars(select(AssetFilter).where(AssetFilter.asset_id == asset.id)
                           .order_by(AssetFilter.created_at, AssetFilter.id))
    evaluated = [(row, evaluate(row.configuration, columns)) for row in rows]
    return [(r, e) for r, e in evaluated if status is None or e.status == status], asset
