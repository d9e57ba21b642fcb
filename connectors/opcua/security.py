"""Securing an asyncua client as an instance's settings ask: the message security mode and
policy, the hub's application certificate, the trust list, and the login.

Before a secured session the client reads the server's endpoints (GetEndpoints is always
allowed on an unsecured channel) and checks, in this order, that the server offers the
mode and policy asked for, that its certificate is on the trust list, and that the
endpoint accepts the login kind. Each refusal is an error that says what the server
wants, because asyncua itself would only time out or say "No matching endpoints".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncua import Client, ua
from asyncua.crypto import security_policies
from cryptography import x509

from connectors.opcua.certificates import (
    TrustList,
    application_uri,
    certificate_der,
    certificate_from_pem,
    facts,
    private_key_der,
    private_key_from_pem,
    thumbprint,
)

MODES = ("None", "Sign", "SignAndEncrypt")
#: The policies' names as Part 7 spells them, with asyncua's classes.
POLICIES: dict[str, type[security_policies.SecurityPolicy]] = {
    "Basic256Sha256": security_policies.SecurityPolicyBasic256Sha256,
    "Aes128_Sha256_RsaOaep": security_policies.SecurityPolicyAes128Sha256RsaOaep,
    "Aes256_Sha256_RsaPss": security_policies.SecurityPolicyAes256Sha256RsaPss,
}
LOGINS = ("anonymous", "username", "certificate")
_MODE_VALUES = {"None": ua.MessageSecurityMode.None_, "Sign": ua.MessageSecurityMode.Sign,
                "SignAndEncrypt": ua.MessageSecurityMode.SignAndEncrypt}
_TOKEN_TYPES = {"anonymous": ua.UserTokenType.Anonymous, "username": ua.UserTokenType.UserName,
                "certificate": ua.UserTokenType.Certificate}
_LOGIN_WORDS = {ua.UserTokenType.Anonymous: "anonymous", ua.UserTokenType.UserName: "user name",
                ua.UserTokenType.Certificate: "certificate", ua.UserTokenType.IssuedToken: "issued token"}


class SecurityRefused(ua.UaError):
    """The server does not offer the mode, policy or login the instance is set to."""


class ServerNotTrusted(ua.UaError):
    """The server's certificate is not on the instance's trust list."""


@dataclass(frozen=True)
class ClientSecurity:
    """An instance's security settings, read once from its config."""

    mode: str = "None"
    policy: str = "Basic256Sha256"
    certificate: x509.Certificate | None = None
    private_key_der: bytes | None = None
    trusted: TrustList = field(default_factory=lambda: TrustList(frozenset()))
    login: str = "anonymous"
    user_certificate: x509.Certificate | None = None
    user_private_key_pem: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ClientSecurity:
        mode = config.get("security_mode") or "None"
        login = config.get("login") or ("username" if config.get("username") else "anonymous")
        cert = key = None
        if config.get("certificate") and config.get("private_key"):
            cert = certificate_from_pem(config["certificate"])
            key = private_key_der(private_key_from_pem(config["private_key"]))
        user_cert, user_key = cert, config.get("private_key")
        if config.get("user_certificate") and config.get("user_private_key"):
            user_cert, user_key = certificate_from_pem(config["user_certificate"]), config["user_private_key"]
        return cls(mode=mode, policy=config.get("security_policy") or "Basic256Sha256", certificate=cert,
                   private_key_der=key, trusted=TrustList.parse(list(config.get("trusted_servers") or [])),
                   login=login, user_certificate=user_cert if login == "certificate" else None,
                   user_private_key_pem=user_key if login == "certificate" else None)

    @property
    def secured(self) -> bool:
        return self.mode != "None"

    def describe(self) -> str:
        return "None" if not self.secured else f"{self.mode} with {self.policy}"

    def hub_thumbprint(self) -> str | None:
        return facts(self.certificate).sha1 if self.certificate is not None else None


def offered(endpoint: ua.EndpointDescription) -> str:
    """An endpoint's mode and policy as the settings name them."""
    mode = {v: k for k, v in _MODE_VALUES.items()}.get(endpoint.SecurityMode, str(endpoint.SecurityMode))
    if mode == "None":
        return "None"
    uri = endpoint.SecurityPolicyUri
    policy = next((name for name, cls in POLICIES.items() if uri == cls.URI), uri.rsplit("#", 1)[-1])
    return f"{mode} with {policy}"


