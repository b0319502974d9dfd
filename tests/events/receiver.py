"""A loopback webhook receiver on real sockets: records what it is sent, fails on demand, can go away."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from openzone.events.senders import SIGNATURE_HEADER, verify


class Receiver:
    """POSTs to http://127.0.0.1:<port>/hook are answered 200 and recorded, or 503 while `failing`."""

    def __init__(self, secret: str | None = None, port: int = 0):
        self.secret = secret
        self.failing = False
        self.gone = False  # stopped: kept-alive connections are dropped unanswered, new ones refused
        self.reject = lambda envelope: False  # also answer 503 to the events this says
        self.received: list[dict] = []  # envelopes, in arrival order
        self.bad_signatures = 0
        self.refused = 0
        self._lock = threading.Lock()
        self._server = None
        self.port = port
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                if receiver.gone:
                    self.close_connection = True
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    if receiver.failing or receiver.reject(json.loads(body)):
                        receiver.refused += 1
                        status = 503
                    else:
                        status = 200
                        if receiver.secret and not verify(receiver.secret, body, self.headers.get(SIGNATURE_HEADER, "")):
                            receiver.bad_signatures += 1
                        receiver.received.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.gone = False
        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Go away entirely: connections are refused until start() (same port)."""
        self.gone = True
        self._server.shutdown()
        self._server.server_close()

    def ids(self) -> list[str]:
        with self._lock:
            return [event["id"] for event in self.received]
