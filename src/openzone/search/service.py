"""Search the catalog: the published listings (SearchListings) and a project's inventory (Search).

Both run the same steps over `search_documents`, in a *scope* (kind, domain, and what the caller may
see: every ACTIVE listing of the domain; inventory only of projects the caller is a member of) narrowed
by the compiled `filters`:

1. With searchText, the engine (engine.py) looks at the first POOL documents matching any query word group or
   phrase and the filters said as tokens (`filters.Compiler.split`; SQLite FTS5 `MATCH text.fts5_query`,
   the most recently indexed first; PostgreSQL `@@ to_tsquery('simple', text.tsquery)` through the GIN
   index, in table order; both stop early), scores those in scope and the filters left in SQL (bm25 /
   ts_rank of the text), and keeps the best CANDIDATES of them: the work per query is bounded whatever
   the catalog's size. A
   query with symbols the analyser drops (`100%`, `50_50`) is also looked up literally (LIKE, every
   word). A match must hold every word of a one- or two-word query, at least half the words of a
   longer one, and every quoted phrase (in the `searchIn` attributes when given), checked on the
   stored terms. `relevance.rank` (exact name, coverage, where the words were found) orders the best
   of them (the page and RERANK_MARGIN more); the rest follow in engine order. `totalMatchCount` and
   the facets count these matches (so at most CANDIDATES, drawn from the POOL first met). When fewer
   than a page of the first POOL are in scope (a narrow scope: one project's inventory in a big
   domain), every match is looked at instead.
2. Without searchText, the whole scope matches, in SQL: count, facets (indexed GROUP BY) and the page
   (most recently updated first unless `sort` says otherwise).

`sort` replaces the ranking. Aggregations count values of the matches per attribute (facets.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, literal, or_, select
from sqlalchemy.orm import Session

from openzone.catalog.models import Asset, AssetRevision, Listing
from openzone.catalog.product_models import DataProduct, DataProductRevision
from openzone.domains import service as domains
from openzone.glossary.models import Glossary, GlossaryTerm
from openzone.errors import AccessDeniedError, ValidationError
from openzone.identity.models import User
from openzone.projects import service as projects
from openzone.search import engine, facets
from openzone.search.engine import CANDIDATES, Candidate
from openzone.search.filters import A, D, TextFilters, compile_filters, compile_text_filters, is_form_attribute
from openzone.search.kinds import GLOSSARY_TERMS, KINDS
from openzone.search.models import TERM_FIELDS
from openzone.search.rationale import text_matches
from openzone.search import relevance
from openzone.search.relevance import rank
from openzone.search.text import Query, parse_query

POOL = 2000  # most recent engine matches looked at, before scope and filters
# With filters said as tokens every pooled match holds them already: the pool need not exceed what is kept
# (the most recent CANDIDATES matches of text and filters hold the POOL-bounded ones of the text alone).
FILTERED_POOL = CANDIDATES
RERANK_MARGIN = 25  # documents beyond the page that relevance.rank re-orders
_SYMBOL = re.compile(r"[^\w\s]|_")
# Sort attribute -> document column.
SORT_COLUMNS = {"name": D.c.name, "createdAt": D.c.created_at, "creationTime": D.c.created_at,
                "updatedAt": D.c.updated_at, "lastUpdatedAt": D.c.updated_at, "lastUpdatedTime": D.c.updated_at}
# searchIn attribute -> the analysed document fields it reads (form attributes read columns and form text).
SEARCH_IN = {"name": ("name_terms", "technical_terms"), "description": ("description_terms",),
             GLOSSARY_TERMS: ("glossary_terms",), "glossaryTerms": ("glossary_terms",)}
_FORM_FIELDS = ("column_terms", "form_terms")


@dataclass
class Hit:
    """One result: which entity, and (when asked) why it matched."""

    kind: str
    entity_id: str
    rationale: list[dict] = field(default_factory=list)
    # the loaded entity (see _attach): a listings row (Listing's attributes, read-only), (Asset, AssetRevision),
    # (DataProduct, DataProductRevision), Glossary, (term, glossary)
    entity: Any = None


@dataclass
class Result:
    hits: list[Hit]  # the page (up to limit+1, for paging)
    total: int
    aggregates: list[dict]


@dataclass
class Request:
    """What a caller asked for, in botocore member names' meaning."""

    text: str | None = None
    search_in: list[str] | None = None
    filters: dict | None = None
    sort: dict | None = None
    aggregations: list[dict] | None = None
    rationale: bool = False
    offset: int = 0
    limit: int = 50


# --- entry points ------------------------------------------------------------------------------------------


