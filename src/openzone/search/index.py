"""Keeping the search index in the metadata database, in the same transaction as the catalog.

A session `after_flush` listener (installed once, when this module is imported from `openzone.models`)
rewrites the `search_documents` row (and its `search_attributes`) of every entity the flush inserted,
updated or deleted, for every kind in `kinds.KINDS` (listings, assets, data products, glossaries, terms), on
the flush's own connection: the document commits and rolls back with the entity, and it is computed from
the entity as the flush wrote it. Catalog code knows nothing of the index. A glossary term renamed or
deleted in a flush rewrites the documents that carry it. Changes made around the ORM (bulk UPDATE
statements) are not seen: `verify` reports them.

Below the documents, the engines' full-text structures follow by triggers (migrations 0004, 0009, 0022): on
SQLite the FTS5 table `search_documents_fts` (external content over `search_documents`), on PostgreSQL
the weighted `tsvector` column `search_vector` (GIN indexed); both index the term columns and
`filter_terms`. `reindex` rebuilds everything from the entities; `verify` recomputes everything and
reports each difference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, column, delete, event, func, inspect, insert, select, table, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from openzone.glossary.models import GlossaryTerm
from openzone.search.kinds import GLOSSARY_TERMS, KINDS, Entry, Kind
from openzone.search.models import TERM_FIELDS, SearchAttribute, SearchDocument
from openzone.search import relevance
from openzone.search.relevance import Document
from openzone.search.text import filter_token, index_terms

KIND = "LISTING"
FTS_TABLE = "search_documents_fts"
# The tables FTS5 creates for itself: not part of the ORM model (see include_object).
FTS_TABLES = frozenset({FTS_TABLE, *(f"{FTS_TABLE}_{s}" for s in ("data", "idx", "docsize", "config", "content"))})
# PostgreSQL: the document's weighted vector, from its term columns (the trigger of migration 0004).
PG_VECTOR = ("setweight(to_tsvector('simple', coalesce({p}name_terms, '') || ' ' || coalesce({p}technical_terms, '')), 'A')"
             " || setweight(to_tsvector('simple', coalesce({p}column_terms, '') || ' ' || coalesce({p}glossary_terms, '')), 'B')"
             " || setweight(to_tsvector('simple', coalesce({p}description_terms, '') || ' ' || coalesce({p}form_terms, '')), 'C')"
             " || setweight(to_tsvector('simple', coalesce({p}filter_terms, '')), 'D')")
# SQLite: the FTS5 columns (bm25 weighs filter_terms 0: it only narrows).
FTS_COLUMNS = (*TERM_FIELDS, "filter_terms")
BATCH = 1000
# PostgreSQL: batches of this many documents or more are written by COPY (a reindex: 2.3x the rows per
# second of multi-row INSERTs); smaller ones (a flush's few entities) by INSERT, one round trip fewer.
COPY_FROM = 50

_DOCS = SearchDocument.__table__
_ATTRS = SearchAttribute.__table__
_ATTR_COLUMNS = ("doc_id", "attribute", "string_value", "int_value")
_COMPARED = ("domain_id", "status", "name", "owning_project_id", "type_name", "created_at", "updated_at",
             *TERM_FIELDS, "filter_terms", "rank_doc", "literal_text")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: FTS5's virtual and shadow tables are made by the migration, not the models."""
    return not (type_ == "table" and reflected and compare_to is None and name in FTS_TABLES)


# --- what a document says ---------------------------------------------------------------------------------


def _joined(values: Iterable[str], context: tuple[str, ...] = ()) -> str:
    return " ".join(term for value in values for term in index_terms(value, context))


def document_terms(doc: Document) -> dict[str, str]:
    """The analysed text of each field, as stored in the `*_terms` columns."""
    # The same context relevance._fields gives columns, so the engines and the ranker see the same words.
    table = (doc.technical_name,) if doc.technical_name else ()
    return {"name_terms": _joined([doc.name]), "technical_terms": _joined([doc.technical_name]),
            "column_terms": _joined(doc.columns, table), "glossary_terms": _joined(doc.glossary_terms),
            "description_terms": _joined([doc.description]), "form_terms": _joined([doc.form_text])}


def document_row(entry: Entry) -> dict[str, Any]:
    """The `search_documents` row of an entry (without its id and vector)."""
    doc = entry.document
    literal = " ".join(v for v in (doc.name, doc.technical_name, doc.description, *doc.columns,
                                   *doc.glossary_terms, doc.form_text) if v).lower()
    return {"kind": entry.kind, "entity_id": entry.entity_id, "domain_id": entry.domain_id, "status": entry.status,
            "name": entry.name[:256], "owning_project_id": entry.owning_project_id, "type_name": entry.type_name,
            "created_at": entry.created_at, "updated_at": entry.updated_at, **document_terms(doc),
            "filter_terms": filter_terms(entry.attributes), "rank_doc": relevance.dumps(relevance.prepare(doc)),
            "literal_text": literal}


