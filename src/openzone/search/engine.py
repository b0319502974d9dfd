"""The full-text engine's candidates for a text query (step 1 of service.py's search), on either backend.

The statement is the costly Python part of a search: built per call it costs more than SQLite's run of it.
Its text query and the domain of SearchListings' scope (`LISTING_SCOPE`) are parameters, so the statements
on that scope are built once per shape (backend, filter tokens or not, pool size) and reused.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, String, and_, bindparam, func, literal_column, select, table
from sqlalchemy import text as sql
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import replacement_traverse

from openzone.search import facets, index
from openzone.search.filters import D
from openzone.search.models import TERM_FIELDS
from openzone.search.text import FilterTerms, Query, fts5_filter, fts5_query, ts_filter, tsquery

CANDIDATES = 500  # documents the text query can match (and totalMatchCount and facets count) at most
# bm25 weights per FTS5 column (index.FTS_COLUMNS order), in the spirit of relevance's field weights.
_BM25 = "10.0, 10.0, 6.0, 6.0, 3.5, 3.0, 0.0"  # filter_terms: 0, they only narrow
# SearchListings' scope: the domain's ACTIVE listings, the domain a parameter (execute with `scope_params`).
LISTING_SCOPE = and_(D.c.kind == "LISTING", D.c.domain_id == bindparam("scope_domain"), D.c.status == "ACTIVE")
TERMS = [D.c[name] for name in TERM_FIELDS]
FACET_COLUMNS = list(facets.COLUMNS)  # read with the candidates: those facets need no second query


def scope_params(domain_id: str) -> dict[str, Any]:
    """The parameters of LISTING_SCOPE for a domain."""
    return {"scope_domain": domain_id}


class Candidate(NamedTuple):
    """A row of the engine query (a tuple: hundreds are built per call)."""

    id: int
    kind: str
    entity_id: str
    columns: tuple[str | None, ...]  # facets.COLUMNS values (owning project, type name), in FACET_COLUMNS order
    terms: tuple[str, ...]  # the stored *_terms columns, in TERM_FIELDS order


# Statements on LISTING_SCOPE by (backend, with filter tokens, pool size): a handful, built on first use.
_BUILT: dict[tuple[str, bool, int | None], Select] = {}


def candidates(session: Session, where: ColumnElement[bool], params: dict[str, Any], query: Query,
               filter_terms: FilterTerms | None, pool_size: int | None) -> list[Candidate]:
    """Documents in scope (`where`, with its `params`) the full-text engine matches (any group or phrase, and
    the filter tokens), best first, with their terms.

    With `pool_size`, the engine's work is bounded: it looks at the first pool_size matches (SQLite:
    most recently indexed; PostgreSQL: table order), the scope and the filters left in SQL keep
    CANDIDATES of them, best scored first (bm25 / ts_rank of the text alone, computed only for what they
    kept). Without, every match is looked at.
    """
    dialect = session.get_bind().dialect.name
    filtered = filter_terms is not None
    if where is LISTING_SCOPE:
        key = (dialect, filtered, pool_size)
        statement = _BUILT.get(key)
        if statement is None:
            statement = _BUILT[key] = _statement(dialect, where, filtered, pool_size)
    else:
        statement = _statement(dialect, where, filtered, pool_size)
    if dialect == "sqlite":
        text_match = fts5_query(query)
        match = {"match": text_match,
                 "pool_match": text_match if not filtered else f"({text_match}) AND {fts5_filter(filter_terms)}"}
    else:
        text_query = tsquery(query)
        match = {"tsquery": text_query,
                 "pool_tsquery": text_query if not filtered else f"( {text_query} ) & {ts_filter(filter_terms)}"}
    # all() fetches the rows in one call where iterating fetches one row at a time.
    rows = session.execute(statement, {**params, **match}).all()
    k = 3 + len(FACET_COLUMNS)
    return [Candidate(*row[:3], tuple(row[3:k]), tuple(row[k:])) for row in rows]


def _statement(dialect: str, where: ColumnElement[bool], filtered: bool, pool_size: int | None) -> Select:
    """The engine query for a scope; its text queries are the parameters `match` and `pool_match` (SQLite,
    FTS5 expressions) or `tsquery` and `pool_tsquery` (PostgreSQL, to_tsquery expressions)."""
    if dialect == "sqlite":
        fts = index.FTS_TABLE
        rowid = literal_column(f"{fts}.rowid")
        bounded = []
        if filtered or pool_size is not None:
            # The pool: the first pool_size matches of the text and the filter tokens (most recent first),
            # computed once. They are exactly the matches from the pool's least rowid up, a range FTS5 takes
            # as a constraint below.
            first = (select(rowid.label("doc_id")).select_from(table(fts)).where(sql(f"{fts} MATCH :pool_match"))
                     .order_by(rowid.desc()).limit(pool_size).cte("pool").prefix_with("MATERIALIZED"))
            bounded = [rowid >= select(func.min(first.c.doc_id)).scalar_subquery()]
            if filtered:
                # The scored query matches the text alone: bm25 would otherwise count every document holding
                # a filter token (for its idf) though their weight is 0, ~4 ms for a value in 1/8 of a million.
                # `+` keeps SQLite from handing the IN list to FTS5 as rowid lookups (FTS5 does not seek).
                bounded.append(literal_column(f"+{fts}.rowid").in_(select(first.c.doc_id)))
        # Scope and filters apply to each match before bm25 (the costly part) scores it; conditions on the
        # document's id (the filters' attribute probes) are put on the FTS rowid, so that SQLite checks them
        # before it reads the document row.
        on_match = replacement_traverse(where, {}, lambda element: rowid if element is D.c.id else None)
        return (select(D.c.id, D.c.kind, D.c.entity_id, *facets.COLUMNS.values(), *TERMS)
                .select_from(table(fts)).join(D, D.c.id == rowid)
                .where(sql(f"{fts} MATCH :match"), *bounded, on_match)
                .order_by(literal_column(f"bm25({fts}, {_BM25})").asc(), D.c.entity_id).limit(CANDIDATES))
    # The pool reads every column the rest needs in its one heap visit per match; scope and filters
    # then apply to the pool's rows (rewritten onto them), without a second lookup of each document,
    # and ts_rank (the costly part) scores only the rows they keep, on the text query alone.
    q = func.to_tsquery("simple", bindparam("tsquery", type_=String()))
    matching = func.to_tsquery("simple", bindparam("pool_tsquery", type_=String())) if filtered else q
    pool = select(*D.c).where(D.c.search_vector.op("@@")(matching)).limit(pool_size).subquery("pool")
    score = func.ts_rank(pool.c.search_vector, q)
    return (select(pool.c.id, pool.c.kind, pool.c.entity_id,
                   *(pool.c[column.name] for column in facets.COLUMNS.values()),
                   *(pool.c[name] for name in TERM_FIELDS))
            .where(ClauseAdapter(pool).traverse(where)).order_by(score.desc(), pool.c.entity_id)
            .limit(CANDIDATES))
