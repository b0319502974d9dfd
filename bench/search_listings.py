"""SearchListings over a large catalog: latency through the HTTP API, and bulk indexing rate.

1. A server in a child process (so this process's boto3 work does not share its GIL); through the API
   an admin makes a domain, a producer makes `--projects` projects, a form type `Quality` (searchable
   `steward` and `region`, sortable `rowCount`), an asset type, 20 glossary terms, and publishes a few
   assets the normal way.
2. Bulk indexing: `--index-n` assets (with revisions, forms and glossary terms) are written as rows,
   then `openzone.search.index.reindex(connection, ["ASSET"])` (what `openzone search reindex --kind
   ASSET` runs) builds their documents; assets/s is the rate.
3. `--n` listings (default 1,000,000) are written straight into the tables in batches (assets,
   listings, their search documents and attributes, computed by the index's own `document_row`):
   names and descriptions draw words from the business vocabulary with a Zipf-like distribution,
   so a query word matches from a few hundred to tens of thousands of listings.
4. A consumer (a domain user in no project) calls SearchListings `--queries` times (after
   `--warmup` calls) with one searchText word, a filter (`Quality.region` EQ one of 8 regions) and
   two aggregations (`owningProjectId`, `Quality.steward`), maxResults 25; p50/p95 of the call.

Prints one JSON line: p50_ms, p95_ms, max_ms, n, backend, index_assets_per_s, target_met
(p95 <= 25 ms on SQLite, <= 50 ms on PostgreSQL, and >= 2000 assets/s), load average before/after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (PG_ADMIN_URL, Caller, backend_of, drop_postgres_database, emit,  # noqa: E402
                      fresh_postgres_database, log, median, percentile, start_server)

from openzone.catalog.models import Asset, AssetRevision, Listing  # noqa: E402
from openzone.db.session import get_engine  # noqa: E402
from openzone.db.types import utcnow  # noqa: E402
from openzone.enrichment.abbreviations import ABBREVIATIONS  # noqa: E402
from openzone.search import index  # noqa: E402
from openzone.search.kinds import Entry, forms_document  # noqa: E402
from openzone.search.models import SearchAttribute, SearchDocument  # noqa: E402

QUALITY = '''$version: "2"
namespace bench.search

structure {name} {{
    @amazon.datazone#searchable
    steward: String
    @amazon.datazone#searchable
    region: String
    @amazon.datazone#sortable
    rowCount: Long
}}
'''
REGIONS = ["eu", "us", "apac", "latam", "mea", "nordics", "dach", "uk"]
STEWARDS = [f"steward{i:02d}" for i in range(50)]
BATCH = 5000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="listings in the catalog (default 1,000,000)")
    parser.add_argument("--index-n", type=int, default=20_000, help="assets indexed by reindex (default 20,000)")
    parser.add_argument("--queries", type=int, default=300, help="timed SearchListings calls (default 300)")
    parser.add_argument("--warmup", type=int, default=30, help="untimed calls first (default 30)")
    parser.add_argument("--projects", type=int, default=10, help="owning projects (default 10)")
    parser.add_argument("--database-url", help="metadata database URL (default: SQLite in the temp data dir)")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_URL, metavar="ADMIN_URL",
                        help="use a fresh PostgreSQL database next to ADMIN_URL, dropped at the end")
    parser.add_argument("--data-dir", type=Path, help="keep the data here instead of a temp dir")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true",
                        help="with --data-dir (and --database-url for PostgreSQL): build the catalog once, save "
                             "world.json there, and on later runs only time the queries (index rate not measured)")
    args = parser.parse_args()
    if args.reuse and (args.data_dir is None or (args.postgres and not args.database_url)):
        parser.error("--reuse needs --data-dir (and --database-url instead of --postgres)")
    return args


def vocabulary() -> list[str]:
    """Business words (the abbreviation dictionary's expansions), in a fixed order."""
    words = sorted({w.lower() for full in ABBREVIATIONS.values() for w in full.split() if w.isalpha() and len(w) > 2})
    random.Random(1).shuffle(words)
    return words


class Generator:
    """Deterministic catalog text with a Zipf-like word distribution (rank r drawn with weight 1/r)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.words = vocabulary()
        weights = [1.0 / (r + 1) for r in range(len(self.words))]
        total = sum(weights)
        self.cumulative = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cumulative.append(acc)

    def some(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=k)

    def query_word(self) -> str:
        return self.words[self.rng.randint(20, 1000)]  # from common to rare


def setup_world(server, projects: int) -> dict:
    admin, producer, consumer = server.user(admin=True), server.user(), server.user()
    dz = producer.dz
    domain = admin.dz.create_domain(name=f"Bench-{uuid.uuid4().hex[:6]}",
                                    domainExecutionRole="arn:aws:iam::000000000000:role/dz")["id"]
    for caller in (producer, consumer):
        admin.dz.create_user_profile(domainIdentifier=domain, userIdentifier=caller.arn)
    project_ids = [dz.create_project(domainIdentifier=domain, name=f"Project {i:02d}")["id"] for i in range(projects)]
    form = "QualityFormType"
    dz.create_form_type(domainIdentifier=domain, name=form, model={"smithy": QUALITY.format(name=form)},
                        owningProjectIdentifier=project_ids[0], status="ENABLED")
    asset_type = "BenchDataset"
    dz.create_asset_type(domainIdentifier=domain, name=asset_type, owningProjectIdentifier=project_ids[0],
                         formsInput={"Quality": {"typeIdentifier": form, "typeRevision": "1", "required": True}})
    glossary = dz.create_glossary(domainIdentifier=domain, name="Bench Terms", owningProjectIdentifier=project_ids[0],
                                  status="ENABLED")["id"]
    terms = [dz.create_glossary_term(domainIdentifier=domain, glossaryIdentifier=glossary, name=f"Term {i}",
                                     status="ENABLED")["id"] for i in range(20)]
    for i in range(5):  # a few listings made the normal way
        content = {"steward": STEWARDS[i], "region": REGIONS[i], "rowCount": i}
        asset = dz.create_asset(domainIdentifier=domain, owningProjectIdentifier=project_ids[0], name=f"api asset {i}",
                                typeIdentifier=asset_type,
                                formsInput=[{"formName": "Quality", "content": json.dumps(content)}])
        dz.create_listing_change_set(domainIdentifier=domain, entityIdentifier=asset["id"], entityType="ASSET",
                                     action="PUBLISH")
    with get_engine(server.settings.metadata_url).connect() as connection:
        user_id = connection.scalar(text("SELECT id FROM users WHERE name = :n"), {"n": producer.name})
    return {"domain": domain, "projects": project_ids, "terms": terms, "form": form, "asset_type": asset_type,
            "producer": producer, "consumer": consumer, "user_id": user_id}


def _id(prefix: str, i: int) -> str:
    return f"{prefix}{i:013d}"


def _content(gen: Generator, i: int) -> tuple[dict, list[str], str, str]:
    name = " ".join(gen.some(3)).title()
    description = " ".join(gen.some(8)).capitalize()
    forms = {"Quality": {"steward": STEWARDS[gen.rng.randrange(len(STEWARDS))],
                         "region": REGIONS[gen.rng.randrange(len(REGIONS))], "rowCount": gen.rng.randrange(10**7)}}
    return forms, [], name, description


def bulk_index_assets(url: str, world: dict, n: int, gen: Generator) -> float:
    """Write n assets as rows (no listener), then time reindex of the ASSET kind; assets per second."""
    engine = get_engine(url)
    now = utcnow()
    with engine.begin() as connection:
        for start in range(0, n, BATCH):
            assets, revisions = [], []
            for i in range(start, min(n, start + BATCH)):
                forms, _, name, description = _content(gen, i)
                asset_id = _id("x", i)
                terms = [world["terms"][i % 20]] if i % 5 == 0 else None
                assets.append({"id": asset_id, "domain_id": world["domain"], "owning_project_id": world["projects"][i % len(world["projects"])],
                               "type_identifier": world["asset_type"], "type_revision": "1", "revision": 1,
                               "created_by": world["user_id"], "created_at": now, "updated_at": now})
                revisions.append({"asset_id": asset_id, "revision": 1, "name": name, "description": description,
                                  "glossary_terms": terms, "created_by": world["user_id"], "created_at": now,
                                  "forms": [{"formName": "Quality", "typeName": world["form"], "typeRevision": "1",
                                             "content": json.dumps(forms["Quality"])}]})
            connection.execute(insert(Asset.__table__), assets)
            connection.execute(insert(AssetRevision.__table__), revisions)
    with engine.begin() as connection:
        started = time.perf_counter()
        count = index.reindex(connection, ["ASSET"])
        elapsed = time.perf_counter() - started
    log(f"reindexed {count} assets in {elapsed:.1f} s")
    return count / elapsed


def bulk_listings(url: str, world: dict, n: int, gen: Generator) -> None:
    """n published listings with their documents and attributes, written straight into the tables."""
    engine = get_engine(url)
    now = utcnow()
    with engine.connect() as connection:
        next_doc = (connection.scalar(text("SELECT max(id) FROM search_documents")) or 0) + 1
    started = time.perf_counter()
    for start in range(0, n, BATCH):
        assets, listings, docs, attributes = [], [], [], []
        for i in range(start, min(n, start + BATCH)):
            forms, _, name, description = _content(gen, i)
            asset_id, listing_id = _id("a", i), _id("l", i)
            project = world["projects"][i % len(world["projects"])]
            terms = [world["terms"][gen.rng.randrange(20)]] if gen.rng.random() < 0.2 else []
            assets.append({"id": asset_id, "domain_id": world["domain"], "owning_project_id": project,
                           "type_identifier": world["asset_type"], "type_revision": "1", "revision": 1,
                           "created_by": world["user_id"], "created_at": now, "updated_at": now})
            listings.append({"id": listing_id, "domain_id": world["domain"], "asset_id": asset_id,
                             "owning_project_id": project, "revision": 1, "asset_revision": 1, "status": "ACTIVE",
                             "name": name, "description": description, "asset_type": world["asset_type"],
                             "forms": forms, "glossary_terms": terms or None, "created_by": world["user_id"],
                             "created_at": now, "updated_at": now})
            quality = forms["Quality"]
            entry = Entry(kind="LISTING", entity_id=listing_id, domain_id=world["domain"], status="ACTIVE", name=name,
                          document=forms_document(name, description, forms, terms, {}, listing_id),
                          owning_project_id=project, type_name=world["asset_type"], created_at=now, updated_at=now,
                          attributes=[("amazonmetadata.sourceCategory", "asset", None),
                                      *(("__DataZoneGlossaryTerms", t, None) for t in terms),
                                      ("Quality.steward", quality["steward"], None), ("Quality.region", quality["region"], None),
                                      ("Quality.rowCount", str(quality["rowCount"]), quality["rowCount"])])
            doc_id = next_doc + i
            docs.append({"id": doc_id, **index.document_row(entry)})
            attributes += [{"doc_id": doc_id, "attribute": a, "string_value": s, "int_value": v}
                           for a, s, v in entry.attributes]
        with engine.begin() as connection:
            connection.execute(insert(Asset.__table__), assets)
            connection.execute(insert(Listing.__table__), listings)
            connection.execute(insert(SearchDocument.__table__), docs)
            connection.execute(insert(SearchAttribute.__table__), attributes)
        done = min(n, start + BATCH)
        if done % 50_000 == 0 or done == n:
            log(f"{done} listings written ({done / (time.perf_counter() - started):.0f}/s)")
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT setval(pg_get_serial_sequence('search_documents', 'id'), "
                                    "(SELECT max(id) FROM search_documents))"))
        else:
            connection.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        # What autovacuum does a minute after a bulk load (it is off on the shared test server): statistics,
        # the visibility map (index-only probes) and the GIN index's pending list merged.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in ("search_documents", "search_attributes", "listings", "assets"):
                connection.execute(text(f"VACUUM ANALYZE {table}"))


def run_queries(world: dict, queries: int, warmup: int, gen: Generator) -> tuple[list[float], list[int]]:
    dz = world["consumer"].dz
    timings, totals = [], []
    for i in range(warmup + queries):
        params = {"domainIdentifier": world["domain"], "searchText": gen.query_word(), "maxResults": 25,
                  "filters": {"filter": {"attribute": "Quality.region", "value": REGIONS[i % len(REGIONS)]}},
                  "aggregations": [{"attribute": "owningProjectId"}, {"attribute": "Quality.steward"}]}
        started = time.perf_counter()
        response = dz.search_listings(**params)
        elapsed = (time.perf_counter() - started) * 1000
        if i >= warmup:
            timings.append(elapsed)
            totals.append(response["totalMatchCount"])
        assert len(response["aggregates"]) == 2
    return timings, totals


def main() -> None:
    args = parse_args()
    load_before = round(os.getloadavg()[0], 2)
    tmp = None
    if args.data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="oz-bench-search-")
        data_dir = Path(tmp.name)
    else:
        data_dir = args.data_dir
    url = args.database_url or (fresh_postgres_database(args.postgres) if args.postgres else None)
    server = start_server(data_dir, url, separate_process=True)
    metadata_url = server.settings.metadata_url
    try:
        gen = Generator(args.seed)
        saved = data_dir / "world.json"
        rate, load_s = 0.0, 0.0
        if args.reuse and saved.exists():
            world = json.loads(saved.read_text())
            world["consumer"] = Caller(server, *world["consumer"])
            log(f"reusing the catalog of {saved}")
        else:
            world = setup_world(server, args.projects)
            rate = bulk_index_assets(metadata_url, world, args.index_n, gen) if args.index_n else 0.0
            started = time.perf_counter()
            bulk_listings(metadata_url, world, args.n, gen)
            load_s = time.perf_counter() - started
            if args.reuse:
                consumer = world["consumer"]
                saved.write_text(json.dumps({**{k: v for k, v in world.items() if k not in ("producer", "consumer")},
                                             "consumer": [consumer.name, consumer.key_id, consumer.secret]}))
        timings, totals = run_queries(world, args.queries, args.warmup, gen)
        backend = backend_of(metadata_url)
        p95 = percentile(timings, 95)
        limit = 25 if backend == "sqlite" else 50
        emit({
            "benchmark": "search_listings", "backend": backend, "n": args.n, "queries": len(timings),
            "p50_ms": round(percentile(timings, 50), 1), "p95_ms": round(p95, 1), "max_ms": round(max(timings), 1),
            "mean_ms": round(sum(timings) / len(timings), 1), "p95_target_ms": limit,
            "matches_median": median(totals), "matches_max": max(totals),
            "index_n": args.index_n if rate else 0, "index_assets_per_s": round(rate), "bulk_load_s": round(load_s, 1),
            "target_met": p95 <= limit and (rate >= 2000 or not args.index_n or not rate),
            "loadavg_1m": [load_before, round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d"),
        })
    finally:
        server.stop()
        if args.postgres and not args.database_url and not args.reuse:
            drop_postgres_database(url)
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
