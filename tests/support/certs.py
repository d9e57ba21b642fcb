"""A throwaway certificate authority for TLS tests: server and client certificates, keys
plain or encrypted, written as PEM files.

``tests.support.imap.make_tls_files`` gives a CA and one server certificate; this one keeps
the CA's key, so a test can issue as many certificates as it needs from it (a broker's, a
client's, a second CA's that nothing trusts). The extensions follow the same rules as
there: SKI/AKI, key usages and a path length, so strict chain checks (Python 3.13's
``VERIFY_X509_STRICT``, OpenSSL 3) accept the chains. EC keys keep it to milliseconds.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Issued:
    """A certificate and its key as files."""

    cert: Path
    key: Path


def _key_pem(key: ec.EllipticCurvePrivateKey, password: str | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, key_cert_sign=signing, crl_sign=signing, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=not signing,
                         encipher_only=False, decipher_only=False)


class TestCa:
    """A CA whose key stays in memory; ``issue`` writes certificates it signed."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, directory: Path, name: str = "itsm-hub test CA") -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        # Back-dated so a clock a little off between processes cannot make it "not yet valid".
        self.not_before, self.not_after = now - dt.timedelta(hours=1), now + dt.timedelta(days=7)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(self.name).issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.not_before).not_valid_after(self.not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(signing=True), critical=True)
            .add_extension(self.ski, critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.cert = directory / "ca.pem"
        self.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, stem: str, *, common_name: str, hostnames: Iterable[str] = (), addresses: Iterable[str] = (),
              client: bool = False, key_password: str | None = None, expired: bool = False) -> Issued:
        """A leaf certificate for a server (names in its SAN) or a client (``client=True``);
        ``expired`` makes one whose validity ended yesterday."""
        key = ec.generate_private_key(ec.SECP256R1())
        not_after = self.not_before - dt.timedelta(days=1) if expired else self.not_after
        purpose = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_after - dt.timedelta(days=2) if expired else self.not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(signing=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(self.ski), critical=False)
        )
        names: list[x509.GeneralName] = [x509.DNSName(name) for name in hostnames]
        names += [x509.IPAddress(ipaddress.ip_address(address)) for address in addresses]
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        issued = Issued(self.directory / f"{stem}.pem", self.directory / f"{stem}.key")
        issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        issued.key.write_bytes(_key_pem(key, key_password))
        issued.key.chmod(0o600)
        return issued


def self_signed(directory: Path, stem: str, *, hostnames: Iterable[str]) -> Issued:
    """A server certificate that signs itself, as ``openssl req -x509`` makes on many brokers:
    a client trusts it by having this very certificate as its CA file."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, next(iter(hostnames), stem))])
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host) for host in hostnames]), critical=False)
        .sign(key, hashes.SHA256())
    )
    issued = Issued(directory / f"{stem}.pem", directory / f"{stem}.key")
    issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    issued.key.write_bytes(_key_pem(key, None))
    issued.key.chmod(0o600)
    return issued
