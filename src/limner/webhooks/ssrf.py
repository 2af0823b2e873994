"""The outbound target guard: a server must not be talked into calling its own network.

Every address the host resolves to must be globally routable: loopback, private, link-local
(cloud metadata at 169.254.169.254), multicast, reserved, unspecified and shared (CGNAT)
addresses are refused, including IPv4 addresses mapped into IPv6. Webhooks check at submit
(answering `validation_error` on `webhook_url`) and again before every attempt (DNS may change);
https:// media references (`limner.media.fetch`) check each hop and connect to the address that
was checked. `LIMNER_WEBHOOK_ALLOW_PRIVATE=true` lifts it for webhooks,
`LIMNER_MEDIA_FETCH_ALLOW_PRIVATE=true` for media, for operators whose hosts are internal.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from limner.errors import UnsafeWebhookTarget

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: decides whether one resolved address may be contacted
AddressPolicy = Callable[[IPAddress], bool]


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


def check_target(url: str, *, allow_private: bool) -> None:
    """Raise `UnsafeWebhookTarget` unless every address of the URL's host is public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    guarded_addresses(
        host, port, allowed=any_address if allow_private else is_public, field="webhook_url"
    )
