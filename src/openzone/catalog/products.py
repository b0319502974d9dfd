"""Data products: named bundles of a project's assets, revised immutably and published like assets.

Rules (DataZone's, where its documentation says; ours where it does not):
* Owners and contributors of the owning project create, revise, publish and delete a product; only
  members of that project (and admins) see it while it is in the inventory.
* Items are assets of the owning project's inventory (the portal picks them there), each pinned to an
  asset revision (the latest when none is given); an asset appears once.
* Publishing snapshots a product revision into its listing. The product's assets need not be published
  first: as in DataZone, the ones that are not become published "only through this data product", i.e.
  their asset listing is written at the pinned revision with status INACTIVE (not searched, not
  subscribable on its own). An asset already published individually keeps its ACTIVE listing, bumped
  to the pinned revision when it lags.
"""

import json

from sqlalchemy import column, delete, exists, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openzone.catalog import assets
from openzone.catalog import service as catalog
from openzone.catalog.assets import DELETED, refuse_subscribed, revision_number
from openzone.catalog.models import Asset, AssetRevision, Listing, ListingRevision
from openzone.catalog.product_models import DataProduct, DataProductRevision
from openzone.config import Settings
from openzone.domains import service as domains
from openzone.errors import ConflictError, NotFoundError, ValidationError
from openzone.governance import enforcement
from openzone.identity.models import User
from openzone.projects import service as projects
from openzone.wire.ids import new_id

DATA_PRODUCT = "DATA_PRODUCT"
# The subscriptions module's tables that keep pointing at a listing (named here without importing it:
# dependencies point the other way), as in assets.delete_asset.
_HISTORY = tuple(table(name, column("listing_id")) for name in
                 ("subscription_requests", "subscriptions", "subscription_grants"))


# ---------------------------------------------------------------- items


def _items(session: Session, actor: User, domain_id: str, project_id: str, items: list[dict]) -> list[dict]:
    """The items, each an asset of the project's inventory with its revision pinned."""
    seen: set[str] = set()
    out = []
    for position, item in enumerate(items):
        asset = session.get(Asset, item["identifier"])
        if asset is None or asset.domain_id != domain_id or asset.owning_project_id != project_id:
            raise ValidationError(f"items[{position}]: asset {item['identifier']} is not an asset of the "
                                  f"data product's owning project {project_id}.")
        if asset.id in seen:
            raise ValidationError(f"items[{position}]: asset {asset.id} is given more than once.")
        seen.add(asset.id)
        number = revision_number(item.get("revision"), asset.revision)
        if session.get(AssetRevision, (asset.id, number)) is None:
            raise ValidationError(f"items[{position}]: asset {asset.id} has no revision {item.get('revision')}.")
        entry = {"itemType": item["itemType"], "identifier": asset.id, "revision": str(number)}
        terms = assets.glossary_terms(session, actor, domain_id, item.get("glossaryTerms"))
        if terms:
            entry["glossaryTerms"] = terms
        out.append(entry)
    return out


# ---------------------------------------------------------------- products and revisions


def create_data_product(session: Session, actor: User, domain_id: str, p: dict,
                        settings: Settings) -> tuple[DataProduct, DataProductRevision]:
    """A data product in the project's inventory (owners and contributors)."""
    project = projects.require_actor(session, actor, domain_id, p["owningProjectIdentifier"])
    items = _items(session, actor, domain_id, project.id, p.get("items") or [])
    forms = assets.unbound_forms(session, settings, domain_id, project.id, p.get("formsInput") or [])
    terms = assets.glossary_terms(session, actor, domain_id, p.get("glossaryTerms"))
    product = DataProduct(id=new_id(), domain_id=domain_id, owning_project_id=project.id, revision=1,
                          status="CREATED", created_by=actor.id)
    session.add(product)
    session.flush()  # no ORM relationships: the parent first
    revision = DataProductRevision(data_product_id=product.id, revision=1, name=p["name"],
                                   description=p.get("description"), glossary_terms=terms, items=items,
                                   forms=forms, created_at=product.created_at, created_by=actor.id)
    session.add(revision)
    session.flush()
    return product, revision


