"""The reconciler over many grants: one pass that finds drift, one that repairs it, one over a clean store.

    .venv/bin/python bench/reconcile.py                  # SQLite, 10,000 lake grants
    .venv/bin/python bench/reconcile.py --postgres       # a fresh PostgreSQL metadata database
    .venv/bin/python bench/reconcile.py --grants 50000

The demo store is loaded (TPC-H in the lake, published), one subscription is approved and fulfilled by
the real worker job, and its grant is copied `--grants` - 1 times straight into the metadata database
(grant, GRANTED asset and governed view each, in bulk), so that building the store does not dominate.
Then 1% of the views are deleted, 1% pointed at another table, and 1% of the grants revoked with
their views left behind: three kinds of drift, 3% of the grants. Timed: `verify` (report only), `verify
--repair`, and `verify` again (nothing left to find). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import PG_ADMIN_URL, backend_of, drop_postgres_database, emit, fresh_postgres_database, log  # noqa: E402

from sqlalchemy import delete, insert, select, update  # noqa: E402

from openzone.catalog.models import Listing  # noqa: E402
from openzone.cli.demo import load_demo  # noqa: E402
from openzone.config import Settings  # noqa: E402
from openzone.db.migrate import upgrade  # noqa: E402
from openzone.db.session import session_scope  # noqa: E402
from openzone.db.types import utcnow  # noqa: E402
from openzone.domains.models import Domain  # noqa: E402
from openzone.events import outbox  # noqa: E402
from openzone.fulfillment.models import LakeView  # noqa: E402
from openzone.fulfillment.reconcile import service as reconciler  # noqa: E402
from openzone.identity.models import User  # noqa: E402
from openzone.jobs.runner import drain  # noqa: E402
from openzone.projects.models import Project  # noqa: E402
from openzone.subscriptions import service as subscriptions  # noqa: E402
from openzone.subscriptions.models import GrantAsset, Subscription, SubscriptionGrant  # noqa: E402
from openzone.wire.ids import new_id  # noqa: E402

BATCH = 1000


def one_real_grant(settings: Settings) -> tuple[str, str]:
    """Analytics subscribes to TPC-H orders, the worker fulfils it; (domain id, grant id)."""
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
        domain_id = domain.id
    drain(settings)
    return domain_id, grant_id


def copy_grant(settings: Settings, grant_id: str, copies: int) -> list[str]:
    """`copies` more grants like `grant_id`, each GRANTED with its own view; their ids."""
    ids = []
    with session_scope(settings.metadata_url) as session:
        grant = session.get(SubscriptionGrant, grant_id)
        asset = session.scalar(select(GrantAsset).where(GrantAsset.grant_id == grant_id))
        view = session.scalar(select(LakeView).where(LakeView.grant_id == grant_id))
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
                 "status": "GRANTED", "target_name": view.name, "granted_at": now, "created_at": now,
                 "updated_at": now} for g in chunk])
            session.execute(insert(LakeView), [
                {"grant_id": g, "asset_id": asset.asset_id, "database": view.database, "name": f"{view.name}_{g}",
                 "source_database": view.source_database, "source_table": view.source_table,
                 "created_at": now, "updated_at": now} for g in chunk])
            ids += chunk
    return ids


def drift(settings: Settings, grant_ids: list[str]) -> int:
    """Delete, repoint and orphan 1% of the views each; how many grants drifted."""
    n = max(1, len(grant_ids) // 100)
    deleted, repointed, revoked = grant_ids[:n], grant_ids[n:2 * n], grant_ids[2 * n:3 * n]
    with session_scope(settings.metadata_url) as session:
        session.execute(delete(LakeView).where(LakeView.grant_id.in_(deleted)))
        session.execute(update(LakeView).where(LakeView.grant_id.in_(repointed)).values(source_table="customer"))
        session.execute(update(GrantAsset).where(GrantAsset.grant_id.in_(revoked)).values(status="REVOKED"))
    return 3 * n


def timed_pass(settings: Settings, domain_id: str, repair: bool) -> tuple[float, int]:
    started = time.perf_counter()
    with session_scope(settings.metadata_url) as session:
        _, findings, errors = reconciler.verify(session, settings, domain_id, repair)
    elapsed = time.perf_counter() - started
    assert not errors, errors
    return elapsed, len(findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grants", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_URL, metavar="ADMIN_URL")
    args = parser.parse_args()
    url = fresh_postgres_database(args.postgres) if args.postgres else args.database_url
    load_before = os.getloadavg()[0]
    results = {}
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            settings = Settings(data_dir=Path(data_dir), database_url=url, run_workers=False)
            settings.ensure_dirs()
            upgrade(settings.metadata_url)
            outbox.configure(settings.account_id, settings.region)
            load_demo(settings)
            domain_id, grant_id = one_real_grant(settings)
            started = time.perf_counter()
            grant_ids = [grant_id, *copy_grant(settings, grant_id, args.grants - 1)]
            log(f"{len(grant_ids)} granted lake grants in {time.perf_counter() - started:.1f} s")
            drifted = drift(settings, grant_ids[1:])
            for label, repair in (("verify", False), ("repair", True), ("clean", False)):
                seconds, found = timed_pass(settings, domain_id, repair)
                log(f"{label}: {seconds:.2f} s, {found} findings")
                results[label] = {"seconds": round(seconds, 3), "findings": found}
            assert results["verify"]["findings"] == results["repair"]["findings"] == drifted
            assert results["clean"]["findings"] == 0
    finally:
        if args.postgres:
            drop_postgres_database(url)
    emit({"bench": "reconcile", "backend": backend_of(url or "sqlite"), "grants": args.grants, "drifted": drifted,
          **results, "target_met": max(r["seconds"] for r in results.values()) <= 30,
          "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d")})


if __name__ == "__main__":
    main()
