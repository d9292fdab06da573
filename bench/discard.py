"""An HTTP/1.1 server that reads every request body into one reused buffer and throws it away,
answering 200 ``{}``: sending a file to it measures what a client can send on this machine.
Run as ``python -m bench.discard PORT`` (its own process, so it shares no GIL with the client)."""
from __future__ import annotations

import socket
import sys
import threading

BUFFER = 8 * 1024 * 1024


def _handle(conn: socket.socket) -> None:
    view = memoryview(bytearray(BUFFER))
    pending = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in pending:
                data = conn.recv(65536)
                if not data:
                    return
                pending += data
            head, _, rest = pending.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            left = length - len(rest)
            while left > 0:
                got = conn.recv_into(view, min(left, BUFFER))
                if not got:
                    return
                left -= got
            pending = b""
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")


def serve(port: int) -> None:
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=_handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
