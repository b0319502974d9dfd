"""Assets in a project's inventory: creation for any asset type, immutable revisions, deletion, ownership moves.

Forms. Every formsInput entry is checked against its form type's model at the revision the asset type pins
(extra forms, not part of the asset type, need an explicit typeIdentifier; their typeRevision defaults to the
latest); the asset type's required forms must all be there. A Glue table asset's GlueTableForm only names a
table of the owning project's producer database: its columns are read from the warehouse.

Revisions. CreateAssetRevision adds revision N+1; what it does not give (description, glossaryTerms, forms
by formName) is carried over from revision N, so a revision never silently loses metadata. Carried forms are
checked again (against the asset type revision the new revision pins) but kept as they were: a Glue table's
columns are read again only when GlueTableForm is given anew.

Deletion follows DataZone's guide: deleting an asset also deletes its listing, and neither is allowed while
the listing has approved subscriptions (revoke them first). openzone removes the rows for real, so an asset
whose listing has a subscription history (requests, revoked subscriptions, grants), which must stay readable,
cannot be deleted: that refusal is a ConflictException too.
"""

import json

from sqlalchemy import column, delete, exists, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openzone.catalog import glue_form, redshift_form, types
from openzone.catalog.form_content import FormContentError, validate_content
from openzone.catalog.models import Asset, AssetRevision, Listing, ListingRevision
from openzone.catalog.product_models import DataProduct, DataProductRevision
from openzone.catalog.system_forms import READ_ONLY_FORM_TYPES
from openzone.config import Settings
from openzone.db.types import utcnow
from openzone.errors import ConflictError, NotFoundError, ValidationError
from openzone.glossary import service as glossary
from openzone.glossary.models import Glossary
from openzone.identity.models import User
from openzone.projects import service as projects
from openzone.projects.models import Project
from openzone.wire.ids import new_id

# A listing removed by DeleteListing (or with its asset): kept as a row because subscriptions point at it,
# but never shown, searched or subscribed to again.
DELETED = "DELETED"

# The subscriptions module's tables, named here without importing it (dependencies point the other way).
_SUBSCRIPTIONS = table("subscriptions", column("listing_id"), column("status"))
_REQUESTS = table("subscription_requests", column("listing_id"), column("status"))
_HISTORY = (_REQUESTS, _SUBSCRIPTIONS,
            table("subscription_grants", column("listing_id")))


# The system form whose columns carry glossary terms (checked like asset-level terms).
COLUMN_FORM_TYPE = types.PREFIX + "ColumnBusinessMetadataFormType"
_CARRIED = "carried"  # marks a formsInput entry taken over from the previous revision (not a wire member)


def revision_number(revision: str | None, latest: int) -> int:
    if revision is None:
        return latest
    if not revision.isdigit():
        raise ValidationError(f"Revision {revision} is not a number.")
    return int(revision)


# ---------------------------------------------------------------- forms


def _asset_type(session: Session, domain_id: str, identifier: str, revision: str | None) -> types.AssetTypeInfo:
    try:
        return types.resolve_asset_type(session, domain_id, identifier, revision)
    except NotFoundError as error:
        raise ValidationError(str(error)) from None


def _pinned_type(session: Session, domain_id: str, info: types.AssetTypeInfo, name: str,
                 entry: dict) -> tuple[str, str]:
    """(form type name, revision) of one formsInput entry: the asset type's pin, or an extra form's own type."""
    identifier, revision = entry.get("typeIdentifier"), entry.get("typeRevision")
    if name in info.forms:
        type_name, type_revision, _ = info.forms[name]
        if identifier is not None and identifier not in (type_name, type_name.removeprefix(types.PREFIX)):
            raise ValidationError(f"Form {name} expected form {type_name} but was provided {identifier}.")
        if revision is not None and revision != type_revision:
            raise ValidationError(f"Form {name}: asset type {info.name} revision {info.revision} pins form type "
                                  f"{type_name} at revision {type_revision}, not {revision}.")
        return type_name, type_revision
    if identifier is None:
        raise ValidationError(f"Form {name} is not part of asset type {info.name}; give its typeIdentifier "
                              f"(and typeRevision) to attach it as an extra form.")
    try:
        form_type = types.resolve_form_type(session, domain_id, identifier, revision)
    except NotFoundError as error:
        raise ValidationError(f"Form {name}: {error}") from None
    if form_type.status != types.ENABLED:
        raise ValidationError(f"Form {name}: form type {form_type.name} revision {form_type.revision} is DISABLED.")
    # Read-only forms (filled by the system, e.g. a data source run) are carried over, never given anew.
    if (form_type.system and form_type.name.removeprefix(types.PREFIX) in READ_ONLY_FORM_TYPES
            and not entry.get(_CARRIED)):
        raise ValidationError(f"Form {name}: form type {form_type.name} is read-only; the system fills it.")
    return form_type.name, form_type.revision


