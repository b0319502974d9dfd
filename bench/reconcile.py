"""The reconciler over many grants: one pass that finds drift, one that repairs it, one over a clean store.

    .venv/bin/python bench/reconcile.py                  # SQLite, 10,000 lake + 10,000 PostgreSQL warehouse grants
    .venv/bin/python bench/reconcile.py --postgres       # a fresh PostgreSQL metadata database
    .venv/bin/python bench/reconcile.py --warehouse-grants 0 --grants 50000

Lake: the demo store is loaded (TPC-H in the lake, published), one subscription is approved and fulfilled
by the real worker job, and its grant is copied `--grants` - 1 times straight into the metadata database
(grant, GRANTED asset and governed view each, in bulk). Warehouse: a fresh PostgreSQL warehouse with a
Sales and an Analytics DefaultDataWarehouse environment, one table granted for real (GRANT SELECT to the
Analytics role), its grant and warehouse_grants record copied `--warehouse-grants` - 1 times.
Drift, per engine: 1% of the engine records deleted (access missing), 1% of the lake views pointed at
another table, 1% of the lake grants revoked with their views left behind, and in PostgreSQL 1% as many
tables granted to the Analytics role by hand (access nobody approved). Timed over the whole store: `verify`
(report only), `verify --repair`, and `verify` again (nothing left to find). Prints one JSON line.
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
    start_server,
)
from scenario import wait_until  # noqa: E402  (tests/ is on the path through _harness)
from warehouse import (  # noqa: E402
    build_warehouse_world,
    connect_as,
    create_warehouse,
    drop_warehouse,
    grant_asset,
    login,
    publish_and_subscribe,
    redshift_asset,
)

from sqlalchemy import delete, insert, select, update  # noqa: E402

from openzone.catalog.models import Listing  # noqa: E402
from openzone.cli.demo import load_demo  # noqa: E402
from openzone.config import Settings  # noqa: E402
from openzone.db.migrate import upgrade  # noqa: E402
from openzone.db.session import session_scope  # noqa: E402
from openzone.db.types import utcnow  # noqa: E402
from openzone.domains.models import Domain  # noqa: E402
from openzone.fulfillment.models import LakeView, WarehouseGrant  # noqa: E402
from openzone.fulfillment.reconcile import service as reconciler  # noqa: E402
from openzone.identity.models import User  # noqa: E402
from openzone.jobs.runner import drain  # noqa: E402
from openzone.projects.models import Project  # noqa: E402
from openzone.subscriptions import service as subscriptions  # noqa: E402
from openzone.subscriptions.models import GrantAsset, Subscription, SubscriptionGrant  # noqa: E402
from openzone.wire.ids import new_id  # noqa: E402

BATCH = 1000


def one_real_grant(settings: Settings) -> str:
    """Analytics subscribes to TPC-H orders, the worker fulfils it; the grant's id."""
    with session_scope(settings.metadata_url) as session:
        admin = session.scalar(select(User).where(User.name == "admin"))
        domain = session.scalar(select(Domain).where(Domain.name == "Corporate"))
        analytics = session.scalar(select(Project).where(Project.domain_id == domain.id, Project.name == "Analytics"))
        listing = session.scalar(select(Listing).where(Listing.domain_id == domain.id, Listing.name == "TPC-H orders"))
        request = subscriptions.create_request(session, admin, domain.id, {
            "subscribedPrincipals": [{"project": {"identifier": analytics.id}}],
            "subscribedListings": [{"identifier": listing.id}], "requestReason": "bench"})
        subscriptions.accept_request(session, admin, domain.id, request.id, None)
        subscription = session.scalar(select(Subscription).where(Subscription.request_id == request.id))
        grant_id = session.scalar(select(SubscriptionGrant.id).where(SubscriptionGrant.subscription_id == subscription.id))
    drain(settings)

    def finished() -> tuple | None:
        with session_scope(settings.metadata_url) as session:
            asset = session.scalar(select(GrantAsset).where(GrantAsset.grant_id == grant_id))
            return (asset.status, asset.failure_cause) if asset.status in ("GRANTED", "GRANT_FAILED") else None

    outcome = wait_until(finished)
    assert outcome[0] == "GRANTED", outcome
    return grant_id


def copy_grant(settings: Settings, grant_id: str, copies: int, record_model) -> list[str]:
    """`copies` more grants like `grant_id`, each GRANTED with a copy of its engine record; their ids."""
    ids = []
    with session_scope(settings.metadata_url) as session:
        grant = session.get(SubscriptionGrant, grant_id)
        asset = session.scalar(select(GrantAsset).where(GrantAsset.grant_id == grant_id))
        record = session.scalar(select(record_model).where(record_model.grant_id == grant_id))
        fields = {c.key: getattr(record, c.key) for c in record_model.__table__.columns if c.key not in ("id", "grant_id")}
        now = utcnow()
        for start in range(0, copies, BATCH):
            chunk = [new_id() for _ in range(min(BATCH, copies - start))]
            session.execute(insert(SubscriptionGrant), [
                {"id": g, "domain_id": grant.domain_id, "subscription_id": grant.subscription_id,
                 "target_id": grant.target_id, "environment_id": grant.environment_id, "listing_id": grant.listing_id,
                 "listing_revision": grant.listing_revision, "created_by": grant.created_by,
                 "created_at": now, "updated_at": now} for g in chunk])
            session.execute(insert(GrantAsset), [
                {"grant_id": g, "asset_id": asset.asset_id, "asset_revision": asset.asset_revision,
                 "status": "GRANTED", "target_name": asset.target_name, "granted_at": now, "created_at": now,
                 "updated_at": now} for g in chunk])
            unique = {"name": lambda g: f"{fields['name']}_{g}"} if record_model is LakeView else {}
            session.execute(insert(record_model), [
                {**fields, **{k: f(g) for k, f in unique.items()}, "grant_id": g, "created_at": now, "updated_at": now}
                for g in chunk])
            ids += chunk
    return ids


