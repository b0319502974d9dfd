"""Warehouse grant latency: from AcceptSubscriptionRequest returning to rows readable through psql as the
subscriber's environment role, and from RevokeSubscription returning to that read being refused.

    .venv/bin/python bench/warehouse_grant_latency.py                # SQLite metadata, 30 tables
    .venv/bin/python bench/warehouse_grant_latency.py --postgres     # PostgreSQL metadata too
    .venv/bin/python bench/warehouse_grant_latency.py --n 50

The warehouse is a fresh PostgreSQL database (dropped afterwards, with its roles). Prints one JSON line on
stdout; progress goes to stderr.
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
    drop_postgres_database,
    emit,
    fresh_postgres_database,
    log,
    percentile,
    start_server,
)
from warehouse import (  # noqa: E402  (tests/ is on the path through _harness)
    build_warehouse_world,
    connect_as,
    create_warehouse,
    drop_warehouse,
    login,
    redshift_asset,
)

import psycopg  # noqa: E402

TARGET_P95_MS = 1000.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=30, help="tables granted and revoked (default 30)")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_URL, metavar="ADMIN_URL",
                        help="metadata in a fresh PostgreSQL database next to ADMIN_URL instead of SQLite")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="psql polling interval (default 5)")
    return parser.parse_args()


def poll(conn: psycopg.Connection, sql: str, want_rows: bool, interval: float, timeout: float = 60) -> None:
    """Run `sql` until it succeeds (want_rows) or is refused (not want_rows)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn.execute(sql).fetchall()
            if want_rows:
                return
        except psycopg.errors.InsufficientPrivilege:
            if not want_rows:
                return
        time.sleep(interval)
    raise TimeoutError(f"{sql!r} did not become {'readable' if want_rows else 'refused'} in {timeout} s")


def setup(world, producer_login: dict, n: int) -> list[tuple[str, str]]:
    """n tables made with psql as the producer's role, each published with a pending request from Analytics."""
    dz, domain = world.producer.dz, world.domain.id
    with connect_as(producer_login) as conn:
        for i in range(n):
            conn.execute(f"CREATE TABLE t_{i} AS SELECT g AS id, g * 2 AS v FROM generate_series(1, 100) g")
    pending = []
    for i in range(n):
        asset = redshift_asset(world, f"t_{i}", f"Bench table {i}")
        listing = dz.create_listing_change_set(domainIdentifier=domain, entityIdentifier=asset["id"],
                                               entityType="ASSET", action="PUBLISH")["listingId"]
        request = world.consumer.dz.create_subscription_request(
            domainIdentifier=domain, subscribedPrincipals=[{"project": {"identifier": world.analytics_id}}],
            subscribedListings=[{"identifier": listing}], requestReason="benchmark")
        pending.append((f"t_{i}", request["id"]))
    return pending


def measure(world, producer_login: dict, consumer_login: dict, pending, interval: float) -> tuple[list, list]:
    granted, revoked = [], []
    schema, domain = producer_login["schema"], world.domain.id
    with connect_as(consumer_login) as conn:
        for table, request_id in pending:
            sql = f"SELECT count(*) FROM {schema}.{table}"
            world.producer.dz.accept_subscription_request(domainIdentifier=domain, identifier=request_id)
            started = time.monotonic()
            poll(conn, sql, True, interval)
            granted.append((time.monotonic() - started) * 1000)
            subscription = world.consumer.dz.list_subscriptions(
                domainIdentifier=domain, subscriptionRequestIdentifier=request_id)["items"][0]["id"]
            world.producer.dz.revoke_subscription(domainIdentifier=domain, identifier=subscription)
            started = time.monotonic()
            poll(conn, sql, False, interval)
            revoked.append((time.monotonic() - started) * 1000)
            log(f"{table}: readable after {granted[-1]:6.1f} ms, refused after {revoked[-1]:6.1f} ms")
    return granted, revoked


def main() -> None:
    args = parse_args()
    load_before = round(os.getloadavg()[0], 2)
    metadata_db = fresh_postgres_database(args.postgres) if args.postgres else None
    warehouse_url = create_warehouse()
    temp = tempfile.TemporaryDirectory(prefix="oz-bench-")
    server = None
    try:
        server = start_server(Path(temp.name), metadata_db, warehouse_url=warehouse_url)
        backend = backend_of(server.settings.metadata_url)
        world = build_warehouse_world(server)
        producer_login = login(server, world.producer, world.domain.id, world.sales_env["id"])
        consumer_login = login(server, world.consumer, world.domain.id, world.analytics_env["id"])
        pending = setup(world, producer_login, args.n)
        log(f"set up {args.n} tables on {backend}; measuring")
        granted, revoked = measure(world, producer_login, consumer_login, pending, args.poll_ms / 1000)
    finally:
        if server is not None:
            server.stop()
        if metadata_db:
            drop_postgres_database(metadata_db)
        drop_warehouse(warehouse_url)
        temp.cleanup()
    grant_p95, revoke_p95 = percentile(granted, 95), percentile(revoked, 95)
    emit({
        "benchmark": "warehouse_grant_latency", "backend": backend, "n": len(granted),
        "grant_p50_ms": round(percentile(granted, 50), 1), "grant_p95_ms": round(grant_p95, 1),
        "grant_max_ms": round(max(granted), 1),
        "revoke_p50_ms": round(percentile(revoked, 50), 1), "revoke_p95_ms": round(revoke_p95, 1),
        "revoke_max_ms": round(max(revoked), 1), "target_p95_ms": TARGET_P95_MS,
        "target_met": grant_p95 <= TARGET_P95_MS and revoke_p95 <= TARGET_P95_MS,
        "worker_poll_seconds": server.settings.worker_poll_seconds,
        "loadavg_1m": [load_before, round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d"),
    })


if __name__ == "__main__":
    main()
