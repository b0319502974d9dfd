"""Send one event to one target: a signed webhook POST or a NATS publish (JetStream when a stream takes it).

Webhook requests carry `X-Openzone-Signature: t=<unix seconds>,v1=<hex>` where the hex is
HMAC-SHA256(target secret, f"{t}.{raw body}"), plus `X-Openzone-Event-Id`. A receiver recomputes it over the
raw body (see README, "Event bus"), compares in constant time and may refuse old timestamps.
"""

import asyncio
import hashlib
import hmac
import threading
import time
from urllib.parse import urlsplit

import httpx

SIGNATURE_HEADER = "X-Openzone-Signature"
EVENT_ID_HEADER = "X-Openzone-Event-Id"


class DeliveryError(Exception):
    """The target did not take the event (it will be retried)."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, tolerance: float | None = None) -> bool:
    """Whether a signature header is valid for the body (receivers and tests use this)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if tolerance is not None and abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header)


class Senders:
    """The clients a dispatcher sends with: one pooled HTTP client, NATS connections on their own event loop."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.http = httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=64,
                                                                        max_keepalive_connections=64))
        self._nats = _Nats(timeout)

    def webhook(self, url: str, secret: str, headers: dict, event_id: str, body: bytes) -> None:
        sent = {**headers, "Content-Type": "application/json", "User-Agent": "openzone-events/1",
                EVENT_ID_HEADER: event_id, SIGNATURE_HEADER: sign(secret, body, int(time.time()))}
        try:
            response = self.http.post(url, content=body, headers=sent)
        except httpx.HTTPError as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")

    def nats(self, url: str, subject: str, event_id: str, body: bytes) -> None:
        self._nats.publish(url, subject, event_id, body)

    def close(self) -> None:
        self.http.close()
        self._nats.close()


class _Nats:
    """nats-py is asyncio: one loop in a daemon thread, one connection per server, shared by the senders."""

    STREAM_CACHE_SECONDS = 30.0

    def __init__(self, timeout: float):
        self.timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._connections: dict[str, object] = {}
        self._streams: dict[tuple[str, str], tuple[float, bool]] = {}

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="openzone-nats", daemon=True).start()
            return self._loop

    def publish(self, url: str, subject: str, event_id: str, body: bytes) -> None:
        future = asyncio.run_coroutine_threadsafe(self._publish(url, subject, event_id, body), self._ensure_loop())
        try:
            future.result(self.timeout * 2)
        except DeliveryError:
            raise
        except Exception as error:  # connection refused, timeouts, JetStream errors: all retried later
            future.cancel()
            raise DeliveryError(f"NATS {type(error).__name__}: {error}") from None

    async def _connection(self, server: str):
        import nats

        connection = self._connections.get(server)
        if connection is None or connection.is_closed:
            connection = await nats.connect(server, connect_timeout=self.timeout, max_reconnect_attempts=1,
                                            allow_reconnect=False)
            self._connections[server] = connection
        return connection

    async def _publish(self, url: str, subject: str, event_id: str, body: bytes) -> None:
        parts = urlsplit(url)
        server = f"nats://{parts.netloc}"
        connection = await self._connection(server)
        headers = {"Nats-Msg-Id": event_id, "Content-Type": "application/json"}
        if await self._has_stream(connection, server, subject):
            # JetStream acknowledges storage; Nats-Msg-Id lets the stream drop a redelivered duplicate.
            await connection.jetstream().publish(subject, body, timeout=self.timeout, headers=headers)
        else:
            await connection.publish(subject, body, headers=headers)
            await connection.flush(timeout=self.timeout)

    async def _has_stream(self, connection, server: str, subject: str) -> bool:
        import nats.errors
        import nats.js.errors

        key, now = (server, subject), time.monotonic()
        cached = self._streams.get(key)
        if cached and now - cached[0] < self.STREAM_CACHE_SECONDS:
            return cached[1]
        try:
            await connection.jetstream().find_stream_name_by_subject(subject)
            found = True
        except nats.js.errors.NotFoundError:
            found = False
        except (nats.js.errors.ServiceUnavailableError, nats.errors.NoRespondersError):
            found = False  # the server has no JetStream
        self._streams[key] = (now, found)
        return found

    def close(self) -> None:
        if self._loop is None:
            return

        async def drain():
            for connection in self._connections.values():
                if not connection.is_closed:
                    await connection.close()
        try:
            asyncio.run_coroutine_threadsafe(drain(), self._loop).result(5)
        except Exception:  # closing is best effort: the process is stopping
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
