"""The web pages on the example app served by gunicorn (2 gthread workers) on SQLite, signed in
with a browser session: how long the pages take, and how much a worker's memory grows while a
large file comes in from the page, both the way the page's script sends it (a raw PUT to the JSON
API with the session and the CSRF header) and the way the form without JavaScript sends it (one
multipart POST, spooled to disk by Werkzeug)."""
from __future__ import annotations

import hashlib
import re
import statistics
import tempfile
import time
import typing as t
from pathlib import Path

import requests

from .servers import Server, start_example_app

MiB = 1024 * 1024
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_ATTR = re.compile(r'data-csrf-token="([^"]+)"')


class _Pattern:
    """A file-like object of ``size`` bytes of a repeating pattern, read in pieces: the client side
    of a large upload never sits in memory either."""

    def __init__(self, size: int, prefix: bytes = b"", suffix: bytes = b"") -> None:
        self.block = bytes(range(256)) * 4096  # 1 MiB
        self.size, self.prefix, self.suffix = size, prefix, suffix
        self.sent = 0
        self.digest = hashlib.sha256()

    def __len__(self) -> int:
        return len(self.prefix) + self.size + len(self.suffix)

    def read(self, n: int = -1) -> bytes:
        out = b""
        if self.prefix:
            out, self.prefix = self.prefix, b""
            return out
        if self.sent < self.size:
            piece = self.block[: min(len(self.block), self.size - self.sent, n if n > 0 else len(self.block))]
            self.sent += len(piece)
            self.digest.update(piece)
            return piece
        out, self.suffix = self.suffix, b""
        return out


def _sign_in(server: Server) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{server.url}/login").text
    token = CSRF_INPUT.search(page).group(1)
    r = session.post(f"{server.url}/login", data={"username": "bench", "password": "bench", "csrf_token": token},
                     allow_redirects=False)
    assert r.status_code == 302, r.text[:300]
    return session


def _median_ms(session: requests.Session, url: str, times: int = 30) -> float:
    values = []
    for _ in range(times):
        start = time.perf_counter()
        r = session.get(url)
        values.append(time.perf_counter() - start)
        assert r.status_code == 200, (url, r.status_code)
    return statistics.median(values) * 1000


def _upload_from_script(server: Server, session: requests.Session, api: str, csrf: str, size: int) -> dict[str, t.Any]:
    body = _Pattern(size)
    before = server.reset_peaks()
    start = time.perf_counter()
    r = session.put(f"{api}/artifacts/script.bin", data=body,
                    headers={"X-CSRFToken": csrf, "Content-Type": "application/octet-stream",
                             "Content-Length": str(size)})
    seconds = time.perf_counter() - start
    assert r.status_code == 201 and r.json()["sha256"] == body.digest.hexdigest(), r.text[:300]
    return {"mbs": size / MiB / seconds, "mem": server.peak_growth_mib(before)}


def _upload_from_form(server: Server, session: requests.Session, page_url: str, csrf: str,
                      size: int) -> dict[str, t.Any]:
    boundary = "----mr-bench-boundary"
    prefix = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n"
              f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"form.bin\"\r\n"
              "Content-Type: application/octet-stream\r\n\r\n").encode()
    body = _Pattern(size, prefix=prefix, suffix=f"\r\n--{boundary}--\r\n".encode())
    before = server.reset_peaks()
    start = time.perf_counter()
    r = session.post(f"{page_url}/artifacts/upload", data=body, allow_redirects=False,
                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                              "Content-Length": str(len(body))})
    seconds = time.perf_counter() - start
    assert r.status_code == 302, r.text[:300]
    return {"mbs": size / MiB / seconds, "mem": server.peak_growth_mib(before)}


def run(quick: bool = False) -> None:
    size = 256 * MiB if quick else 2048 * MiB
    with tempfile.TemporaryDirectory(prefix="mr-bench-pages-") as tmp:
        server = start_example_app(Path(tmp) / "pages")
        try:
            session = _sign_in(server)
            base = f"{server.url}/projects/bench"
            form = session.get(f"{base}/models/new").text
            r = session.post(f"{base}/models/new", data={"name": "pages-bench", "description": "# Bench\n\nA card.",
                                                         "csrf_token": CSRF_INPUT.search(form).group(1)},
                             allow_redirects=False)
            assert r.status_code == 302, r.text[:300]
            model_url = server.url + r.headers["Location"]
            model_id = int(model_url.rstrip("/").rsplit("/", 1)[-1])
            csrf = CSRF_ATTR.search(session.get(model_url).text).group(1)
            api = f"{server.url}/api/v1/projects/bench/models/{model_id}/versions"
            metrics = [{"key": key, "value": 1 / (step + 1), "step": step} for key in ("loss", "accuracy")
                       for step in range(200)]
            r = session.post(api, json={"version": "1.0.0", "metrics": metrics, "params": {"lr": "0.1"}},
                             headers={"X-CSRFToken": csrf})
            assert r.status_code == 201, r.text[:300]
            version_id = r.json()["id"]
            page_url = f"{model_url}/versions/{version_id}"
            script = _upload_from_script(server, session, f"{api}/{version_id}", csrf, size)
            form_upload = _upload_from_form(server, session, page_url, csrf, size)
            timings = {name: _median_ms(session, url) for name, url in (
                ("model list", f"{base}/models"), ("model page", model_url),
                ("version page (2 files, 400 metric values)", page_url))}
        finally:
            server.stop()
    print(f"\n== pages on gunicorn (2 gthread workers), SQLite, one {size // MiB} MiB file from the page")
    print(f"  upload by the page's script (raw PUT)  : {script['mbs']:7.1f} MB/s, worker peak RSS +{script['mem']:.1f} MiB")
    print(f"  upload by the form without JavaScript  : {form_upload['mbs']:7.1f} MB/s, worker peak RSS "
          f"+{form_upload['mem']:.1f} MiB")
    for name, ms in timings.items():
        print(f"  GET {name:<42}: {ms:7.1f} ms (median of 30)")
