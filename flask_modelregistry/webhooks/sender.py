"""POST one delivery to its receiver: connect to the address just checked, short timeouts, no
redirects followed, and only the first bytes of the answer read."""
from __future__ import annotations

import dataclasses
import ssl
import time

import urllib3

from .targets import Target, UnsafeTarget, connect_address, parse_url

#: the part of the answer kept in the delivery log
HEAD_BYTES = 1024


@dataclasses.dataclass(frozen=True)
class Outcome:
    status: int | None
    duration_ms: int
    head: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: str, headers: dict[str, str], *, timeout: float, allow_private: bool) -> Outcome:
    """Send ``body``; never raises for the receiver's faults (they are in the outcome)."""
    started = time.monotonic()

    def done(status: int | None, head: str = "", error: str = "") -> Outcome:
        return Outcome(status, int((time.monotonic() - started) * 1000), head, error)

    try:
        target = parse_url(url)
        address = connect_address(target, allow_private=allow_private)
    except UnsafeTarget as exc:
        return done(None, error=f"refused: {exc.message}")
    except OSError as exc:
        return done(None, error=f"could not resolve {url}: {exc}")
    pool = _pool(target, str(address), timeout)
    try:
        response = pool.urlopen("POST", target.path, body=body.encode("utf-8"),
                                headers={**headers, "Host": target.host_header}, redirect=False,
                                retries=False, preload_content=False, assert_same_host=False)
        try:
            head = response.read(HEAD_BYTES, decode_content=False)
        finally:
            response.release_conn()
        return done(response.status, head.decode("utf-8", errors="replace"))
    except urllib3.exceptions.HTTPError as exc:
        return done(None, error=_describe(exc))
    except (OSError, ssl.SSLError) as exc:
        return done(None, error=str(exc) or type(exc).__name__)
    finally:
        pool.close()


def _pool(target: Target, address: str, timeout: float) -> urllib3.HTTPConnectionPool:
    limits = urllib3.Timeout(connect=timeout, read=timeout)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(address, target.port, timeout=limits, maxsize=1, retries=False,
                                           server_hostname=target.host, assert_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED")
    return urllib3.HTTPConnectionPool(address, target.port, timeout=limits, maxsize=1, retries=False)


def _describe(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    text = str(reason or exc)
    if isinstance(exc, urllib3.exceptions.TimeoutError) or "timed out" in text.lower():
        return f"timed out: {text}"
    if "refused" in text.lower():
        return f"connection refused: {text}"
    return text