def _forms_output(session: Session, settings: Settings, domain_id: str, project_id: str,
                  info: types.AssetTypeInfo, entries: list[dict]) -> list[dict]:
    """formsOutput for formsInput entries, each validated against its pinned form model."""
    given: dict[str, dict] = {}
    for entry in entries:
        if entry["formName"] in given:
            raise ValidationError(f"Form {entry['formName']} is given more than once.")
        given[entry["formName"]] = entry
    for name, (_, _, required) in info.forms.items():
        if required and name not in given:
            raise ValidationError(f"Asset type {info.name} requires the form {name}.")
    output = []
    for name, entry in given.items():
        type_name, type_revision = _pinned_type(session, domain_id, info, name, entry)
        model = types.form_model(session, domain_id, type_name, type_revision)
        carried = entry.get(_CARRIED, False)  # from the previous revision: checked again, kept as it was
        glue = info.system and info.name == glue_form.ASSET_TYPE and name == glue_form.FORM_NAME and not carried
        content = (glue_form.table_content(session, settings, project_id, entry.get("content")) if glue
                   else entry.get("content") or "{}")
        if info.system and redshift_form.applies(info.name, name) and not carried:
            content = redshift_form.table_content(session, settings, project_id, name, content)
        try:
            checked = validate_content(name, model, content)
        except FormContentError as error:
            raise ValidationError(str(error)) from None
        if not carried and type_name == COLUMN_FORM_TYPE:
            glossary.check_column_terms(session, domain_id, name, checked)
        text = entry["content"] if carried else json.dumps(content if glue else checked)
        output.append({"formName": name, "typeName": type_name, "typeRevision": type_revision, "content": text})
    return output


def _glossary_terms(session: Session, actor: User, domain_id: str, terms: list | None) -> list | None:
    """The terms, each a glossary term of the domain the caller can see."""
    for term_id in terms or ():
        try:
            _, owner = glossary.get_term(session, actor, domain_id, term_id)
        except NotFoundError:
            raise ValidationError(f"Glossary term {term_id} not found in domain {domain_id}.") from None
        _refuse_governed(term_id, owner)
    return list(dict.fromkeys(terms)) if terms else None


def _refuse_governed(term_id: str, owner: Glossary) -> None:
    if glossary.is_governed(owner):
        raise ValidationError(f"Glossary term {term_id} belongs to the restricted glossary {owner.name}: attach it "
                              f"with AssociateGovernedTerms (governedGlossaryTerms), not glossaryTerms.")


def unbound_forms(session: Session, settings: Settings, domain_id: str, project_id: str, given: list[dict],
                  previous: list[dict] = ()) -> list[dict]:
    """formsOutput of forms bound to no asset type (data products): each names its form type.

    `previous` (a formsOutput) is carried over where `given` does not replace a form, as for asset revisions.
    """
    info = types.AssetTypeInfo(domain_id, "DataProduct", "1", {}, project_id, domain_id, project_id)
    entries = {form["formName"]: {"formName": form["formName"], "content": form["content"], _CARRIED: True,
                                  "typeIdentifier": form["typeName"], "typeRevision": form["typeRevision"]}
               for form in previous}
    if not previous:
        return _forms_output(session, settings, domain_id, project_id, info, given)
    entries.update({entry["formName"]: entry for entry in given})
    return _forms_output(session, settings, domain_id, project_id, info, list(entries.values()))


def glossary_terms(session: Session, actor: User, domain_id: str, terms: list | None) -> list | None:
    """The terms, each a glossary term of the domain the caller can see (else ValidationError)."""
    return _glossary_terms(session, actor, domain_id, terms)


# ---------------------------------------------------------------- assets and revisions


