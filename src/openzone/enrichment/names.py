"""Deterministic, offline business names and descriptions for tables and columns.

The open counterpart of DataZone's generative business names: technical identifiers are split into
words, abbreviations are expanded from `abbreviations.ABBREVIATIONS` (and multi-word `PHRASES`),
acronyms stay upper-case and everything else is title-cased.

Choices, made once and applied everywhere:

* Numbers are words of their own: `address2` -> "Address 2", `addr2line` -> "Address 2 Line".
* Every token is kept, technical suffixes included: `_sk` reads "Surrogate Key", `_id` reads "ID".
  Dropping them would make `ss_item_sk` and a plain `ss_item` column indistinguishable; the short
  form without them is used only inside `describe_table` sentences.
* A table-level prefix (`ss_` in `store_sales`) expands to the table's business name ("Store Sales",
  without technical table words such as `dim`/`fact`): `ss_ext_sales_price` -> "Store Sales Extended
  Sales Price". When the rest of the column repeats the end of the table name it is said once:
  `c_customer_sk` -> "Customer Surrogate Key", `ss_sales_price` -> "Store Sales Price",
  `cd_demo_sk` (in customer_demographics) -> "Customer Demographics Surrogate Key".
* A first token counts as a table prefix when it is the table's initials (`ss`, `cd`), its first
  letter (`d` in date_dim) or a clipped first word (`inv` for inventory); `predict` also accepts
  a whole first word (`web_` in web_site) when most columns share it. `business_name` alone never
  does (`customer_id` in customer_address stays "Customer ID").
* Adjacent repeated words collapse (`zip_code` -> "ZIP Code", not "ZIP Code Code"); small words
  (of, on, and, ...) are lower-case unless first or last ("Updated At"), while dictionary phrases
  keep their own case ("Ship To"); `num_employees` -> "Number of Employees".
* Run-together words are split into the fewest known words when the whole token is unknown
  (`orderdate` -> "Order Date", `acctbal` -> "Account Balance"), at a lower confidence.
* A one-word plural table names its rows in the singular: `o_orderdate` in `orders` -> "Order Date";
  multi-word names stay as they are ("Store Sales").

The generator is a plain function: callers that want an LLM refinement wrap or replace it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from openzone.enrichment.abbreviations import (
    ABBREVIATIONS,
    COMMON_WORDS,
    MINOR_WORDS,
    NUMBER_WORDS,
    PHRASES,
    TECHNICAL_TABLE_WORDS,
)

_MAX_PHRASE = max(len(key) for key in PHRASES)
# Every word the dictionary can produce counts as a recognised word when met spelled out.
_VOCABULARY = frozenset(
    word.lower() for text in (*ABBREVIATIONS.values(), *PHRASES.values()) for word in text.replace("/", " ").split()
)
_KEY_TOKENS = frozenset({"sk", "id", "key", "pk", "fk"})
_UNKNOWN_WEIGHT = 0.4  # a token left as-is counts this much towards a name's confidence


@dataclass(frozen=True)
class Prediction:
    """Business names and a description predicted for one table, each with a confidence in [0, 1]."""

    table_name: str
    description: str
    column_names: dict[str, str] = field(default_factory=dict)
    table_name_confidence: float = 0.0
    description_confidence: float = 0.0
    column_confidences: dict[str, float] = field(default_factory=dict)


def _kind(ch: str) -> str:
    """Classify one character for splitting: digit, upper, lower (caseless letters count as lower)."""
    if ch.isdigit():
        return "d"
    if ch.isupper():
        return "u"
    return "l"


def split_identifier(technical: str) -> list[str]:
    """Split an identifier into tokens at separators, case changes and letter/digit boundaries."""
    tokens: list[str] = []
    for chunk in "".join(ch if ch.isalnum() else " " for ch in technical).split():
        start = 0
        for i in range(1, len(chunk)):
            prev, cur = _kind(chunk[i - 1]), _kind(chunk[i])
            nxt = _kind(chunk[i + 1]) if i + 1 < len(chunk) else ""
            if (
                (prev == "d") != (cur == "d")  # digit <-> letter
                or (prev == "l" and cur == "u")  # camelCase
                or (prev == "u" and cur == "u" and nxt == "l")  # HTTPStatus -> HTTP | Status
            ):
                tokens.append(chunk[start:i])
                start = i
        tokens.append(chunk[start:])
    return tokens


def _stems(low: str) -> list[str]:
    """The word itself and plain English stems of it (refunded -> refund, returning -> return)."""
    stems = [low]
    for suffix in ("s", "es", "ed", "d", "ing", "er", "ion"):
        if low.endswith(suffix) and len(low) - len(suffix) >= 3:
            stem = low[: -len(suffix)]
            stems += [stem, stem + "e"]
    return stems


def _known(token: str) -> bool:
    """Whether a token is an abbreviation, a known word (or a plain inflection of one), a number or a small word."""
    low = token.lower()
    if low in ABBREVIATIONS or low in MINOR_WORDS or token.isdigit():
        return True
    return any(stem in _VOCABULARY or stem in COMMON_WORDS for stem in _stems(low))


_PIECES = frozenset(
    w for w in (*_VOCABULARY, *COMMON_WORDS, *ABBREVIATIONS) if len(w) >= 3 and w.isalpha() and w not in MINOR_WORDS
) | {"id", "no", "cd", "dt", "ts", "at", "by", "is", "on"}  # short pieces common in run-together names
_SEGMENTED_WEIGHT = 0.8  # a run-together token split into known words (orderdate -> order date)


def _segment(low: str) -> list[str] | None:
    """Split a run-together lower-case token into the fewest known words (acctbal -> acct bal), or None."""
    if len(low) < 5 or not low.isalpha() or _known(low):
        return None
    best: list[list[str] | None] = [None] * (len(low) + 1)
    best[0] = []
    for end in range(1, len(low) + 1):
        for start in range(max(0, end - 20), end - 1):
            piece = low[start:end]
            head = best[start]
            if head is None or piece not in _PIECES:
                continue
            candidate = [*head, piece]
            current = best[end]
            # fewest pieces; on a tie, the split whose first pieces are longest
            if current is None or (len(candidate), [-len(p) for p in candidate]) < (
                len(current),
                [-len(p) for p in current],
            ):
                best[end] = candidate
    pieces = best[len(low)]
    return pieces if pieces and len(pieces) >= 2 else None


def _tokens(technical: str) -> tuple[list[str], list[bool]]:
    """Identifier tokens with run-together words split, and whether each token came from such a split."""
    raw = split_identifier(technical)
    if not any(ch.islower() for ch in technical):
        raw = [t.lower() for t in raw]  # ORDER_TS: capitals say nothing about acronyms
    tokens: list[str] = []
    split: list[bool] = []
    for token in raw:
        pieces = _segment(token.lower()) if token.islower() else None
        tokens.extend(pieces or [token])
        split.extend([pieces is not None] * len(pieces or [token]))
    return tokens, split


def _word(token: str) -> str:
    """Expand one token: dictionary entry, else number, else kept acronym, else title case."""
    low = token.lower()
    if low in ABBREVIATIONS:
        return ABBREVIATIONS[low]
    if token.isdigit():
        return token
    if low in MINOR_WORDS:
        return low
    if token.isupper() and len(token) > 1:
        return token  # an unknown acronym written in capitals stays as written
    return token[:1].upper() + token[1:].lower()


def _expand(tokens: Sequence[str]) -> list[str]:
    """Expand tokens to display words, longest multi-word phrase first."""
    words: list[str] = []
    lows = [t.lower() for t in tokens]
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_PHRASE, len(tokens) - i), 1, -1):
            phrase = PHRASES.get(tuple(lows[i : i + size]))
            if phrase is not None:
                words.extend(phrase.split())
                i += size
                break
        else:
            nxt = lows[i + 1] if i + 1 < len(tokens) else ""
            plural = nxt.endswith("s") and not nxt.endswith(("ss", "us", "is")) and len(nxt) > 3
            if lows[i] in NUMBER_WORDS and plural:
                words.extend(["Number", "of"])  # num_employees -> Number of Employees
            else:
                words.extend(_word(tokens[i]).split())
            i += 1
    return words


def _finish(words: list[str]) -> str:
    """Collapse adjacent repeated words, capitalise the first and last words, and join."""
    out: list[str] = []
    for word in words:
        if out and word.lower() == out[-1].lower() and word.isalpha():
            continue
        out.append(word)
    for i in {0, len(out) - 1} if out else ():  # first and last words are capitalised, small or not
        if out[i].islower():
            out[i] = out[i][:1].upper() + out[i][1:]
    return " ".join(out)


def _singular(word: str) -> str:
    """A plain English singular of a plural word (orders -> order, categories -> category)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _table_words(table: str) -> list[str]:
    """The meaningful tokens of a table name (technical words such as dim/fact dropped, run-together words split)."""
    tokens = [t.lower() for t in _tokens(table.rsplit(".", 1)[-1])[0]]
    kept = [t for t in tokens if t not in TECHNICAL_TABLE_WORDS] or tokens
    if len(kept) == 1:  # a one-word plural table names its rows in the singular: orders -> "Order Date"
        kept = [_singular(kept[0])]
    return kept


