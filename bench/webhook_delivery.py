"""Webhook delivery: throughput to a loopback receiver, and a receiver that is down for a while loses nothing.

1. Throughput: `--events` events over `--entities` entities are committed to the outbox, then the dispatcher
   (the same thread `openzone serve` runs) delivers them to a signed-webhook target on 127.0.0.1; the clock
   runs from the dispatcher's start to the last event received.
2. Outage: the receiver goes away (connections refused) for `--outage-seconds` while `--outage-events` more
   events are written at an even pace; it comes back on the same port and the clock runs until every event
   is in. Nothing may be lost, each entity's events arrive in order, every signature verifies.
   `--outage-seconds 300` runs the real five minutes with the default retry schedule (backoff capped at
   `--retry-max-seconds`, default 300 s as in openzone); the quick default (20 s) scales the cap down to 5 s so
   the backoff still doubles several times during the outage.

Prints one JSON line. Example: .venv/bin/python bench/webhook_delivery.py [--postgres] [--outage-seconds 300]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import drop_postgres_database, emit, fresh_postgres_database, log  # noqa: E402
from events.receiver import Receiver  # noqa: E402

from openzone.config import Settings  # noqa: E402
from openzone.db.migrate import upgrade  # noqa: E402
from openzone.db.session import session_scope  # noqa: E402
from openzone.events import outbox, rules  # noqa: E402
from openzone.events.dispatcher import Dispatcher  # noqa: E402

SECRET = "bench-secret"


def write_events(settings: Settings, start: int, count: int, entities: int) -> list[str]:
    ids = []
    with session_scope(settings.metadata_url) as session:
        for n in range(start, start + count):
            ids.append(outbox.emit(session, detail_type="Bench Event", domain_id="dzd_bench",
                                   entity=outbox.Entity(f"entity{n % entities}", "BenchEntityType"),
                                   user_id="bench", data={"n": n}).id)
    return ids


def check(receiver: Receiver, sent: list[str]) -> dict:
    got = receiver.ids()
    last, out_of_order = {}, 0
    for envelope in receiver.received:
        entity, n = envelope["detail"]["metadata"]["id"], envelope["detail"]["data"]["n"]
        out_of_order += n < last.get(entity, -1)
        last[entity] = max(n, last.get(entity, -1))
    return {"lost": len(set(sent) - set(got)), "duplicates": len(got) - len(set(got)),
            "out_of_order": out_of_order, "bad_signatures": receiver.bad_signatures}


def wait_all(receiver: Receiver, sent: list[str], timeout: float) -> float:
    start, wanted = time.perf_counter(), set(sent)
    while not wanted <= set(receiver.ids()):
        if time.perf_counter() - start > timeout:
            raise SystemExit(f"not delivered within {timeout} s: {len(wanted - set(receiver.ids()))} missing")
        time.sleep(0.01)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--entities", type=int, default=100)
    parser.add_argument("--outage-seconds", type=float, default=20.0)
    parser.add_argument("--outage-events", type=int, default=1000)
    parser.add_argument("--retry-max-seconds", type=float, default=None,
                        help="backoff cap (default: 300 for outages of 5 minutes or more, else 5)")
    parser.add_argument("--threads", type=int, default=8, help="deliveries at once (OPENZONE_EVENTS_DISPATCH_THREADS)")
    parser.add_argument("--postgres", nargs="?", const="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    retry_max = args.retry_max_seconds or (300.0 if args.outage_seconds >= 300 else 5.0)
    load_before = os.getloadavg()[0]
    url = args.database_url or (fresh_postgres_database(args.postgres) if args.postgres else None)
    data_dir = Path(tempfile.mkdtemp(prefix="oz-bench-events-"))
    settings = Settings(data_dir=data_dir, database_url=url, events_dispatch_threads=args.threads,
                        events_retry_max_seconds=retry_max)
    settings.ensure_dirs()
    upgrade(settings.metadata_url)
    outbox.configure(settings.account_id, settings.region)
    receiver = Receiver(SECRET)
    operator = SimpleNamespace(id="bench", is_admin=True)
    with session_scope(settings.metadata_url) as session:
        rules.put_rule(session, operator, {"Name": "bench", "EventPattern": '{"detail-type": ["Bench Event"]}'})
        rules.put_targets(session, operator, "bench", None, [{"Id": "hook", "Arn": receiver.url, "HttpParameters": {
            "HeaderParameters": {rules.SECRET_HEADER: SECRET}}}], (settings.events_max_attempts, 86400))
    try:
        log(f"writing {args.events} events over {args.entities} entities")
        sent = []
        for start in range(0, args.events, 1000):
            sent += write_events(settings, start, min(1000, args.events - start), args.entities)
        dispatcher = Dispatcher(settings)
        dispatcher.start()
        elapsed = wait_all(receiver, sent, timeout=600)
        throughput = check(receiver, sent)
        log(f"{args.events} events in {elapsed:.2f} s; receiver goes down for {args.outage_seconds} s")

        receiver.stop()
        outage_sent, began = [], time.perf_counter()
        pace = args.outage_seconds / max(1, args.outage_events // 50)
        n = args.events
        while len(outage_sent) < args.outage_events:
            outage_sent += write_events(settings, n, 50, args.entities)
            n += 50
            time.sleep(max(0.0, began + pace * len(outage_sent) / 50 - time.perf_counter()))
        time.sleep(max(0.0, began + args.outage_seconds - time.perf_counter()))
        receiver.start()
        recovery = wait_all(receiver, outage_sent, timeout=retry_max * 2 + 600)
        outage = check(receiver, sent + outage_sent)
        dispatcher.stop()
        dispatcher.join(timeout=10)
    finally:
        if args.postgres and not args.database_url:
            drop_postgres_database(url)
    emit({"benchmark": "webhook_delivery", "backend": "postgres" if url else "sqlite", "events": args.events,
          "entities": args.entities, "threads": args.threads, "seconds": round(elapsed, 3),
          "events_per_second": round(args.events / elapsed, 1), **{f"throughput_{k}": v for k, v in throughput.items()},
          "outage_seconds": args.outage_seconds, "outage_events": args.outage_events, "retry_max_seconds": retry_max,
          "recovery_seconds_after_back": round(recovery, 3), **{f"outage_{k}": v for k, v in outage.items()},
          "loadavg_1m": [load_before, os.getloadavg()[0]], "date": time.strftime("%Y-%m-%d")})


if __name__ == "__main__":
    main()
