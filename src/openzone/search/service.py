"""Search the published catalog: full-text candidates from the database, ordered by `relevance.rank`.

1. Candidates: the domain's ACTIVE listing documents matching any query word group or phrase (SQLite
   FTS5 `MATCH text.fts5_query`, PostgreSQL `@@ to_tsquery('simple', text.tsquery)`), at most
   CANDIDATES of them, the engine's own rank (bm25 / ts_rank) choosing which.
2. A query with symbols the analyser drops (`100%`, `50_50`) is also looked up literally (LIKE, every
   word) in the documents' `literal_text`, so such queries keep matching what they literally say.
3. Order: `relevance.rank` (exact name, then coverage, then where the words were found). A listing must
   hold every word of a one- or two-word query, and at least half the words of a longer one: one
   missing word does not empty the result, yet a stray word does not match the whole catalog.
   Literal-only matches follow the ranked ones.

`totalMatchCount` counts the matches (within the candidate set); `sort` replaces the ranking; an empty
searchText lists every ACTIVE listing, most recently updated first.
"""

import re

from sqlalchemy import func, select, text as sql
from sqlalchemy.orm import Session

from openzone.catalog.models import Listing
from openzone.domains import service as domains
from openzone.errors import ValidationError
from openzone.identity.models import User
from openzone.search import index
from openzone.search.models import SearchDocument
from openzone.search.relevance import Document, rank
from openzone.search.text import Query, fts5_query, parse_query, tsquery

SORTABLE = {"name": "name", "createdAt": "created_at", "updatedAt": "updated_at", "lastUpdatedAt": "updated_at"}
CANDIDATES = 500
# bm25 weights per FTS5 column (models.TERM_FIELDS order), in the spirit of relevance's field weights.
_BM25 = "10.0, 10.0, 6.0, 6.0, 3.5, 3.0"
_SYMBOL = re.compile(r"[^\w\s]|_")


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sort_key(sort: dict | None) -> str | None:
    if not sort:
        return None
    attribute = SORTABLE.get(sort["attribute"])
    if attribute is None:
        raise ValidationError(f"Cannot sort by {sort['attribute']}; use one of {', '.join(SORTABLE)}.")
    return attribute


def search_listings(session: Session, actor: User, domain_id: str, text: str | None, sort: dict | None,
                    offset: int, limit: int) -> tuple[list[Listing], int]:
    """Published listings of the domain matching `text`, best first (rows offset..offset+limit), and the total."""
    domains.require_domain_user(session, actor, domain_id)
    attribute = _sort_key(sort)
    descending = bool(sort) and sort.get("order") == "DESCENDING"
    if not (text or "").strip():
        active = select(Listing).where(Listing.domain_id == domain_id, Listing.status == "ACTIVE")
        total = session.scalar(select(func.count()).select_from(active.subquery()))
        column = getattr(Listing, attribute) if attribute else Listing.updated_at
        order = column.desc() if descending or not attribute else column.asc()
        rows = session.scalars(active.order_by(order, Listing.id).offset(offset).limit(limit + 1))
        return list(rows), total
    matches = _matches(session, domain_id, text)
    if attribute:
        matches = sorted(sorted(matches, key=lambda row: row.id), key=lambda row: getattr(row, attribute),
                         reverse=descending)
    return matches[offset : offset + limit + 1], len(matches)


def _matches(session: Session, domain_id: str, text: str) -> list[Listing]:
    query = parse_query(text)
    found = _engine_candidates(session, domain_id, query) if not query.empty else []
    literal = _literal_candidates(session, domain_id, text)
    ids = set(found) | set(literal)
    if not ids:
        return []
    listings = list(session.scalars(select(Listing).where(
        Listing.id.in_(ids), Listing.domain_id == domain_id, Listing.status == "ACTIVE")
        .order_by(Listing.updated_at.desc(), Listing.id)))  # the order ties keep
    names = index.glossary_names(session.connection(), listings)
    docs = [index.listing_document(listing, names) for listing in listings]
    by_id = {listing.id: listing for listing in listings}
    ranked = [doc.key for doc in rank(query, docs) if _enough(query, doc)] if not query.empty else []
    chosen = set(ranked)
    rest = [listing.id for listing in listings if listing.id in literal and listing.id not in chosen]
    return [by_id[key] for key in ranked + rest]


def _engine_candidates(session: Session, domain_id: str, query: Query) -> list[str]:
    """Ids of the domain's ACTIVE listings the full-text engine matches (any group or phrase)."""
    params = {"domain": domain_id, "kind": index.KIND, "limit": CANDIDATES}
    if session.get_bind().dialect.name == "sqlite":
        fts = index.FTS_TABLE
        statement = sql(
            f"SELECT d.entity_id FROM {fts} JOIN search_documents d ON d.id = {fts}.rowid "
            f"WHERE {fts} MATCH :match AND d.kind = :kind AND d.domain_id = :domain AND d.status = 'ACTIVE' "
            f"ORDER BY bm25({fts}, {_BM25}), d.entity_id LIMIT :limit")
        params["match"] = fts5_query(query)
    else:
        statement = sql(
            "SELECT d.entity_id FROM search_documents d, to_tsquery('simple', :match) q "
            "WHERE d.search_vector @@ q AND d.kind = :kind AND d.domain_id = :domain AND d.status = 'ACTIVE' "
            "ORDER BY ts_rank(d.search_vector, q) DESC, d.entity_id LIMIT :limit")
        params["match"] = tsquery(query)
    return list(session.scalars(statement, params))


def _literal_candidates(session: Session, domain_id: str, text: str) -> set[str]:
    """Listings whose text holds every word literally, for queries with symbols (`100%`, `50_50`)."""
    words = [w.strip('"') for w in text.lower().split()]
    words = [w for w in words if w]
    if not any(_SYMBOL.search(w) for w in words):
        return set()
    query = select(SearchDocument.entity_id).where(SearchDocument.kind == index.KIND,
                                                   SearchDocument.domain_id == domain_id,
                                                   SearchDocument.status == "ACTIVE")
    for word in words:
        query = query.where(SearchDocument.literal_text.like(f"%{_escape_like(word)}%", escape="\\"))
    return set(session.scalars(query.limit(CANDIDATES)))


def _required(groups: int) -> int:
    """How many of a query's word groups a listing must hold."""
    return groups if groups <= 2 else (groups + 1) // 2


def _enough(query: Query, doc: Document) -> bool:
    terms = {t for value in index.document_terms(doc).values() for t in value.split()}
    matched = sum(1 for group in query.groups if any(all(w in terms for w in alt) for alt in group))
    return matched >= _required(len(query.groups))
