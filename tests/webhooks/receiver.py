"""A real webhook receiver on 127.0.0.1 that verifies MLflow's signature scheme the way an
MLflow user's receiver does, can answer 500 for a while, and can go down and come back."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import threading
import time
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclasses.dataclass
class Received:
    delivery_id: str
    timestamp: str
    signature: str | None
    body: str
    verified: bool
    at: float

    @property
    def payload(self) -> dict[str, t.Any]:
        return json.loads(self.body)


def mlflow_signature_ok(secret: str, delivery_id: str, timestamp: str, body: str, header: str) -> bool:
    """MLflow's documented receiver check: v1,<base64 HMAC-SHA256 of "id.timestamp.body">."""
    if not header.startswith("v1,"):
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), f"{delivery_id}.{timestamp}.{body}".encode(),
                                         hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, header[3:])


class Receiver:
    def __init__(self, secret: str | None = None, port: int = 0) -> None:
        self.secret = secret
        self.port = port
        self.received: list[Received] = []  # every request, failed answers included
        self.accepted: list[Received] = []
        self.fail_next = 0  # answer 500 to this many requests
        self.in_flight: dict[str, int] = {}
        self.overlaps = 0  # the same delivery received twice at the same time
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: t.Any) -> None:
                """Quiet: the tests read what was received, not a log."""

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                did = self.headers.get("X-MLflow-Delivery-Id", "")
                ts = self.headers.get("X-MLflow-Timestamp", "")
                sig = self.headers.get("X-MLflow-Signature")
                ok = bool(receiver.secret and sig and mlflow_signature_ok(receiver.secret, did, ts, body, sig))
                item = Received(did, ts, sig, body, ok, time.time())
                with receiver._lock:
                    receiver.received.append(item)
                    if receiver.in_flight.get(did):
                        receiver.overlaps += 1
                    receiver.in_flight[did] = receiver.in_flight.get(did, 0) + 1
                    failing = receiver.fail_next > 0
                    if failing:
                        receiver.fail_next -= 1
                try:
                    if receiver.delay:
                        time.sleep(receiver.delay)
                    if failing or (receiver.secret and not ok):
                        self.send_response(500 if failing else 401)
                        self.end_headers()
                        self.wfile.write(b"not now" if failing else b"bad signature")
                        return
                    with receiver._lock:
                        receiver.accepted.append(item)
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"thanks " + did.encode())
                finally:
                    with receiver._lock:
                        receiver.in_flight[did] -= 1

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 15) -> list[Received]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                if len(self.accepted) >= count:
                    return list(self.accepted)
            time.sleep(0.05)
        raise AssertionError(f"received {len(self.accepted)} of {count} deliveries within {timeout} s "
                             f"({len(self.received)} requests)")
