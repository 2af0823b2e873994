"""An HTTPS server on loopback with a throwaway certificate, for tests of https:// fetching."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.types import ASGIApp

from tests.support.live_server import serving


@dataclass(frozen=True)
class TlsFiles:
    certfile: Path
    keyfile: Path

    def client_context(self) -> ssl.SSLContext:
        """Trusts only this certificate."""
        return ssl.create_default_context(cafile=str(self.certfile))


def self_signed(directory: Path) -> TlsFiles:
    """A certificate for `localhost` and 127.0.0.1, signed by itself."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(directory / "cert.pem", directory / "key.pem")
    files.certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@contextmanager
def running_https(app: ASGIApp, tls: TlsFiles) -> Iterator[int]:
    """Serve `app` over HTTPS on 127.0.0.1 until the block ends; yields the port."""
    config = uvicorn.Config(
        app,
        log_level="warning",
        ssl_certfile=str(tls.certfile),
        ssl_keyfile=str(tls.keyfile),
    )
    with serving(config) as port:
        yield port
