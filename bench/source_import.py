"""Data source import end to end: a PostgreSQL catalog of 10,000 tables into openzone's catalog.

    .venv/bin/python bench/source_import.py                  # metadata on SQLite, 10,000 tables of 20 columns
    .venv/bin/python bench/source_import.py --postgres       # metadata on a fresh PostgreSQL database too
    .venv/bin/python bench/source_import.py --tables 2000    # quick

A fresh PostgreSQL database (the source) gets `--tables` tables of `--columns` columns from
`_pg_tables.make_tables` (not timed). Through boto3: CreateConnection (redshiftProperties with a
username and password), CreateDataSource (type REDSHIFT, schema `public`), then StartDataSourceRun; the
server's in-process worker runs it with the real PostgreSQL connector. Timed from StartDataSourceRun until
GetDataSourceRun reports the run finished: a first run (every table created: assets, forms, revisions,
search documents, activities, events) and a second one with nothing changed. Targets: first run ≤ 10 s,
unchanged re-run ≤ 3 s. Peak RSS is the whole benchmark process (server included). One JSON line.
"""

from __future__ import annotations

import argparse
import os
import resource as rusage
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (  # noqa: E402
    PG_ADMIN_URL,
    backend_of,
    build_world,
    drop_postgres_database,
    emit,
    fresh_postgres_database,
    log,
    start_server,
)
from _pg_tables import make_tables  # noqa: E402

TARGET_FIRST_S, TARGET_UNCHANGED_S = 10.0, 3.0


def timed_run(world, source_id: str) -> tuple[float, dict]:
    started = time.perf_counter()
    run = world.producer.dz.start_data_source_run(domainIdentifier=world.domain_id, dataSourceIdentifier=source_id)
    while True:
        got = world.producer.dz.get_data_source_run(domainIdentifier=world.domain_id, identifier=run["id"])
        if got["status"] in ("SUCCESS", "PARTIALLY_SUCCEEDED", "FAILED"):
            return time.perf_counter() - started, got
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_URL, metavar="ADMIN_URL",
                        help="also keep openzone's metadata in a fresh PostgreSQL database")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    source_url = fresh_postgres_database(PG_ADMIN_URL)
    metadata_url = fresh_postgres_database(args.postgres) if args.postgres else None
    try:
        source_dsn = source_url.replace("postgresql+psycopg://", "postgresql://")
        started = time.perf_counter()
        make_tables(source_dsn, args.tables, args.columns)
        log(f"made {args.tables} tables of {args.columns} columns in {time.perf_counter() - started:.1f} s")
        source_db = source_url.rsplit("/", 1)[1]
        with tempfile.TemporaryDirectory() as data_dir:
            server = start_server(Path(data_dir), metadata_url)
            world = build_world(server)
            dz = world.producer.dz
            connection = dz.create_connection(
                domainIdentifier=world.domain_id, environmentIdentifier=world.sales_env["id"], name="warehouse",
                props={"redshiftProperties": {"host": "127.0.0.1", "port": 5432, "databaseName": source_db,
                                              "credentials": {"usernamePassword": {"username": "postgres",
                                                                                   "password": "unused-trust"}}}})
            source = dz.create_data_source(
                domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, name="warehouse",
                type="REDSHIFT", connectionIdentifier=connection["connectionId"],
                configuration={"redshiftRunConfiguration": {"relationalFilterConfigurations": [
                    {"databaseName": source_db, "schemaName": "public"}]}})
            results = {}
            for label in ("first", "unchanged"):
                elapsed, run = timed_run(world, source["id"])
                log(f"{label}: {elapsed:.2f} s, {run['status']}, {run['runStatisticsForAssets']}")
                results[label] = {"seconds": round(elapsed, 3), "tables_per_s": round(args.tables / elapsed, 1),
                                  "status": run["status"], "stats": run["runStatisticsForAssets"]}
            server.stop()
    finally:
        drop_postgres_database(source_url)
        if metadata_url:
            drop_postgres_database(metadata_url)
    emit({"benchmark": "source_import", "backend": backend_of(metadata_url or "sqlite"), "tables": args.tables,
          "columns": args.columns, **results,
          "target_met": results["first"]["seconds"] <= TARGET_FIRST_S
          and results["unchanged"]["seconds"] <= TARGET_UNCHANGED_S,
          "peak_rss_mb": round(rusage.getrusage(rusage.RUSAGE_SELF).ru_maxrss / 1024, 1),
          "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d")})


if __name__ == "__main__":
    main()
