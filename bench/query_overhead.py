"""Query service overhead: the 22 TPC-H queries through openzone's Athena API against plain DuckDB
over the same Iceberg tables, and (separately) openzone's engine called directly (no HTTP, no polling).

    .venv/bin/python bench/query_overhead.py              # TPC-H sf 1
    .venv/bin/python bench/query_overhead.py --sf 0.1     # a quick run

Each query is run once to warm up, then timed --repeat times (default 3) in each mode, modes
interleaved; the median counts. Prints one JSON line on stdout; a per-query table goes to stderr
(and, with --details FILE, per-query numbers as JSON to FILE).
"""

from __future__ import annotations

import argparse
import os
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb  # noqa: E402

from _harness import (  # noqa: E402
    PG_ADMIN_URL,
    backend_of,
    build_world,
    drop_postgres_database,
    emit,
    fetch_rows,
    fresh_postgres_database,
    log,
    median,
    resource,
    start_query,
    start_server,
    wait_query,
)
from openzone.lake.access import get_warehouse  # noqa: E402
from openzone.lake.extensions import duckdb_config, prepare_extension_dir  # noqa: E402
from openzone.query.engine import run_query  # noqa: E402
from openzone.query.sandbox import SandboxSpec, quote_ident, quote_literal  # noqa: E402

TARGET_OVERHEAD_PCT = 10.0
TPCH_TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf", type=float, default=1.0, help="TPC-H scale factor (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per query and mode (default 3)")
    parser.add_argument("--queries", help="comma-separated query numbers (default all 22)")
    parser.add_argument("--poll-ms", type=float, default=10.0, help="GetQueryExecution polling interval (default 10)")
    parser.add_argument("--database-url", help="metadata database URL (default: SQLite in the temp data dir)")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_URL,
                        metavar="ADMIN_URL", help="create (and afterwards drop) a fresh PostgreSQL metadata database")
    parser.add_argument("--no-engine", action="store_true", help="skip the engine-only mode")
    parser.add_argument("--details", type=Path, help="write per-query timings as JSON to this file")
    parser.add_argument("--server-thread", action="store_true",
                        help="run the server in a thread of this process (default: a child process, as a real "
                             "client and server are; in one process they share the GIL)")
    parser.add_argument("--data-dir", type=Path, help="keep the data here instead of a temp dir")
    return parser.parse_args()


def load_tpch(settings, producer_db: str, sf: float, work: Path) -> dict[int, str]:
    """Generate TPC-H at `sf` with DuckDB's tpch extension and write it into the producer database."""
    ext_dir = prepare_extension_dir(work / "gen-ext")
    con = duckdb.connect(":memory:", config=duckdb_config(ext_dir))
    con.execute("LOAD tpch")
    started = time.monotonic()
    con.execute(f"CALL dbgen(sf={sf})")
    log(f"dbgen sf={sf} in {time.monotonic() - started:.1f} s")
    queries = dict(con.execute("SELECT query_nr, query FROM tpch_queries() ORDER BY query_nr").fetchall())
    warehouse = get_warehouse(settings)
    for table in TPCH_TABLES:
        started = time.monotonic()
        data = con.execute(f"SELECT * FROM {table}").to_arrow_table()
        warehouse.create_table(producer_db, table, data)
        log(f"wrote {table} ({data.num_rows} rows) in {time.monotonic() - started:.1f} s")
        del data
    con.close()
    return queries


def plain_duckdb(settings, producer_db: str) -> duckdb.DuckDBPyConnection:
    """A plain DuckDB with the same Iceberg tables as views, same threads and memory limit."""
    ext_dir = prepare_extension_dir(settings.extension_dir)
    con = duckdb.connect(":memory:", config=duckdb_config(ext_dir))
    con.execute("LOAD iceberg")
    con.execute(f"SET threads = {int(settings.query_threads)}")
    con.execute(f"SET memory_limit = {quote_literal(settings.query_memory_limit)}")
    for name, ref in get_warehouse(settings).list_tables(producer_db).items():
        con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM iceberg_scan({quote_literal(ref.metadata_location)})")
    return con


def time_duckdb(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, int, dict]:
    started = time.perf_counter()
    table = con.execute(sql).to_arrow_table()
    return time.perf_counter() - started, table.num_rows, {}


def time_engine(settings, spec: SandboxSpec, producer_db: str, sql: str) -> tuple[float, int, dict]:
    """openzone's engine in this process: checks, sandbox pool, watcher thread; no HTTP, no metadata DB."""
    started = time.perf_counter()
    result = run_query(spec, sql, ext_dir=prepare_extension_dir(settings.extension_dir),
                       warehouse=get_warehouse(settings), writable_database=producer_db,
                       timeout_s=settings.query_timeout_seconds)
    return time.perf_counter() - started, result.table.num_rows, {}


def time_athena(caller, workgroup: str, sql: str, poll: float) -> tuple[float, int, dict]:
    """StartQueryExecution, GetQueryExecution every `poll` s, then every page of GetQueryResults.

    Also splits the wall time, with the server's timestamps (same clock, millisecond precision):
    the StartQueryExecution call, submission to completion on the server, completion to the
    client seeing SUCCEEDED (polling), and reading the results.
    """
    started = time.perf_counter()
    client_cpu = time.thread_time()  # this thread runs only the client (the server has its own threads)
    wall_start = time.time()
    qid = start_query(caller, workgroup, sql)
    submitted = time.perf_counter()
    execution = wait_query(caller, qid, interval=poll)
    seen_wall, seen = time.time(), time.perf_counter()
    if execution["Status"]["State"] != "SUCCEEDED":
        raise RuntimeError(f"query failed through Athena: {execution['Status']}")
    rows = fetch_rows(caller, qid)
    elapsed = time.perf_counter() - started
    client_cpu = time.thread_time() - client_cpu
    status, stats = execution["Status"], execution["Statistics"]
    completed_wall = status["CompletionDateTime"].timestamp()
    parts = {"start_call": submitted - started,
             "server": stats["TotalExecutionTimeInMillis"] / 1000,  # submission -> completion
             "server_engine": stats["EngineExecutionTimeInMillis"] / 1000,  # RUNNING -> completion
             "detect": seen_wall - completed_wall,  # completion -> client sees SUCCEEDED
             "results": elapsed - (seen - started),
             "client_sdk_cpu": client_cpu}  # boto3 signing, sending, parsing: the SDK's work, not the service's
    parts["until_submitted_on_server"] = status["SubmissionDateTime"].timestamp() - wall_start
    return elapsed, len(rows), parts


