"""Assets in a project's inventory and their listings in the domain's catalog."""

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.catalog import glue_form
from openzone.catalog.assets import DELETED, create_asset, get_asset, refuse_subscribed  # noqa: F401 (re-exported)
from openzone.catalog.assets import revision_number as _revision_number
from openzone.catalog.models import Asset, AssetRevision, Listing, ListingRevision
from openzone.domains import service as domains
from openzone.errors import ConflictError, NotFoundError, ValidationError
from openzone.events.outbox import Entity, emit
from openzone.governance import enforcement, governed_terms
from openzone.identity.models import User
from openzone.projects import service as projects
from openzone.wire.ids import new_id


def change_listing(session: Session, actor: User, domain_id: str, p: dict) -> Listing:
    """PUBLISH an asset revision to the catalog (a new listing revision each time) or UNPUBLISH it."""
    if p["entityType"] != "ASSET":  # data products: products.change_product_listing
        raise ValidationError(f"change_listing publishes assets, not {p['entityType']}.")
    asset = session.get(Asset, p["entityIdentifier"])
    if asset is None or asset.domain_id != domain_id:
        domains.require_domain_user(session, actor, domain_id)
        raise NotFoundError(f"Asset {p['entityIdentifier']} not found.")
    projects.require_actor(session, actor, domain_id, asset.owning_project_id)
    listing = session.scalar(select(Listing).where(Listing.asset_id == asset.id))
    if p["action"] == "UNPUBLISH":
        if listing is None or listing.status != "ACTIVE":
            raise ConflictError(f"Asset {asset.id} is not published.")
        listing.status, listing.updated_by = "INACTIVE", actor.id
        session.flush()
        _event(session, listing, actor, "Asset Unpublished")
        return listing
    return publish_asset_revision(session, actor, asset, _revision_number(p.get("entityRevision"), asset.revision))


def publish_asset_revision(session: Session, actor: User, asset: Asset, number: int,
                           status: str = "ACTIVE") -> Listing:
    """Snapshot revision `number` of the asset as the next revision of its listing, with that status.

    Data products publish their assets with status INACTIVE: DataZone makes such assets available only
    through the product (not searched, not subscribable on their own).
    """
    revision = session.get(AssetRevision, (asset.id, number))
    if revision is None:
        raise NotFoundError(f"Asset {asset.id} has no revision {number}.")
    _enforce_rules(session, asset, revision)
    forms = {form["formName"]: json.loads(form["content"]) for form in revision.forms}
    listing = session.scalar(select(Listing).where(Listing.asset_id == asset.id))
    if listing is None:
        listing = Listing(id=new_id(), domain_id=asset.domain_id, asset_id=asset.id,
                          owning_project_id=asset.owning_project_id, revision=0, created_by=actor.id)
        session.add(listing)
    listing.revision += 1
    listing.asset_revision, listing.status, listing.updated_by = number, status, actor.id
    listing.name, listing.description, listing.glossary_terms = revision.name, revision.description, revision.glossary_terms
    listing.asset_type, listing.forms = asset.type_identifier, forms
    session.flush()
    session.add(ListingRevision(listing_id=listing.id, revision=listing.revision, asset_revision=number,
                                name=revision.name, description=revision.description, forms=forms,
                                glossary_terms=revision.glossary_terms, created_by=actor.id))
    session.flush()
    if status == "ACTIVE":
        _event(session, listing, actor, "Asset Added To Catalog")
    return listing


def _enforce_rules(session: Session, asset: Asset, revision: AssetRevision) -> None:
    """Publishing is refused until the revision satisfies the domain's metadata enforcement rules."""
    terms = (revision.glossary_terms or []) + governed_terms.terms_of(session, asset.id)
    enforcement.check_listing(session, asset.domain_id, asset.owning_project_id,
                              f"asset {asset.id} revision {revision.revision}", asset.type_identifier,
                              revision.forms, terms)


def _event(session: Session, listing: Listing, actor: User, detail_type: str) -> None:
    emit(session, detail_type=detail_type, domain_id=listing.domain_id,
         entity=Entity(listing.asset_id, "AssetEntityType", str(listing.asset_revision), listing.owning_project_id),
         user_id=actor.id, data={"listingId": listing.id, "listingVersion": str(listing.revision),
                                 "assetId": listing.asset_id, "status": listing.status})


def get_listing(session: Session, actor: User, domain_id: str, listing_id: str,
                revision: str | None = None) -> tuple[Listing, ListingRevision]:
    """A listing: published ones are visible to every user of the domain, others to the owning project."""
    domains.require_domain_user(session, actor, domain_id)
    listing = session.get(Listing, listing_id)
    if listing is None or listing.domain_id != domain_id or listing.status == DELETED or (
            listing.status != "ACTIVE" and not actor.is_admin
            and not projects.designation_of(session, listing.owning_project_id, actor)):
        raise NotFoundError(f"Listing {listing_id} not found.")
    number = _revision_number(revision, listing.revision)
    snapshot = session.scalar(select(ListingRevision).where(ListingRevision.listing_id == listing.id,
                                                           ListingRevision.revision == number))
    if snapshot is None:
        raise NotFoundError(f"Listing {listing_id} has no revision {revision}.")
    return listing, snapshot


