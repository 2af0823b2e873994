"""Webhook pieces without a network: Retry-After parsing, address classes, schema parity."""

from __future__ import annotations

import ipaddress
from email.utils import format_datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.migrate import upgrade
from limner.db.tables import Base
from limner.webhooks.dispatcher import retry_after
from limner.webhooks.signing import new_secret, sign, signature_header
from limner.webhooks.ssrf import is_public


def test_retry_after_in_seconds_or_as_a_date() -> None:
    from datetime import timedelta

    assert retry_after("120") == 120.0
    assert retry_after(None) is None and retry_after("soon") is None
    later = format_datetime(utcnow() + timedelta(seconds=90), usegmt=True)
    assert 80 <= retry_after(later) <= 91


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.251", False),
        ("240.0.0.1", False),
        # IPv6 forms carrying an IPv4 address are judged by that address too
        ("::ffff:127.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated)
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("2002:5db8:d822::1", True),  # 6to4 of a public address
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::c0a8:101", False),  # NAT64 of 192.168.1.1
        ("64:ff9b::5db8:d822", True),  # NAT64 (DNS64) of a public address
        ("64:ff9b:1::a00:1", False),  # NAT64 local-use prefix
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
    ],
)
def test_address_classes(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_signatures_differ_per_secret_and_list_one_per_secret() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second
    one = sign(first, "msg_1", 1700000000, b"{}")
    assert one.startswith("v1,") and one != sign(second, "msg_1", 1700000000, b"{}")
    assert one != sign(first, "msg_2", 1700000000, b"{}")
    assert signature_header([first, second], "msg_1", 1700000000, b"{}").split(" ")[0] == one


def test_migrations_match_the_tables(tmp_path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'schema.db'}")
    upgrade(database)
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
