"""What a filtered grant costs in the query service: opening a sandbox that copies the filter's rows
and columns in (so the table's files stay unreachable) against one that shows the table as a view.

    .venv/bin/python bench/filtered_sandbox.py              # TPC-H lineitem at sf 1 (6 M rows)
    .venv/bin/python bench/filtered_sandbox.py --sf 0.1     # a quick run

For each mode: the time to open a sandbox (done once per distinct spec; the pool then reuses it until
a table gets a new snapshot or a filter changes), the time of a typical aggregate on the open
sandbox, and the memory DuckDB holds for the copy. Each timing is the median of --repeat runs.
Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb  # noqa: E402

from _harness import emit, log, median  # noqa: E402
from openzone.lake.extensions import duckdb_config, prepare_extension_dir  # noqa: E402
from openzone.lake.warehouse import Warehouse  # noqa: E402
from openzone.query.sandbox import SandboxSpec, ViewFilter, open_sandbox  # noqa: E402
from openzone.subscriptions.row_filters import to_sql  # noqa: E402

QUERY = "SELECT l_returnflag, count(*), sum(l_extendedprice) FROM lineitem GROUP BY 1 ORDER BY 1"
# About a quarter of lineitem's rows, and 6 of its 16 columns.
ROWS = {"or": [{"expression": {"equalTo": {"columnName": "l_shipmode", "value": "AIR"}}},
               {"expression": {"in": {"columnName": "l_returnflag", "values": ["R"]}}}]}
COLUMNS = ("l_orderkey", "l_partkey", "l_quantity", "l_extendedprice", "l_returnflag", "l_shipmode")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf", type=float, default=1.0, help="TPC-H scale factor (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (default 3)")
    args = parser.parse_args()
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as tmp:
        ext_dir = prepare_extension_dir(Path(tmp) / "ext")
        warehouse = Warehouse(f"sqlite:///{tmp}/catalog.db", Path(tmp) / "lake")
        warehouse.create_database("sales")
        log(f"generating lineitem at sf {args.sf}")
        gen = duckdb.connect(config=duckdb_config(ext_dir))
        gen.execute("LOAD tpch")
        gen.execute(f"CALL dbgen(sf={args.sf})")
        warehouse.create_table("sales", "lineitem", gen.execute("SELECT * FROM lineitem").to_arrow_table())
        rows_total = gen.execute("SELECT count(*) FROM lineitem").fetchone()[0]
        gen.close()
        table = warehouse.table("sales", "lineitem")
        modes = {"view": None, "rows": ViewFilter(None, to_sql(ROWS, "duckdb")),
                 "rows_and_columns": ViewFilter(COLUMNS, to_sql(ROWS, "duckdb"))}
        result = {"benchmark": "filtered_sandbox", "sf": args.sf, "rows_total": rows_total}
        for mode, shown in modes.items():
            spec = SandboxSpec({"sub": {"lineitem": table}}, default_database="sub", memory_limit="4GB",
                               filters={("sub", "lineitem"): shown} if shown else {})
            opens, queries = [], []
            for _ in range(args.repeat):
                start = time.perf_counter()
                con = open_sandbox(spec, ext_dir)
                opens.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                con.execute(QUERY).fetchall()
                queries.append((time.perf_counter() - start) * 1000)
                memory = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
                shown_rows = con.execute("SELECT count(*) FROM lineitem").fetchone()[0]
                con.close()
            result[mode] = {"open_ms": round(median(opens), 1), "query_ms": round(median(queries), 1),
                            "rows_shown": shown_rows, "memory_mb": round(memory / 2**20, 1)}
            log(f"{mode}: {result[mode]}")
        warehouse.close()
    result.update({"loadavg_1m": [load_before, round(os.getloadavg()[0], 2)], "date": time.strftime("%Y-%m-%d")})
    emit(result)


if __name__ == "__main__":
    main()