def _visible_product(session: Session, actor: User, domain_id: str, product_id: str) -> DataProduct:
    """A product of the caller's project inventory (others get ResourceNotFound: inventory never leaks)."""
    product = session.get(DataProduct, product_id)
    return projects.project_visible(session, actor, domain_id, product, product and product.owning_project_id,
                                    f"Data product {product_id}")


def get_data_product(session: Session, actor: User, domain_id: str, product_id: str,
                     revision: str | None = None) -> tuple[DataProduct, DataProductRevision]:
    """One revision (latest by default) of a data product of the caller's project inventory."""
    product = _visible_product(session, actor, domain_id, product_id)
    row = session.get(DataProductRevision, (product.id, revision_number(revision, product.revision)))
    if row is None:
        raise NotFoundError(f"Data product {product_id} has no revision {revision}.")
    return product, row


def create_data_product_revision(session: Session, actor: User, domain_id: str, product_id: str, p: dict,
                                 settings: Settings) -> tuple[DataProduct, DataProductRevision]:
    """Revision N+1 (owners and contributors); description, terms, items and forms not given are carried over."""
    product = _visible_product(session, actor, domain_id, product_id)
    projects.require_actor(session, actor, domain_id, product.owning_project_id)
    previous = session.get(DataProductRevision, (product.id, product.revision))
    items = (_items(session, actor, domain_id, product.owning_project_id, p["items"]) if p.get("items") is not None
             else previous.items)
    forms = assets.unbound_forms(session, settings, domain_id, product.owning_project_id, p.get("formsInput") or [],
                                 previous.forms)
    terms = (assets.glossary_terms(session, actor, domain_id, p["glossaryTerms"])
             if p.get("glossaryTerms") is not None else previous.glossary_terms)
    description = p["description"] if p.get("description") is not None else previous.description
    number = product.revision + 1
    product.revision = number  # a concurrent revision then collides on the revision's primary key
    row = DataProductRevision(data_product_id=product.id, revision=number, name=p["name"], description=description,
                              glossary_terms=terms, items=items, forms=forms, created_by=actor.id)
    try:
        session.add(row)
        session.flush()
    except IntegrityError:
        raise ConflictError(f"Data product {product.id} revision {number} was created concurrently; retry.") from None
    return product, row


def list_data_product_revisions(session: Session, actor: User, domain_id: str, product_id: str, offset: int,
                                limit: int) -> list[DataProductRevision]:
    """A product's revisions, newest first (members of the owning project)."""
    product = _visible_product(session, actor, domain_id, product_id)
    return list(session.scalars(select(DataProductRevision).where(DataProductRevision.data_product_id == product.id)
                                .order_by(DataProductRevision.revision.desc()).offset(offset).limit(limit + 1)))


def product_listing(session: Session, product_id: str) -> Listing | None:
    """The product's listing, unless it was deleted."""
    listing = session.scalar(select(Listing).where(Listing.data_product_id == product_id))
    return listing if listing is not None and listing.status != DELETED else None


def delete_data_product(session: Session, actor: User, domain_id: str, product_id: str) -> None:
    """Delete a product, its revisions and its listing (owners and contributors); its assets stay."""
    product = _visible_product(session, actor, domain_id, product_id)
    projects.require_actor(session, actor, domain_id, product.owning_project_id)
    listing = session.scalar(select(Listing).where(Listing.data_product_id == product.id))
    if listing is not None:
        refuse_subscribed(session, listing, f"data product {product.id}")
        if any(session.scalar(select(exists().where(t.c.listing_id == listing.id))) for t in _HISTORY):
            raise ConflictError(f"Cannot delete data product {product.id}: subscriptions to its listing {listing.id} "
                                f"(requests, ended ones, grants) must stay readable; delete the listing instead.")
        # ORM deletes, so that flush listeners (the search index) see the listing go.
        session.execute(delete(ListingRevision).where(ListingRevision.listing_id == listing.id))
        session.delete(listing)
        session.flush()
    session.execute(delete(DataProductRevision).where(DataProductRevision.data_product_id == product.id))
    session.delete(product)
    session.flush()


