"""Relevance of catalog entries to a search query: the order the catalog search returns.

The score is built so that, in this order of importance:

1. an entry whose name *is* the query (normalised: "Customer Orders" == `customer_orders`, and
   `mkt_loss` == "market loss") comes first;
2. coverage decides: the fraction of the query's word groups found anywhere in the entry, so a query
   with one word the best entry lacks still finds it, above entries that match fewer words;
3. then where the words were found (name > columns and glossary terms > description and form text),
   how much of the name the query covers (a short exact-ish name beats a long one that merely contains
   the words), and an exact column or glossary-term match.

A quoted phrase is a requirement: an entry without it scores 0 and `rank` leaves it out.
The database narrows candidates with `text.fts5_query`/`text.tsquery`; `rank` orders them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from openzone.search.text import Query, identifier_tokens, index_terms, parse_query, stem

# Where a word is found says how central it is to the entry.
NAME_WEIGHT = 1.0
COLUMN_WEIGHT = 0.6
GLOSSARY_WEIGHT = 0.6
DESCRIPTION_WEIGHT = 0.35
FORM_WEIGHT = 0.3

# Bump when the analysis (text.py, the fields below) changes: stored prepared documents of another
# version are not trusted (the ranker prepares those documents again) until a reindex.
ANALYSIS_VERSION = 1
_EXACT = 1000.0  # above any coverage score
_COVERAGE = 100.0  # one group of at most MAX_GROUPS (64) is worth more than every tie-breaker together


@dataclass(frozen=True)
class Document:
    """A catalog entry as search sees it; `key` is the caller's id and plays no part in the score."""

    name: str = ""
    technical_name: str = ""
    description: str = ""
    columns: Sequence[str] = ()
    glossary_terms: Sequence[str] = ()
    form_text: str = ""
    key: Any = field(default=None, compare=False)


class _Field(NamedTuple):
    """One searchable value (a tuple: a ranking builds hundreds of them)."""

    weight: float
    terms: frozenset[str]  # index terms: what free term groups match
    tokens: tuple[str, ...]  # identifier tokens: what phrases match


def _field(text: str, weight: float, context: Sequence[str] = ()) -> _Field:
    return _Field(weight, frozenset(index_terms(text, context)), tuple(identifier_tokens(text)))


def _as_document(doc: Document | Mapping[str, Any]) -> Document:
    if isinstance(doc, Document):
        return doc
    keys = ("name", "technical_name", "description", "columns", "glossary_terms", "form_text", "key")
    return Document(**{k: doc[k] for k in keys if doc.get(k) is not None})


def _fields(doc: Document) -> list[_Field]:
    """Every searchable value of the entry with its weight (each column and term is its own value)."""
    table = [doc.technical_name] if doc.technical_name else []
    out = [_field(doc.name, NAME_WEIGHT), _field(doc.technical_name, NAME_WEIGHT)]
    # The table name explains column prefixes (ss_ in store_sales) to the business-name generator.
    out += [_field(column, COLUMN_WEIGHT, table) for column in doc.columns]
    out += [_field(term, GLOSSARY_WEIGHT) for term in doc.glossary_terms]
    out += [_field(doc.description, DESCRIPTION_WEIGHT), _field(doc.form_text, FORM_WEIGHT)]
    return [f for f in out if f.tokens]


def _canonical(text: str) -> tuple[str, ...]:
    """A name reduced for equality: tokens stemmed, abbreviations read out (`mkt_loss` == "market loss")."""
    words: list[str] = []
    for token in identifier_tokens(text):
        expanded = index_terms(token)
        # index_terms(token) is [token, stem?, expansion...]: the expansion, when there is one, is the reading.
        rest = [t for t in expanded[1:] if t != stem(token)]
        words += rest or [stem(token)]
    return tuple(words)


class _Group(NamedTuple):
    """A query's word group as set operations take it: one-word alternatives, and the others."""

    words: tuple[str, ...]
    alternatives: tuple[tuple[str, ...], ...]


def _group(group: Sequence[tuple[str, ...]]) -> _Group:
    return _Group(tuple(alt[0] for alt in group if len(alt) == 1), tuple(alt for alt in group if len(alt) != 1))


def _group_matches(group: _Group, terms: frozenset[str]) -> bool:
    """Whether the terms hold every word of some alternative of the group."""
    return not terms.isdisjoint(group.words) or any(terms.issuperset(alt) for alt in group.alternatives)