def filter_terms(attributes: Iterable[tuple[str, str | None, int | None]]) -> str:
    """The `filter_terms` column: one token per distinct string attribute value."""
    return " ".join(dict.fromkeys(filter_token(a, s) for a, s, _ in attributes if s is not None))


# --- writing -----------------------------------------------------------------------------------------------


def insert_entries(connection: Connection, entries: list[Entry], columns: set[str] | None = None) -> None:
    """Insert the documents and attributes of these entries (none of them may be indexed yet).

    `columns`, when given, are the document columns the database has (a migration's reindex runs
    before later migrations add theirs)."""
    # Without the model's defaults for columns the database does not have yet.
    target = _DOCS if columns is None else table(_DOCS.name, *(column(c.name, c.type) for c in _DOCS.c if c.name in columns))
    for start in range(0, len(entries), BATCH):
        batch = entries[start:start + BATCH]
        rows = [document_row(e) for e in batch]
        if columns is not None and not columns.issuperset(rows[0]):
            rows = [{k: v for k, v in row.items() if k in columns} for row in rows]
        copying = connection.dialect.name == "postgresql" and len(batch) >= COPY_FROM
        if copying:
            ids = _copy_documents(connection, target, rows)
        else:
            # One multi-row INSERT ... RETURNING per batch (SQLAlchemy's insertmanyvalues). Ids are matched
            # by (kind, entity id): the rows may come back in any order.
            returned = connection.execute(insert(target).returning(target.c.kind, target.c.entity_id, target.c.id), rows)
            ids = {(kind, entity_id): doc_id for kind, entity_id, doc_id in returned}
        attrs = [(ids[(e.kind, e.entity_id)], a, s, i) for e in batch for a, s, i in e.attributes]
        if not attrs:
            continue
        if copying:
            _copy(connection, _ATTRS, list(_ATTR_COLUMNS), attrs)
        else:
            connection.execute(insert(_ATTRS), [dict(zip(_ATTR_COLUMNS, a)) for a in attrs])