def search_listings(session: Session, actor: User, domain_id: str, request: Request) -> Result:
    """Published listings of the domain matching the request, best first, with total and facets."""
    domains.require_domain_user(session, actor, domain_id)
    return _attach(session, _search(session, domain_id, ["LISTING"], engine.LISTING_SCOPE,
                                    engine.scope_params(domain_id), request))


def search_inventory(session: Session, actor: User, domain_id: str, scope_name: str, project_id: str | None,
                     request: Request) -> Result:
    """Inventory of one kind the caller may see (members' projects; enabled glossaries for everyone)."""
    domains.require_domain_user(session, actor, domain_id)
    kind = scope_name  # InventorySearchScope values are kind names (search_documents.kind)
    if project_id is not None and not (actor.is_admin or projects.designation_of(session, project_id, actor)):
        raise AccessDeniedError(f"You are not a member of project {project_id}.")
    if kind not in KINDS:  # a scope this server does not index
        return Result([], 0, [])
    scope = and_(D.c.kind == kind, D.c.domain_id == domain_id)
    if not actor.is_admin:
        members = projects.member_project_ids(session, actor, domain_id)
        own = D.c.owning_project_id.in_(members) if members else literal(False)
        # Enabled glossaries and terms are part of the business catalog (glossary.service); assets are not.
        scope = and_(scope, or_(D.c.status == "ENABLED", own) if kind in ("GLOSSARY", "GLOSSARY_TERM") else own)
    if project_id is not None:
        scope = and_(scope, D.c.owning_project_id == project_id)
    return _attach(session, _search(session, domain_id, [kind], scope, {}, request))


# The listings of a SearchListings page, built once, read as rows: they have Listing's attribute names, and
# loading ORM entities costs more than the query (nothing here changes them).
_LISTINGS = select(Listing.__table__).where(Listing.__table__.c.id.in_(bindparam("ids", expanding=True)))


def _attach(session: Session, result: Result) -> Result:
    """Load the page's entities (a hit whose entity vanished meanwhile is dropped)."""
    by_kind: dict[str, list[str]] = {}
    for hit in result.hits:
        by_kind.setdefault(hit.kind, []).append(hit.entity_id)
    loaded: dict[tuple[str, str], Any] = {}
    for kind, ids in by_kind.items():
        if kind == "LISTING":
            loaded |= {(kind, x.id): x for x in session.execute(_LISTINGS, {"ids": ids}).all()}
        elif kind == "ASSET":
            rows = session.execute(select(Asset, AssetRevision).join(AssetRevision, and_(
                AssetRevision.asset_id == Asset.id, AssetRevision.revision == Asset.revision)).where(Asset.id.in_(ids)))
            loaded |= {(kind, a.id): (a, r) for a, r in rows}
        elif kind == "DATA_PRODUCT":
            rows = session.execute(select(DataProduct, DataProductRevision).join(DataProductRevision, and_(
                DataProductRevision.data_product_id == DataProduct.id,
                DataProductRevision.revision == DataProduct.revision)).where(DataProduct.id.in_(ids)))
            loaded |= {(kind, p.id): (p, r) for p, r in rows}
        elif kind == "GLOSSARY":
            loaded |= {(kind, g.id): g for g in session.scalars(select(Glossary).where(Glossary.id.in_(ids)))}
        elif kind == "GLOSSARY_TERM":
            rows = session.execute(select(GlossaryTerm, Glossary).join(Glossary, Glossary.id == GlossaryTerm.glossary_id)
                                   .where(GlossaryTerm.id.in_(ids)))
            loaded |= {(kind, t.id): (t, g) for t, g in rows}
    for hit in result.hits:
        hit.entity = loaded.get((hit.kind, hit.entity_id))
    result.hits = [hit for hit in result.hits if hit.entity is not None]
    return result


# --- the shared steps --------------------------------------------------------------------------------------


def _fields_of(search_in: list[str] | None) -> tuple[str, ...] | None:
    if not search_in:
        return None
    out: list[str] = []
    for attribute in search_in:
        if attribute in SEARCH_IN:
            out += SEARCH_IN[attribute]
        elif is_form_attribute(attribute):
            out += _FORM_FIELDS
        else:
            raise ValidationError(f"searchIn: {attribute} is not searchable; use name, description, "
                                  f"{GLOSSARY_TERMS} or <formName>.<field>.")
    return tuple(dict.fromkeys(out))


