"""Query worker processes: DuckDB runs the sandboxes' queries in processes of their own.

The API process only checks statements, writes CTAS/INSERT results to the lake and records outcomes; a
worker opens the sandbox, runs the SELECT and writes its result as an Arrow file that GetQueryResults
memory-maps. A worker that dies (a crash, the kernel's OOM killer) fails only its query and is replaced, so
the server stays up; and a running query no longer takes the API's GIL between its tasks. (On the TPC-H
benchmark the processes are no faster than threads were: see bench/README.md, session 8.)
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyarrow as pa

from openzone.lake.extensions import verify_signatures
from openzone.query import results
from openzone.query.engine import (Cancel, QueryCancelled, QueryError, QueryFailed, QueryRefused, QueryTimeout,
                                   run_select, user_errors)
from openzone.query.sandbox import SandboxPool, SandboxSpec

log = logging.getLogger("openzone.query")
_ERRORS = {cls.__name__: cls for cls in (QueryRefused, QueryFailed, QueryTimeout, QueryCancelled)}
# A worker that has not answered this long after its query's time limit is stuck outside DuckDB's
# interrupt checks: it is killed.
STUCK_AFTER_SECONDS = 30.0
_CANCEL_CHECK_SECONDS = 0.05
SANDBOXES_PER_WORKER = 8


@dataclass(frozen=True)
class _Job:
    """One SELECT for a worker: the sandbox, the checked SQL, its limits, and where the result goes."""

    spec: SandboxSpec
    sql: str
    ext_dir: Path
    warehouse_dir: Path | None
    timeout_s: float
    output: Path


def _serve(conn: Connection, cancel: Cancel) -> None:
    """A worker process's body: run jobs one at a time until the server closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops its workers
    pool = SandboxPool(SANDBOXES_PER_WORKER)
    while True:
        try:
            job: _Job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            with user_errors(job.spec, job.warehouse_dir, job.ext_dir):
                columns, table = run_select(job.spec, job.sql, verify_signatures(job.ext_dir), job.timeout_s,
                                            cancel, pool)
                results.write_file(job.output, table)
            reply = ("ok", columns)
        except QueryError as e:
            reply = (type(e).__name__, str(e))
        except Exception:
            log.exception("a query failed inside its worker")
            reply = ("QueryFailed", "The query service could not run this query.")
        conn.send(reply)


class _WorkerLost(Exception):
    pass


class _CancelFlag:
    """A cancel flag in memory shared with one worker (a plain byte: a multiprocessing.Event's semaphores
    would outlive a server that exits without closing its workers)."""

    def __init__(self, context) -> None:
        self._value = context.RawValue("b", 0)

    def set(self) -> None:
        self._value.value = 1

    def clear(self) -> None:
        self._value.value = 0

    def is_set(self) -> bool:
        return bool(self._value.value)


class _Worker:
    """One worker process, its end of the pipe, its cancel flag, and the sandboxes it has open."""

    def __init__(self, context) -> None:
        self.conn, child_end = context.Pipe()
        self.cancel = _CancelFlag(context)
        self.process = context.Process(target=_serve, args=(child_end, self.cancel), name="openzone-query-worker",
                                       daemon=True)
        self.process.start()
        child_end.close()
        self.sandboxes: deque[tuple] = deque(maxlen=SANDBOXES_PER_WORKER)  # as the worker's LRU keeps them

    def call(self, job: _Job, key: tuple, cancel: threading.Event | None) -> tuple:
        """Send a job (its sandbox's `key`) and wait for the reply, passing a cancel on; _WorkerLost if the
        worker dies or sticks."""
        self.cancel.clear()
        if key in self.sandboxes:
            self.sandboxes.remove(key)
        self.sandboxes.append(key)
        stuck_at = time.monotonic() + job.timeout_s + STUCK_AFTER_SECONDS
        try:
            self.conn.send(job)
            while not self.conn.poll(_CANCEL_CHECK_SECONDS):  # returns at once when the reply (or EOF) comes
                if cancel is not None and cancel.is_set():
                    self.cancel.set()
                if time.monotonic() > stuck_at:
                    raise _WorkerLost("did not answer after its time limit")
            return self.conn.recv()
        except (EOFError, OSError) as e:
            raise _WorkerLost(str(e) or type(e).__name__) from None

    def stop(self) -> None:
        self.conn.close()
        self.process.kill()
        self.process.join(timeout=5)


class QueryWorkers:
    """At most `size` worker processes, started when every one is busy; a job goes to an idle worker,
    preferably one that already has its sandbox open."""

    def __init__(self, size: int) -> None:
        self._context = multiprocessing.get_context("spawn")  # never fork a threaded server
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._slots = threading.BoundedSemaphore(size)

    def _take(self, key: tuple) -> _Worker:
        self._slots.acquire()
        with self._lock:
            for worker in reversed(self._idle):
                if key in worker.sandboxes:
                    self._idle.remove(worker)
                    return worker
            if self._idle:
                return self._idle.pop()
        try:
            return _Worker(self._context)
        except BaseException:
            self._slots.release()
            raise

    def prestart(self) -> None:
        """Start one worker now, so that the first query does not wait for a process to start."""
        with self._lock:
            if not self._idle:
                self._idle.append(_Worker(self._context))

    def _give_back(self, worker: _Worker | None) -> None:
        if worker is not None:
            with self._lock:
                self._idle.append(worker)
        self._slots.release()

    def select_into(self, output: Path, ext_dir: Path, warehouse_dir: Path | None, spec: SandboxSpec,
                    select_sql: str, timeout_s: float, cancel: threading.Event | None
                    ) -> tuple[list[tuple[str, str]], pa.Table]:
        """Run a checked SELECT in a worker, which writes its rows to `output` (Arrow IPC): columns and rows
        (memory-mapped). With the first three arguments bound, an engine.SelectRunner."""
        key = spec.cache_key()
        worker = self._take(key)
        try:
            reply = worker.call(_Job(spec, select_sql, ext_dir, warehouse_dir, timeout_s, output), key, cancel)
        except _WorkerLost as e:
            log.error("query worker %s lost: %s", worker.process.pid, e)
            worker.stop()
            worker = None
            raise QueryFailed("The query engine stopped while running this query (the process ended or "
                              "stopped answering); a new one takes the next query, and this one can be run again") from None
        finally:
            self._give_back(worker)
        status, detail = reply
        if status != "ok":
            raise _ERRORS[status](detail)
        return [tuple(c) for c in detail], results.read_file(output)

    def close(self) -> None:
        """Stop the idle workers (busy ones are stopped by their queries' cancellation, then reused or left to exit)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