def delete_listing(session: Session, actor: User, domain_id: str, listing_id: str) -> None:
    """Delete a listing (owning project's owners and contributors); refused while it has approved subscriptions.

    The row stays, marked DELETED, because subscription requests, revoked subscriptions and grants refer to it:
    it leaves search, GetListing and the asset's `listing` member, and takes no new subscription requests.
    Publishing the asset again brings the same listing back at a new revision.
    """
    domains.require_domain_user(session, actor, domain_id)
    listing = session.get(Listing, listing_id)
    if listing is None or listing.domain_id != domain_id or listing.status == DELETED or (
            listing.status != "ACTIVE" and not actor.is_admin
            and not projects.designation_of(session, listing.owning_project_id, actor)):
        raise NotFoundError(f"Listing {listing_id} not found.")
    projects.require_actor(session, actor, domain_id, listing.owning_project_id)
    refuse_subscribed(session, listing, f"listing {listing.id}")
    listing.status, listing.updated_by = DELETED, actor.id
    session.flush()


def listing_snapshot(session: Session, listing_id: str, revision: int) -> tuple[Listing, ListingRevision]:
    """A listing and one of its revisions, for rendering what a subscription points at (no access check)."""
    snapshot = session.scalar(select(ListingRevision).where(ListingRevision.listing_id == listing_id,
                                                           ListingRevision.revision == revision))
    return session.get(Listing, listing_id), snapshot


def active_listing(session: Session, domain_id: str, listing_id: str) -> Listing:
    """A published listing of the domain, for subscription requests."""
    listing = session.get(Listing, listing_id)
    if listing is None or listing.domain_id != domain_id or listing.status != "ACTIVE":
        raise NotFoundError(f"Listing {listing_id} not found or not published.")
    return listing


def listing_table(listing: Listing) -> tuple[str, str]:
    """The (database, table) a Glue table listing points at."""
    form = listing.forms.get(glue_form.FORM_NAME) or {}
    return form["databaseName"], form["tableName"]


def listing_assets(session: Session, listing: Listing, revision: int) -> list[tuple[str, int, str]]:
    """(asset id, asset revision, asset type) of what revision `revision` of the listing grants."""
    if listing.entity_type == "ASSET":
        return [(listing.asset_id, listing.asset_revision, listing.asset_type)]
    snapshot = session.scalar(select(ListingRevision).where(ListingRevision.listing_id == listing.id,
                                                           ListingRevision.revision == revision))
    return [(item["assetId"], item["assetRevision"], item["assetType"]) for item in snapshot.items or ()]


def granted_asset_type(session: Session, listing: Listing, asset_id: str) -> str:
    """The type of one asset a listing grants (a data product's assets have their own types)."""
    if listing.entity_type == "ASSET":
        return listing.asset_type
    asset = session.get(Asset, asset_id)
    return asset.type_identifier if asset is not None else "unknown"


def _granted_forms(session: Session, listing: Listing, asset_id: str, asset_revision: int) -> dict:
    if listing.entity_type == "ASSET":
        return listing.forms
    # a data product's asset: its table as of the revision the product listing published
    revision = session.get(AssetRevision, (asset_id, asset_revision))
    return {f["formName"]: json.loads(f["content"]) for f in revision.forms} if revision else {}


def asset_table(session: Session, listing: Listing, asset_id: str, asset_revision: int) -> tuple[str, str]:
    """The (database, table) of one granted asset; LookupError when it is not a Glue table."""
    form = _granted_forms(session, listing, asset_id, asset_revision).get(glue_form.FORM_NAME)
    if not form or "tableName" not in form:
        raise LookupError(f"Asset {asset_id} is not a Glue table; the lake cannot grant it.")
    return form["databaseName"], form["tableName"]


def asset_warehouse_table(session: Session, listing: Listing, asset_id: str,
                          asset_revision: int) -> tuple[str, str, str]:
    """The (database, schema, table) of one granted Redshift table or view asset; LookupError otherwise."""
    forms = _granted_forms(session, listing, asset_id, asset_revision)
    form = forms.get("RedshiftTableForm") or forms.get("RedshiftViewForm")
    if not form or not all(isinstance(form.get(k), str) for k in ("databaseName", "schemaName", "tableName")):
        raise LookupError(f"Asset {asset_id} is not a Redshift table or view; the warehouse cannot grant it.")
    return form["databaseName"], form["schemaName"], form["tableName"]


def short_type_name(type_identifier: str) -> str:
    return type_identifier.removeprefix("amazon.datazone.")
