"""What each kind of catalog entry says to search: a small registry, one `Kind` per searchable entity.

A Kind names the ORM classes whose flushes change its documents (`watches`, with `entity_ids` telling
which entities an object touches) and builds `Entry`s (the document's columns, its text as a
`relevance.Document`, and its filterable attributes) for given entity ids, or for all of them.

Adding a kind is: write `_x_entries(session, ids)` returning Entries, and
`register(Kind("X", (XModel, ...), _x_ids, _x_entries))`; search scopes, filters, facets, reindex and
verify then take it in (service._attach and routes render its hits).

Glossary terms an entry carries, for the `__DataZoneGlossaryTerms` filter and facet and as text: its own
`glossaryTerms`, for assets (and their listings) the governed terms (governance.models.AssetGovernedTerm,
current ones, as GetAsset and GetListing show them), and the terms of its columns
(`ColumnBusinessMetadataForm.columnsBusinessMetadata[].glossaryTerms`, whose names count as column text).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from openzone.catalog import types as catalog_types
from openzone.catalog.models import Asset, AssetRevision, Listing
from openzone.catalog.product_models import DataProduct, DataProductRevision
from openzone.catalog.smithy import SmithyError
from openzone.errors import OpenzoneError
from openzone.glossary.models import Glossary, GlossaryTerm
from openzone.governance.models import AssetGovernedTerm
from openzone.search.models import MAX_VALUE
from openzone.search.relevance import Document

GLOSSARY_TERMS = "__DataZoneGlossaryTerms"
SOURCE_CATEGORY = "amazonmetadata.sourceCategory"
DATA_PRODUCT = "DATA_PRODUCT"  # catalog.products.DATA_PRODUCT (listings.entity_type), not imported: no cycle
MAX_ATTRIBUTES = 400  # per document: a form with thousands of columns still gets a bounded index
# Form fields that identify rather than describe: never form text.
# (glossaryTerms are ids: their names count instead, see column_terms.)
_NOT_TEXT = frozenset({"columnName", "dataType", "tableName", "catalogId", "region", "sourceClassification",
                       "glossaryTerms"})

Attribute = tuple[str, str | None, int | None]  # (attribute, string value, integer value)


@dataclass
class Entry:
    """One entity as the index stores it."""

    kind: str
    entity_id: str
    domain_id: str
    status: str
    name: str
    document: Document
    owning_project_id: str | None = None
    type_name: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    attributes: list[Attribute] = field(default_factory=list)
    # Texts that TEXT_MATCH_RATIONALE reports on: {attribute: text}
    texts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    name: str  # search_documents.kind
    watches: tuple[type, ...]
    entity_ids: Callable[[Session, Any], Iterable[str]]  # entities an ORM object of `watches` changes
    # (session, ids or None for every entity of the kind, with_attributes) -> entries; without attributes
    # (what ranking needs) a kind may skip the form-type lookups
    entries: Callable[..., list[Entry]]


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    KINDS[kind.name] = kind


# --- shared pieces -------------------------------------------------------------------------------------


def glossary_names(session: Session, term_lists: Iterable[Iterable[str] | None]) -> dict[str, str]:
    """Names of the glossary terms these lists carry (id -> name)."""
    ids = {t for terms in term_lists for t in terms or () if isinstance(t, str)}
    if not ids:
        return {}
    return dict(session.execute(select(GlossaryTerm.id, GlossaryTerm.name).where(GlossaryTerm.id.in_(ids))).all())


def _table_form(forms: Mapping[str, Any]) -> dict:
    """The form naming the entry's table (GlueTableForm first, else any form with a tableName)."""
    if isinstance(forms.get("GlueTableForm"), dict):
        return forms["GlueTableForm"]
    return next((c for c in forms.values() if isinstance(c, dict) and isinstance(c.get("tableName"), str)), {})


def _strings(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, str):
        if key not in _NOT_TEXT and not key.endswith(("Arn", "Id")) and value:
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)


# Built once (on the table's columns: rows, not the ORM's loading): every SearchListings page reads them.
_G = AssetGovernedTerm.__table__.c
_GOVERNED = (select(_G.asset_id, _G.term_id).where(_G.asset_id.in_(bindparam("ids", expanding=True)))
             .order_by(_G.asset_id, _G.created_at, _G.term_id))