def _covers(prefix: str, words: Sequence[str]) -> bool:
    """Whether `prefix` is built from leading letters of the table words, in order, from the first."""
    if not prefix or not words:
        return False
    head = words[0]
    for n in range(min(len(prefix), len(head)), 0, -1):
        if head.startswith(prefix[:n]):
            rest = prefix[n:]
            if not rest or any(_covers(rest, words[j:]) for j in range(1, len(words))):
                return True
    return False


def _is_table_prefix(token: str, words: Sequence[str], loose: bool = False) -> bool:
    """Whether a column's first token abbreviates its table (`ss` for store_sales, `inv` for inventory)."""
    low = token.lower()
    if not words or not low.isalpha():
        return False
    initials = "".join(w[0] for w in words)
    if low == initials or (len(low) == 1 and low == words[0][0]):
        return True
    head = words[0]
    if len(head) - len(low) >= 3 and head.startswith(low) and len(low) >= 2:
        return True  # inv -> inventory, cust -> customer
    if loose:  # the prefix is confirmed by the sibling columns sharing it
        return _covers(low, words) or low == head
    return len(low) <= len(words) and _covers(low, words)


def _same(token: str, table_word: str) -> bool:
    """Whether a column token names the same thing as a table word (exactly, expanded, or abbreviated)."""
    low = token.lower()
    return (
        low == table_word
        or _word(token).lower() == _word(table_word).lower()
        # an abbreviation (demo -> demographics), not another form of the word (return -> returns)
        or (len(low) >= 3 and table_word.startswith(low) and len(table_word) - len(low) >= 2)
    )