def create_asset(session: Session, actor: User, domain_id: str, p: dict, settings: Settings) -> tuple[Asset, AssetRevision]:
    """An asset of any asset type in the project's inventory (owners and contributors)."""
    project = projects.require_actor(session, actor, domain_id, p["owningProjectIdentifier"])
    info = _asset_type(session, domain_id, p["typeIdentifier"], p.get("typeRevision"))
    forms = _forms_output(session, settings, domain_id, project.id, info, p.get("formsInput") or [])
    terms = _glossary_terms(session, actor, domain_id, p.get("glossaryTerms"))
    external = p.get("externalIdentifier")
    if external and session.scalar(select(Asset.id).where(Asset.domain_id == domain_id,
                                                         Asset.external_identifier == external)):
        raise ConflictError(f"An asset with externalIdentifier {external} already exists.")
    asset = Asset(id=new_id(), domain_id=domain_id, owning_project_id=project.id, type_identifier=info.name,
                  type_revision=info.revision, external_identifier=external, revision=1, created_by=actor.id)
    revision = AssetRevision(asset_id=asset.id, revision=1, name=p["name"], description=p.get("description"),
                             glossary_terms=terms, forms=forms, created_by=actor.id)
    try:
        session.add(asset)
        session.flush()  # no ORM relationships: flush the parent before rows that point at it
        session.add(revision)
        session.flush()
    except IntegrityError:
        raise ConflictError("The asset conflicts with an existing one.") from None
    return asset, revision


def _visible_asset(session: Session, actor: User, domain_id: str, asset_id: str) -> Asset:
    """An asset of the caller's project inventory (others get ResourceNotFound: inventory never leaks)."""
    asset = session.get(Asset, asset_id)
    return projects.project_visible(session, actor, domain_id, asset, asset and asset.owning_project_id,
                                    f"Asset {asset_id}")


def _writable_asset(session: Session, actor: User, domain_id: str, asset_id: str) -> Asset:
    asset = _visible_asset(session, actor, domain_id, asset_id)
    projects.require_actor(session, actor, domain_id, asset.owning_project_id)
    return asset


def asset_listing(session: Session, asset_id: str) -> Listing | None:
    """The asset's listing, unless it was deleted."""
    listing = session.scalar(select(Listing).where(Listing.asset_id == asset_id))
    return listing if listing is not None and listing.status != DELETED else None


def get_asset(session: Session, actor: User, domain_id: str, asset_id: str,
              revision: str | None = None) -> tuple[Asset, AssetRevision, Listing | None]:
    """One revision (latest by default) of an asset of the caller's project inventory."""
    asset = _visible_asset(session, actor, domain_id, asset_id)
    row = session.get(AssetRevision, (asset.id, revision_number(revision, asset.revision)))
    if row is None:
        raise NotFoundError(f"Asset {asset_id} has no revision {revision}.")
    return asset, row, asset_listing(session, asset.id)


def create_asset_revision(session: Session, actor: User, domain_id: str, asset_id: str, p: dict,
                          settings: Settings) -> tuple[Asset, AssetRevision, Listing | None]:
    """Revision N+1 of an asset (owners and contributors); what is not given is carried over from revision N."""
    asset = _writable_asset(session, actor, domain_id, asset_id)
    previous = session.get(AssetRevision, (asset.id, asset.revision))
    info = _asset_type(session, domain_id, asset.type_identifier, p.get("typeRevision") or asset.type_revision)
    entries = {form["formName"]: {"formName": form["formName"], "content": form["content"], _CARRIED: True,
                                  **({} if form["formName"] in info.forms else
                                     {"typeIdentifier": form["typeName"], "typeRevision": form["typeRevision"]})}
               for form in previous.forms}
    entries.update({entry["formName"]: entry for entry in p.get("formsInput") or []})
    forms = _forms_output(session, settings, domain_id, asset.owning_project_id, info, list(entries.values()))
    terms = p.get("glossaryTerms")
    terms = _glossary_terms(session, actor, domain_id, terms) if terms is not None else previous.glossary_terms
    description = p["description"] if p.get("description") is not None else previous.description
    number = asset.revision + 1
    # Bump the counter first: a concurrent revision then conflicts on the row's primary key, not silently.
    asset.revision, asset.type_revision = number, info.revision
    row = AssetRevision(asset_id=asset.id, revision=number, name=p["name"], description=description,
                        glossary_terms=terms, forms=forms, created_by=actor.id)
    try:
        session.add(row)
        session.flush()
    except IntegrityError:
        raise ConflictError(f"Asset {asset.id} revision {number} was created concurrently; retry.") from None
    return asset, row, asset_listing(session, asset.id)


