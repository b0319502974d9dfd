"""What business-name generation adds to CreateAsset, and what AcceptPredictions costs, on wide tables.

1. Admin makes a domain; a producer owns project *Retail*.
2. `--n` times (default 10), interleaved: CreateAsset of a Redshift table asset with `--columns` columns
   (default 400, TPC-DS-like names `ss_<word>_<word>_<i>`), once with
   predictionConfiguration.businessNameGeneration.enabled and once without; then AcceptPredictions with
   acceptRule ALL on the asset with predictions (a new revision carrying every column's business name).
3. Also times the generator alone (`openzone.enrichment.names.predict`) in this process.

Built-in generator only (no LLM endpoint). Prints one JSON line: `create_p50_ms` / `create_generated_p50_ms`,
their difference `generation_overhead_p50_ms`, `accept_all_p50_ms`, `generator_p50_ms`, `columns`, `n`.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

from _harness import PG_ADMIN_URL, backend_of, drop_postgres_database, emit, fresh_postgres_database, log, median, \
    start_server

from openzone.enrichment.names import predict

WORDS = ["sold", "date", "sk", "qty", "net", "paid", "cust", "acct", "bal", "item", "ext", "sales", "price", "tax",
         "wholesale", "cost", "list", "coupon", "amt", "ship", "addr", "store", "promo", "ticket", "number"]


def column_names(count: int) -> list[str]:
    return [f"ss_{WORDS[i % len(WORDS)]}_{WORDS[(i * 7 + 3) % len(WORDS)]}_{i}" for i in range(count)]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10, help="assets of each kind (default 10)")
    parser.add_argument("--columns", type=int, default=400, help="columns per table (default 400)")
    parser.add_argument("--database-url", help="metadata database URL (default: SQLite in the temp data dir)")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_URL, metavar="ADMIN_URL",
                        help="use a fresh PostgreSQL database next to ADMIN_URL, dropped afterwards")
    return parser.parse_args()


def measure(server, n: int, columns: list[str]) -> dict[str, list[float]]:
    admin, producer = server.user(admin=True), server.user()
    domain = admin.dz.create_domain(name=f"Bench-{uuid.uuid4().hex[:6]}",
                                    domainExecutionRole="arn:aws:iam::000000000000:role/dz")["id"]
    admin.dz.create_user_profile(domainIdentifier=domain, userIdentifier=producer.arn)
    project = producer.dz.create_project(domainIdentifier=domain, name="Retail")["id"]
    content = json.dumps({"databaseName": "dev", "schemaName": "public", "tableName": "store_sales",
                          "columns": [{"columnName": c, "dataType": "int"} for c in columns]})
    samples: dict[str, list[float]] = {"plain": [], "generated": [], "accept": []}
    for i in range(n + 1):  # the first round warms up and is not counted
        for kind in ("plain", "generated"):
            enabled = {"businessNameGeneration": {"enabled": kind == "generated"}}
            started = time.perf_counter()
            asset = producer.dz.create_asset(domainIdentifier=domain, owningProjectIdentifier=project,
                                             name=f"store_sales_{kind}_{i}", predictionConfiguration=enabled,
                                             typeIdentifier="amazon.datazone.RedshiftTableAssetType",
                                             formsInput=[{"formName": "RedshiftTableForm", "content": content}])
            elapsed = (time.perf_counter() - started) * 1000
            if i:
                samples[kind].append(elapsed)
        started = time.perf_counter()
        producer.dz.accept_predictions(domainIdentifier=domain, identifier=asset["id"], acceptRule={"rule": "ALL"})
        if i:
            samples["accept"].append((time.perf_counter() - started) * 1000)
        log(f"round {i}: plain {samples['plain'][-1:]} generated {samples['generated'][-1:]} ms")
    return samples


def main() -> None:
    args = parse_args()
    load_before = round(os.getloadavg()[0], 2)
    columns = column_names(args.columns)
    generator = []
    for _ in range(20):
        started = time.perf_counter()
        predict("store_sales", columns)
        generator.append((time.perf_counter() - started) * 1000)
    database_url = created_db = fresh_postgres_database(args.postgres) if args.postgres else args.database_url
    if not args.postgres:
        created_db = None
    temp = tempfile.TemporaryDirectory(prefix="oz-bench-")
    server = None
    try:
        server = start_server(Path(temp.name), database_url, run_workers=False)
        backend = backend_of(server.settings.metadata_url)
        samples = measure(server, args.n, columns)
    finally:
        if server is not None:
            server.stop()
        if created_db:
            drop_postgres_database(created_db)
        temp.cleanup()
    plain, generated = median(samples["plain"]), median(samples["generated"])
    emit({
        "benchmark": "predictions_overhead", "backend": backend, "n": args.n, "columns": args.columns,
        "create_p50_ms": round(plain, 1), "create_generated_p50_ms": round(generated, 1),
        "generation_overhead_p50_ms": round(generated - plain, 1),
        "accept_all_p50_ms": round(median(samples["accept"]), 1), "generator_p50_ms": round(median(generator), 1),
        "loadavg_1m": [load_before, round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d"),
    })


if __name__ == "__main__":
    main()
