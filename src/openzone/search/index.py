"""Keeping the search index in the metadata database, in the same transaction as the catalog.

A session `after_flush` listener (installed once, when this module is imported from
`openzone.models`) rewrites the `search_documents` row of every Listing the flush inserted, updated
or deleted, on the flush's own connection: the document commits and rolls back with the listing, and
it is computed from the listing as the flush wrote it. Catalog code knows nothing of the index. A
glossary term renamed or deleted in a flush rewrites the documents of the listings that carry it.
Changes made around the ORM (bulk UPDATE statements on listings) are not seen: `verify` reports them.

Below the documents, the engines' full-text structures follow by triggers created in migration 0004:
on SQLite the FTS5 table `search_documents_fts` (external content over `search_documents`), on
PostgreSQL the weighted `tsvector` column `search_vector` (GIN indexed). `reindex` rebuilds everything
from the listings; `verify` recomputes everything and reports each difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, delete, event, func, insert, inspect, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from openzone.catalog.models import Listing
from openzone.glossary.models import GlossaryTerm
from openzone.search.models import TERM_FIELDS, SearchDocument
from openzone.search.relevance import Document
from openzone.search.text import index_terms

KIND = "LISTING"
FTS_TABLE = "search_documents_fts"
# The tables FTS5 creates for itself: not part of the ORM model (see include_object).
FTS_TABLES = frozenset({FTS_TABLE, *(f"{FTS_TABLE}_{s}" for s in ("data", "idx", "docsize", "config", "content"))})
# PostgreSQL: the document's weighted vector, from its term columns (the trigger of migration 0004).
PG_VECTOR = ("setweight(to_tsvector('simple', coalesce({p}name_terms, '') || ' ' || coalesce({p}technical_terms, '')), 'A')"
             " || setweight(to_tsvector('simple', coalesce({p}column_terms, '') || ' ' || coalesce({p}glossary_terms, '')), 'B')"
             " || setweight(to_tsvector('simple', coalesce({p}description_terms, '') || ' ' || coalesce({p}form_terms, '')), 'C')")

_DOCS = SearchDocument.__table__
# Only the columns a document reads (rows answer to listing.id, listing.forms, ...): reindex also runs
# inside migration 0004, against the listings table as it is at that revision.
_LISTING_COLUMNS = select(Listing.id, Listing.domain_id, Listing.status, Listing.name, Listing.description,
                          Listing.forms, Listing.glossary_terms)
# Form fields that identify rather than describe: never form text.
_NOT_TEXT = frozenset({"columnName", "dataType", "tableName", "catalogId", "region", "sourceClassification"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: FTS5's virtual and shadow tables are made by the migration, not the models."""
    return not (type_ == "table" and reflected and compare_to is None and name in FTS_TABLES)


# --- what a listing's document says ---------------------------------------------------------------------


def _table_form(forms: Mapping[str, Any]) -> dict:
    """The form naming the listing's table (GlueTableForm first, else any form with a tableName)."""
    if isinstance(forms.get("GlueTableForm"), dict):
        return forms["GlueTableForm"]
    return next((c for c in forms.values() if isinstance(c, dict) and isinstance(c.get("tableName"), str)), {})


def _strings(value: Any, key: str = "") -> Iterable[str]:
    if isinstance(value, str):
        if key not in _NOT_TEXT and not key.endswith(("Arn", "Id")) and value:
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)


def listing_document(listing: Listing, glossary_names: Mapping[str, str]) -> Document:
    """The listing as search sees it (`key` is the listing id)."""
    forms = listing.forms if isinstance(listing.forms, dict) else {}
    table = _table_form(forms)
    technical = table.get("tableName") if isinstance(table.get("tableName"), str) else ""
    columns = [c["columnName"] for c in table.get("columns") or []
               if isinstance(c, dict) and isinstance(c.get("columnName"), str)]
    terms = [glossary_names.get(t, "") for t in listing.glossary_terms or [] if isinstance(t, str)]
    form_text = " ".join(_strings([forms[name] for name in sorted(forms)]))
    return Document(name=listing.name or "", technical_name=technical, description=listing.description or "",
                    columns=tuple(columns), glossary_terms=tuple(t for t in terms if t), form_text=form_text,
                    key=listing.id)


def _joined(values: Iterable[str], context: tuple[str, ...] = ()) -> str:
    return " ".join(term for value in values for term in index_terms(value, context))


def document_terms(doc: Document) -> dict[str, str]:
    """The analysed text of each field, as stored in the `*_terms` columns."""
    # The same context relevance._fields gives columns, so the engines and the ranker see the same words.
    table = (doc.technical_name,) if doc.technical_name else ()
    return {"name_terms": _joined([doc.name]), "technical_terms": _joined([doc.technical_name]),
            "column_terms": _joined(doc.columns, table), "glossary_terms": _joined(doc.glossary_terms),
            "description_terms": _joined([doc.description]), "form_terms": _joined([doc.form_text])}


def document_row(listing: Listing, glossary_names: Mapping[str, str]) -> dict[str, Any]:
    """The `search_documents` row of a listing (without its id and vector)."""
    doc = listing_document(listing, glossary_names)
    literal = " ".join(v for v in (doc.name, doc.technical_name, doc.description, *doc.columns,
                                   *doc.glossary_terms, doc.form_text) if v).lower()
    return {"kind": KIND, "entity_id": listing.id, "domain_id": listing.domain_id, "status": listing.status,
            "name": listing.name or "", **document_terms(doc), "literal_text": literal}


