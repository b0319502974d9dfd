"""Query worker processes: queries run outside the server's process, fail cleanly, and survive a lost worker."""

from __future__ import annotations

import os
import signal
import threading
import time
from functools import partial
from pathlib import Path

import pyarrow as pa
import pytest

from openzone.lake.warehouse import Warehouse
from openzone.query.engine import QueryCancelled, QueryFailed, QueryRefused, QueryTimeout, run_query
from openzone.query.sandbox import SandboxSpec
from openzone.query.workers import QueryWorkers

RUNAWAY = "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = -1"


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(f"sqlite:///{tmp_path}/catalog.db", tmp_path / "lake")
    for db in ("sales", "proj"):
        warehouse.create_database(db)
    warehouse.create_table("sales", "orders", pa.table({"id": [1, 2, 3], "amount": [1.0, 2.0, 3.0]}))
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="module")
def workers():
    pool = QueryWorkers(2)
    yield pool
    pool.close()


@pytest.fixture
def run(wh: Warehouse, ext_dir: Path, tmp_path: Path, workers: QueryWorkers):
    spec = SandboxSpec({"sales": wh.list_tables("sales"), "proj": wh.list_tables("proj")}, default_database="sales")
    calls = iter(range(1000))

    def run(sql: str, pool: QueryWorkers = workers, **kwargs):
        kwargs.setdefault("timeout_s", 30)
        output = tmp_path / f"result-{next(calls)}.arrow"
        return run_query(spec, sql, ext_dir=ext_dir, warehouse=wh, writable_database="proj",
                         select=partial(pool.select_into, output, ext_dir, wh.warehouse_dir), **kwargs)

    return run


def _pids(pool: QueryWorkers) -> set[int]:
    return {worker.process.pid for worker in pool._idle}


def test_a_select_runs_in_another_process_and_its_rows_are_in_the_output_file(run, workers, tmp_path) -> None:
    result = run("SELECT id, amount FROM orders WHERE id > 1 ORDER BY id")
    assert result.columns == [("id", "BIGINT"), ("amount", "DOUBLE")]
    assert result.table.to_pydict() == {"id": [2, 3], "amount": [2.0, 3.0]}
    assert result.rows_affected is None
    assert (tmp_path / "result-0.arrow").exists()
    assert _pids(workers) and os.getpid() not in _pids(workers)


def test_a_refused_statement_is_refused_without_a_worker(run) -> None:
    unused = QueryWorkers(1)
    with pytest.raises(QueryRefused, match="Reading files directly"):
        run("SELECT * FROM '/etc/passwd'", pool=unused)
    assert unused._idle == []  # none was started


def test_engine_errors_come_back_with_their_kind_and_no_server_path(run, wh) -> None:
    with pytest.raises(QueryFailed, match="nope") as failed:
        run("SELECT * FROM nope")
    assert str(wh.warehouse_dir) not in str(failed.value)
    with pytest.raises(QueryFailed, match="memory limit of 1GB"):
        run("SELECT string_agg(md5(range::VARCHAR), ',' ORDER BY md5(range::VARCHAR)) FROM range(20000000)")


def test_a_worker_keeps_serving_after_a_timeout_and_a_cancel(run, workers) -> None:
    run("SELECT 1")
    before = _pids(workers)
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="time limit of 1 seconds"):
        run(RUNAWAY, timeout_s=1)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(QueryCancelled):
        run(RUNAWAY, cancel=cancel)
    assert time.monotonic() - started < 10
    assert run("SELECT 42 AS answer").table.to_pydict() == {"answer": [42]}
    assert _pids(workers) == before  # the same processes


def test_a_lost_worker_fails_its_query_and_is_replaced(run) -> None:
    single = QueryWorkers(1)
    try:
        run("SELECT 1", pool=single)
        (pid,) = _pids(single)
        outcome: list = []
        busy = threading.Thread(target=lambda: outcome.append(pytest.raises(QueryFailed, run, RUNAWAY, pool=single)))
        busy.start()
        deadline = time.monotonic() + 10
        while single._idle and time.monotonic() < deadline:  # wait until the runaway has the worker
            time.sleep(0.01)
        time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)  # as the kernel's OOM killer would
        busy.join(timeout=10)
        assert "stopped while running this query" in str(outcome[0].value)
        assert run("SELECT 7 AS n", pool=single).table.to_pydict() == {"n": [7]}
        assert pid not in _pids(single) and len(_pids(single)) == 1
    finally:
        single.close()


def test_ctas_rows_come_from_a_worker_and_are_written_here(run, wh) -> None:
    result = run("CREATE TABLE proj.big_orders AS SELECT * FROM orders WHERE amount >= 2")
    assert result.rows_affected == 2
    assert wh.columns("proj", "big_orders") == [("id", "bigint"), ("amount", "double")]


def test_a_prestarted_worker_serves_the_first_query(run) -> None:
    pool = QueryWorkers(1)
    try:
        pool.prestart()
        pool.prestart()  # one is enough
        (pid,) = _pids(pool)
        assert run("SELECT 1 AS one", pool=pool).table.to_pydict() == {"one": [1]}
        assert _pids(pool) == {pid}
    finally:
        pool.close()
