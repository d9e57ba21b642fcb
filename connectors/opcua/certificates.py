"""Certificates for OPC UA security: the hub's application certificate, thumbprints, and the
trust list of server certificates.

OPC UA has no certificate authority by default: each side shows its certificate and the
other side's admin trusts it, comparing thumbprints. The hub makes a self-signed
application certificate per instance when security is first asked for (2048-bit RSA,
SHA-256, valid ``VALID_DAYS``, the application URI in its subjectAltName as Part 6 asks),
and trusts a server only when its certificate, or its SHA-1 or SHA-256 thumbprint, is on
the instance's trust list.

PEM text arrives from web forms whose single-line inputs drop line breaks, so every PEM
reader here rebuilds the lines before parsing.
"""

from __future__ import annotations

import base64
import binascii
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: Five years: every renewal means another trip to each plant's server to trust the new one.
VALID_DAYS = 5 * 365
KEY_BITS = 2048
COMMON_NAME = "itsm-hub OPC UA client"

_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)
_HEX = re.compile(r"^[0-9a-f]+$")


class CertificateProblem(ValueError):
    """Text that is not the certificate, key or thumbprint it should be; the message says why."""


@dataclass(frozen=True)
class CertificateFacts:
    """What an admin compares before trusting a certificate."""

    subject: str
    application_uri: str | None
    not_after: datetime
    sha1: str
    sha256: str


def pem_blocks(text: str) -> list[tuple[str, bytes]]:
    """Every PEM block in ``text`` as (label, DER), line breaks or not."""
    blocks = []
    for label, body in _PEM.findall(text or ""):
        try:
            blocks.append((label, base64.b64decode("".join(body.split()), validate=True)))
        except (binascii.Error, ValueError):
            raise CertificateProblem(f"The {label.lower()} block is not valid base64.") from None
    return blocks


def certificate_from_pem(text: str) -> x509.Certificate:
    """The first certificate of ``text`` (PEM), or CertificateProblem."""
    for label, der in pem_blocks(text):
        if label == "CERTIFICATE":
            try:
                return x509.load_der_x509_certificate(der)
            except (ValueError, UnsupportedAlgorithm):
                raise CertificateProblem("The certificate cannot be read (damaged PEM?).") from None
    raise CertificateProblem("Not a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----).")


def private_key_from_pem(text: str) -> rsa.RSAPrivateKey:
    """An unencrypted RSA private key from PEM (PKCS#8 or PKCS#1), or CertificateProblem."""
    for label, der in pem_blocks(text):
        if label.endswith("PRIVATE KEY"):
            if label.startswith("ENCRYPTED"):
                raise CertificateProblem("The private key is encrypted: store it without a passphrase "
                                         "(the hub encrypts it at rest).")
            rebuilt = f"-----BEGIN {label}-----\n{base64.encodebytes(der).decode()}-----END {label}-----\n"
            try:
                key = serialization.load_pem_private_key(rebuilt.encode(), password=None)
            except (TypeError, ValueError, UnsupportedAlgorithm):
                raise CertificateProblem("The private key cannot be read (damaged PEM?).") from None
            if not isinstance(key, rsa.RSAPrivateKey):
                raise CertificateProblem("OPC UA needs an RSA private key.")
            return key
    raise CertificateProblem("Not a PEM private key (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----).")


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def certificate_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def private_key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def private_key_der(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def key_matches(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> bool:
    public = cert.public_key()
    return isinstance(public, rsa.RSAPublicKey) and public.public_numbers() == key.public_key().public_numbers()


def thumbprint(der: bytes, algorithm: str = "sha256") -> str:
    """The thumbprint as most OPC UA tools print it: upper-case hex pairs joined by colons."""
    digest = hashes.Hash(hashes.SHA1() if algorithm == "sha1" else hashes.SHA256())  # noqa: S303 - a name, not a MAC
    digest.update(der)
    return ":".join(f"{byte:02X}" for byte in digest.finalize())


def application_uri(cert: x509.Certificate) -> str | None:
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    uris = names.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


def facts(cert: x509.Certificate) -> CertificateFacts:
    der = certificate_der(cert)
    return CertificateFacts(subject=cert.subject.rfc4514_string(), application_uri=application_uri(cert),
                            not_after=cert.not_valid_after_utc, sha1=thumbprint(der, "sha1"),
                            sha256=thumbprint(der, "sha256"))


def make_application_certificate(*, days: int = VALID_DAYS) -> tuple[str, str]:
    """A new self-signed OPC UA client certificate and its private key, both PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    uri = f"urn:itsm-hub:opcua-client:{uuid.uuid4().hex[:12]}"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "itsm-hub")])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # An hour back: a server whose clock is a little behind must not see it "not yet valid".
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri),
                                                    x509.DNSName(socket.gethostname() or "localhost")]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # Part 6, 6.2.2: an application instance certificate signs, and carries keys and data.
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=True,
                                     data_encipherment=True, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    )
    cert = builder.sign(key, hashes.SHA256())
    return certificate_pem(cert), private_key_pem(key)


def _thumbprint_text(entry: str) -> str:
    return re.sub(r"[\s:]", "", entry).lower()


def normalize_trust_list(lines: list[str]) -> list[str]:
    """The trust list as stored: each PEM certificate rebuilt, each thumbprint as upper-case
    colon pairs; CertificateProblem naming the entry that is neither."""
    text = "\n".join(lines)
    entries = [certificate_pem(certificate_from_pem(match.group(0))) for match in _PEM.finditer(text)
               if match.group(1) == "CERTIFICATE"]
    others = [match.group(0) for match in _PEM.finditer(text) if match.group(1) != "CERTIFICATE"]
    if others:
        raise CertificateProblem("Only certificates belong here, never a private key or another PEM block.")
    for line in _PEM.sub("\n", text).splitlines():
        if not line.strip():
            continue
        hexed = _thumbprint_text(line)
        if not _HEX.match(hexed) or len(hexed) not in (40, 64):
            raise CertificateProblem(f"Not a certificate or a SHA-1/SHA-256 thumbprint: {line.strip()[:80]!r}.")
        entries.append(":".join(hexed[i:i + 2] for i in range(0, len(hexed), 2)).upper())
    return entries


@dataclass(frozen=True)
class TrustList:
    """Server certificates the instance trusts: whole certificates and thumbprints."""

    thumbprints: frozenset[str]

    @classmethod
    def parse(cls, entries: list[str]) -> TrustList:
        found = set()
        for entry in normalize_trust_list(entries):
            if entry.startswith("-----BEGIN"):
                der = certificate_der(certificate_from_pem(entry))
                found.add(_thumbprint_text(thumbprint(der, "sha256")))
            else:
                found.add(_thumbprint_text(entry))
        return cls(frozenset(found))

    def trusts(self, der: bytes) -> bool:
        return bool({_thumbprint_text(thumbprint(der, "sha1")), _thumbprint_text(thumbprint(der, "sha256"))}
                    & self.thumbprints)
