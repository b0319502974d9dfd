"""Approve-to-queryable latency: from AcceptSubscriptionRequest returning to the consumer's first
successful Athena query of the granted table.

    .venv/bin/python bench/approve_to_queryable.py                 # SQLite, 50 tables
    .venv/bin/python bench/approve_to_queryable.py --postgres      # a fresh PostgreSQL database
    .venv/bin/python bench/approve_to_queryable.py --n 10 --wait grant

Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
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
    fetch_rows,
    glue_asset,
    log,
    median,
    percentile,
    query_rows,
    resource,
    run_sql,
    start_server,
)

TARGET_P95_MS = 1000.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50, help="tables published, subscribed and approved (default 50)")
    parser.add_argument("--rows", type=int, default=100, help="rows per table (default 100)")
    parser.add_argument("--database-url", help="metadata database URL (default: SQLite in the temp data dir)")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_URL, metavar="ADMIN_URL",
                        help=f"create (and afterwards drop) a fresh PostgreSQL database next to ADMIN_URL "
                             f"(default {PG_ADMIN_URL})")
    parser.add_argument("--wait", choices=("query", "grant"), default="query",
                        help="query: retry the consumer's query until it succeeds (default); "
                             "grant: poll GetSubscriptionGrant until GRANTED, then query")
    parser.add_argument("--poll-ms", type=float, default=10.0,
                        help="client polling interval for GetQueryExecution/GetSubscriptionGrant (default 10)")
    parser.add_argument("--server-process", action="store_true",
                        help="run the server in a child process instead of a thread of this one")
    parser.add_argument("--data-dir", type=Path, help="keep the data here instead of a temp dir")
    return parser.parse_args()


def grant_of(world, subscription_request_id: str) -> tuple[str, str]:
    """The (subscription id, grant id) made by accepting the request."""
    dz = world.consumer.dz
    subs = dz.list_subscriptions(domainIdentifier=world.domain_id, subscriptionRequestIdentifier=subscription_request_id)
    subscription_id = subs["items"][0]["id"]
    grants = dz.list_subscription_grants(domainIdentifier=world.domain_id, subscriptionId=subscription_id)["items"]
    return subscription_id, grants[0]["id"]


def wait_granted(world, grant_id: str, poll: float, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        grant = world.consumer.dz.get_subscription_grant(domainIdentifier=world.domain_id, identifier=grant_id)
        status = grant["assets"][0]["status"]
        if status == "GRANTED":
            return
        if status == "GRANT_FAILED":
            raise RuntimeError(f"grant {grant_id} failed: {grant['assets'][0].get('failureCause')}")
        time.sleep(poll)
    raise TimeoutError(f"grant {grant_id} not GRANTED in {timeout} s")


def query_until_success(world, sql: str, poll: float, timeout: float = 60) -> tuple[int, str]:
    """Retry the consumer's query until it SUCCEEDS; returns (attempts, query id)."""
    env_id = world.analytics_env["id"]
    deadline = time.monotonic() + timeout
    attempts = 0
    while time.monotonic() < deadline:
        attempts += 1
        execution = run_sql(world.consumer, env_id, sql, interval=poll)
        if execution["Status"]["State"] == "SUCCEEDED":
            return attempts, execution["QueryExecutionId"]
        reason = execution["Status"].get("StateChangeReason") or ""
        if "does not exist" not in reason and "not found" not in reason.lower():
            log(f"unexpected failure while waiting: {reason}")
    raise TimeoutError(f"{sql!r} did not succeed in {timeout} s")


def setup(world, n: int, rows: int) -> list[tuple[str, str]]:
    """n tables made by CTAS, each a published asset with a pending subscription request; returns (table, request id)."""
    producer, consumer, domain = world.producer, world.consumer, world.domain_id
    sales_env = world.sales_env["id"]
    pending = []
    for i in range(n):
        table = f"t_{i}"
        query_rows(producer, sales_env, f"CREATE TABLE {table} AS SELECT range AS id, range * 2 AS v, "
                                        f"'row ' || range::VARCHAR AS label FROM range({rows})")
        asset = glue_asset(producer, world, table, f"Bench table {i}")
        listing = producer.dz.create_listing_change_set(domainIdentifier=domain, entityIdentifier=asset["id"],
                                                        entityType="ASSET", action="PUBLISH")
        request = consumer.dz.create_subscription_request(
            domainIdentifier=domain, subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}],
            subscribedListings=[{"identifier": listing["listingId"]}], requestReason="benchmark")
        pending.append((table, request["id"]))
        if (i + 1) % 10 == 0:
            log(f"set up {i + 1}/{n} tables")
    return pending