def governed_terms(session: Session, asset_ids: Iterable[str | None]) -> dict[str, list[str]]:
    """{asset id: governed term ids, in the order they were attached} (governed_terms.terms_of, batched)."""
    ids = sorted({a for a in asset_ids if a})
    out: dict[str, list[str]] = {}
    for start in range(0, len(ids), 500):
        for asset_id, term_id in session.execute(_GOVERNED, {"ids": ids[start:start + 500]}):
            out.setdefault(asset_id, []).append(term_id)
    return out


def column_terms(forms: Mapping[str, Any]) -> list[str]:
    """Glossary term ids of the columns (`columnsBusinessMetadata[].glossaryTerms` of any form), once each."""
    out: list[str] = []
    for content in forms.values():
        columns = content.get("columnsBusinessMetadata") if isinstance(content, dict) else None
        for column in columns if isinstance(columns, list) else ():
            terms = column.get("glossaryTerms") if isinstance(column, dict) else None
            out += [t for t in terms if isinstance(t, str)] if isinstance(terms, list) else []
    return list(dict.fromkeys(out))


def forms_document(name: str, description: str | None, forms: Mapping[str, Any], terms: Iterable[str] | None,
                   names: Mapping[str, str], key: str, columns_terms: Iterable[str] = ()) -> Document:
    """The text of an entry with forms (a listing, an asset or a product), as search sees it.

    `terms` are the entry's glossary terms (its own and governed ones); `columns_terms` those of its
    columns, whose names weigh as column text.
    """
    table = _table_form(forms)
    technical = table.get("tableName") if isinstance(table.get("tableName"), str) else ""
    columns = [c["columnName"] for c in table.get("columns") or []
               if isinstance(c, dict) and isinstance(c.get("columnName"), str)]
    columns += [names[t] for t in columns_terms if names.get(t)]
    glossary = [names.get(t, "") for t in terms or () if isinstance(t, str)]
    form_text = " ".join(_strings([forms[n] for n in sorted(forms)]))
    return Document(name=name or "", technical_name=technical, description=description or "",
                    columns=tuple(columns), glossary_terms=tuple(t for t in glossary if t), form_text=form_text,
                    key=key)


_PATHS: dict[tuple[str, str, str], tuple[tuple[str, ...], frozenset[str]]] = {}