def _overlap(rest: Sequence[str], table_words: Sequence[str]) -> int:
    """How many leading tokens of `rest` repeat the end of the table name (0 if none)."""
    for k in range(min(len(table_words), len(rest)), 0, -1):
        if all(_same(t, w) for t, w in zip(rest[:k], table_words[-k:])):
            return k
    return 0


def _name(technical: str, table_words: Sequence[str] | None) -> tuple[str, float]:
    """Business name and confidence of one identifier; `table_words` set when its first token is a table prefix."""
    tokens, split = _tokens(technical)
    if not tokens:
        return "", 0.0
    weights = [
        _SEGMENTED_WEIGHT if was_split else 1.0 if _known(t) else _UNKNOWN_WEIGHT for t, was_split in zip(tokens, split)
    ]
    if table_words is None or len(tokens) < 2:
        return _finish(_expand(tokens)), round(sum(weights) / len(weights), 3)
    rest = tokens[1:]
    overlap = _overlap(rest, table_words)
    words = _expand(list(table_words)) + _expand(rest[overlap:])
    scored = [1.0] * len(table_words) + weights[1 + overlap :]
    return _finish(words), round(sum(scored) / len(scored), 3)


def business_name(technical: str, context: Sequence[str] = ()) -> str:
    """Return the business name of a technical identifier; `context` holds table names that may explain a prefix."""
    if not technical:
        return ""
    return _cached_name(technical, prefix_table(technical, context))


def prefix_table(technical: str, context: Sequence[str]) -> str | None:
    """The first table of `context` whose name the identifier's first token abbreviates (ss_ in store_sales)."""
    first = _first_of_several(technical)
    return next((t for t in context if first is not None and _is_table_prefix(first, _words_of(t))), None)