def _has_phrase(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return any(tuple(tokens[i : i + n]) == tuple(phrase) for i in range(len(tokens) - n + 1))


def _name_cover(wanted: frozenset[str], words: tuple[tuple[str, frozenset[str]], ...]) -> float:
    """The fraction of a name's (stemmed) words the query's `wanted` words account for (1.0: the query says
    the whole name)."""
    # A name word also counts when the query names its expansion (mkt <- "market").
    hit = sum(1 for w, terms in words if w in wanted or not terms.isdisjoint(wanted))
    return hit / len(words) if words else 0.0


@dataclass(frozen=True)
class Prepared:
    """What `score` reads of a document, whatever the query: its analysis, done once (and storable)."""

    fields: tuple[_Field, ...]
    names: tuple[_Field, ...]  # the name and the technical name (those with words)
    name_words: tuple[tuple[tuple[str, frozenset[str]], ...], ...]  # per name: (stemmed word, its index terms)
    own: frozenset[tuple[str, ...]]  # canonical names (the technical one also without its schema)
    others: frozenset[tuple[str, ...]]  # canonical columns and glossary terms
    key: Any = field(default=None, compare=False)


def prepare(doc: Document | Mapping[str, Any]) -> Prepared:
    """The query-independent analysis of a document."""
    d = _as_document(doc)
    names = tuple(f for f in (_field(d.name, NAME_WEIGHT), _field(d.technical_name, NAME_WEIGHT)) if f.tokens)
    name_words = tuple(tuple((w, frozenset(index_terms(w))) for w in sorted({stem(t) for t in f.tokens}))
                       for f in names)
    # A technical name counts with and without its schema (finance.mkt_loss == "mkt_loss").
    own = (d.name, d.technical_name, d.technical_name.rsplit(".", 1)[-1])
    return Prepared(tuple(_fields(d)), names, name_words, frozenset(_canonical(n) for n in own if n),
                    frozenset(_canonical(v) for v in (*d.columns, *d.glossary_terms)), d.key)


def dumps(prepared: Prepared) -> str:
    """A prepared document as JSON (deterministic: sets sorted), for the search index."""
    def field_json(f: _Field) -> list:
        return [f.weight, sorted(f.terms), list(f.tokens)]
    return orjson.dumps({"v": ANALYSIS_VERSION, "f": [field_json(f) for f in prepared.fields],
                         "n": [field_json(f) for f in prepared.names],
                         "w": [[[w, sorted(terms)] for w, terms in words] for words in prepared.name_words],
                         "o": sorted(list(c) for c in prepared.own),
                         "c": sorted(list(c) for c in prepared.others)}).decode()


def loads(text: str | None, key: Any = None) -> Prepared | None:
    """A prepared document from `dumps`; None when absent or made by another analysis version."""
    if not text:
        return None
    data = orjson.loads(text)
    if data.get("v") != ANALYSIS_VERSION:
        return None
    # Comprehensions, not generators: the re-ranker loads ~50 documents a search.
    return Prepared(tuple([_Field(w, frozenset(terms), tuple(tokens)) for w, terms, tokens in data["f"]]),
                    tuple([_Field(w, frozenset(terms), tuple(tokens)) for w, terms, tokens in data["n"]]),
                    tuple([tuple([(w, frozenset(terms)) for w, terms in words]) for words in data["w"]]),
                    frozenset([tuple(c) for c in data["o"]]), frozenset([tuple(c) for c in data["c"]]), key)


def score(query: Query | str, doc: Document | Mapping[str, Any] | Prepared) -> float:
    """How well `doc` answers `query`: 0 when it does not match at all, higher is better."""
    q = query if isinstance(query, Query) else parse_query(query)
    return _scorer(q)(doc) if not q.empty else 0.0


def _scorer(q: Query) -> Callable[[Document | Mapping[str, Any] | Prepared], float]:
    """`score` for one (non-empty) query, what depends on the query alone worked out once: `rank` scores
    tens of documents with it."""
    groups = [_group(g) for g in q.groups]
    n, phrases = len(groups), q.phrases
    wanted = frozenset({w for group in q.groups for alt in group for w in alt}
                       | {stem(w) for phrase in phrases for w in phrase})
    canonical = _canonical(q.text)

    def score_of(doc: Document | Mapping[str, Any] | Prepared) -> float:
        p = doc if isinstance(doc, Prepared) else prepare(doc)
        fields = p.fields
        if phrases and not all(any(_has_phrase(f.tokens, phrase) for f in fields) for phrase in phrases):
            return 0.0  # quoted text is a requirement
        best = []
        for group in groups:  # the weight of the best field holding the group (weights are positive)
            weight = 0.0
            for f in fields:
                if f.weight > weight and _group_matches(group, f.terms):
                    weight = f.weight
            best.append(weight)
        matched = sum(1 for b in best if b > 0)
        if n and not matched and not phrases:
            return 0.0
        coverage = matched / n if n else 1.0
        placement = sum(best) / n if n else 1.0
        cover = max((_name_cover(wanted, words) for words in p.name_words), default=0.0)
        exact_name = bool(canonical) and canonical in p.own
        exact_other = bool(canonical) and canonical in p.others
        in_name = bool(phrases) and any(_has_phrase(f.tokens, phrase) for f in p.names for phrase in phrases)
        # Tie-breakers, together below 1 so that they never outweigh one more covered group.
        tie = 0.45 * placement + 0.3 * cover + 0.15 * exact_other + 0.09 * in_name
        return _EXACT * exact_name + _COVERAGE * coverage + tie

    return score_of


def rank(query: Query | str, docs: Iterable[Any]) -> list[Any]:
    """The matching docs, best first; equal scores keep their input order (so a caller's tie order holds)."""
    q = query if isinstance(query, Query) else parse_query(query)
    items = list(docs)
    if q.empty:
        return items  # nothing to rank by: the caller's order stands
    score_of = _scorer(q)
    scored = [(score_of(doc), i, doc) for i, doc in enumerate(items)]
    return [doc for s, _, doc in sorted((t for t in scored if t[0] > 0), key=lambda t: (-t[0], t[1]))]