def _form_paths(session: Session, domain_id: str, type_name: str, revision: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """(searchable-or-sortable dotted paths, sortable ones) of a form type revision; ((), {}) if unknown.

    Cached per process: a form type revision's model never changes once written.
    """
    key = (domain_id, type_name, str(revision))
    if key not in _PATHS:
        try:
            with session.no_autoflush:
                model = catalog_types.form_model(session, domain_id, type_name, str(revision))
            sortable = frozenset(model.sortable_paths())
            paths = tuple(dict.fromkeys([*model.searchable_paths(), *sortable]))
        except (OpenzoneError, SmithyError, KeyError):
            paths, sortable = (), frozenset()
        if len(_PATHS) > 4096:
            _PATHS.clear()
        _PATHS[key] = (paths, sortable)
    return _PATHS[key]


def _values(value: Any, parts: list[str]) -> Iterator[Any]:
    """The scalar values at a dotted path (lists are walked: `columns.columnName` is every column's name)."""
    if isinstance(value, list):
        for item in value:
            yield from _values(item, parts)
    elif not parts:
        if isinstance(value, (str, int, float, bool)):
            yield value
    elif isinstance(value, dict) and parts[0] in value:
        yield from _values(value[parts[0]], parts[1:])


def form_attributes(session: Session, domain_id: str, forms: Mapping[str, Any],
                    form_types: Mapping[str, tuple[str, str]]) -> list[Attribute]:
    """`<formName>.<path>` attributes of the searchable and sortable fields of the entry's forms."""
    out: list[Attribute] = []
    for form_name in sorted(forms):
        content, typed = forms[form_name], form_types.get(form_name)
        if not isinstance(content, dict) or typed is None:
            continue
        paths, sortable = _form_paths(session, domain_id, *typed)
        for path in paths:
            for value in _values(content, path.split(".")):
                out.append(_attribute(f"{form_name}.{path}", value, path in sortable))
    return out


def _attribute(name: str, value: Any, numeric: bool) -> Attribute:
    if isinstance(value, bool):
        return name, "true" if value else "false", None
    if isinstance(value, int):
        return name, str(value), value
    if isinstance(value, float):
        return name, repr(value), int(value) if numeric else None
    return name, str(value)[:MAX_VALUE], None


def _forms_texts(forms: Mapping[str, Any], attributes: list[Attribute]) -> dict[str, str]:
    """Rationale texts of the form attributes (the first value of each)."""
    out: dict[str, str] = {}
    for name, value, _ in attributes:
        if "." in name and isinstance(value, str) and name not in out:
            out[name] = value
    return out


def _common_attributes(category: str | None, *term_lists: Iterable[str] | None) -> list[Attribute]:
    out: list[Attribute] = [(SOURCE_CATEGORY, category, None)] if category else []
    terms = [t for terms in term_lists for t in terms or ()]
    out += [(GLOSSARY_TERMS, t, None) for t in dict.fromkeys(terms) if isinstance(t, str)]
    return out


def _merged(*term_lists: Iterable[str] | None) -> list[str]:
    return list(dict.fromkeys(t for terms in term_lists for t in terms or () if isinstance(t, str)))


def _form_contents(forms: list | None) -> dict[str, dict]:
    """{formName: content object} of a FormOutput list (contents are JSON strings)."""
    out: dict[str, dict] = {}
    for form in forms or ():
        try:
            content = json.loads(form.get("content") or "{}")
        except (TypeError, ValueError):
            content = {}
        out[form["formName"]] = content if isinstance(content, dict) else {}
    return out


def _capped(attributes: list[Attribute]) -> list[Attribute]:
    return list(dict.fromkeys(attributes))[:MAX_ATTRIBUTES]


# --- LISTING ---------------------------------------------------------------------------------------------


def _listing_ids(session: Session, obj: Any) -> Iterable[str]:
    if isinstance(obj, AssetGovernedTerm):  # the asset's listing shows its current governed terms
        return list(session.scalars(select(Listing.id).where(Listing.asset_id == obj.asset_id)))
    return [obj.id]


def listing_form_types(session: Session, rows: list) -> dict[tuple[str, int], dict[str, tuple[str, str]]]:
    """{(asset or product id, its revision): {formName: (typeName, typeRevision)}} of the listed revisions."""
    assets = {(row.asset_id, row.asset_revision) for row in rows if row.entity_type != DATA_PRODUCT}
    products = {(row.data_product_id, row.data_product_revision) for row in rows if row.entity_type == DATA_PRODUCT}
    out: dict[tuple[str, int], dict[str, tuple[str, str]]] = {}
    for wanted, owner, number, forms_column in (
            (assets, AssetRevision.asset_id, AssetRevision.revision, AssetRevision.forms),
            (products, DataProductRevision.data_product_id, DataProductRevision.revision, DataProductRevision.forms)):
        ids = sorted({a for a, _ in wanted})
        for start in range(0, len(ids), 500):
            for entity_id, revision, forms in session.execute(
                    select(owner, number, forms_column).where(owner.in_(ids[start:start + 500]))):
                if (entity_id, revision) in wanted:
                    out[(entity_id, revision)] = _typed(forms)
    return out


def _typed(forms: list | None) -> dict[str, tuple[str, str]]:
    return {f["formName"]: (f.get("typeName"), str(f.get("typeRevision"))) for f in forms or ()
            if isinstance(f, dict) and f.get("formName") and f.get("typeName")}


_LISTING_COLUMNS = (Listing.id, Listing.domain_id, Listing.status, Listing.name, Listing.description, Listing.forms,
                    Listing.glossary_terms, Listing.owning_project_id, Listing.asset_type, Listing.asset_id,
                    Listing.asset_revision, Listing.entity_type, Listing.data_product_id,
                    Listing.data_product_revision, Listing.created_at, Listing.updated_at)


def _listing_entries(session: Session, ids: list[str] | None, with_attributes: bool = True) -> list[Entry]:
    query = select(*_LISTING_COLUMNS)
    rows = []
    if ids is None:
        rows = list(session.execute(query.order_by(Listing.id)))
    else:
        for start in range(0, len(ids), 500):
            rows += session.execute(query.where(Listing.id.in_(ids[start:start + 500])))
    return listing_entries(session, rows, with_attributes)


def listing_entries(session: Session, rows: list, with_attributes: bool = True) -> list[Entry]:
    """Entries of listings given as rows of `_LISTING_COLUMNS` (or Listing objects).

    Asset listings carry the asset's current governed terms; data product listings (sourceCategory
    `dataProduct`) have no asset type and take their form types from the product revision.
    """
    governed = governed_terms(session, (row.asset_id for row in rows if row.entity_type != DATA_PRODUCT))
    forms_of = {row.id: row.forms if isinstance(row.forms, dict) else {} for row in rows}
    columns_of = {row.id: column_terms(forms_of[row.id]) for row in rows}
    terms_of = {row.id: _merged(row.glossary_terms, governed.get(row.asset_id) if row.entity_type != DATA_PRODUCT
                                else None) for row in rows}
    names = glossary_names(session, [*terms_of.values(), *columns_of.values()])
    typed = listing_form_types(session, rows) if with_attributes else {}
    out = []
    for row in rows:
        forms, terms, columns = forms_of[row.id], terms_of[row.id], columns_of[row.id]
        product = row.entity_type == DATA_PRODUCT
        revision = (row.data_product_id, row.data_product_revision) if product else (row.asset_id, row.asset_revision)
        attributes = form_attributes(session, row.domain_id, forms, typed.get(revision, {}))
        out.append(Entry(
            kind="LISTING", entity_id=row.id, domain_id=row.domain_id, status=row.status, name=row.name or "",
            document=forms_document(row.name, row.description, forms, terms, names, row.id, columns),
            owning_project_id=row.owning_project_id, type_name=None if product else row.asset_type,
            created_at=row.created_at, updated_at=row.updated_at,
            attributes=_capped(_common_attributes("dataProduct" if product else "asset", terms, columns) + attributes),
            texts={"name": row.name or "", "description": row.description or "", **_forms_texts(forms, attributes)}))
    return out


# --- ASSET (inventory) -------------------------------------------------------------------------------------


def _asset_ids(session: Session, obj: Any) -> Iterable[str]:
    return [obj.asset_id] if isinstance(obj, (AssetRevision, AssetGovernedTerm)) else [obj.id]


def _asset_entries(session: Session, ids: list[str] | None, with_attributes: bool = True) -> list[Entry]:
    query = (select(Asset.id, Asset.domain_id, Asset.owning_project_id, Asset.type_identifier, Asset.created_at,
                    Asset.updated_at, AssetRevision.name, AssetRevision.description, AssetRevision.forms,
                    AssetRevision.glossary_terms)
             .join(AssetRevision, (AssetRevision.asset_id == Asset.id) & (AssetRevision.revision == Asset.revision)))
    rows = []
    if ids is None:
        rows = list(session.execute(query.order_by(Asset.id)))
    else:
        for start in range(0, len(ids), 500):
            rows += session.execute(query.where(Asset.id.in_(ids[start:start + 500])))
    governed = governed_terms(session, (row.id for row in rows))
    return _inventory_entries(session, "ASSET", "asset", rows, {row.id: governed.get(row.id) for row in rows},
                              with_attributes)


def _inventory_entries(session: Session, kind: str, category: str, rows: list, extra_terms: Mapping[str, Any],
                       with_attributes: bool) -> list[Entry]:
    """Entries of inventory rows (id, domain_id, owning_project_id, name, description, forms as FormOutput list,
    glossary_terms, created_at, updated_at; type_identifier and status when the kind has them)."""
    forms_of = {row.id: _form_contents(row.forms) for row in rows}
    columns_of = {row.id: column_terms(forms_of[row.id]) for row in rows}
    terms_of = {row.id: _merged(row.glossary_terms, extra_terms.get(row.id)) for row in rows}
    names = glossary_names(session, [*terms_of.values(), *columns_of.values()])
    out = []
    for row in rows:
        forms, terms, columns = forms_of[row.id], terms_of[row.id], columns_of[row.id]
        attributes = form_attributes(session, row.domain_id, forms, _typed(row.forms)) if with_attributes else []
        mapping = row._mapping
        out.append(Entry(
            kind=kind, entity_id=row.id, domain_id=row.domain_id, status=mapping.get("status") or "ACTIVE",
            name=row.name or "", document=forms_document(row.name, row.description, forms, terms, names, row.id, columns),
            owning_project_id=row.owning_project_id, type_name=mapping.get("type_identifier"),
            created_at=row.created_at, updated_at=row.updated_at,
            attributes=_capped(_common_attributes(category, terms, columns) + attributes),
            texts={"name": row.name or "", "description": row.description or "", **_forms_texts(forms, attributes)}))
    return out


# --- DATA_PRODUCT (inventory) ------------------------------------------------------------------------------


def _product_ids(session: Session, obj: Any) -> Iterable[str]:
    return [obj.data_product_id] if isinstance(obj, DataProductRevision) else [obj.id]


def _product_entries(session: Session, ids: list[str] | None, with_attributes: bool = True) -> list[Entry]:
    """Products as their latest revision says (name, description, forms, terms), in the owning project."""
    query = (select(DataProduct.id, DataProduct.domain_id, DataProduct.owning_project_id, DataProduct.status,
                    DataProduct.created_at, DataProduct.updated_at,
                    DataProductRevision.created_at.label("revised_at"), DataProductRevision.name,
                    DataProductRevision.description, DataProductRevision.forms, DataProductRevision.glossary_terms)
             .join(DataProductRevision, (DataProductRevision.data_product_id == DataProduct.id)
                   & (DataProductRevision.revision == DataProduct.revision)))
    rows = []
    if ids is None:
        rows = list(session.execute(query.order_by(DataProduct.id)))
    else:
        for start in range(0, len(ids), 500):
            rows += session.execute(query.where(DataProduct.id.in_(ids[start:start + 500])))
    entries = _inventory_entries(session, DATA_PRODUCT, "dataProduct", rows, {}, with_attributes)
    for entry, row in zip(entries, rows):
        # A new revision is the product's last change (the product row's own time may be older).
        times = [t for t in (row.updated_at, row.revised_at) if t is not None]
        entry.updated_at = max(times) if times else None
    return entries


# --- GLOSSARY and GLOSSARY_TERM ----------------------------------------------------------------------------


def _glossary_ids(session: Session, obj: Any) -> Iterable[str]:
    return [obj.id]


def _glossary_entries(session: Session, ids: list[str] | None, with_attributes: bool = True) -> list[Entry]:
    query = select(Glossary)
    rows = list(session.scalars(query.order_by(Glossary.id) if ids is None else query.where(Glossary.id.in_(ids))))
    return [Entry(kind="GLOSSARY", entity_id=g.id, domain_id=g.domain_id, status=g.status, name=g.name,
                  document=Document(name=g.name, description=g.description or "", key=g.id),
                  owning_project_id=g.owning_project_id, created_at=g.created_at, updated_at=g.updated_at,
                  texts={"name": g.name, "description": g.description or ""}) for g in rows]


def _term_ids(session: Session, obj: Any) -> Iterable[str]:
    if isinstance(obj, Glossary):  # its status decides who sees its terms
        return list(session.scalars(select(GlossaryTerm.id).where(GlossaryTerm.glossary_id == obj.id)))
    return [obj.id]


def _term_entries(session: Session, ids: list[str] | None, with_attributes: bool = True) -> list[Entry]:
    query = select(GlossaryTerm, Glossary).join(Glossary, Glossary.id == GlossaryTerm.glossary_id)
    rows = list(session.execute(query.order_by(GlossaryTerm.id) if ids is None
                                else query.where(GlossaryTerm.id.in_(ids))))
    out = []
    for term, glossary in rows:
        # Seen by the whole domain only while both it and its glossary are enabled (glossary.service._can_see).
        status = "ENABLED" if term.status == glossary.status == "ENABLED" else "DISABLED"
        text = " ".join(t for t in (term.short_description, term.long_description) if t)
        out.append(Entry(kind="GLOSSARY_TERM", entity_id=term.id, domain_id=term.domain_id, status=status,
                         name=term.name, document=Document(name=term.name, description=text, key=term.id),
                         owning_project_id=glossary.owning_project_id, created_at=term.created_at,
                         updated_at=term.updated_at, attributes=[("glossaryId", glossary.id, None)],
                         texts={"name": term.name, "shortDescription": term.short_description or "",
                                "longDescription": term.long_description or ""}))
    return out


register(Kind("LISTING", (Listing, AssetGovernedTerm), _listing_ids, _listing_entries))
register(Kind("ASSET", (Asset, AssetRevision, AssetGovernedTerm), _asset_ids, _asset_entries))
register(Kind(DATA_PRODUCT, (DataProduct, DataProductRevision), _product_ids, _product_entries))
register(Kind("GLOSSARY", (Glossary,), _glossary_ids, _glossary_entries))
register(Kind("GLOSSARY_TERM", (GlossaryTerm, Glossary), _term_ids, _term_entries))