def lake_drift(settings: Settings, grant_ids: list[str]) -> int:
    """Delete, repoint and orphan 1% of the views each; how many grants drifted."""
    n = max(1, len(grant_ids) // 100)
    deleted, repointed, revoked = grant_ids[:n], grant_ids[n:2 * n], grant_ids[2 * n:3 * n]
    with session_scope(settings.metadata_url) as session:
        session.execute(delete(LakeView).where(LakeView.grant_id.in_(deleted)))
        session.execute(update(LakeView).where(LakeView.grant_id.in_(repointed)).values(source_table="customer"))
        session.execute(update(GrantAsset).where(GrantAsset.grant_id.in_(revoked)).values(status="REVOKED"))
    return 3 * n


def one_warehouse_grant(server) -> tuple[str, dict]:
    """Sales publishes a warehouse table, Analytics gets it granted for real; (grant id, Sales' login)."""
    world = build_warehouse_world(server)
    producer = login(server, world.producer, world.domain.id, world.sales_env["id"])
    with connect_as(producer) as conn:
        conn.execute("CREATE TABLE orders AS SELECT i AS id FROM generate_series(1, 10) i")
    asset = redshift_asset(world, "orders", "Orders")
    _, grant_id = publish_and_subscribe(world, asset["id"])
    wait_until(lambda: grant_asset(world, grant_id)["status"] == "GRANTED")
    return grant_id, producer


def warehouse_drift(settings: Settings, grant_ids: list[str], producer: dict) -> int:
    """Delete 1% of the records, and grant as many other tables to the consumer role by hand."""
    n = max(1, len(grant_ids) // 100)
    with session_scope(settings.metadata_url) as session:
        role = session.scalar(select(WarehouseGrant.role).where(WarehouseGrant.grant_id == grant_ids[0]))
        session.execute(delete(WarehouseGrant).where(WarehouseGrant.grant_id.in_(grant_ids[:n])))
    with connect_as(producer) as conn, conn.transaction():
        for i in range(n):
            conn.execute(f"CREATE TABLE extra_{i} (id int)")
            conn.execute(f'GRANT SELECT ON extra_{i} TO "{role}"')
    return 2 * n


def timed_pass(settings: Settings, repair: bool) -> tuple[float, int]:
    started = time.perf_counter()
    with session_scope(settings.metadata_url) as session:
        _, findings, errors = reconciler.verify(session, settings, None, repair)
    elapsed = time.perf_counter() - started
    assert not errors, errors
    return elapsed, len(findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grants", type=int, default=10_000, help="lake grants")
    parser.add_argument("--warehouse-grants", type=int, default=10_000, help="PostgreSQL warehouse grants (0: none)")
    parser.add_argument("--database-url")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_URL, metavar="ADMIN_URL")
    args = parser.parse_args()
    url = fresh_postgres_database(args.postgres) if args.postgres else args.database_url
    warehouse_url = create_warehouse() if args.warehouse_grants else None
    load_before = os.getloadavg()[0]
    results, drifted = {}, 0
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            # The demo first, with no server: its environment jobs run here (drain), not raced by a server's worker.
            settings = Settings(data_dir=Path(data_dir), database_url=url, run_workers=False)
            settings.ensure_dirs()
            upgrade(settings.metadata_url)
            load_demo(settings)
            started = time.perf_counter()
            grant_id = one_real_grant(settings)
            server = start_server(Path(data_dir), url, warehouse_url=warehouse_url, reconcile_interval_seconds=0)
            settings = server.settings
            lake_ids = [grant_id, *copy_grant(settings, grant_id, args.grants - 1, LakeView)]
            drifted += lake_drift(settings, lake_ids[1:])
            if args.warehouse_grants:
                grant_id, producer = one_warehouse_grant(server)
                copies = copy_grant(settings, grant_id, args.warehouse_grants - 1, WarehouseGrant)
                drifted += warehouse_drift(settings, copies, producer)
            log(f"{args.grants} lake and {args.warehouse_grants} warehouse grants in {time.perf_counter() - started:.1f} s")
            for label, repair in (("verify", False), ("repair", True), ("clean", False)):
                seconds, found = timed_pass(settings, repair)
                log(f"{label}: {seconds:.2f} s, {found} findings")
                results[label] = {"seconds": round(seconds, 3), "findings": found}
            server.stop()
            assert results["verify"]["findings"] == results["repair"]["findings"] == drifted, (results, drifted)
            assert results["clean"]["findings"] == 0
    finally:
        if args.postgres:
            drop_postgres_database(url)
        if warehouse_url:
            drop_warehouse(warehouse_url)
    emit({"bench": "reconcile", "backend": backend_of(url or "sqlite"), "lake_grants": args.grants,
          "warehouse_grants": args.warehouse_grants, "drifted": drifted, **results,
          "target_met": max(r["seconds"] for r in results.values()) <= 30,
          "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d")})


if __name__ == "__main__":
    main()
