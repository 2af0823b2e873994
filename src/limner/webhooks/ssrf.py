"""The webhook target guard: a server must not be talked into calling its own network.

Every address the host resolves to must be globally routable: loopback, private, link-local
(cloud metadata at 169.254.169.254), multicast, reserved, unspecified and shared (CGNAT)
addresses are refused, including IPv4 addresses mapped into IPv6. The check runs at submit
(answering `validation_error` on `webhook_url`) and again before every attempt (DNS may change).
`LIMNER_WEBHOOK_ALLOW_PRIVATE=true` lifts it, for operators whose receivers are internal.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from limner.errors import UnsafeWebhookTarget

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeWebhookTarget(f"webhook_url: the host {host!r} does not resolve") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_target(url: str, *, allow_private: bool) -> None:
    """Raise `UnsafeWebhookTarget` unless every address of the URL's host is public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise UnsafeWebhookTarget(f"webhook_url: the host {host!r} does not resolve")
    if allow_private:
        return
    for address in addresses:
        if not is_public(address):
            raise UnsafeWebhookTarget(
                f"webhook_url: {host!r} resolves to {address}, which is not a public address "
                "(loopback, private, link-local and reserved targets are refused)"
            )
