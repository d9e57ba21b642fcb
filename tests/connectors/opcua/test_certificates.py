"""connectors.opcua.certificates: the hub's certificate, PEM read back from forms, thumbprints,
and the trust list."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from connectors.opcua.certificates import (
    CertificateProblem,
    TrustList,
    application_uri,
    certificate_der,
    certificate_from_pem,
    key_matches,
    make_application_certificate,
    normalize_trust_list,
    private_key_from_pem,
    thumbprint,
)
from connectors.opcua.security import first_certificate


@pytest.fixture(scope="module")
def pair() -> tuple[str, str]:
    return make_application_certificate()


def test_the_application_certificate_is_what_opc_ua_servers_accept(pair: tuple[str, str]) -> None:
    cert = certificate_from_pem(pair[0])
    assert cert.signature_hash_algorithm is not None and cert.signature_hash_algorithm.name == "sha256"
    assert cert.public_key().key_size == 2048  # type: ignore[union-attr]
    uri = application_uri(cert)
    assert uri is not None and uri.startswith("urn:itsm-hub:opcua-client:")
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment and usage.data_encipherment
    assert ExtendedKeyUsageOID.CLIENT_AUTH in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days >= 5 * 365
    assert key_matches(cert, private_key_from_pem(pair[1]))
    assert application_uri(certificate_from_pem(make_application_certificate()[0])) != uri  # one per instance


def test_pem_survives_a_form_that_drops_line_breaks(pair: tuple[str, str]) -> None:
    cert_text, key_text = pair
    assert certificate_from_pem(cert_text.replace("\n", "")) == certificate_from_pem(cert_text)
    assert key_matches(certificate_from_pem(cert_text), private_key_from_pem(key_text.replace("\n", " ")))


def test_unusable_keys_and_text_are_refused_with_a_reason(pair: tuple[str, str]) -> None:
    key = private_key_from_pem(pair[1])
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"pw")).decode()
    with pytest.raises(CertificateProblem, match="encrypted"):
        private_key_from_pem(encrypted)
    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(CertificateProblem, match="RSA"):
        private_key_from_pem(ec_key)
    with pytest.raises(CertificateProblem, match="Not a PEM certificate"):
        certificate_from_pem("hello")
    with pytest.raises(CertificateProblem, match="base64"):
        certificate_from_pem("-----BEGIN CERTIFICATE-----!!!-----END CERTIFICATE-----")
    with pytest.raises(CertificateProblem, match="cannot be read"):
        certificate_from_pem("-----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE-----")


def test_the_trust_list_takes_certificates_and_thumbprints_in_any_spelling(pair: tuple[str, str]) -> None:
    der = certificate_der(certificate_from_pem(pair[0]))
    sha1, sha256 = thumbprint(der, "sha1"), thumbprint(der, "sha256")
    assert len(sha1) == 59 and sha1 == sha1.upper()
    for entry in (sha1, sha256, sha1.replace(":", "").lower(), sha256.replace(":", " ")):
        assert TrustList.parse([entry]).trusts(der)
    # A certificate pasted into a text area arrives one line per item.
    assert TrustList.parse(pair[0].splitlines()).trusts(der)
    assert not TrustList.parse([thumbprint(der + b"x", "sha256")]).trusts(der)
    assert not TrustList.parse([]).trusts(der)
    assert normalize_trust_list([sha1.replace(":", "").lower(), *pair[0].splitlines()]) == [pair[0], sha1]


def test_the_trust_list_refuses_what_is_neither(pair: tuple[str, str]) -> None:
    with pytest.raises(CertificateProblem, match="thumbprint: 'abc'"):
        normalize_trust_list(["abc"])
    with pytest.raises(CertificateProblem, match="never a private key"):
        normalize_trust_list(pair[1].splitlines())


def test_the_first_certificate_of_a_chain(pair: tuple[str, str]) -> None:
    der = certificate_der(certificate_from_pem(pair[0]))
    other = certificate_der(certificate_from_pem(make_application_certificate()[0]))
    assert first_certificate(der + other) == der
    assert first_certificate(der) == der
    assert first_certificate(b"") == b""