def engine_spec(settings, environment: dict, producer_db: str) -> SandboxSpec:
    """What the query service gives a producer environment with no grants (as service._spec does)."""
    consumer_db = resource(environment, "glueConsumerDBName")
    return SandboxSpec(databases={producer_db: get_warehouse(settings).list_tables(producer_db), consumer_db: {}},
                       default_database=producer_db, memory_limit=settings.query_memory_limit,
                       threads=settings.query_threads)


def pct(ours: float, base: float) -> float:
    return (ours - base) / base * 100


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
    details: dict[int, dict] = {}
    try:
        server = start_server(data_dir, database_url, separate_process=not args.server_thread)
        settings = server.settings
        backend = backend_of(settings.metadata_url)
        log(f"server at {server.url} on {backend}; threads={settings.query_threads} "
            f"memory_limit={settings.query_memory_limit}")
        world = build_world(server)
        env, producer = world.sales_env, world.producer
        producer_db = resource(env, "glueProducerDBName")
        queries = load_tpch(settings, producer_db, args.sf, data_dir)
        if args.queries:
            wanted = {int(q) for q in args.queries.split(",")}
            queries = {k: v for k, v in queries.items() if k in wanted}
        con = plain_duckdb(settings, producer_db)
        spec = engine_spec(settings, env, producer_db)
        poll = args.poll_ms / 1000
        modes = {"openzone": lambda sql: time_athena(producer, env["id"], sql, poll),
                 "duckdb": lambda sql: time_duckdb(con, sql)}
        if not args.no_engine:
            modes["engine"] = lambda sql: time_engine(settings, spec, producer_db, sql)
        log(f"{'q':>3} " + " ".join(f"{m + ' ms':>12}" for m in modes) + "   rows")
        for nr, sql in queries.items():
            rows = {m: run(sql)[1] for m, run in modes.items()}  # warm-up
            if len(set(rows.values())) != 1:
                raise RuntimeError(f"Q{nr}: row counts differ between modes: {rows}")
            times: dict[str, list[float]] = {m: [] for m in modes}
            parts: dict[str, list[float]] = {}
            for _ in range(args.repeat):
                for mode, run in modes.items():
                    elapsed, _, split = run(sql)
                    times[mode].append(elapsed)
                    for key, value in split.items():
                        parts.setdefault(key, []).append(value)
            service = [t - c for t, c in zip(times["openzone"], parts["client_sdk_cpu"])]
            details[nr] = {m: median(t) for m, t in times.items()} | {"service": median(service),
                "rows": rows["duckdb"], "all": times, "athena_parts": {k: median(v) for k, v in parts.items()}}
            log(f"{nr:>3} " + " ".join(f"{details[nr][m] * 1000:>12.1f}" for m in modes) + f"   {rows['duckdb']}")
        con.close()
    finally:
        if server is not None:
            server.stop()
        if created_db:
            drop_postgres_database(created_db)
        if temp is not None:
            temp.cleanup()
    if args.details:
        args.details.write_text(json.dumps(details, indent=1))
    total = {m: sum(d[m] for d in details.values()) for m in modes}
    per_query = [pct(d["openzone"], d["duckdb"]) for d in details.values()]
    result = {
        "benchmark": "query_overhead", "backend": backend, "sf": args.sf, "queries": len(details),
        "repeat": args.repeat, "threads": settings.query_threads,
        "total_openzone_s": round(total["openzone"], 3), "total_duckdb_s": round(total["duckdb"], 3),
        "overhead_pct": round(pct(total["openzone"], total["duckdb"]), 1),
        "median_query_overhead_pct": round(median(per_query), 1),
        "median_query_overhead_ms": round(median([(d["openzone"] - d["duckdb"]) * 1000 for d in details.values()]), 1),
        "total_service_s": round(sum(d["service"] for d in details.values()), 3),
    }
    result["service_overhead_pct"] = round(pct(result["total_service_s"], total["duckdb"]), 1)
    parts = details[next(iter(details))]["athena_parts"]
    result["athena_parts_median_ms"] = {
        key: round(median([d["athena_parts"][key] * 1000 for d in details.values()]), 1) for key in parts}
    if "engine" in total:
        result |= {
            "total_engine_s": round(total["engine"], 3),
            "engine_overhead_pct": round(pct(total["engine"], total["duckdb"]), 1),
            "median_query_engine_overhead_pct": round(median([pct(d["engine"], d["duckdb"]) for d in details.values()]), 1),
            "median_query_engine_overhead_ms": round(median([(d["engine"] - d["duckdb"]) * 1000 for d in details.values()]), 1),
        }
    result |= {"poll_ms": args.poll_ms, "target_overhead_pct": TARGET_OVERHEAD_PCT,
               "target_met": result["service_overhead_pct"] <= TARGET_OVERHEAD_PCT,
               "server": "thread" if args.server_thread else "process",
               "loadavg_1m": [load_before, round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d")}
    emit(result)


if __name__ == "__main__":
    main()