def measure(world, pending: list[tuple[str, str]], wait: str, poll: float, rows: int) -> list[dict]:
    """Accept each request in turn and time it until the consumer's query succeeds."""
    sub_db = resource(world.analytics_env, "glueConsumerDBName")
    samples = []
    for i, (table, request_id) in enumerate(pending):
        sql = f"SELECT count(*) FROM {sub_db}.{table}"
        called = time.time()
        world.producer.dz.accept_subscription_request(domainIdentifier=world.domain_id, identifier=request_id)
        returned_mono, returned = time.monotonic(), time.time()
        if wait == "grant":
            _, grant_id = grant_of(world, request_id)
            wait_granted(world, grant_id, poll)
        attempts, qid = query_until_success(world, sql, poll)
        latency_ms = (time.monotonic() - returned_mono) * 1000
        count = fetch_rows(world.consumer, qid)[0][0]
        if int(count) != rows:
            raise RuntimeError(f"{table}: expected {rows} rows, the consumer counted {count}")
        _, grant_id = grant_of(world, request_id)
        grant = world.consumer.dz.get_subscription_grant(domainIdentifier=world.domain_id, identifier=grant_id)
        granted_at = grant["assets"][0]["grantedTimestamp"].timestamp()
        samples.append({"latency_ms": latency_ms, "accept_call_ms": (returned - called) * 1000,
                        # server clock = our clock: how much of the latency is before the grant commits
                        "to_granted_ms": (granted_at - returned) * 1000, "attempts": attempts})
        log(f"{table}: {latency_ms:7.1f} ms (accept call {samples[-1]['accept_call_ms']:.0f} ms, "
            f"granted +{samples[-1]['to_granted_ms']:.0f} ms, {attempts} query attempts)")
        if (i + 1) % 10 == 0:
            log(f"measured {i + 1}/{len(pending)}")
    return samples


def main() -> None:
    args = parse_args()
    load_before = round(os.getloadavg()[0], 2)
    created_db = None
    database_url = args.database_url
    if args.postgres:
        database_url = created_db = fresh_postgres_database(args.postgres)
    temp = None
    data_dir = args.data_dir
    if data_dir is None:
        temp = tempfile.TemporaryDirectory(prefix="oz-bench-")
        data_dir = Path(temp.name)
    server = None
    try:
        started = time.monotonic()
        server = start_server(data_dir, database_url, separate_process=args.server_process)
        backend = backend_of(server.settings.metadata_url)
        log(f"server at {server.url} on {backend}; worker_poll_seconds={server.settings.worker_poll_seconds}")
        world = build_world(server)
        pending = setup(world, args.n, args.rows)
        log(f"setup done in {time.monotonic() - started:.1f} s; measuring")
        samples = measure(world, pending, args.wait, args.poll_ms / 1000, args.rows)
    finally:
        if server is not None:
            server.stop()
        if created_db:
            drop_postgres_database(created_db)
        if temp is not None:
            temp.cleanup()
    latencies = [s["latency_ms"] for s in samples]
    p95 = percentile(latencies, 95)
    emit({
        "benchmark": "approve_to_queryable", "backend": backend, "n": len(samples), "wait": args.wait,
        "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(p95, 1), "max_ms": round(max(latencies), 1),
        "mean_ms": round(sum(latencies) / len(latencies), 1),
        "first10_p50_ms": round(median(latencies[:10]), 1), "last10_p50_ms": round(median(latencies[-10:]), 1),
        "accept_call_p50_ms": round(median([s["accept_call_ms"] for s in samples]), 1),
        "to_granted_p50_ms": round(median([s["to_granted_ms"] for s in samples]), 1),
        "query_attempts_p50": median([s["attempts"] for s in samples]),
        "target_p95_ms": TARGET_P95_MS, "target_met": p95 <= TARGET_P95_MS,
        "worker_poll_seconds": server.settings.worker_poll_seconds,
        "server": "process" if args.server_process else "thread",
        "loadavg_1m": [load_before, round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d"),
    })


if __name__ == "__main__":
    main()
