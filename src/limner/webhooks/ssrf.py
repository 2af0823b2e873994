"""The outbound target guard: a server must not be talked into calling its own network.

Every address the host resolves to must be globally routable: loopback, private, link-local
(cloud metadata at 169.254.169.254), multicast, reserved, unspecified and shared (CGNAT)
addresses are refused, and so is IPv6 site-local `fec0::/10` (deprecated by RFC 3879, but still
routed inside some networks; Python's `is_global` does not exclude it). IPv6 forms that carry an
IPv4 address (IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`, 6to4 `2002::/16`, Teredo
`2001::/32`, NAT64 `64:ff9b::/96`) are judged by the IPv4 address inside too, since a gateway
would deliver them there.

Webhooks check at submit (answering `validation_error` on `webhook_url`) and again before every
attempt, and the attempt connects to the address that was checked (`pinned`), so DNS cannot
change it in between (rebinding). https:// media references (`limner.media.fetch`) check each hop
and connect to the address that was checked too. `LIMNER_WEBHOOK_ALLOW_PRIVATE=true` lifts the
check for webhooks, `LIMNER_MEDIA_FETCH_ALLOW_PRIVATE=true` for media, for operators whose hosts
are internal.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from limner.errors import UnsafeWebhookTarget

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: decides whether one resolved address may be contacted
AddressPolicy = Callable[[IPAddress], bool]

#: NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 destination
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: deprecated IPv4-compatible addresses (RFC 4291 2.5.5.1): `::a.b.c.d`
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
#: deprecated site-local addresses (RFC 3879): private in practice
SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (empty for a plain IPv6 address)."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # (server, client)
    if address in NAT64 or address in IPV4_COMPATIBLE:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


def _routable(address: IPAddress) -> bool:
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address in SITE_LOCAL)
    )


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv4Address):
        return _routable(address)
    inner = embedded_ipv4(address)
    if address.ipv4_mapped is not None or address in NAT64:
        # the IPv6 form is only a way of writing the IPv4 destination: judge that alone
        # (so a host reached through DNS64 keeps working, and ::ffff:127.0.0.1 does not)
        return all(_routable(v4) for v4 in inner)
    return _routable(address) and all(_routable(v4) for v4 in inner)


def any_address(_address: IPAddress) -> bool:
    """The policy of an operator who allowed private targets."""
    return True


def resolve(host: str, port: int, *, field: str = "webhook_url") -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeWebhookTarget(
            f"{field}: the host {host!r} does not resolve", field=field
        ) from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def guarded_addresses(
    host: str, port: int, *, allowed: AddressPolicy, field: str
) -> list[IPAddress]:
    """The host's addresses, or `UnsafeWebhookTarget` (on `field`) unless `allowed` accepts
    every one of them (one bad address is enough: DNS may hand it out next time)."""
    addresses = resolve(host, port, field=field)
    if not addresses:
        raise UnsafeWebhookTarget(f"{field}: the host {host!r} does not resolve", field=field)
    for address in addresses:
        if not allowed(address):
            raise UnsafeWebhookTarget(
                f"{field}: {host!r} resolves to {address}, which is not a public address "
                "(loopback, private, link-local and reserved targets are refused)",
                field=field,
            )
    return addresses


def check_target(url: str, *, allow_private: bool) -> IPAddress:
    """Raise `UnsafeWebhookTarget` unless every address of the URL's host is public; return the
    address to connect to (the first one resolved, which was checked)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = guarded_addresses(
        host, port, allowed=any_address if allow_private else is_public, field="webhook_url"
    )
    return addresses[0]


@dataclass(frozen=True)
class PinnedRequest:
    """A request for `url` sent to a fixed address: the URL names the address, `Host` and TLS
    (SNI and certificate check) still name the host."""

    url: str
    host_header: str
    extensions: dict[str, str]


def pinned(url: str, address: IPAddress) -> PinnedRequest:
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return PinnedRequest(
        urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), host_header, extensions
    )
