"""Text analysis for catalog search: identifier tokens, index terms, query parsing and safe engine queries.

One analysis serves three consumers, so they agree on what matches:

* `relevance.score` (pure Python, the arbiter of order),
* SQLite FTS5 (`fts5_query`, for a column holding `" ".join(index_terms(text))`),
* PostgreSQL full text (`tsquery`, for `to_tsvector('simple', " ".join(index_terms(text)))`).

Choices, made once:

* Tokens are runs of letters or decimal digits, split at camelCase, acronym and letter/digit boundaries
  (the business-name generator's `split_identifier`), then lower-cased.
* A plural is reduced by a small suffix stripper (`stem`) at index *and* query time.
* Known abbreviations are expanded at index time from the enrichment dictionary (`mkt` -> `market`), so a
  document named `mkt_loss` is found by "mkt" and by "market"; a query word also looks for its
  expansion (`mkt` finds a description saying "market") and for its abbreviations ("market" -> `mkt`).
* `index_terms` lists the document's plain tokens first, in order and unstemmed, and only then the
  stems and expansions; so a quoted phrase matches the plain tokens adjacently (exact phrases), while
  free terms match anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from openzone.enrichment.abbreviations import ABBREVIATIONS, MINOR_WORDS, PHRASES
from openzone.enrichment.names import business_name, prefix_table, split_identifier

MAX_GROUPS = 64  # a query longer than this is cut: it bounds the engine query and keeps coverage steps visible
MAX_TOKEN = 64  # longer "words" are noise (hashes, pasted blobs) and PostgreSQL refuses words over 2047 bytes

_MAX_PHRASE = max(len(key) for key in PHRASES)
# Plurals that end in s but are not plurals of an s-less word (status, analysis, address, series).
_KEEP_S = ("ss", "us", "is")
_INVARIANT = frozenset({"series", "species", "news", "means", "does"})


@dataclass(frozen=True)
class Query:
    """A parsed user query: free terms (one alternative group each) and exact phrases."""

    terms: list[str] = field(default_factory=list)  # one analysed term per query word
    phrases: list[list[str]] = field(default_factory=list)  # quoted phrases as identifier tokens
    # For each term: its alternatives; an alternative of several words means "all of these words".
    groups: list[list[tuple[str, ...]]] = field(default_factory=list)
    text: str = ""  # the raw query, for exact-name comparison

    @property
    def empty(self) -> bool:
        """Whether the query has nothing to search for."""
        return not self.groups and not self.phrases


def _clean(text: str) -> str:
    """Keep letters and decimal digits only (NFKC first, so full-width and ligature forms fold)."""
    text = unicodedata.normalize("NFKC", text)
    # Superscripts and other numeric symbols are not digits in either engine's tokenizer: drop them.
    return "".join(ch if ch.isalpha() or ch.isdecimal() else " " for ch in text)


@lru_cache(maxsize=65536)
def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    return tuple(tok.lower()[:MAX_TOKEN] for tok in split_identifier(_clean(chunk)))


def identifier_tokens(text: str) -> list[str]:
    """Lower-case word tokens of free text or identifiers (snake, camel, dotted, kebab, digits split)."""
    if not text:
        return []
    # Whitespace separates tokens in every step (cleaning, splitting), so each word is analysed on its
    # own, once per process: long descriptions repeat words, and ranking re-reads the same texts.
    return [tok for chunk in text.split() for tok in _chunk_tokens(chunk)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Reduce an English plural to its singular with a few suffix rules; other words are unchanged."""
    if len(word) <= 3 or not word.isalpha() or word in _INVARIANT:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"  # categories -> category
    if word.endswith("sses"):
        return word[:-2]  # addresses -> address
    if word.endswith(("xes", "ches", "shes", "zzes")):
        return word[:-2]  # taxes -> tax, batches -> batch
    if word.endswith("s") and not word.endswith(_KEEP_S):
        return word[:-1]  # orders -> order, prices -> price
    return word


