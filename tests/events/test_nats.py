"""NATS targets against the real server on 127.0.0.1:4222: JetStream when a stream takes the subject, plain otherwise."""

import asyncio
import json
import os
import socket
import uuid

import pytest

from events.support import ADMIN, all_delivered, emit_events, pump, settings  # noqa: F401  (the fixture)
from openzone.db.session import session_scope
from openzone.events import rules

NATS_URL = "nats://127.0.0.1:4222"
# CI sets this so that a NATS test that cannot run fails instead of being skipped.
REQUIRE_NATS = os.environ.get("OPENZONE_REQUIRE_NATS") == "1"


@pytest.fixture(scope="module", autouse=True)
def nats_server():
    try:
        socket.create_connection(("127.0.0.1", 4222), timeout=2).close()
    except OSError as error:
        message = f"NATS is not reachable at {NATS_URL}: {error}"
        if REQUIRE_NATS:
            pytest.fail(message)
        pytest.skip(message)


def add_nats_rule(settings, name: str, subject: str) -> None:
    with session_scope(settings.metadata_url) as session:
        rules.put_rule(session, ADMIN, {"Name": name, "EventPattern": '{"detail-type": ["Test Event"]}'})
        assert rules.put_targets(session, ADMIN, name, None, [{"Id": "nats", "Arn": f"{NATS_URL}/{subject}"}],
                                 (settings.events_max_attempts, settings.events_max_age_seconds)) == []


def test_jetstream_stream_receives_events_in_order(settings):  # noqa: F811
    import nats

    stream, subject = f"OZ{uuid.uuid4().hex[:8].upper()}", f"oz.test.{uuid.uuid4().hex[:8]}"

    async def setup():
        connection = await nats.connect(NATS_URL)
        await connection.jetstream().add_stream(name=stream, subjects=[subject])
        await connection.close()

    async def stored():
        connection = await nats.connect(NATS_URL)
        js = connection.jetstream()
        info = await js.stream_info(stream)
        messages = [await js.get_msg(stream, seq) for seq in range(1, info.state.messages + 1)]
        await js.delete_stream(stream)
        await connection.close()
        return messages

    asyncio.run(setup())
    add_nats_rule(settings, "to-jetstream", subject)
    sent = emit_events(settings, 20, entities=2)

    def all_stored():
        async def count():
            connection = await nats.connect(NATS_URL)
            info = await connection.jetstream().stream_info(stream)
            await connection.close()
            return info.state.messages
        return asyncio.run(count()) >= len(sent)
    pump(settings, all_stored)
    messages = asyncio.run(stored())
    envelopes = [json.loads(m.data) for m in messages]
    assert sorted(e["id"] for e in envelopes) == sorted(sent)
    for entity in ("entity0", "entity1"):  # each entity's events in outbox order
        mine = [e["detail"]["data"]["n"] for e in envelopes if e["detail"]["metadata"]["id"] == entity]
        assert mine == sorted(mine)
    assert messages[0].headers["Nats-Msg-Id"] == envelopes[0]["id"]


def test_plain_subject_without_a_stream(settings):  # noqa: F811
    import nats

    subject = f"oz.plain.{uuid.uuid4().hex[:8]}"

    async def run():
        connection = await nats.connect(NATS_URL)
        subscription = await connection.subscribe(subject)
        add_nats_rule(settings, "to-plain", subject)
        sent = emit_events(settings, 5, entities=1)
        await asyncio.get_running_loop().run_in_executor(None, pump, settings, lambda: all_delivered(settings))
        received = [json.loads((await subscription.next_msg(timeout=5)).data)["id"] for _ in sent]
        await connection.close()
        return sent, received
    sent, received = asyncio.run(run())
    assert received == sent
