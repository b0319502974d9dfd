"""Portal pages over a catalog of 100,000 assets: server time per page (target p95 <= 100 ms).

A server in a child process; through the API an admin makes a domain and a producer its projects,
form type, asset type and glossary (as bench/search_listings.py does), then `--n` published assets
(assets, revisions, listings and their search documents) are written straight into the tables. The
producer (owner of every project) and a consumer (a domain user in no project) sign in to the portal
with passwords, and each page is fetched `--rounds` times after a warm-up: the domain home, the catalog
(no text; a word; a word with a facet filter; page 3), a listing, an asset, a project, the inbox, the
requested-data view and the query editor. The time is the server's own, from each response's
`Server-Timing` header (the wall time seen by the client is reported beside it).

Prints one JSON line: per page p50/p95 (server ms), overall p95, wall p95, n, backend, target_met.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (PG_ADMIN_URL, backend_of, drop_postgres_database, emit, fresh_postgres_database,  # noqa: E402
                      log, percentile, start_server)
from search_listings import Generator, bulk_listings, setup_world  # noqa: E402

from openzone.db.session import get_engine, session_scope  # noqa: E402
from openzone.identity import passwords, service as identity  # noqa: E402

PASSWORD = "bench portal password"
TARGET_MS = 100.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="published assets in the catalog (default 100,000)")
    parser.add_argument("--rounds", type=int, default=40, help="timed fetches of each page (default 40)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed fetches of each page first (default 5)")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_URL, metavar="ADMIN_URL",
                        help="use a fresh PostgreSQL database next to ADMIN_URL, dropped at the end")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def add_revisions(url: str, user_id: str) -> None:
    """bulk_listings writes assets and listings; Search over inventory also reads each asset's revision."""
    forms = json.dumps([{"formName": "Quality", "typeName": "QualityFormType", "typeRevision": "1",
                         "content": json.dumps({"steward": "steward01", "region": "eu", "rowCount": 1})}])
    with get_engine(url).begin() as connection:
        connection.execute(text(
            "INSERT INTO asset_revisions (asset_id, revision, name, description, forms, created_by, created_at) "
            "SELECT l.asset_id, 1, l.name, l.description, :forms, :user_id, l.created_at FROM listings l "
            "WHERE l.asset_id LIKE 'a%' AND NOT EXISTS (SELECT 1 FROM asset_revisions r WHERE r.asset_id = l.asset_id)"),
            {"forms": forms, "user_id": user_id})


def sign_in(base_url: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=60)
    form = client.get("/portal/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    answer = client.post("/portal/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return client


def server_ms(response: httpx.Response) -> float:
    return float(response.headers["server-timing"].split("dur=")[1])


def main() -> None:
    args = parse_args()
    load_before = round(os.getloadavg()[0], 2)
    tmp = tempfile.TemporaryDirectory(prefix="oz-portal-bench-")
    database_url = fresh_postgres_database(args.postgres) if args.postgres else None
    server = start_server(Path(tmp.name), database_url, separate_process=True)
    try:
        url = server.settings.metadata_url
        world = setup_world(server, 10)
        log(f"writing {args.n} published assets")
        bulk_listings(url, world, args.n, Generator(args.seed))
        add_revisions(url, world["user_id"])
        with session_scope(url) as session:
            for caller in (world["producer"], world["consumer"]):
                passwords.set_password(session, identity.get_user_by_name(session, caller.name), PASSWORD)
        producer, consumer = sign_in(server.url, world["producer"].name), sign_in(server.url, world["consumer"].name)
        domain = world["domain"]
        d = f"/portal/d/{domain}"
        word = Generator(args.seed + 1).query_word()
        # A listing and asset made through the API (the bulk rows have no listing revisions).
        with get_engine(url).connect() as connection:
            listing_id, asset_id = connection.execute(text(
                "SELECT id, asset_id FROM listings WHERE name = 'api asset 3'")).one()
        pages = {
            "home": (consumer, d), "catalog": (consumer, d + "/catalog"),
            "search": (consumer, f"{d}/catalog?q={word}"),
            "search_filtered": (consumer, f"{d}/catalog?q={word}&project={world['projects'][3]}"),
            "search_page3": (consumer, f"{d}/catalog?q={word}&page=3"),
            "listing": (consumer, f"{d}/listings/{listing_id}"), "asset": (producer, f"{d}/assets/{asset_id}"),
            "project": (producer, f"{d}/projects/{world['projects'][0]}"), "inbox": (producer, d + "/inbox"),
            "requested": (consumer, d + "/requested"), "query": (producer, d + "/query"),
        }
        results, all_server, all_wall = {}, [], []
        for name, (client, path) in pages.items():
            timings, walls = [], []
            for i in range(args.warmup + args.rounds):
                started = time.perf_counter()
                response = client.get(path)
                wall = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (name, response.status_code, response.text[:500])
                if i >= args.warmup:
                    timings.append(server_ms(response))
                    walls.append(wall)
            results[name] = {"p50_ms": round(percentile(timings, 50), 1), "p95_ms": round(percentile(timings, 95), 1)}
            all_server += timings
            all_wall += walls
            log(f"{name}: {results[name]}")
        p95 = percentile(all_server, 95)
        emit({"benchmark": "portal_pages", "n": args.n, "backend": backend_of(url), "pages": results,
              "p95_ms": round(p95, 1), "worst_page_p95_ms": max(r["p95_ms"] for r in results.values()),
              "wall_p95_ms": round(percentile(all_wall, 95), 1),
              "target_met": max(r["p95_ms"] for r in results.values()) <= TARGET_MS,
              "load_before": load_before, "load_after": round(os.getloadavg()[0], 2)})
    finally:
        server.stop()
        if database_url:
            drop_postgres_database(database_url)
        tmp.cleanup()


if __name__ == "__main__":
    main()