@lru_cache(maxsize=4096)
def _expansion(token: str) -> tuple[str, ...]:
    """The stemmed words an abbreviation stands for (`mkt` -> market), or () when it is not one."""
    full = ABBREVIATIONS.get(token) or ABBREVIATIONS.get(stem(token))
    if not full:
        return ()
    words = tuple(stem(w) for w in identifier_tokens(full))
    return () if words == (stem(token),) else words


def _phrase_expansions(tokens: Sequence[str]) -> list[str]:
    """Words of multi-token dictionary phrases found in the tokens (`e mail` -> email)."""
    out: list[str] = []
    for i in range(len(tokens)):
        for size in range(min(_MAX_PHRASE, len(tokens) - i), 1, -1):
            full = PHRASES.get(tuple(tokens[i : i + size]))
            if full:
                out += [stem(w) for w in identifier_tokens(full)]
                break
    return out


@lru_cache(maxsize=65536)
def _index_terms(text: str, table: str | None) -> tuple[str, ...]:
    tokens = identifier_tokens(text)
    extras: list[str] = []
    skip_first = False
    if table and tokens and not any(ch.isspace() for ch in text.strip()):
        # An identifier whose prefix names its table (ss_ in store_sales): the generator expands the
        # prefix from the table name; the dictionary reading (ss = "safety stock") would be noise.
        named = business_name(text, (table,))
        if named != business_name(text):
            extras += [stem(w) for w in identifier_tokens(named)]
            skip_first = True
    for i, tok in enumerate(tokens):
        extras.append(stem(tok))
        if not (skip_first and i == 0):
            extras += _expansion(tok)
    extras += _phrase_expansions(tokens)
    seen = set(tokens)
    out = list(tokens)
    for term in extras:
        if term not in seen:
            seen.add(term)
            out.append(term)
    return tuple(out)


def index_terms(text: str, context: Sequence[str] = ()) -> list[str]:
    """Terms to index for a field: its tokens in order, then stems and abbreviation expansions."""
    # Cached by the one table whose prefix the identifier carries, if any, not by the whole context: column
    # names recur across tables, and most carry no table prefix.
    text = text or ""
    return list(_index_terms(text, prefix_table(text, context) if context else None))


def _reverse_abbreviations() -> dict[str, tuple[str, ...]]:
    """Word -> the single-token abbreviations that stand for it (market -> mkt, mkts, mrkt)."""
    out: dict[str, list[str]] = {}
    for abbr, full in ABBREVIATIONS.items():
        words = [stem(w) for w in identifier_tokens(full)]
        # Only abbreviations that are one token themselves can ever equal an indexed token.
        if len(words) == 1 and words[0] != stem(abbr) and identifier_tokens(abbr) == [abbr]:
            out.setdefault(words[0], []).append(abbr)
    return {word: tuple(abbrs) for word, abbrs in out.items()}


# Redundant for text indexed with index_terms (it already holds "market" beside "mkt"), but it keeps
# finding rows indexed before the dictionary learnt an abbreviation, or indexed from plain tokens.
_REVERSE = _reverse_abbreviations()

_QUOTED = re.compile(r'"([^"]*)"?')  # an unclosed quote runs to the end of the query


def _alternatives(token: str) -> list[tuple[str, ...]]:
    """The ways one query token can match: its stem, the words of its expansion, or its abbreviations."""
    alts = [(stem(token),)]
    full = _expansion(token)
    if full and full not in alts:
        alts.append(full)
    alts += [(abbr,) for abbr in _REVERSE.get(stem(token), ()) if (abbr,) not in alts]
    return alts


_COMPOUND = re.compile(r"\w[_.\-/:]+\w")


