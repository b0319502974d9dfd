"""Accuracy of the offline business-name generator on the hand-labelled TPC-DS columns.

`business_names_labels.tsv` (beside this file) holds table, column and the business name a careful
human would give each of the 425 columns of the 24 TPC-DS tables. Each table is passed to
`openzone.enrichment.names.predict` with all its columns (as the catalog will do), and each
column's predicted name is compared with its label. Prints one JSON line on stdout; misses go to
stderr. `--check-tpcds` first checks that the labelled columns are exactly DuckDB's TPC-DS schema
(needs the duckdb-extension-tpcds wheel; the check is skipped when it is not installed).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from openzone.enrichment.names import predict

LABELS = Path(__file__).with_name("business_names_labels.tsv")


def load_labels(path: Path = LABELS) -> list[tuple[str, str, str]]:
    """Return (table, column, expected name) rows in file order."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [(r["table"], r["column"], r["expected"]) for r in csv.DictReader(fh, delimiter="\t")]


def tpcds_columns() -> list[tuple[str, str]] | None:
    """The (table, column) pairs of DuckDB's TPC-DS schema, or None without the tpcds extension wheel."""
    import duckdb

    from openzone.lake import extensions
    from openzone.lake.extensions import duckdb_config, prepare_extension_dir

    if extensions._wheel_file("tpcds", f"v{duckdb.__version__}") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        base = prepare_extension_dir(Path(tmp))
        with duckdb.connect(config=duckdb_config(base)) as con:
            con.execute("LOAD tpcds")
            con.execute("CALL dsdgen(sf=0)")
            rows = con.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " ORDER BY table_name, ordinal_position"
            ).fetchall()
    return [(t, c) for t, c in rows]


def token_score(expected: str, got: str) -> float:
    """Shared words (as a multiset, case-sensitive) over the longer of the two word lists."""
    want, have = expected.split(), got.split()
    if not want and not have:
        return 1.0
    return sum((Counter(want) & Counter(have)).values()) / max(len(want), len(have))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON result line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS, help="TSV of table, column, expected")
    parser.add_argument("--check-tpcds", action="store_true", help="check the labels cover DuckDB's TPC-DS schema")
    args = parser.parse_args(argv)

    labels = load_labels(args.labels)
    if args.check_tpcds:
        schema = tpcds_columns()
        if schema is None:
            print("tpcds extension wheel not installed: schema check skipped", file=sys.stderr)
        elif schema != [(t, c) for t, c, _ in labels]:
            print("labels do not match DuckDB's TPC-DS columns", file=sys.stderr)
            return 1

    tables: dict[str, list[str]] = {}
    for table, column, _ in labels:
        tables.setdefault(table, []).append(column)
    started = time.perf_counter()
    predicted = {table: predict(table, columns).column_names for table, columns in tables.items()}
    elapsed_ms = (time.perf_counter() - started) * 1000

    exact = 0
    tokens = 0.0
    for table, column, expected in labels:
        got = predicted[table][column]
        exact += got == expected
        tokens += token_score(expected, got)
        if got != expected:
            print(f"MISS {table}.{column}: expected {expected!r}, got {got!r}", file=sys.stderr)
    n = len(labels)
    result = {
        "benchmark": "business_names",
        "labelled": n,
        "exact_accuracy": round(exact / n, 4) if n else 0.0,
        "token_accuracy": round(tokens / n, 4) if n else 0.0,
        "tables": len(tables),
        "elapsed_ms": round(elapsed_ms, 1),
        "date": time.strftime("%Y-%m-%d"),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
