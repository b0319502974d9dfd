"""TEXT_MATCH_RATIONALE: which attributes of a result matched the search text, and where.

For each attribute text of an entry (name, description, searchable form fields), the words that answer
the query (the same analysis as the index: stems, abbreviations, camelCase and snake_case pieces) are
reported with their character offsets in the text as stored: `startOffset` is the first character,
`endOffset` the one after the last (`text[startOffset:endOffset]` is the matched word).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from openzone.search.text import Query, index_terms, stem

# Word pieces as identifier_tokens splits them: acronyms, Capitalised or lower words, digit runs, other letters.
_PIECE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\W\d_A-Za-z]+")


def _wanted(query: Query) -> set[str]:
    words = {w for group in query.groups for alt in group for w in alt}
    return words | {stem(w) for phrase in query.phrases for w in phrase}


def offsets(query: Query, text: str) -> list[dict]:
    """Offsets of the words of `text` that match the query."""
    wanted = _wanted(query)
    out = []
    for m in _PIECE.finditer(text or ""):
        token = m.group(0).lower()
        if stem(token) in wanted or set(index_terms(token)) & wanted:
            out.append({"startOffset": m.start(), "endOffset": m.end()})
    return out


def text_matches(query: Query, texts: Mapping[str, str]) -> list[dict]:
    """MatchRationale items (one, holding a TextMatchItem per matching attribute; [] when none matched)."""
    if query.empty:
        return []
    items = [{"attribute": attribute, "text": text, "matchOffsets": found}
             for attribute, text in texts.items() if text and (found := offsets(query, text))]
    return [{"textMatches": items}] if items else []
