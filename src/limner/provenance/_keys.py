"""The operator's provenance signing key: load it, or create one on first start.

A key directory holds three PEM files, each written with mode 0600 in a 0700 directory:

    signing-key.pem   EC P-256 private key (PKCS#8) of the signing certificate
    signing-cert.pem  signing certificate, then the CA certificate that issued it
    ca-cert.pem       that CA certificate alone, to add as a trust anchor when verifying

C2PA readers refuse a self-signed signing certificate, so a first start creates a small local CA,
issues one signing certificate from it and throws the CA's private key away. Operators with a
certificate from a real C2PA-trusted CA put their own key and chain in these files instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

KEY_FILE = "signing-key.pem"
CERT_FILE = "signing-cert.pem"
CA_FILE = "ca-cert.pem"
#: validity of a generated signing certificate
VALID_DAYS = 3650


@dataclass(frozen=True)
class SigningMaterial:
    """PEM bytes of the signing key, its certificate chain (leaf first) and the trust anchor."""

    private_key_pem: bytes
    cert_chain_pem: bytes
    ca_cert_pem: bytes


def load_or_create(key_dir: Path, *, common_name: str = "Limner provenance") -> SigningMaterial:
    """Return the signing material in `key_dir`, creating it there first if it is missing.

    Processes starting together on one data directory take a file lock, so exactly one creates
    the key and the others load it."""
    paths = [key_dir / name for name in (KEY_FILE, CERT_FILE, CA_FILE)]
    if not all(path.exists() for path in paths):
        key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _creation_lock(key_dir):
            _create_if_missing(key_dir, paths, common_name)
    key, chain, ca = (path.read_bytes() for path in paths)
    return SigningMaterial(key, chain, ca)


@contextmanager
def _creation_lock(key_dir: Path) -> Iterator[None]:
    import fcntl

    with open(key_dir / ".create.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _create_if_missing(key_dir: Path, paths: list[Path], common_name: str) -> None:
    if not all(path.exists() for path in paths):
        if any(path.exists() for path in paths):
            from limner.errors import ConfigurationError

            raise ConfigurationError(
                f"provenance key directory {key_dir} has some of {KEY_FILE}, {CERT_FILE}, "
                f"{CA_FILE} but not all; restore the missing files or empty the directory"
            )
        _create(key_dir, common_name)


def _create(key_dir: Path, common_name: str) -> None:
    # cryptography is needed only here and for C2PA, so it is imported when used.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Limner operator"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} local CA"),
        ]
    )
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS + 1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Limner operator"),
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ca_pem = ca_cert.public_bytes(pem)
    key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private(key_dir / CA_FILE, ca_pem)
    _write_private(key_dir / CERT_FILE, cert.public_bytes(pem) + ca_pem)
    _write_private(key_dir / KEY_FILE, key_pem)  # last: its presence marks a complete set
    log.info("created a provenance signing key and certificate in %s", key_dir)


def _write_private(path: Path, data: bytes) -> None:
    """Write whole or not at all: a process that finds the file (outside the creation lock) must
    never read it half-written, so the bytes go to a temporary name that is then linked in."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)  # fails if the file exists: never overwrite a key
    finally:
        temporary.unlink(missing_ok=True)
