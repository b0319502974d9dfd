"""DataZone wire operations for data products, and how a data product's listing is rendered."""

import json

from sqlalchemy.orm import Session

from openzone.catalog import products
from openzone.catalog import service as catalog
from openzone.catalog.service import short_type_name
from openzone.catalog.models import Listing, ListingRevision
from openzone.catalog.product_models import DataProduct, DataProductRevision
from openzone.glossary import service as glossary
from openzone.governance import governed_terms
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


def _product(product: DataProduct, revision: DataProductRevision) -> dict:
    return {
        "domainId": product.domain_id, "id": product.id, "revision": str(revision.revision),
        "owningProjectId": product.owning_project_id, "name": revision.name, "status": product.status,
        "description": revision.description, "glossaryTerms": revision.glossary_terms or None,
        "items": revision.items or None, "formsOutput": revision.forms or None, "createdAt": revision.created_at,
        "createdBy": revision.created_by, "firstRevisionCreatedAt": product.created_at,
        "firstRevisionCreatedBy": product.created_by,
    }


@datazone("CreateDataProduct")
def create_data_product(call: Call, p: dict) -> dict:
    return _product(*products.create_data_product(call.session, call.principal, p["domainIdentifier"], p,
                                                  call.settings))


@datazone("GetDataProduct")
def get_data_product(call: Call, p: dict) -> dict:
    return _product(*products.get_data_product(call.session, call.principal, p["domainIdentifier"], p["identifier"],
                                               p.get("revision")))


@datazone("CreateDataProductRevision")
def create_data_product_revision(call: Call, p: dict) -> dict:
    return _product(*products.create_data_product_revision(call.session, call.principal, p["domainIdentifier"],
                                                           p["identifier"], p, call.settings))


@datazone("ListDataProductRevisions")
def list_data_product_revisions(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    rows = products.list_data_product_revisions(call.session, call.principal, p["domainIdentifier"],
                                                p["identifier"], offset, limit)
    items, token = page(rows, offset, limit)
    return {"items": [{"domainId": p["domainIdentifier"], "id": row.data_product_id, "revision": str(row.revision),
                       "createdAt": row.created_at, "createdBy": row.created_by} for row in items],
            "nextToken": token}


@datazone("DeleteDataProduct")
def delete_data_product(call: Call, p: dict) -> dict:
    products.delete_data_product(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return {}


# ---------------------------------------------------------------- listings of data products


def listing_item(listing: Listing, snapshot: ListingRevision) -> dict:
    """GetListing's `item` for a data product listing revision."""
    return {"dataProductListing": {
        "dataProductId": listing.data_product_id, "dataProductRevision": str(snapshot.data_product_revision),
        "createdAt": snapshot.created_at, "forms": json.dumps(snapshot.forms), "glossaryTerms": [],
        "owningProjectId": listing.owning_project_id,
        "items": [{"listingId": item["listingId"], "listingRevision": str(item["listingRevision"])}
                  for item in snapshot.items or ()]}}


def search_item(session: Session, listing: Listing, with_forms: bool, rationale: list | None = None,
                governed: list[str] | None = None) -> dict:
    """SearchListings' result item for a listing of either kind (assetListing or dataProductListing); `listing`
    may be a row of the listings table (it is only read).

    `governed` are the asset's governed term ids when the caller loaded them for a whole page (else read here).
    """
    extra = {"forms": json.dumps(listing.forms) if with_forms else None, "matchRationale": rationale or None}
    common = {"listingId": listing.id, "listingRevision": str(listing.revision), "name": listing.name,
              "description": listing.description, "createdAt": listing.created_at,
              "listingCreatedBy": listing.created_by, "listingUpdatedBy": listing.updated_by or listing.created_by,
              "owningProjectId": listing.owning_project_id,
              "glossaryTerms": glossary.detailed_terms(session, listing.glossary_terms) or None,
              "additionalAttributes": extra if any(v is not None for v in extra.values()) else None}
    if listing.entity_type == products.DATA_PRODUCT:
        _, snapshot = catalog.listing_snapshot(session, listing.id, listing.revision)
        items = [{"listingId": item["listingId"], "listingRevision": str(item["listingRevision"]),
                  "glossaryTerms": glossary.detailed_terms(session, item.get("glossaryTerms")) or None}
                 for item in snapshot.items or ()]
        return {"dataProductListing": common | {"entityId": listing.data_product_id,
                                                "entityRevision": str(listing.data_product_revision),
                                                "items": items}}
    if governed is None:
        governed = governed_terms.terms_of(session, listing.asset_id)
    return {"assetListing": common | {"entityId": listing.asset_id, "entityRevision": str(listing.asset_revision),
                                      "entityType": short_type_name(listing.asset_type),
                                      "governedGlossaryTerms": glossary.detailed_terms(session, governed) or None}}
