"""GetAsset throughput: requests per second the API serves to concurrent boto3 clients.

    .venv/bin/python bench/get_asset.py                  # SQLite, 2 client processes, 10 s
    .venv/bin/python bench/get_asset.py --postgres       # a fresh PostgreSQL database
    .venv/bin/python bench/get_asset.py --clients 4 --seconds 20

The server runs in its own process (one uvicorn worker, as `openzone serve` starts it). The producer
registers a Glue table asset with a 12-column GlueTableForm; then `--clients` processes, each with
its own boto3 `datazone` client (the unmodified SDK: SigV4 signing, parsing), call GetAsset on it in
a closed loop for `--seconds` after a 2 s warm-up. Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
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
    glue_asset,
    log,
    percentile,
    resource,
    run_sql,
    start_server,
)

TARGET_RPS = 500.0
WARM_UP_S = 2.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured duration (default 10)")
    parser.add_argument("--database-url", help="metadata database URL (default: SQLite in the temp data dir)")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_URL, metavar="ADMIN_URL",
                        help="create (and afterwards drop) a fresh PostgreSQL metadata database")
    return parser.parse_args()


def client_loop(url: str, key_id: str, secret: str, domain_id: str, asset_id: str, start_at: float,
                stop_at: float, out: multiprocessing.Queue) -> None:
    """One client process: GetAsset in a closed loop; latencies of the calls made in [start_at, stop_at)."""
    import boto3
    from botocore.config import Config

    dz = boto3.client("datazone", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key_id,
                      aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
    latencies, errors = [], 0
    while (now := time.time()) < stop_at:
        began = time.perf_counter()
        try:
            dz.get_asset(domainIdentifier=domain_id, identifier=asset_id)
        except Exception:  # counted, not hidden: a throughput with errors is reported as such
            errors += 1
            continue
        if now >= start_at:
            latencies.append(time.perf_counter() - began)
    out.put((latencies, errors))


def main() -> None:
    args = parse_args()
    load_before = round(os.getloadavg()[0], 2)
    database_url = created_db = fresh_postgres_database(args.postgres) if args.postgres else args.database_url
    temp = tempfile.TemporaryDirectory(prefix="oz-bench-")
    server = None
    try:
        server = start_server(Path(temp.name), database_url, separate_process=True)
        backend = backend_of(server.settings.metadata_url)
        world = build_world(server)
        columns = ", ".join(f"i AS column_{n}" for n in range(12))
        run_sql(world.producer, world.sales_env["id"], f"CREATE TABLE orders AS SELECT {columns} FROM range(10) r(i)")
        asset = glue_asset(world.producer, world, "orders", "Orders", "Every order")
        log(f"server at {server.url} on {backend}; asset {asset['id']}; "
            f"{args.clients} clients for {args.seconds} s after {WARM_UP_S} s warm-up")
        start_at = time.time() + WARM_UP_S
        stop_at = start_at + args.seconds
        out: multiprocessing.Queue = multiprocessing.Queue()
        caller = world.producer
        workers = [multiprocessing.Process(target=client_loop, args=(
            server.url, caller.key_id, caller.secret, world.domain_id, asset["id"], start_at, stop_at, out))
            for _ in range(args.clients)]
        for worker in workers:
            worker.start()
        results = [out.get(timeout=args.seconds + 60) for _ in workers]
        for worker in workers:
            worker.join()
    finally:
        if server is not None:
            server.stop()
        if created_db:
            drop_postgres_database(created_db)
        temp.cleanup()
    latencies = [t for lat, _ in results for t in lat]
    errors = sum(e for _, e in results)
    rps = len(latencies) / args.seconds
    emit({"benchmark": "get_asset", "backend": backend, "clients": args.clients, "seconds": args.seconds,
          "requests": len(latencies), "errors": errors, "rps": round(rps, 1),
          "p50_ms": round(percentile(latencies, 50) * 1000, 2), "p95_ms": round(percentile(latencies, 95) * 1000, 2),
          "target_rps": TARGET_RPS, "target_met": rps >= TARGET_RPS and errors == 0,
          "loadavg_1m": [load_before, round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d")})


if __name__ == "__main__":
    main()