def _search(session: Session, domain_id: str, kinds: list[str], scope: ColumnElement[bool], params: dict[str, Any],
            request: Request) -> Result:
    """Steps 1 and 2 of the module's docstring, in `scope` (executed with its `params`)."""
    fields = _fields_of(request.search_in)
    text = (request.text or "").strip()
    sort = _sort(session, request.sort)
    if not text:
        condition = compile_filters(session, request.filters, correlated=False)
        where = and_(scope, condition) if condition is not None else scope
        return _browse(session, domain_id, where, params, sort, request)
    filters = compile_text_filters(session, request.filters)
    engine_where = and_(scope, filters.rest) if filters.rest is not None else scope
    query = parse_query(text)
    pool = POOL if filters.terms is None else FILTERED_POOL
    found = engine.candidates(session, engine_where, params, query, filters.terms, pool) if not query.empty else []
    if not query.empty and len(found) <= request.offset + request.limit:
        # Too few in scope among the first POOL matches (a narrow scope, such as one project's
        # inventory in a big domain, or a deep page): look at every match instead.
        found = engine.candidates(session, engine_where, params, query, filters.terms, None)
    enough = _enough(query, fields)
    matched = [c for c in found if enough(c.terms)]
    matched_ids = {c.id for c in matched}
    literal_ids = [i for i in _literal_candidates(session, scope, params, filters, text) if i not in matched_ids]
    # Relevance re-ranks the engine's best (enough for this page and a margin); the rest keep engine order.
    head = request.offset + request.limit + 1 + RERANK_MARGIN
    ranked_ids = _ranked_ids(session, kinds, query, matched[:head]) if matched else []
    rest = [c.id for c in matched[head:]] + literal_ids
    ranked = set(ranked_ids)
    order = ranked_ids + [i for i in rest if i not in ranked]
    if not query.groups and not query.phrases:
        order = literal_ids
    known = {c.id: (c.id, c.kind, c.entity_id) for c in matched}
    refs = _refs(session, order, known)
    if sort is not None:
        refs = _sorted(session, refs, sort)
    page = refs[request.offset: request.offset + request.limit + 1]
    # Column facets are counted from the candidate rows already read, when they are all the matches.
    by_id = {c.id: c for c in matched}
    counted = [by_id[i] for i in order if i in by_id]
    facet_values = ({a: [c.columns[i] for c in counted] for i, a in enumerate(engine.FACET_COLUMNS)}
                    if len(counted) == len(order) else None)
    aggregates = facets.count(session, domain_id, request.aggregations, order, facet_values)
    hits = [Hit(kind, entity_id) for _, kind, entity_id in page]
    if request.rationale:
        _explain(session, kinds, query, hits)
    return Result(hits, len(refs), aggregates)


