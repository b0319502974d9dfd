"""Form types and asset types: the catalog's vocabulary, custom (per domain, revisioned) and system (from code).

Custom types are owned by a project: its owners and contributors create and delete them, and every user of
the domain reads them. Creating a type under an existing name adds a new immutable revision ("1", "2", ...);
without a revision, reads answer the latest. System types (`amazon.datazone.*`) exist in every domain at
revision "1", are served from code (system_forms.py and SYSTEM_ASSET_TYPES), and are reserved: nobody may
create, re-create or delete them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openzone.catalog.models import Asset
from openzone.catalog.smithy import FormModel, SmithyError, parse_form_model
from openzone.catalog.system_forms import NAMESPACE, READ_ONLY_FORM_TYPES, SYSTEM_FORM_MODELS, system_form_model
from openzone.catalog.type_models import AssetTypeForm, AssetTypeRevision, FormTypeRevision
from openzone.domains import service as domains
from openzone.errors import ConflictError, NotFoundError, ValidationError
from openzone.identity.models import User
from openzone.projects import service as projects
from openzone.wire.ids import new_id

PREFIX = NAMESPACE + "."
SYSTEM = "amazon.datazone"  # owningProjectId / originDomainId / originProjectId of system types
SYSTEM_REVISION = "1"
ENABLED = "ENABLED"
MAX_IMPORTS = 10
MAX_FORMS = 10
# The pattern of GetAssetType's and DeleteAssetType's identifier: a name outside it could never be read again.
ASSET_TYPE_IDENTIFIER = re.compile(r"(?!\.)[\w.]*\w")


def _system_form(short: str, required: bool = False) -> tuple[str, str, bool]:
    return PREFIX + short, SYSTEM_REVISION, required


# Every system asset type carries its source's form (required) and AssetCommonDetailsForm (summary, readMe);
# the tabular ones also ColumnBusinessMetadataForm (business names of columns). DataSourceReferenceForm is
# read-only, filled by data source runs, and so belongs to no asset type.
_COMMON = {"AssetCommonDetailsForm": _system_form("AssetCommonDetailsFormType")}
_TABULAR = {"ColumnBusinessMetadataForm": _system_form("ColumnBusinessMetadataFormType")} | _COMMON
SYSTEM_ASSET_TYPES: dict[str, dict[str, tuple[str, str, bool]]] = {
    PREFIX + "GlueTableAssetType": {"GlueTableForm": _system_form("GlueTableFormType", True)} | _TABULAR,
    PREFIX + "GlueViewAssetType": {"GlueViewForm": _system_form("GlueViewFormType", True)} | _TABULAR,
    PREFIX + "RedshiftTableAssetType": {"RedshiftTableForm": _system_form("RedshiftTableFormType", True)} | _TABULAR,
    PREFIX + "RedshiftViewAssetType": {"RedshiftViewForm": _system_form("RedshiftViewFormType", True)} | _TABULAR,
    PREFIX + "S3ObjectCollectionAssetType": {
        "S3ObjectCollectionForm": _system_form("S3ObjectCollectionFormType", True)} | _COMMON,
}


@dataclass(frozen=True)
class FormTypeInfo:
    """One revision of a form type, custom or system."""

    domain_id: str
    name: str
    revision: str
    smithy: str
    status: str
    owning_project_id: str
    origin_domain_id: str
    origin_project_id: str
    description: str | None = None
    imports: tuple[tuple[str, str], ...] = ()  # (name, revision) of the form types the model uses
    created_at: datetime | None = None
    created_by: str | None = None
    system: bool = False


@dataclass(frozen=True)
class AssetTypeInfo:
    """One revision of an asset type; forms: {formName: (type_name, type_revision, required)}."""

    domain_id: str
    name: str
    revision: str
    forms: dict[str, tuple[str, str, bool]]
    owning_project_id: str
    origin_domain_id: str
    origin_project_id: str
    description: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    system: bool = False


# ---------------------------------------------------------------- lookups (no access checks)


def _system_form_short(identifier: str) -> str | None:
    short = identifier.removeprefix(PREFIX)
    return short if short in SYSTEM_FORM_MODELS else None


def _system_asset_name(identifier: str) -> str | None:
    full = identifier if identifier.startswith(PREFIX) else PREFIX + identifier
    return full if full in SYSTEM_ASSET_TYPES else None


def _revision_number(revision: str | None) -> int | None:
    if revision is None:
        return None
    return int(revision) if revision.isdigit() else -1  # never matches a row: "not found"


def _form_row(session: Session, domain_id: str, name: str, revision: str | None) -> FormTypeRevision | None:
    query = select(FormTypeRevision).where(FormTypeRevision.domain_id == domain_id, FormTypeRevision.name == name)
    number = _revision_number(revision)
    query = query.where(FormTypeRevision.revision == number) if number is not None else query
    return session.scalar(query.order_by(FormTypeRevision.revision.desc()).limit(1))


def _asset_row(session: Session, domain_id: str, name: str, revision: str | None) -> AssetTypeRevision | None:
    query = select(AssetTypeRevision).where(AssetTypeRevision.domain_id == domain_id, AssetTypeRevision.name == name)
    number = _revision_number(revision)
    query = query.where(AssetTypeRevision.revision == number) if number is not None else query
    return session.scalar(query.order_by(AssetTypeRevision.revision.desc()).limit(1))


def _form_info(row: FormTypeRevision) -> FormTypeInfo:
    return FormTypeInfo(row.domain_id, row.name, str(row.revision), row.smithy, row.status, row.owning_project_id,
                        row.domain_id, row.owning_project_id, row.description,
                        tuple((i["name"], i["revision"]) for i in row.imports or ()), row.created_at, row.created_by)


def resolve_form_type(session: Session, domain_id: str, identifier: str, revision: str | None = None) -> FormTypeInfo:
    """A form type of the domain by name (system ones also by their short name); latest revision by default."""
    row = _form_row(session, domain_id, identifier, revision)
    if row is not None:
        return _form_info(row)
    short = _system_form_short(identifier)
    if short is not None and revision in (None, SYSTEM_REVISION):
        return FormTypeInfo(domain_id, PREFIX + short, SYSTEM_REVISION, SYSTEM_FORM_MODELS[short], ENABLED,
                            SYSTEM, SYSTEM, SYSTEM, system=True)
    at = f" at revision {revision}" if revision is not None else ""
    raise NotFoundError(f"Form type {identifier}{at} not found in domain {domain_id}.")


def form_model(session: Session, domain_id: str, type_name: str, revision: str | None) -> FormModel:
    """The parsed model of a form type revision (system or custom), its imports at their pinned revisions."""
    info = resolve_form_type(session, domain_id, type_name, revision)
    if info.system:
        return system_form_model(info.name)
    resolve, _ = _resolver(session, domain_id, dict(info.imports))
    return parse_form_model(info.name, info.smithy, resolve)


def _resolver(session: Session, domain_id: str, pinned: dict[str, str] | None):
    """(resolve(short name) -> FormModel | None, {name: revision} of what it resolved) for parse_form_model.

    New models import the latest revision of a custom form type, else the system one; stored models
    import exactly the revisions pinned when they were created.
    """
    used: dict[str, str] = {}

    def resolve(short: str) -> FormModel | None:
        candidates = [short, PREFIX + short]
        if pinned is not None:
            name = next((c for c in candidates if c in pinned), None)
            if name is None:
                return None
            revision = pinned[name]
        else:
            name, revision = short, None
        try:
            info = resolve_form_type(session, domain_id, name, revision)
        except NotFoundError:
            return None
        used[info.name] = info.revision
        return form_model(session, domain_id, info.name, info.revision)

    return resolve, used


def resolve_asset_type(session: Session, domain_id: str, identifier: str, revision: str | None = None) -> AssetTypeInfo:
    """An asset type of the domain by name (system ones also by their short name); latest revision by default."""
    row = _asset_row(session, domain_id, identifier, revision)
    if row is not None:
        forms = session.scalars(select(AssetTypeForm).where(AssetTypeForm.asset_type_id == row.id)
                                .order_by(AssetTypeForm.position))
        return AssetTypeInfo(row.domain_id, row.name, str(row.revision),
                             {f.form_name: (f.type_name, f.type_revision, f.required) for f in forms},
                             row.owning_project_id, row.domain_id, row.owning_project_id, row.description,
                             row.created_at, row.created_by)
    full = _system_asset_name(identifier)
    if full is not None and revision in (None, SYSTEM_REVISION):
        return AssetTypeInfo(domain_id, full, SYSTEM_REVISION, dict(SYSTEM_ASSET_TYPES[full]), SYSTEM, SYSTEM, SYSTEM,
                             system=True)
    at = f" at revision {revision}" if revision is not None else ""
    raise NotFoundError(f"Asset type {identifier}{at} not found in domain {domain_id}.")


# ---------------------------------------------------------------- form types


def _refuse_reserved(name: str, kind: str) -> None:
    if name.startswith(PREFIX):
        raise ValidationError(f"{kind} names starting with {PREFIX} are reserved for system types.")


def _next_revision(session: Session, model, domain_id: str, name: str, project_id: str, kind: str) -> int:
    """The next revision number; a name stays with the project that created it."""
    owner = session.scalar(select(model.owning_project_id).where(model.domain_id == domain_id, model.name == name)
                           .limit(1))
    if owner is not None and owner != project_id:
        raise ConflictError(f"{kind} {name} already exists in domain {domain_id}, owned by project {owner}.")
    latest = session.scalar(select(func.max(model.revision)).where(model.domain_id == domain_id, model.name == name))
    return (latest or 0) + 1


def _flush(session: Session, conflict: str) -> None:
    try:
        session.flush()
    except IntegrityError:  # a concurrent request created the same revision first
        raise ConflictError(conflict) from None


def create_form_type(session: Session, actor: User, domain_id: str, p: dict) -> FormTypeInfo:
    """A new form type, or a new revision of one, from its Smithy model (owning project's owners, contributors)."""
    name = p["name"]
    _refuse_reserved(name, "Form type")
    project = projects.require_actor(session, actor, domain_id, p["owningProjectIdentifier"])
    smithy = (p.get("model") or {}).get("smithy")
    if smithy is None:
        raise ValidationError("model.smithy is required: the form type's model in Smithy IDL.")
    resolve, used = _resolver(session, domain_id, None)
    try:
        parse_form_model(name, smithy, resolve)
    except SmithyError as error:
        raise ValidationError(str(error)) from None
    if len(used) > MAX_IMPORTS:
        raise ValidationError(f"A form type may import at most {MAX_IMPORTS} form types; this one imports {len(used)}.")
    revision = _next_revision(session, FormTypeRevision, domain_id, name, project.id, "Form type")
    row = FormTypeRevision(id=new_id(), domain_id=domain_id, owning_project_id=project.id, name=name,
                           revision=revision, status=p.get("status") or ENABLED, description=p.get("description"),
                           smithy=smithy, imports=[{"name": n, "revision": r} for n, r in sorted(used.items())] or None,
                           created_by=actor.id)
    session.add(row)
    _flush(session, f"Form type {name} revision {revision} already exists in domain {domain_id}.")
    return _form_info(row)


def get_form_type(session: Session, actor: User, domain_id: str, identifier: str,
                  revision: str | None = None) -> FormTypeInfo:
    """A form type revision (latest by default); every user of the domain may read it."""
    domains.require_domain_user(session, actor, domain_id)
    return resolve_form_type(session, domain_id, identifier, revision)


def delete_form_type(session: Session, actor: User, domain_id: str, identifier: str) -> None:
    """Delete every revision of a custom form type; refused while an asset type or a form type uses it."""
    domains.require_domain_user(session, actor, domain_id)
    row = _form_row(session, domain_id, identifier, None)
    if row is None:
        if _system_form_short(identifier):
            raise ValidationError(f"Form type {identifier} is a system form type and cannot be deleted.")
        raise NotFoundError(f"Form type {identifier} not found in domain {domain_id}.")
    projects.require_actor(session, actor, domain_id, row.owning_project_id)
    user = session.scalar(select(AssetTypeRevision.name).join(AssetTypeForm, AssetTypeForm.asset_type_id ==
                                                               AssetTypeRevision.id)
                          .where(AssetTypeRevision.domain_id == domain_id, AssetTypeForm.type_name == row.name)
                          .limit(1))
    if user is not None:
        raise ConflictError(f"Form type {row.name} is used by asset type {user}; delete that asset type first.")
    importers = session.scalars(select(FormTypeRevision).where(FormTypeRevision.domain_id == domain_id,
                                                               FormTypeRevision.name != row.name))
    for other in importers:
        if any(i["name"] == row.name for i in other.imports or ()):
            raise ConflictError(f"Form type {row.name} is imported by form type {other.name}; delete that one first.")
    session.execute(delete(FormTypeRevision).where(FormTypeRevision.domain_id == domain_id,
                                                   FormTypeRevision.name == row.name))
    session.flush()


# ---------------------------------------------------------------- asset types


def _form_entry(session: Session, domain_id: str, form_name: str, entry: dict) -> tuple[str, str, bool]:
    """(type_name, type_revision, required) of one formsInput entry; the form type must exist at that revision."""
    identifier, revision = entry["typeIdentifier"], entry["typeRevision"]
    try:
        info = resolve_form_type(session, domain_id, identifier, revision)
    except NotFoundError:
        raise ValidationError(f"Form {form_name}: form type {identifier} revision {revision} does not exist "
                              f"in domain {domain_id}.") from None
    if info.status != ENABLED:
        raise ValidationError(f"Form {form_name}: form type {info.name} revision {revision} is DISABLED.")
    if info.system and info.name.removeprefix(PREFIX) in READ_ONLY_FORM_TYPES:
        raise ValidationError(f"Form {form_name}: form type {info.name} is read-only; the system fills it.")
    return info.name, info.revision, bool(entry.get("required", False))


def create_asset_type(session: Session, actor: User, domain_id: str, p: dict) -> AssetTypeInfo:
    """A new asset type, or a new revision of one (owning project's owners and contributors)."""
    name = p["name"]
    _refuse_reserved(name, "Asset type")
    if not ASSET_TYPE_IDENTIFIER.fullmatch(name):
        raise ValidationError(f"Asset type name {name!r} must be letters, digits, underscores and inner dots, "
                              f"as GetAssetType's identifier is.")
    project = projects.require_actor(session, actor, domain_id, p["owningProjectIdentifier"])
    forms_input = p.get("formsInput") or {}
    if len(forms_input) > MAX_FORMS:
        raise ValidationError(f"An asset type may have at most {MAX_FORMS} forms.")
    forms = {form_name: _form_entry(session, domain_id, form_name, entry) for form_name, entry in forms_input.items()}
    revision = _next_revision(session, AssetTypeRevision, domain_id, name, project.id, "Asset type")
    row = AssetTypeRevision(id=new_id(), domain_id=domain_id, owning_project_id=project.id, name=name,
                            revision=revision, description=p.get("description"), created_by=actor.id)
    session.add(row)
    _flush(session, f"Asset type {name} revision {revision} already exists in domain {domain_id}.")
    for position, (form_name, (type_name, type_revision, required)) in enumerate(forms.items()):
        session.add(AssetTypeForm(asset_type_id=row.id, form_name=form_name, type_name=type_name,
                                  type_revision=type_revision, required=required, position=position))
    session.flush()
    return resolve_asset_type(session, domain_id, name, str(revision))


def get_asset_type(session: Session, actor: User, domain_id: str, identifier: str,
                   revision: str | None = None) -> AssetTypeInfo:
    """An asset type revision (latest by default); every user of the domain may read it."""
    domains.require_domain_user(session, actor, domain_id)
    return resolve_asset_type(session, domain_id, identifier, revision)


def delete_asset_type(session: Session, actor: User, domain_id: str, identifier: str) -> None:
    """Delete every revision of a custom asset type; refused while assets of that type exist."""
    domains.require_domain_user(session, actor, domain_id)
    row = _asset_row(session, domain_id, identifier, None)
    if row is None:
        if _system_asset_name(identifier):
            raise ValidationError(f"Asset type {identifier} is a system asset type and cannot be deleted.")
        raise NotFoundError(f"Asset type {identifier} not found in domain {domain_id}.")
    projects.require_actor(session, actor, domain_id, row.owning_project_id)
    if session.scalar(select(exists().where(Asset.domain_id == domain_id, Asset.type_identifier == row.name))):
        raise ConflictError(f"Asset type {row.name} is used by assets; delete them first.")
    ids = select(AssetTypeRevision.id).where(AssetTypeRevision.domain_id == domain_id,
                                             AssetTypeRevision.name == row.name)
    session.execute(delete(AssetTypeForm).where(AssetTypeForm.asset_type_id.in_(ids)))
    session.execute(delete(AssetTypeRevision).where(AssetTypeRevision.domain_id == domain_id,
                                                    AssetTypeRevision.name == row.name))
    session.flush()
