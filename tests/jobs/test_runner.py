"""The job queue: run once, retry with back-off, give up, reclaim jobs of dead workers, share work."""

import threading
from datetime import timedelta

from sqlalchemy import select, update

from conftest import make_settings
from openzone.db.session import session_scope
from openzone.db.types import utcnow
from openzone.jobs import runner
from openzone.jobs.models import Job
from openzone.jobs.queue import TASKS, enqueue, task

seen: list[int] = []
lock = threading.Lock()


@task("test.record")
def _record(session, settings, payload):
    with lock:
        seen.append(payload["n"])


given_up: list[tuple[dict, str]] = []


def _note_give_up(session, settings, payload, error):
    given_up.append((payload, error))


@task("test.explode", on_give_up=_note_give_up)
def _explode(session, settings, payload):
    raise RuntimeError("boom")


def _queue(settings, kind, payloads):
    with session_scope(settings.metadata_url) as session:
        jobs = [enqueue(session, kind, p) for p in payloads]
        session.flush()
        return [job.id for job in jobs]


def _job(settings, job_id):
    with session_scope(settings.metadata_url) as session:
        return session.get(Job, job_id)


def _clear_queue(settings):
    with session_scope(settings.metadata_url) as session:
        session.execute(update(Job).where(Job.status == "QUEUED").values(status="DONE"))


def test_a_job_runs_once_and_is_done(isolated_database_url, tmp_path):
    settings = make_settings(tmp_path, isolated_database_url)
    _clear_queue(settings)
    seen.clear()
    [job_id] = _queue(settings, "test.record", [{"n": 1}])
    assert runner.drain(settings) == 1
    assert seen == [1] and _job(settings, job_id).status == "DONE"
    assert runner.drain(settings) == 0


def test_a_failing_job_is_retried_later_then_marked_failed(isolated_database_url, tmp_path):
    settings = make_settings(tmp_path, isolated_database_url)
    _clear_queue(settings)
    given_up.clear()
    [job_id] = _queue(settings, "test.explode", [{"what": "x"}])
    runner.drain(settings)
    job = _job(settings, job_id)
    assert job.status == "QUEUED" and job.attempts == 1 and job.run_after > utcnow()
    assert "boom" in job.last_error
    for _attempt in range(2, runner.MAX_ATTEMPTS + 1):
        assert given_up == []  # not while it may still be retried
        with session_scope(settings.metadata_url) as session:
            session.execute(update(Job).where(Job.id == job_id).values(run_after=utcnow() - timedelta(seconds=1)))
        runner.drain(settings)
    assert _job(settings, job_id).status == "FAILED" and _job(settings, job_id).attempts == runner.MAX_ATTEMPTS
    assert given_up == [({"what": "x"}, "boom")]  # its subject is told once, at the end


def test_a_job_of_a_dead_worker_is_claimed_again(isolated_database_url, tmp_path):
    settings = make_settings(tmp_path, isolated_database_url)
    _clear_queue(settings)
    seen.clear()
    [job_id] = _queue(settings, "test.record", [{"n": 7}])
    assert runner.claim(settings.metadata_url, "dead-worker") == job_id
    assert runner.drain(settings) == 0  # still leased to the dead worker
    with session_scope(settings.metadata_url) as session:
        session.execute(update(Job).where(Job.id == job_id).values(updated_at=utcnow() - runner.LEASE * 2))
    assert runner.drain(settings) == 1 and seen == [7]


def test_concurrent_workers_run_each_job_exactly_once(isolated_database_url, tmp_path):
    settings = make_settings(tmp_path, isolated_database_url)
    _clear_queue(settings)
    seen.clear()
    _queue(settings, "test.record", [{"n": n} for n in range(40)])
    workers = [threading.Thread(target=runner.drain, args=(settings, f"w{i}")) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(seen) == list(range(40))
    with session_scope(settings.metadata_url) as session:
        kinds = set(session.scalars(select(Job.kind).where(Job.status != "DONE", Job.kind == "test.record")))
    assert kinds == set()
    assert "test.record" in TASKS