def _copy_documents(connection: Connection, target, rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """PostgreSQL: the rows written by COPY with ids drawn from the table's sequence; their ids by (kind, entity id)."""
    ids = connection.execute(text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                             {"table": _DOCS.name, "n": len(rows)}).scalars().all()
    names = list(rows[0])
    _copy(connection, target, ["id", *names], [(doc_id, *row.values()) for doc_id, row in zip(ids, rows)])
    return {(row["kind"], row["entity_id"]): doc_id for doc_id, row in zip(ids, rows)}


def _copy(connection: Connection, target, names: list[str], rows: list[tuple]) -> None:
    """PostgreSQL COPY of these rows into target's columns, each value through its column type's bind processing
    (a large multi-row INSERT costs psycopg ~40 ms a batch only to parse its placeholders; triggers fire alike)."""
    processors = [target.c[name].type.bind_processor(connection.dialect) for name in names]
    statement = "COPY {} ({}) FROM STDIN".format(target.name, ", ".join(names))  # model names, no user input
    with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([p(v) if p else v for p, v in zip(processors, row)])


def delete_documents(connection: Connection, kind: str, entity_ids: Iterable[str]) -> None:
    """Remove the documents (and attributes) of these entities of a kind."""
    ids = sorted(set(entity_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        docs = select(_DOCS.c.id).where(_DOCS.c.kind == kind, _DOCS.c.entity_id.in_(chunk))
        connection.execute(delete(_ATTRS).where(_ATTRS.c.doc_id.in_(docs)))
        connection.execute(delete(_DOCS).where(_DOCS.c.kind == kind, _DOCS.c.entity_id.in_(chunk)))


def refresh(session: Session, kind: Kind, entity_ids: Iterable[str]) -> None:
    """Rewrite the documents of these entities from what the session's transaction holds now."""
    ids = sorted(set(entity_ids))
    if not ids:
        return
    entries = kind.entries(session, ids)
    connection = session.connection()
    delete_documents(connection, kind.name, ids)
    insert_entries(connection, entries)


# --- keeping it in step ------------------------------------------------------------------------------------


def _renamed_terms(session: Session) -> set[str]:
    """Glossary terms this flush renamed or deleted: documents that carry them change too."""
    return {obj.id for obj in (*session.dirty, *session.deleted) if isinstance(obj, GlossaryTerm)
            and (obj in session.deleted or inspect(obj).attrs.name.history.has_changes())}


def _carrying(connection: Connection, term_ids: set[str]) -> list[tuple[str, str]]:
    """(kind, entity id) of the documents that carry any of these glossary terms."""
    return list(connection.execute(
        select(_DOCS.c.kind, _DOCS.c.entity_id).join(_ATTRS, _ATTRS.c.doc_id == _DOCS.c.id)
        .where(_ATTRS.c.attribute == GLOSSARY_TERMS, _ATTRS.c.string_value.in_(sorted(term_ids)))).all())


def _after_flush(session: Session, _context) -> None:
    # new/dirty/deleted still describe this flush here, and the objects hold what it wrote.
    objects = [*session.new, *session.dirty, *session.deleted]
    touched: dict[str, set[str]] = {}
    for kind in KINDS.values():
        for obj in objects:
            if isinstance(obj, kind.watches):
                touched.setdefault(kind.name, set()).update(kind.entity_ids(session, obj))
    terms = _renamed_terms(session)
    if terms:
        for kind_name, entity_id in _carrying(session.connection(), terms):
            touched.setdefault(kind_name, set()).add(entity_id)
    with session.no_autoflush:
        for kind_name, ids in touched.items():
            refresh(session, KINDS[kind_name], ids)


def install() -> None:
    """Register the listener on every Session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


install()


# --- rebuild and proof ------------------------------------------------------------------------------------


def _session(connection: Connection) -> Session:
    # Reads through the ORM on the caller's connection and transaction (closing it commits nothing).
    return Session(bind=connection, autoflush=False)


def reindex(connection: Connection, kinds: Iterable[str] | None = None, counts: dict[str, int] | None = None) -> int:
    """Rebuild the documents of every entity (of these kinds) and the engine index; the number of documents.

    `counts`, when given, receives the number of documents per kind.
    """
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # First make FTS5 agree with the stored documents: the delete triggers below remove what the
        # documents say, and removing terms an external-content index does not hold corrupts it.
        connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
    total = 0
    columns = {c["name"] for c in inspect(connection).get_columns(_DOCS.name)}
    session = _session(connection)
    try:
        for name in kinds or KINDS:
            kind = KINDS[name]
            docs = select(_DOCS.c.id).where(_DOCS.c.kind == name)
            connection.execute(delete(_ATTRS).where(_ATTRS.c.doc_id.in_(docs)))
            connection.execute(delete(_DOCS).where(_DOCS.c.kind == name))
            entries = kind.entries(session, None)
            insert_entries(connection, entries, columns)
            total += len(entries)
            if counts is not None:
                counts[name] = len(entries)
    finally:
        session.close()
    # PostgreSQL: the trigger wrote every reinserted document's vector (no second pass over the table).
    return total


def _stored_attributes(connection: Connection, kind: str) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    rows = connection.execute(select(_DOCS.c.entity_id, _ATTRS.c.attribute, _ATTRS.c.string_value, _ATTRS.c.int_value)
                              .join(_ATTRS, _ATTRS.c.doc_id == _DOCS.c.id).where(_DOCS.c.kind == kind))
    for entity_id, attribute, string_value, int_value in rows:
        out.setdefault(entity_id, Counter())[(attribute, string_value, int_value)] += 1
    return out


def verify(connection: Connection) -> list[str]:
    """Every difference between the stored index and one recomputed from the entities ([] when equal)."""
    problems: list[str] = []
    session = _session(connection)
    try:
        for name, kind in KINDS.items():
            problems += _verify_kind(connection, session, name, kind)
    finally:
        session.close()
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
        stale = connection.execute(text(
            f"SELECT kind, entity_id FROM search_documents WHERE search_vector IS DISTINCT FROM ({PG_VECTOR.format(p='')})"
            " ORDER BY kind, entity_id")).all()
        problems += [f"{_what(k)} {entity_id}: search_vector differs from its terms" for k, entity_id in stale]
    return problems


def _what(kind: str) -> str:
    return kind.lower().replace("_", " ")


def _verify_kind(connection: Connection, session: Session, name: str, kind: Kind) -> list[str]:
    entries = {e.entity_id: e for e in kind.entries(session, None)}
    expected = {entity_id: document_row(e) for entity_id, e in entries.items()}
    stored = {row["entity_id"]: row for row in connection.execute(
        select(_DOCS.c.entity_id, *(_DOCS.c[c] for c in _COMPARED)).where(_DOCS.c.kind == name)).mappings()}
    what = _what(name)
    problems = [f"missing document for {what} {i}" for i in sorted(expected.keys() - stored.keys())]
    problems += [f"document for {what} {i} that does not exist" for i in sorted(stored.keys() - expected.keys())]
    attributes = _stored_attributes(connection, name)
    for entity_id in sorted(expected.keys() & stored.keys()):
        for column in _COMPARED:
            want, have = expected[entity_id][column], stored[entity_id][column]
            if column == "rank_doc" and have is None:
                continue  # not prepared yet (indexed before 0022): the ranker prepares it at query time
            if want != have:
                problems.append(f"{what} {entity_id}: {column} is {have!r}, expected {want!r}")
        if attributes.get(entity_id, Counter()) != Counter(entries[entity_id].attributes):
            problems.append(f"{what} {entity_id}: attributes differ from its entity")
    return problems