def _refs(session: Session, doc_ids: list[int], known: dict[int, tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """(doc id, kind, entity id) of these documents, in the given order (`known` ones are not read again)."""
    missing = [i for i in doc_ids if i not in known]
    rows = dict(known)
    if missing:
        rows |= {r.id: (r.id, r.kind, r.entity_id) for r in session.execute(
            select(D.c.id, D.c.kind, D.c.entity_id).where(D.c.id.in_(missing)))}
    return [rows[i] for i in doc_ids if i in rows]


def _explain(session: Session, kinds: list[str], query: Query, hits: list[Hit]) -> None:
    """Fill the hits' match rationale (their entries rebuilt with attributes: form fields are reported too)."""
    texts = {}
    for kind in kinds:
        ids = [hit.entity_id for hit in hits if hit.kind == kind]
        texts |= {(kind, e.entity_id): e.texts for e in KINDS[kind].entries(session, ids)} if ids else {}
    for hit in hits:
        hit.rationale = text_matches(query, texts.get((hit.kind, hit.entity_id), {}))


def _browse(session: Session, domain_id: str, where: ColumnElement[bool], params: dict[str, Any], sort,
            request: Request) -> Result:
    """Every document in scope: count, facets and one page, all in SQL."""
    total = session.scalar(select(func.count()).select_from(D).where(where), params)
    if sort is None:
        order = [D.c.updated_at.desc(), D.c.id.desc()]
    else:
        column, descending = sort
        order = [(column.desc() if descending else column.asc()).nulls_last(), D.c.id]
    rows = session.execute(select(D.c.kind, D.c.entity_id).where(where).order_by(*order)
                           .offset(request.offset).limit(request.limit + 1), params).all()
    aggregates = facets.count(session, domain_id, request.aggregations, where, params=params)
    # Without text nothing was matched: hits carry no rationale.
    return Result([Hit(kind, entity_id) for kind, entity_id in rows], total, aggregates)


def _sort(session: Session, sort: dict | None):
    """(column expression, descending) of the requested sort, or None for relevance."""
    if not sort:
        return None
    attribute, descending = sort["attribute"], sort.get("order") == "DESCENDING"
    if attribute in SORT_COLUMNS:
        return SORT_COLUMNS[attribute], descending
    if is_form_attribute(attribute):
        # A sortable form field: its number (documents without one sort last).
        value = (select(func.max(A.c.int_value)).where(A.c.doc_id == D.c.id, A.c.attribute == attribute)
                 .scalar_subquery())
        return value, descending
    raise ValidationError(f"sort: cannot sort by {attribute}; use one of {', '.join(SORT_COLUMNS)} "
                          "or <formName>.<field> of a sortable form field.")


# What the re-ranker reads of its candidates (only they need their update time: hundreds of others do not).
_RANK_DOCS = select(D.c.id, D.c.rank_doc, D.c.updated_at).where(D.c.id.in_(bindparam("ids", expanding=True)))


def _ranked_ids(session: Session, kinds: list[str], query: Query, candidates: list[Candidate]) -> list[int]:
    """The candidates' document ids in relevance order (those relevance scores 0, e.g. missing a quoted
    phrase, drop out); equal scores keep the most recently updated first."""
    stored = {row.id: row for row in session.execute(_RANK_DOCS, {"ids": [c.id for c in candidates]}).all()}

    def updated(c: Candidate) -> float:
        row = stored.get(c.id)
        return row.updated_at.timestamp() if row is not None and row.updated_at else 0.0

    newest = sorted(sorted(candidates, key=lambda c: c.entity_id), key=updated, reverse=True)
    prepared = {c.id: relevance.loads(row.rank_doc if (row := stored.get(c.id)) else None, key=c.id) for c in newest}
    unprepared = [c for c in newest if prepared[c.id] is None]
    for kind in kinds:  # documents indexed before they were prepared: from their entities, as they are now
        wanted = {c.entity_id: c.id for c in unprepared if c.kind == kind}
        for entry in KINDS[kind].entries(session, sorted(wanted), False) if wanted else ():
            prepared[wanted[entry.entity_id]] = relevance.prepare(replace(entry.document, key=wanted[entry.entity_id]))
    return [p.key for p in rank(query, [prepared[c.id] for c in newest if prepared[c.id] is not None])]


def _sorted(session: Session, refs: list[tuple[int, str, str]], sort) -> list[tuple[int, str, str]]:
    column, descending = sort
    ids = [doc_id for doc_id, _, _ in refs]
    values = dict(session.execute(select(D.c.id, column).where(D.c.id.in_(ids))).all()) if ids else {}
    present = [r for r in refs if values.get(r[0]) is not None]
    missing = [r for r in refs if values.get(r[0]) is None]
    present = sorted(sorted(present, key=lambda r: r[2]), key=lambda r: values[r[0]], reverse=descending)
    return present + missing


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _literal_candidates(session: Session, scope: ColumnElement[bool], params: dict[str, Any], filters: TextFilters,
                        text: str) -> list[int]:
    """Documents in scope and filters whose text holds every word literally, for queries with symbols
    (`100%`, `50_50`)."""
    words = [w.strip('"') for w in text.lower().split()]
    words = [w for w in words if w]
    if not any(_SYMBOL.search(w) for w in words):
        return []
    where = and_(scope, filters.condition) if filters.condition is not None else scope
    query = select(D.c.id).where(where, *(D.c.literal_text.like(f"%{_escape_like(w)}%", escape="\\") for w in words))
    return list(session.scalars(query.limit(CANDIDATES), params))


def _required(groups: int) -> int:
    """How many of a query's word groups a document must hold."""
    return groups if groups <= 2 else (groups + 1) // 2


def _has_phrase(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i:i + n] == phrase for i in range(len(words) - n + 1))


def _enough(query: Query, fields: tuple[str, ...] | None) -> Callable[[tuple[str, ...]], bool]:
    """A check whether a document's stored terms (TERM_FIELDS order) hold enough of the query's words, and
    every quoted phrase (what depends on the query alone is worked out once: hundreds are checked)."""
    picked = None if fields is None else [i for i, name in enumerate(TERM_FIELDS) if name in fields]
    # Stored terms are single-space separated tokens: " word " in the padded text is "word is a term".
    # Per group: the needles of its one-word alternatives (most are), and the others' needle lists.
    groups = [([f" {alt[0]} " for alt in group if len(alt) == 1],
               [[f" {w} " for w in alt] for alt in group if len(alt) != 1]) for group in query.groups]
    required = _required(len(groups))
    phrases = query.phrases

    def enough(terms: tuple[str, ...]) -> bool:
        values = terms if picked is None else [terms[i] for i in picked]
        if phrases:
            words_of = [value.split() for value in values]
            if not all(any(_has_phrase(words, phrase) for words in words_of) for phrase in phrases):
                return False
        if not groups:
            return True
        text = f" {' '.join(values)} "
        matched = 0
        for needles, alternatives in groups:  # plain loops: this runs for hundreds of candidates
            for needle in needles:
                if needle in text:
                    matched += 1
                    break
            else:
                matched += any(all(needle in text for needle in alt) for alt in alternatives)
        return matched >= required

    return enough
