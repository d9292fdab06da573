"""Under gunicorn an upload of known length is received straight from the socket into the
upload's buffers. gunicorn's own reader must stay in step all the same: what it read past the
headers comes first, a keep-alive connection carries the next request whole, an upload that stops
early leaves gunicorn to discard the rest, and a client that hangs up mid-body keeps nothing."""
from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from pathlib import Path

import requests
import sqlalchemy as sa
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader

from flask_modelregistry.kit.transfer import _socket_body
from flask_modelregistry.storage.pipeline import fill
from tests.support import free_port

from .servers import add_writer, gunicorn, portal_env

P = "/api/v1/projects/proj"


def _send(client: socket.socket, data: bytes) -> threading.Thread:
    """Send ``data`` from a thread (more than a socket pair buffers)."""
    thread = threading.Thread(target=client.sendall, args=(data,), daemon=True)
    thread.start()
    return thread


def _gunicorn_body(length: int, ahead: bytes = b"") -> tuple[Body, socket.socket, socket.socket]:
    """gunicorn's body reader over one end of a socket pair, holding ``ahead`` as read past the headers."""
    server, client = socket.socketpair()
    unreader = SocketUnreader(server)
    if ahead:
        unreader.unread(ahead)
    return Body(LengthReader(unreader, length)), server, client


def test_the_socket_body_takes_what_gunicorn_read_ahead_and_leaves_the_next_request():
    payload = os.urandom(3 * 1024 * 1024 + 123)
    nxt = b"GET /next HTTP/1.1\r\n\r\n"
    body, server, client = _gunicorn_body(len(payload), ahead=payload[:5000])
    try:
        sender = _send(client, payload[5000:] + nxt)
        direct = _socket_body(body, server, len(payload))
        assert direct is not None
        buffer = bytearray(1024 * 1024)
        got = bytearray()
        with memoryview(buffer) as view:
            while n := fill(direct, view):
                got += view[:n]
        assert bytes(got) == payload
        assert body.reader.length == 0 and not body.failed
        assert body.read() == b""  # gunicorn finds the body read to its end
        assert body.reader.unreader.read(len(nxt)) == nxt  # and the next request where it starts
        sender.join(10)
    finally:
        server.close()
        client.close()


def test_an_upload_that_stops_early_leaves_gunicorn_the_exact_rest_to_discard():
    payload = os.urandom(2 * 1024 * 1024)
    nxt = b"GET /next HTTP/1.1\r\n\r\n"
    body, server, client = _gunicorn_body(len(payload), ahead=payload[:100])
    try:
        sender = _send(client, payload[100:] + nxt)
        direct = _socket_body(body, server, len(payload))
        first = direct.read(700_000)
        assert first == payload[:700_000]
        rest = b""
        while chunk := body.read(65536):  # what gunicorn does with an unread body before the next request
            rest += chunk
        assert first + rest == payload
        assert body.reader.unreader.read(len(nxt)) == nxt
        sender.join(10)
    finally:
        server.close()
        client.close()


def test_a_client_that_hangs_up_mid_body_ends_the_body_and_the_connection():
    body, server, client = _gunicorn_body(1_000_000)
    client.sendall(b"x" * 1000)
    client.close()
    try:
        direct = _socket_body(body, server, 1_000_000)
        buffer = bytearray(1_000_000)
        with memoryview(buffer) as view:
            assert fill(direct, view) == 1000
        assert body.failed  # gunicorn closes the connection instead of parsing a next request
    finally:
        server.close()


def test_a_body_gunicorn_already_started_to_hand_out_is_read_its_way():
    body, server, client = _gunicorn_body(10, ahead=b"0123456789")
    try:
        assert body.read(3) == b"012"
        assert _socket_body(body, server, 7) is None  # the rest sits in gunicorn's buffers: its reader serves it
        assert _socket_body(object(), server, 10) is None  # not gunicorn's body
    finally:
        server.close()
        client.close()


def _left_behind(store: Path, url: str) -> tuple[list[str], int]:
    """The partial files in the store's ``.incoming`` folder, and the upload rows in the ledger."""
    incoming = store / ".incoming"
    parts = sorted(p.name for p in incoming.glob("*.part")) if incoming.is_dir() else []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.scalar(sa.text("SELECT count(*) FROM mr_pending_objects WHERE purpose = 'upload'"))
    finally:
        engine.dispose()
    return parts, rows


def _response(conn: socket.socket) -> tuple[int, bytes]:
    """One HTTP/1.1 response of known length from ``conn``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, data
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    while len(rest) < length:
        rest += conn.recv(65536)
    return int(lines[0].split()[1]), rest[:length]


def test_uploads_on_one_keep_alive_connection_under_gunicorn(database, tmp_path):
    store = tmp_path / "artifacts"
    env = portal_env(database, str(store))
    headers = add_writer(env)
    server = gunicorn(env, tmp_path, "127.0.0.1", free_port())
    try:
        model = requests.post(f"{server.url}{P}/models", json={"name": "sock"}, headers=headers).json()
        version = requests.post(f"{server.url}{P}/models/{model['id']}/versions", json={"version": "1.0.0"},
                                headers=headers).json()
        files = f"{P}/models/{model['id']}/versions/{version['id']}/artifacts"
        host = server.url.removeprefix("http://")
        auth = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

        def head(path: str, length: int) -> bytes:
            return (f"PUT {files}/{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {length}\r\n"
                    f"Content-Type: application/octet-stream\r\n{auth}\r\n").encode()

        one, two = os.urandom(9 * 1024 * 1024 + 17), os.urandom(5 * 1024 * 1024 + 1)
        port = int(server.url.rsplit(":", 1)[1])
        conn = socket.create_connection(("127.0.0.1", port), timeout=60)
        with conn:
            # the head and the body's first bytes in one packet (gunicorn reads them with the head),
            # the second request sent right behind the first body, before any answer
            conn.sendall(head("one.bin", len(one)) + one[:3000])
            conn.sendall(one[3000:] + head("two.bin", len(two)) + two)
            answers = [_response(conn), _response(conn)]
            # a refused upload of a declared body: gunicorn discards the unread body, the connection goes on
            conn.sendall(head("one.bin", 4096) + b"z" * 4096)
            refused = _response(conn)
            conn.sendall(f"GET {files} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n".encode())
            listing = _response(conn)
        for (status, body), data in zip(answers, (one, two)):
            assert status == 201, body
            assert json.loads(body)["sha256"] == hashlib.sha256(data).hexdigest()
            assert json.loads(body)["size"] == len(data)
        assert refused[0] == 409, refused
        assert listing[0] == 200
        assert sorted(item["path"] for item in json.loads(listing[1])["items"]) == ["one.bin", "two.bin"]

        # a client that hangs up halfway through keeps nothing, and the worker serves the next request
        hung = socket.create_connection(("127.0.0.1", port), timeout=60)
        hung.sendall(head("half.bin", 8 * 1024 * 1024) + os.urandom(4 * 1024 * 1024))
        hung.close()
        listed = requests.get(f"{server.url}{files}", headers=headers, timeout=60)
        assert listed.status_code == 200
        assert sorted(item["path"] for item in listed.json()["items"]) == ["one.bin", "two.bin"]
        # and nothing of it is left: no partial file in the store, no upload row in the ledger
        deadline = time.monotonic() + 10
        while (left := _left_behind(store, database)) != ([], 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == ([], 0), f"left after the hang-up: partial files, ledger upload rows {left}"
    finally:
        server.stop()
