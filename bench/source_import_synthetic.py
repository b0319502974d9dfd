"""Data source import throughput on synthetic tables: the import path alone (assets, revisions, links,
activities, events), without a source system's own latency.

    .venv/bin/python bench/source_import_synthetic.py                 # SQLite, 10,000 tables of 20 columns
    .venv/bin/python bench/source_import_synthetic.py --postgres      # a fresh PostgreSQL database
    .venv/bin/python bench/source_import_synthetic.py --tables 100000

A lake data source is created through boto3 and StartDataSourceRun queues its run, which the server's
in-process worker executes with the connector replaced by one that yields `--tables` synthetic tables; the
clock runs from StartDataSourceRun until GetDataSourceRun reports the run finished. Timed: the first run (everything created), a second run (nothing changed), and a third
in which every 10th table gained a column. Prints one JSON line: tables/s per run and peak RSS.
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
    resource,
    start_server,
)

from openzone.sources import connectors, tasks  # noqa: E402
from openzone.sources.connectors.base import ColumnInfo, TableInfo, only_selected  # noqa: E402


class Synthetic:
    """N tables of `width` columns in one database; `extra_every` > 0 adds a column to every nth table."""

    def __init__(self, database: str, count: int, width: int, extra_every: int = 0) -> None:
        self.database, self.n, self.width, self.extra_every = database, count, width, extra_every

    def check(self) -> None:
        pass

    def tables(self, filters):
        def generate():
            for i in range(self.n):
                columns = [ColumnInfo(f"column_{c}", "bigint" if c % 3 else "string", f"Column {c} of table {i}")
                           for c in range(self.width)]
                if self.extra_every and i % self.extra_every == 0:
                    columns.append(ColumnInfo("added_later", "string"))
                yield TableInfo(database=self.database, name=f"table_{i:06d}", columns=tuple(columns),
                                comment=f"Synthetic table {i}", location=f"/lake/{self.database}/table_{i:06d}",
                                classification="iceberg")
        return only_selected(filters, generate())


def timed_run(world, settings, source_id: str, connector: Synthetic) -> tuple[float, dict]:
    connectors_connect = connectors.connect
    tasks.connectors.connect = lambda spec: connector  # the bench's one substitution: the source system
    try:
        started = time.perf_counter()
        run = world.producer.dz.start_data_source_run(domainIdentifier=world.domain_id, dataSourceIdentifier=source_id)
        while True:
            got = world.producer.dz.get_data_source_run(domainIdentifier=world.domain_id, identifier=run["id"])
            if got["status"] in ("SUCCESS", "PARTIALLY_SUCCEEDED", "FAILED"):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        tasks.connectors.connect = connectors_connect
    return elapsed, got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--publish", action="store_true", help="publishOnImport (listings and search documents)")
    parser.add_argument("--business-names", action="store_true", help="recommendation.enableBusinessNameGeneration")
    parser.add_argument("--database-url")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_URL, metavar="ADMIN_URL")
    args = parser.parse_args()
    url = fresh_postgres_database(args.postgres) if args.postgres else args.database_url
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            server = start_server(Path(data_dir), url)
            world = build_world(server)
            database = resource(world.sales_env, "glueProducerDBName")
            source = world.producer.dz.create_data_source(
                domainIdentifier=world.domain_id, projectIdentifier=world.sales_id,
                environmentIdentifier=world.sales_env["id"], name="synthetic", type="GLUE",
                configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": database}]}},
                publishOnImport=args.publish, recommendation={"enableBusinessNameGeneration": args.business_names})
            results = {}
            for label, every in (("first", 0), ("unchanged", 0), ("tenth_changed", 10)):
                elapsed, run = timed_run(world, server.settings, source["id"],
                                         Synthetic(database, args.tables, args.columns, every))
                log(f"{label}: {elapsed:.2f} s, {run['status']}, {run['runStatisticsForAssets']}")
                results[label] = {"seconds": round(elapsed, 3), "tables_per_s": round(args.tables / elapsed, 1),
                                  "status": run["status"], "stats": run["runStatisticsForAssets"]}
            server.stop()
    finally:
        if args.postgres:
            drop_postgres_database(url)
    emit({"bench": "source_import_synthetic", "backend": backend_of(url or "sqlite"), "tables": args.tables,
          "columns": args.columns, "publish": args.publish, "business_names": args.business_names, **results,
          "peak_rss_mb": round(rusage.getrusage(rusage.RUSAGE_SELF).ru_maxrss / 1024, 1),
          "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d")})


if __name__ == "__main__":
    main()