def _pick_endpoint(endpoints: list[ua.EndpointDescription], security: ClientSecurity) -> ua.EndpointDescription:
    mode = _MODE_VALUES[security.mode]
    uri = POLICIES[security.policy].URI if security.secured else security_policies.SecurityPolicyNone.URI
    for endpoint in endpoints:
        if endpoint.SecurityMode == mode and endpoint.SecurityPolicyUri == uri:
            return endpoint
    wanted = sorted({offered(endpoint) for endpoint in endpoints}, key=lambda text: (text == "None", text))
    raise SecurityRefused(f"The server requires {' or '.join(wanted) or 'nothing it announces'}; this instance "
                          f"is set to {security.describe()}. Change the security mode and policy to match.")


def _check_login(endpoint: ua.EndpointDescription, security: ClientSecurity) -> None:
    tokens = {policy.TokenType for policy in endpoint.UserIdentityTokens or []}
    if not tokens or _TOKEN_TYPES[security.login] in tokens:
        return
    accepted = ", ".join(sorted(_LOGIN_WORDS.get(token, str(token)) for token in tokens))
    wanted = {"anonymous": "anonymous", "username": "user name", "certificate": "certificate"}[security.login]
    raise SecurityRefused(f"The server does not accept {wanted} login on {offered(endpoint)}; it accepts: {accepted}.")


def first_certificate(data: bytes) -> bytes:
    """The first certificate of a DER chain (servers may send theirs with its issuers)."""
    if len(data) < 4 or data[0] != 0x30:
        return data
    if data[1] < 0x80:
        return data[:2 + data[1]]
    size = data[1] & 0x7F
    length = int.from_bytes(data[2:2 + size], "big")
    return data[:2 + size + length]


def _check_trusted(endpoint: ua.EndpointDescription, security: ClientSecurity) -> bytes:
    der = first_certificate(bytes(endpoint.ServerCertificate or b""))
    if not der:
        raise ServerNotTrusted(f"The server sends no certificate on its {offered(endpoint)} endpoint.")
    if not security.trusted.trusts(der):
        try:
            subject = f" ({x509.load_der_x509_certificate(der).subject.rfc4514_string()})"
        except ValueError:
            subject = ""
        raise ServerNotTrusted(
            f"The server's certificate{subject} is not trusted: SHA-256 {thumbprint(der, 'sha256')}, SHA-1 "
            f"{thumbprint(der, 'sha1')}. Compare it with the thumbprint the server's admin reads on the server, "
            "then add it (or the certificate) to the trusted server certificates.")
    return der


async def read_endpoints(url: str, timeout: float) -> list[ua.EndpointDescription]:
    """The server's endpoints, read on a channel of its own."""
    probe = Client(url, timeout=timeout)
    return list(await probe.connect_and_get_server_endpoints())


async def apply_security(client: Client, security: ClientSecurity, timeout: float) -> None:
    """Check the server against ``security`` and set the client up for it; call before connect()."""
    endpoints = await read_endpoints(client.server_url.geturl(), timeout)
    endpoint = _pick_endpoint(endpoints, security)
    _check_login(endpoint, security)
    if not security.secured:
        return
    if security.certificate is None or security.private_key_der is None:
        raise SecurityRefused("This instance has no application certificate yet: save its settings once.")
    server_der = _check_trusted(endpoint, security)
    uri = application_uri(security.certificate)
    if uri:
        # Servers check that the client's ApplicationUri is the one in its certificate.
        client.application_uri = uri
    client.name = client.description = "itsm-hub"
    await client.set_security(POLICIES[security.policy], certificate_der(security.certificate),
                              security.private_key_der, server_certificate=server_der,
                              mode=_MODE_VALUES[security.mode])
    if security.login == "certificate" and security.user_certificate is not None and security.user_private_key_pem:
        client.user_certificate = security.user_certificate
        client.user_private_key = private_key_from_pem(security.user_private_key_pem)