# ---------------------------------------------------------------- publishing


def change_product_listing(session: Session, actor: User, domain_id: str, p: dict) -> Listing:
    """PUBLISH a product revision (its assets with it) as the next revision of its listing, or UNPUBLISH it."""
    product = session.get(DataProduct, p["entityIdentifier"])
    if product is None or product.domain_id != domain_id:
        domains.require_domain_user(session, actor, domain_id)
        raise NotFoundError(f"Data product {p['entityIdentifier']} not found.")
    projects.require_actor(session, actor, domain_id, product.owning_project_id)
    listing = session.scalar(select(Listing).where(Listing.data_product_id == product.id))
    if p["action"] == "UNPUBLISH":
        if listing is None or listing.status != "ACTIVE":
            raise ConflictError(f"Data product {product.id} is not published.")
        listing.status, listing.updated_by = "INACTIVE", actor.id
        session.flush()
        return listing
    number = revision_number(p.get("entityRevision"), product.revision)
    revision = session.get(DataProductRevision, (product.id, number))
    if revision is None:
        raise NotFoundError(f"Data product {product.id} has no revision {number}.")
    if not revision.items:
        raise ValidationError(f"Data product {product.id} revision {number} has no assets; "
                              f"add some in a new revision before publishing it.")
    enforcement.check_listing(session, domain_id, product.owning_project_id, f"data product {product.id} revision "
                              f"{number}", None, revision.forms, revision.glossary_terms or [], data_product=True)
    items = [_publish_item(session, actor, product, item) for item in revision.items]
    if listing is None:
        listing = Listing(id=new_id(), domain_id=domain_id, entity_type=DATA_PRODUCT, data_product_id=product.id,
                          owning_project_id=product.owning_project_id, revision=0, created_by=actor.id)
        session.add(listing)
    forms = {form["formName"]: json.loads(form["content"]) for form in revision.forms}
    listing.revision += 1
    listing.data_product_revision, listing.status, listing.updated_by = number, "ACTIVE", actor.id
    listing.name, listing.description, listing.glossary_terms = revision.name, revision.description, revision.glossary_terms
    listing.forms = forms
    session.flush()
    session.add(ListingRevision(listing_id=listing.id, revision=listing.revision, data_product_revision=number,
                                items=items, name=revision.name, description=revision.description, forms=forms,
                                glossary_terms=revision.glossary_terms, created_by=actor.id))
    session.flush()
    return listing


def _publish_item(session: Session, actor: User, product: DataProduct, item: dict) -> dict:
    """Make sure the item's asset revision is published (through the product at least); its listing entry."""
    asset = session.get(Asset, item["identifier"])
    if asset is None or asset.owning_project_id != product.owning_project_id:
        raise ConflictError(f"Asset {item['identifier']} of data product {product.id} no longer exists in its "
                            f"project's inventory; revise the product's items.")
    number = int(item["revision"])
    listing = session.scalar(select(Listing).where(Listing.asset_id == asset.id))
    if listing is None or listing.status == DELETED or listing.asset_revision != number:
        status = "ACTIVE" if listing is not None and listing.status == "ACTIVE" else "INACTIVE"
        listing = catalog.publish_asset_revision(session, actor, asset, number, status)
    entry = {"assetId": asset.id, "assetRevision": number, "assetType": asset.type_identifier,
             "listingId": listing.id, "listingRevision": listing.revision}
    if item.get("glossaryTerms"):
        entry["glossaryTerms"] = item["glossaryTerms"]
    return entry
