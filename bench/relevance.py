"""Search relevance: mean reciprocal rank of the labelled set in tests/search/relevance_set.py.

    .venv/bin/python bench/relevance.py

Ranks the set's entries with `openzone.search.relevance.rank` (the order SearchListings returns its
matches in) for every labelled query and reports the mean of 1/rank of the entry that must come
first (0 when it is missing), overall and per kind of query. The set was written together with the
ranking, so its MRR is in-sample; `relevance_heldout.tsv` holds queries written afterwards and never
tuned against, reported apart (`heldout_mrr`). Misses go to stderr. Offline, no server.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import emit  # noqa: E402
from openzone.search.relevance import Document, rank  # noqa: E402

SET_PATH = Path(__file__).resolve().parent.parent / "tests" / "search" / "relevance_set.py"
HELD_OUT = Path(__file__).resolve().parent / "relevance_heldout.tsv"


def load_set():
    spec = importlib.util.spec_from_file_location("relevance_set", SET_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    labelled = load_set()
    documents = [Document(**entry) for entry in labelled.ENTRIES]
    held_out = [tuple(line.split("\t")) for line in HELD_OUT.read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    by_kind: dict[str, list[float]] = defaultdict(list)
    for text, expected, kind in [*labelled.QUERIES, *held_out]:
        keys = [doc.key for doc in rank(text, documents)]
        reciprocal = 1 / (keys.index(expected) + 1) if expected in keys else 0.0
        by_kind[kind].append(reciprocal)
        if reciprocal < 1:
            print(f"{text!r}: wanted {expected}, got {keys[:3]}", file=sys.stderr)
    every = [r for kind, values in by_kind.items() if kind != "held-out" for r in values]
    held = by_kind["held-out"]
    emit({"benchmark": "relevance", "queries": len(every), "entries": len(documents),
          "mrr": round(sum(every) / len(every), 4), "heldout_queries": len(held),
          "heldout_mrr": round(sum(held) / len(held), 4),
          "mrr_by_kind": {kind: round(sum(v) / len(v), 3) for kind, v in sorted(by_kind.items())},
          "date": time.strftime("%Y-%m-%d")})


if __name__ == "__main__":
    main()