def glossary_names(connection: Connection, listings: Iterable[Listing]) -> dict[str, str]:
    """Names of the glossary terms the listings carry (id -> name)."""
    ids = {t for listing in listings for t in listing.glossary_terms or [] if isinstance(t, str)}
    if not ids:
        return {}
    rows = connection.execute(select(GlossaryTerm.id, GlossaryTerm.name).where(GlossaryTerm.id.in_(ids)))
    return dict(rows.all())


# --- keeping it in step ------------------------------------------------------------------------------------


def write_documents(connection: Connection, listings: list[Listing]) -> None:
    """Upsert the documents of these listings on `connection` (portable: update, else insert)."""
    names = glossary_names(connection, listings)
    for listing in listings:
        row = document_row(listing, names)
        done = connection.execute(update(_DOCS).where(_DOCS.c.kind == KIND, _DOCS.c.entity_id == listing.id)
                                  .values(**row))
        if done.rowcount == 0:
            connection.execute(insert(_DOCS).values(**row))


def delete_documents(connection: Connection, listing_ids: list[str]) -> None:
    if listing_ids:
        connection.execute(delete(_DOCS).where(_DOCS.c.kind == KIND, _DOCS.c.entity_id.in_(listing_ids)))


def _renamed_terms(session: Session) -> dict[str, set[str]]:
    """Glossary terms this flush renamed or deleted, by domain: documents that carry them change too."""
    out: dict[str, set[str]] = {}
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, GlossaryTerm) and (obj in session.deleted or inspect(obj).attrs.name.history.has_changes()):
            out.setdefault(obj.domain_id, set()).add(obj.id)
    return out


def _carrying(connection: Connection, terms: dict[str, set[str]], skip: set[str]) -> list:
    """Listings (as rows) of those domains that carry any of those terms."""
    rows = connection.execute(_LISTING_COLUMNS.where(Listing.domain_id.in_(list(terms)), Listing.glossary_terms.is_not(None)))
    return [row for row in rows if row.id not in skip and set(row.glossary_terms or ()) & terms[row.domain_id]]


def _after_flush(session: Session, _context) -> None:
    # new/dirty/deleted still describe this flush here, and the objects hold what it wrote.
    changed = [o for o in (*session.new, *session.dirty) if isinstance(o, Listing)]
    gone = [o.id for o in session.deleted if isinstance(o, Listing)]
    terms = _renamed_terms(session)
    if not changed and not gone and not terms:
        return
    connection = session.connection()
    delete_documents(connection, gone)
    if terms:
        changed += _carrying(connection, terms, {o.id for o in changed} | set(gone))
    write_documents(connection, changed)


def install() -> None:
    """Register the listener on every Session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


install()


# --- rebuild and proof ------------------------------------------------------------------------------------


def _all_listings(connection: Connection) -> list:
    return list(connection.execute(_LISTING_COLUMNS.order_by(Listing.id)))


def reindex(connection: Connection) -> int:
    """Rebuild every listing document and the engine index from the listings; the number of documents."""
    listings = _all_listings(connection)
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # First make FTS5 agree with the stored documents: the delete triggers below remove what the
        # documents say, and removing terms an external-content index does not hold corrupts it.
        connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
    connection.execute(delete(_DOCS).where(_DOCS.c.kind == KIND))
    names = glossary_names(connection, listings)
    rows = [document_row(listing, names) for listing in listings]
    if rows:
        connection.execute(insert(_DOCS), rows)
    if not sqlite:
        # The trigger sets it on write; this also repairs a vector written around the trigger.
        connection.execute(text(f"UPDATE search_documents SET search_vector = {PG_VECTOR.format(p='')}"))
    return len(rows)


def verify(connection: Connection) -> list[str]:
    """Every difference between the stored index and one recomputed from the listings ([] when equal)."""
    listings = _all_listings(connection)
    names = glossary_names(connection, listings)
    expected = {listing.id: document_row(listing, names) for listing in listings}
    columns = ["entity_id", "domain_id", "status", "name", *TERM_FIELDS, "literal_text"]
    stored = {row["entity_id"]: row for row in connection.execute(
        select(*(_DOCS.c[c] for c in columns)).where(_DOCS.c.kind == KIND)).mappings()}
    problems: list[str] = []
    for listing_id in sorted(expected.keys() - stored.keys()):
        problems.append(f"missing document for listing {listing_id}")
    for listing_id in sorted(stored.keys() - expected.keys()):
        problems.append(f"document for listing {listing_id} that does not exist")
    for listing_id in sorted(expected.keys() & stored.keys()):
        for column in columns[1:]:
            want, have = expected[listing_id][column], stored[listing_id][column]
            if want != have:
                problems.append(f"listing {listing_id}: {column} is {have!r}, expected {want!r}")
    total = connection.scalar(select(func.count()).select_from(_DOCS))
    if connection.dialect.name == "sqlite":
        indexed = connection.scalar(text(f"SELECT count(*) FROM {FTS_TABLE}_docsize"))
        if indexed != total:
            problems.append(f"full-text index holds {indexed} rows, search_documents {total}")
        try:
            # rank=1: compare the FTS5 index with the content table, term by term.
            with connection.begin_nested():
                connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)"))
        except DatabaseError as error:
            problems.append(f"full-text index differs from search_documents: {error.orig}")
    else:
        stale = connection.scalars(text(
            f"SELECT entity_id FROM search_documents WHERE search_vector IS DISTINCT FROM ({PG_VECTOR.format(p='')})"
            " ORDER BY entity_id")).all()
        problems += [f"listing {listing_id}: search_vector differs from its terms" for listing_id in stale]
    return problems