# The search index names every column of every table it indexes, with its table as context: the same column
# names recur across tables, so the pieces are cached (immutable results only).
@lru_cache(maxsize=65536)
def _first_of_several(technical: str) -> str | None:
    """The identifier's first token, when it has two or more (only those can start with a table prefix)."""
    tokens = _tokens(technical)[0]
    return tokens[0] if len(tokens) >= 2 else None


@lru_cache(maxsize=16384)
def _words_of(table: str) -> tuple[str, ...]:
    return tuple(_table_words(table))


@lru_cache(maxsize=65536)
def _cached_name(technical: str, table: str | None) -> str:
    return _name(technical, list(_words_of(table)) if table is not None else None)[0]


def _shared_prefix(table: str, columns: Sequence[str]) -> str | None:
    """The first token most columns share, when it abbreviates the table; else None."""
    firsts = [toks[0].lower() for toks in (_tokens(c)[0] for c in columns) if len(toks) >= 2]
    if len(firsts) < 2:
        return None
    best = max(sorted(set(firsts)), key=firsts.count)
    if firsts.count(best) * 2 < len(columns):
        return None
    return best if _is_table_prefix(best, _table_words(table), loose=True) else None


def _prefixed(tokens: Sequence[str], words: Sequence[str], shared: str | None) -> bool:
    """Whether a column's first token is its table's prefix: the shared one if the table has one, else by shape."""
    if len(tokens) < 2:
        return False
    if shared is not None:
        return tokens[0].lower() == shared
    return _is_table_prefix(tokens[0], words)


def _column_names(table: str, columns: Sequence[str]) -> dict[str, tuple[str, float]]:
    """Business name and confidence of every column, using the table's shared prefix when there is one."""
    words = _table_words(table)
    shared = _shared_prefix(table, columns)
    return {
        column: _name(column, words if _prefixed(_tokens(column)[0], words, shared) else None) for column in columns
    }


def _short_name(table: str, column: str, shared: str | None) -> str:
    """A column's name for a sentence: no table prefix, no trailing key/ID tokens."""
    tokens = _tokens(column)[0]
    words = _table_words(table)
    if _prefixed(tokens, words, shared):
        tokens = tokens[1:]
        own = tokens[_overlap(tokens, words) :]
        if own and all(t.lower() in _KEY_TOKENS for t in own):
            return ""  # the table's own key (web_site_sk)
    while len(tokens) > 1 and tokens[-1].lower() in _KEY_TOKENS:
        tokens = tokens[:-1]
    if len(tokens) == 1 and tokens[0].lower() in _KEY_TOKENS:
        return ""
    return _finish(_expand(tokens))


def describe_table(table: str, columns: Sequence[str]) -> str:
    """Return a one-sentence factual description of a table from its columns' business names."""
    title = _name(table.rsplit(".", 1)[-1], None)[0] or "Unnamed table"
    if not columns:
        return f"{title}: a table with no columns."
    shared = _shared_prefix(table, columns)
    picked: list[str] = []
    for column in columns:
        short = _short_name(table, column, shared)
        if short and short not in picked:
            picked.append(short)
        if len(picked) == 5:
            break
    count = f"{len(columns)} column{'s' if len(columns) != 1 else ''}"
    if not picked:
        return f"{title}: {count}."
    listed = picked[0] if len(picked) == 1 else ", ".join(picked[:-1]) + " and " + picked[-1]
    return f"{title}: {count} including {listed}."


def predict(table: str, columns: Sequence[str]) -> Prediction:
    """Predict the table's business name, description and column business names, with confidences."""
    names = _column_names(table, columns)
    title, title_score = _name(table.rsplit(".", 1)[-1], None)
    col_scores = [score for _, score in names.values()]
    desc_score = round((title_score + sum(col_scores)) / (1 + len(col_scores)), 3) if title else 0.0
    return Prediction(
        table_name=title,
        description=describe_table(table, columns),
        column_names={column: name for column, (name, _) in names.items()},
        table_name_confidence=title_score,
        description_confidence=desc_score,
        column_confidences={column: score for column, (_, score) in names.items()},
    )
