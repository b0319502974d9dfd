"""DataZone wire operations for assets, listings and catalog search."""

import json

from sqlalchemy.orm import object_session

from openzone.catalog import assets, product_routes, products, service
from openzone.catalog.asset_view import asset_view
from openzone.catalog.models import Asset, AssetRevision, Listing, ListingRevision
from openzone.catalog.system_forms import is_read_only_form
from openzone.enrichment import predictions
from openzone.glossary import service as glossary
from openzone.governance import governed_terms
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


def _asset(asset: Asset, revision: AssetRevision, listing: Listing | None) -> dict:
    """The asset as DataZone renders it, after a write (GetAsset reads through asset_view)."""
    session = object_session(asset)
    return _render(asset, revision, listing, predictions.read_only_forms(session, asset.id, revision.revision),
                   governed_terms.terms_of(session, asset.id))


def _render(asset, revision, listing, suggestion_forms: list[dict] | None, governed: list[str]) -> dict:
    """Forms the system fills (data source reference, provenance, suggestions) go to readOnlyFormsOutput, as
    in DataZone. `asset`, `revision` and `listing` are ORM rows or asset_view's rows (same attribute names)."""
    read_only = [f for f in revision.forms if is_read_only_form(f)] + (suggestion_forms or [])
    return {
        "id": asset.id, "name": revision.name, "typeIdentifier": asset.type_identifier,
        "typeRevision": asset.type_revision, "externalIdentifier": asset.external_identifier,
        "revision": str(revision.revision), "description": revision.description, "createdAt": revision.created_at,
        "createdBy": revision.created_by, "firstRevisionCreatedAt": asset.created_at,
        "firstRevisionCreatedBy": asset.created_by, "glossaryTerms": revision.glossary_terms or None,
        "owningProjectId": asset.owning_project_id, "domainId": asset.domain_id,
        "formsOutput": [f for f in revision.forms if not is_read_only_form(f)], "readOnlyFormsOutput": read_only or None,
        "listing": {"listingId": listing.id, "listingStatus": listing.status} if listing else None,
        "governedGlossaryTerms": governed or None,
    }


def _with_predictions(call: Call, p: dict, asset: Asset, revision: AssetRevision, listing: Listing | None) -> dict:
    """A new revision's output, after business-name generation ran on it (when enabled)."""
    configuration = predictions.on_new_revision(call.session, call.principal, asset, revision,
                                                p.get("predictionConfiguration"), call.settings)
    return _asset(asset, revision, listing) | {"predictionConfiguration": configuration}


@datazone("CreateAsset")
def create_asset(call: Call, p: dict) -> dict:
    asset, revision = service.create_asset(call.session, call.principal, p["domainIdentifier"], p, call.settings)
    return _with_predictions(call, p, asset, revision, None)


@datazone("GetAsset")
def get_asset(call: Call, p: dict) -> dict:
    view = asset_view(call.session, call.principal, p["domainIdentifier"], p["identifier"], p.get("revision"))
    return _render(view.asset, view.revision, view.listing, predictions.suggestion_forms(view.predictions),
                   view.governed_terms)


@datazone("CreateAssetRevision")
def create_asset_revision(call: Call, p: dict) -> dict:
    return _with_predictions(call, p, *assets.create_asset_revision(call.session, call.principal,
                                                                    p["domainIdentifier"], p["identifier"], p,
                                                                    call.settings))


@datazone("ListAssetRevisions")
def list_asset_revisions(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    rows = assets.list_asset_revisions(call.session, call.principal, p["domainIdentifier"], p["identifier"],
                                       offset, limit)
    items, token = page(rows, offset, limit)
    return {"items": [{"domainId": p["domainIdentifier"], "id": row.asset_id, "revision": str(row.revision),
                       "createdBy": row.created_by, "createdAt": row.created_at} for row in items],
            "nextToken": token}


@datazone("DeleteAsset")
def delete_asset(call: Call, p: dict) -> dict:
    assets.delete_asset(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return {}


@datazone("UpdateAssetOwner")
def update_asset_owner(call: Call, p: dict) -> dict:
    asset, transfer = assets.update_asset_owner(call.session, call.principal, p["domainIdentifier"], p["identifier"],
                                                p["targetProjectIdentifier"])
    return {"id": asset.id, "revision": str(asset.revision), "ownershipTransfer": transfer}


@datazone("DeleteListing")
def delete_listing(call: Call, p: dict) -> dict:
    service.delete_listing(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return {}


@datazone("CreateListingChangeSet")
def create_listing_change_set(call: Call, p: dict) -> dict:
    change = products.change_product_listing if p["entityType"] == products.DATA_PRODUCT else service.change_listing
    listing = change(call.session, call.principal, p["domainIdentifier"], p)
    return {"listingId": listing.id, "listingRevision": str(listing.revision), "status": listing.status}


def _listing(listing: Listing, snapshot: ListingRevision) -> dict:
    session = object_session(listing)
    return {
        "domainId": listing.domain_id, "id": listing.id, "listingRevision": str(snapshot.revision),
        "createdAt": snapshot.created_at, "updatedAt": listing.updated_at, "createdBy": listing.created_by,
        "updatedBy": listing.updated_by, "name": snapshot.name, "description": snapshot.description,
        "status": listing.status,
        "item": product_routes.listing_item(listing, snapshot) if listing.entity_type == products.DATA_PRODUCT
        else {"assetListing": {
            "assetId": listing.asset_id, "assetRevision": str(snapshot.asset_revision),
            "assetType": listing.asset_type, "createdAt": snapshot.created_at, "forms": json.dumps(snapshot.forms),
            "glossaryTerms": glossary.detailed_terms(session, snapshot.glossary_terms),
            "governedGlossaryTerms": glossary.detailed_terms(session, governed_terms.terms_of(session,
                                                                                            listing.asset_id)),
            "owningProjectId": listing.owning_project_id}},
    }


@datazone("GetListing")
def get_listing(call: Call, p: dict) -> dict:
    return _listing(*service.get_listing(call.session, call.principal, p["domainIdentifier"], p["identifier"],
                                         p.get("listingRevision")))