def list_asset_revisions(session: Session, actor: User, domain_id: str, asset_id: str, offset: int,
                         limit: int) -> list[AssetRevision]:
    """An asset's revisions, newest first (members of the owning project)."""
    asset = _visible_asset(session, actor, domain_id, asset_id)
    return list(session.scalars(select(AssetRevision).where(AssetRevision.asset_id == asset.id)
                                .order_by(AssetRevision.revision.desc()).offset(offset).limit(limit + 1)))


# ---------------------------------------------------------------- deletion and ownership


def refuse_subscribed(session: Session, listing: Listing, what: str) -> None:
    """DataZone: a listing with subscribers cannot be deleted; revoke the subscriptions first.

    Pending requests block it too: accepting one later would grant access to a listing that is gone.
    """
    if session.scalar(select(exists().where(_SUBSCRIPTIONS.c.listing_id == listing.id,
                                            _SUBSCRIPTIONS.c.status == "APPROVED"))):
        raise ConflictError(f"Cannot delete {what}: listing {listing.id} has approved subscriptions; "
                            f"revoke them first.")
    if session.scalar(select(exists().where(_REQUESTS.c.listing_id == listing.id, _REQUESTS.c.status == "PENDING"))):
        raise ConflictError(f"Cannot delete {what}: listing {listing.id} has pending subscription requests; "
                            f"accept or reject them first.")


def _refuse_in_products(session: Session, asset: Asset) -> None:
    """An asset that a data product bundles (its latest revision, or its published listing) cannot go."""
    latest = select(DataProductRevision.data_product_id, DataProductRevision.items).join(
        DataProduct, (DataProduct.id == DataProductRevision.data_product_id)
        & (DataProduct.revision == DataProductRevision.revision)).where(DataProduct.domain_id == asset.domain_id)
    published = select(Listing.data_product_id, ListingRevision.items).join(
        ListingRevision, (ListingRevision.listing_id == Listing.id) & (ListingRevision.revision == Listing.revision)
    ).where(Listing.domain_id == asset.domain_id, Listing.entity_type == "DATA_PRODUCT", Listing.status != DELETED)
    for product_id, items in (*session.execute(latest), *session.execute(published)):
        if any(asset.id in (item.get("identifier"), item.get("assetId")) for item in items or ()):
            raise ConflictError(f"Cannot delete asset {asset.id}: data product {product_id} contains it; "
                                f"remove it from the product (a new revision, published again) first.")


def delete_asset(session: Session, actor: User, domain_id: str, asset_id: str) -> None:
    """Delete an asset, its revisions and its listing (owners and contributors of the owning project)."""
    asset = _writable_asset(session, actor, domain_id, asset_id)
    _refuse_in_products(session, asset)
    listing = session.scalar(select(Listing).where(Listing.asset_id == asset.id))
    if listing is not None:
        refuse_subscribed(session, listing, f"asset {asset.id}")
        if any(session.scalar(select(exists().where(t.c.listing_id == listing.id))) for t in _HISTORY):
            raise ConflictError(f"Cannot delete asset {asset.id}: subscriptions to its listing {listing.id} "
                                f"(requests, revoked ones, grants) must stay readable; delete the listing instead.")
    try:
        with session.begin_nested():
            # ORM deletes for the listing and the asset, so that flush listeners (the search index) see them.
            if listing is not None:
                session.execute(delete(ListingRevision).where(ListingRevision.listing_id == listing.id))
                session.delete(listing)
                session.flush()
            session.execute(delete(AssetRevision).where(AssetRevision.asset_id == asset.id))
            session.delete(asset)
            session.flush()
    except IntegrityError:  # something else still refers to the asset (e.g. a grant made meanwhile)
        raise ConflictError(f"Asset {asset.id} is still referred to (subscriptions, grants); "
                            f"it cannot be deleted.") from None


def update_asset_owner(session: Session, actor: User, domain_id: str, asset_id: str,
                       target_id: str) -> tuple[Asset, dict]:
    """Move an asset (and its listing) to another project of the domain; done at once."""
    asset = _writable_asset(session, actor, domain_id, asset_id)
    target = session.get(Project, target_id)
    if target is None or target.domain_id != domain_id:
        raise NotFoundError(f"Project {target_id} not found in domain {domain_id}.")
    source, now = asset.owning_project_id, utcnow()
    asset.owning_project_id = target.id
    listing = session.scalar(select(Listing).where(Listing.asset_id == asset.id))
    if listing is not None:
        listing.owning_project_id, listing.updated_by = target.id, actor.id
    session.flush()
    return asset, {"status": "SUCCEEDED", "sourceProjectId": source, "targetProjectId": target.id,
                   "startedAt": now, "updatedAt": now}
