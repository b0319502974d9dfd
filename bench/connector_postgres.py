"""How fast the PostgreSQL connector reads a big catalog: tables/s of `tables()` and the process's peak RSS.

Creates --n (default 10,000) tables of --columns (default 20) columns in a fresh PostgreSQL database
(`_pg_tables.make_tables`), then times `postgres.connect(spec).tables([])` over them --repeat times
(default 3; the median counts), checking every table came out with all its columns. Prints one JSON line.
Target (issue 4): >= 5,000 tables/s, so that a 10,000-table import can finish in 10 s end to end.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import PG_ADMIN_URL, drop_postgres_database, emit, fresh_postgres_database, log  # noqa: E402
from _pg_tables import make_tables  # noqa: E402

from openzone.sources.connectors import postgres  # noqa: E402
from openzone.sources.connectors.base import ConnectionSpec  # noqa: E402


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="tables to create (default 10000)")
    parser.add_argument("--columns", type=int, default=20, help="columns per table (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="timed reads of the catalog (default 3)")
    parser.add_argument("--postgres", default=PG_ADMIN_URL, metavar="ADMIN_URL",
                        help="create the fresh database next to this one, and drop it at the end")
    parser.add_argument("--database-url", help="read this database as is (no tables made, nothing dropped)")
    args = parser.parse_args()

    load_before = round(os.getloadavg()[0], 2)
    url = args.database_url or fresh_postgres_database(args.postgres)
    try:
        made_s = None
        if not args.database_url:
            log(f"creating {args.n} tables of {args.columns} columns")
            started = time.perf_counter()
            make_tables(url.replace("postgresql+psycopg://", "postgresql://"), args.n, args.columns)
            made_s = round(time.perf_counter() - started, 1)
            log(f"made in {made_s} s")
        parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
        spec = ConnectionSpec("POSTGRESQL", host=parts.hostname, port=parts.port or 5432,
                              database=parts.path.lstrip("/"), user=parts.username, password=parts.password)
        rss_before = peak_rss_mb()
        seconds, count = [], 0
        for attempt in range(args.repeat):
            started = time.perf_counter()
            count = columns = 0
            for table in postgres.connect(spec).tables([]):
                count += 1
                columns += len(table.columns)
            seconds.append(time.perf_counter() - started)
            log(f"read {count} tables ({columns} columns) in {seconds[-1]:.2f} s")
            if not args.database_url and (count, columns) != (args.n, args.n * args.columns):
                raise SystemExit(f"expected {args.n} tables of {args.columns} columns, got {count} / {columns}")
        median_s = statistics.median(seconds)
        emit({
            "bench": "connector_postgres", "tables": count, "columns_per_table": args.columns,
            "tables_per_s": round(count / median_s), "median_s": round(median_s, 3),
            "runs_s": [round(s, 3) for s in seconds], "target_met": count / median_s >= 5000,
            "peak_rss_mb": peak_rss_mb(), "rss_before_read_mb": rss_before, "make_tables_s": made_s,
            "loadavg_1m": [load_before, round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d"),
        })
    finally:
        if not args.database_url:
            drop_postgres_database(url)


if __name__ == "__main__":
    main()
