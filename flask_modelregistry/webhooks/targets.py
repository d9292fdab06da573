"""Where a webhook may send: http and https URLs whose host is a public address.

Loopback, private, link-local (cloud metadata services live there), shared, reserved,
multicast and unspecified addresses are refused in every spelling the resolver accepts
(``127.1``, ``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``[::1]``, ``[::ffff:127.0.0.1]``,
6to4 and NAT64 forms wrapping a private IPv4 address). A host name is resolved and every
address it resolves to must be public. At connection time the name is resolved again and the
connection goes to the address just checked, so a DNS answer that changes between the check
and the connection (rebinding) cannot reach the inside. ``MODEL_REGISTRY_WEBHOOK_ALLOW_PRIVATE_TARGETS``
turns the address checks off (tests, labs); the scheme check stays.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import socket
import typing as t
from urllib.parse import urlsplit

from ..errors import Invalid

MAX_URL_LENGTH = 2048
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: names that never leave the host or its private network, whatever a resolver says
_INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".intranet", ".lan")
_INTERNAL_NAMES = {"localhost", "localhost.localdomain", "metadata", "metadata.google.internal", "instance-data"}

IPAddress = t.Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


class UnsafeTarget(Invalid):
    """The URL points where webhooks may not go."""


@dataclasses.dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _refuse(message: str) -> UnsafeTarget:
    return UnsafeTarget(message, fields={"url": message})


def parse_url(url: t.Any) -> Target:
    """The parts of an http(s) URL, or :class:`UnsafeTarget`."""
    if not isinstance(url, str) or not url.strip():
        raise _refuse("Give an http:// or https:// URL.")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(f"The URL must be at most {MAX_URL_LENGTH} characters.")
    if any(ord(c) < 0x21 or ord(c) == 0x7f for c in url):
        raise _refuse("The URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse("The URL is not valid.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise _refuse("Only http:// and https:// URLs are allowed.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _refuse("The URL must name a host.")
    if parts.username is not None or parts.password is not None:
        raise _refuse("The URL must not contain a user name or password; use the secret to authenticate.")
    try:
        host = host.encode("idna").decode("ascii").lower() if not _looks_like_ipv6(host) else host.lower()
    except UnicodeError:
        raise _refuse("The URL's host name is not valid.") from None
    scheme = parts.scheme.lower()
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), path=path)


def _looks_like_ipv6(host: str) -> bool:
    return ":" in host


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells, in any form the C resolver accepts (``127.1``, ``2130706433``,
    ``0x7f.1``, ``::ffff:127.0.0.1``), or None for a name."""
    if _looks_like_ipv6(host):
        try:
            return ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if all(c in "0123456789abcdefx." for c in host):
        try:  # the resolver's own reading of shorthand, decimal, octal and hex forms
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _unwrapped(address: IPAddress) -> IPAddress:
    """The IPv4 address carried inside IPv4-mapped, IPv4-compatible, 6to4 and NAT64 IPv6 forms."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is None and int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d (deprecated form)
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return inner
    return address


def is_public(address: IPAddress) -> bool:
    inner = _unwrapped(address)
    return inner.is_global and not inner.is_multicast and not inner.is_reserved


def check_address(address: IPAddress) -> None:
    if not is_public(address):
        raise _refuse(f"The URL points to {address}, a loopback, private, link-local or reserved address; "
                      "webhooks may only go to public addresses.")


def check_url(url: t.Any, *, allow_private: bool) -> Target:
    """Check a URL when a webhook is created or changed. A name that does not resolve here is
    accepted (it is checked again when a delivery connects)."""
    target = parse_url(url)
    if allow_private:
        return target
    address = literal_address(target.host)
    if address is not None:
        check_address(address)
        return target
    if target.host in _INTERNAL_NAMES or target.host.endswith(_INTERNAL_SUFFIXES) or "." not in target.host:
        raise _refuse("The URL names a host of the local network; webhooks may only go to public addresses.")
    try:
        addresses = resolve(target.host, target.port)
    except OSError:
        return target
    for found in addresses:
        check_address(found)
    return target


def resolve(host: str, port: int) -> list[IPAddress]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[IPAddress] = []
    for info in infos:
        found = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if found not in out:
            out.append(found)
    return out


def connect_address(target: Target, *, allow_private: bool) -> IPAddress:
    """The address a delivery connects to: resolved now, checked now. Raises :class:`UnsafeTarget`
    or ``OSError`` (no such host)."""
    address = literal_address(target.host)
    addresses = [address] if address is not None else resolve(target.host, target.port)
    if not addresses:
        raise OSError(f"{target.host} has no address")
    if not allow_private:
        if address is None and (target.host in _INTERNAL_NAMES or target.host.endswith(_INTERNAL_SUFFIXES)):
            raise _refuse("The URL names a host of the local network.")
        for found in addresses:
            check_address(found)
    return addresses[0]