def parse_query(text: str) -> Query:
    """Split a user query into free-term alternative groups and exact "quoted phrases"."""
    text = text or ""
    phrases: list[list[str]] = []
    free: list[str] = []
    pos = 0
    for m in _QUOTED.finditer(text):
        free.append(text[pos : m.start()])
        tokens = identifier_tokens(m.group(1))
        if tokens and tokens not in phrases:
            phrases.append(tokens)
        pos = m.end()
    free.append(text[pos:])
    # A word written as a compound identifier (`mkt_loss`, `a.b`, `5__5`) means those tokens in that
    # order: it is matched as a phrase, not as loose words that any text holding one of them has.
    for word in (w for chunk in free for w in chunk.split()):
        parts = identifier_tokens(word)
        if _COMPOUND.search(word) and len(parts) > 1 and parts not in phrases:
            phrases.append(parts)
    tokens = [tok for chunk in free for tok in identifier_tokens(chunk)]
    # Small words ("number of employees") would only lower coverage; keep them when they are all there is.
    content = [tok for tok in tokens if tok not in MINOR_WORDS] or tokens
    terms: list[str] = []
    groups: list[list[tuple[str, ...]]] = []
    for tok in content:
        term = stem(tok)
        if term in terms:
            continue  # a repeated word counts once
        terms.append(term)
        groups.append(_alternatives(tok))
        if len(groups) == MAX_GROUPS:
            break
    return Query(terms=terms, phrases=phrases[:MAX_GROUPS], groups=groups, text=text)


def _as_query(query: Query | str) -> Query:
    return query if isinstance(query, Query) else parse_query(query)


def _fts5_word(word: str) -> str:
    # Always a string: barewords such as NEAR, AND, OR, NOT or a column name stay plain words.
    return '"' + word.replace('"', '""') + '"'


def fts5_query(query: Query | str) -> str:
    """An FTS5 MATCH expression: any term group (OR, so coverage can rank) or phrase; '""' when empty."""
    parts: list[str] = []
    for group in _as_query(query).groups:
        alts = [" AND ".join(_fts5_word(w) for w in alt) for alt in group]
        parts.append("(" + " OR ".join(f"({a})" if " " in a else a for a in alts) + ")")
    for phrase in _as_query(query).phrases:
        parts.append('"' + " ".join(w.replace('"', '""') for w in phrase) + '"')
    # '""' is a valid expression that matches nothing, where an empty string is a syntax error.
    return " OR ".join(parts) if parts else '""'


def _ts_word(word: str) -> str:
    # Quoted lexeme; tokens hold letters and digits only, the doubling is a second line of defence.
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(query: Query | str) -> str:
    """A to_tsquery('simple', ...) expression: OR of term groups and phrases (<->); '' when empty."""
    parts: list[str] = []
    for group in _as_query(query).groups:
        alts = [" & ".join(_ts_word(w) for w in alt) for alt in group]
        parts.append("( " + " | ".join(f"( {a} )" if len(alt) > 1 else a for a, alt in zip(alts, group)) + " )")
    for phrase in _as_query(query).phrases:
        parts.append("( " + " <-> ".join(_ts_word(w) for w in phrase) + " )")
    return " | ".join(parts)


# --- filters as full-text tokens ---------------------------------------------------------------------------
# A filter `attribute = value` on an attribute row is also a token of the document's `filter_terms` (one
# per string attribute value), so the engine intersects text and filters in one MATCH / tsquery instead
# of probing each matching document's attribute rows. The token is a 120-bit hash: letters and digits
# only (one token for FTS5's tokenizer and PostgreSQL's parser), and a collision with a real word or
# another value is out of reach. Changing it changes the index format: a migration must recompute them.

FilterTerms = str | tuple[str, list["FilterTerms"]]  # a token, or ("AND" | "OR", operands)


@lru_cache(maxsize=65536)
def filter_token(attribute: str, value: str) -> str:
    """The full-text token standing for `attribute = value`."""
    digest = hashlib.blake2b(f"{attribute}\x00{value}".encode(), digest_size=15).digest()
    return "zf" + base64.b32encode(digest).decode("ascii").lower()


def fts5_filter(terms: FilterTerms) -> str:
    """FTS5 expression of a filter token tree (tokens are letters and digits: no quoting needed)."""
    if isinstance(terms, str):
        return terms
    operator, operands = terms
    return "(" + f" {operator} ".join(fts5_filter(t) for t in operands) + ")"


def ts_filter(terms: FilterTerms) -> str:
    """to_tsquery('simple', ...) expression of a filter token tree."""
    if isinstance(terms, str):
        return terms
    operator, operands = terms
    return "( " + (" & " if operator == "AND" else " | ").join(ts_filter(t) for t in operands) + " )"
