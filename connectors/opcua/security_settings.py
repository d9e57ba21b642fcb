"""The OPC UA instance's security settings: fields of its config form, checked on save.

Saving an instance whose settings need an application certificate (a mode other than
None, or certificate login) and have none creates one: the certificate is a plain setting
the instance page shows for the server's admin to trust; its private key is a ``local``
secret, sealed at rest, never shown and never sent anywhere. An admin may paste a
certificate and key of their own (one the plant's CA signed) instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from connectors.opcua.certificates import (
    CertificateProblem,
    certificate_der,
    certificate_from_pem,
    certificate_pem,
    key_matches,
    make_application_certificate,
    normalize_trust_list,
    private_key_from_pem,
    private_key_pem,
)
from connectors.opcua.certificates import facts as certificate_facts
from connectors.opcua.security import LOGINS, MODES, POLICIES
from hub.sdk import PublicCredential, secret
from hub.sdk.schema import ConfigSchema


def _pem(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


class OpcUaSecuritySchema(ConfigSchema):
    security_mode = fields.String(load_default="None", validate=validate.OneOf(MODES), metadata={
        "title": "Security mode", "description": "None, Sign (messages signed) or SignAndEncrypt (signed and "
        "encrypted). Most plant servers require SignAndEncrypt."})
    security_policy = fields.String(load_default="Basic256Sha256", validate=validate.OneOf(list(POLICIES)), metadata={
        "title": "Security policy", "description": "The algorithms for Sign and SignAndEncrypt; ask the server's "
        "admin which one its endpoint offers."})
    trusted_servers = fields.List(fields.String(), load_default=list, metadata={
        "title": "Trusted server certificates", "description": "PEM certificates or SHA-1/SHA-256 thumbprints "
        "(one per line) of the servers this instance may talk to with Sign or SignAndEncrypt. An untrusted "
        "server's thumbprint is shown by Test connection."})
    login = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LOGINS), metadata={
        "title": "Login", "description": "anonymous, username (user name and password) or certificate (the user "
        "certificate below, or the application certificate). Empty: username when a user name is set."})
    certificate = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Application certificate (PEM)", "multiline": True, "secret_target": False,
        "description": "The hub's certificate for this instance, which the server's admin trusts. Created when "
        "you first save with security or certificate login; paste your own (with its key) to replace it, or "
        "empty this field to make a new one."})
    private_key = secret(load_default=None, allow_none=True, local=True, title="Application private key (PEM)",
                         description="The certificate's private key: write-only, stored encrypted, never sent.")
    user_certificate = fields.String(load_default=None, allow_none=True, metadata={
        "title": "User certificate (PEM)", "multiline": True, "secret_target": False,
        "description": "For certificate login with a user certificate of its own; empty: the application "
        "certificate logs in."})
    user_private_key = secret(load_default=None, allow_none=True, local=True, title="User private key (PEM)",
                              description="The user certificate's private key: write-only, stored encrypted.")

    @validates_schema
    def check_security(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        login = data.get("login")
        if login == "username" and not data.get("username"):
            errors["username"] = ["Username login needs a user name."]
        if login == "certificate" and (data.get("security_mode") or "None") == "None":
            errors["login"] = ["Certificate login needs the security mode Sign or SignAndEncrypt."]
        try:
            normalize_trust_list(list(data.get("trusted_servers") or []))
        except CertificateProblem as exc:
            errors["trusted_servers"] = [str(exc)]
        for cert_name, key_name in (("certificate", "private_key"), ("user_certificate", "user_private_key")):
            problem = self._pair_problem(_pem(data.get(cert_name)), _pem(data.get(key_name)),
                                         generated=cert_name == "certificate")
            if problem:
                on_certificate, why = problem
                errors.setdefault(cert_name if on_certificate else key_name, []).append(why)
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _pair_problem(cert_text: str | None, key_text: str | None, generated: bool) -> tuple[bool, str] | None:
        """(on the certificate?, why) when a certificate and key do not make a pair."""
        if not cert_text:
            if key_text and not generated:
                return True, "Paste the certificate of this private key, or leave both empty."
            return None  # an application key without its certificate: a new pair is made on save
        try:
            cert = certificate_from_pem(cert_text)
        except CertificateProblem as exc:
            return True, str(exc)
        if not key_text:
            return False, "Paste the private key of this certificate too."
        try:
            key = private_key_from_pem(key_text)
        except CertificateProblem as exc:
            return False, str(exc)
        if not key_matches(cert, key):
            return False, "This private key does not belong to the certificate."
        return None

    @post_load
    def settle_certificates(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["trusted_servers"] = normalize_trust_list(list(data.get("trusted_servers") or []))
        if not data.get("login"):
            data["login"] = "username" if data.get("username") else "anonymous"
        for cert_name, key_name in (("certificate", "private_key"), ("user_certificate", "user_private_key")):
            cert_text, key_text = _pem(data.get(cert_name)), _pem(data.get(key_name))
            if cert_text and key_text:
                # Stored rebuilt: a form's single-line input may have dropped the line breaks.
                data[cert_name] = certificate_pem(certificate_from_pem(cert_text))
                data[key_name] = private_key_pem(private_key_from_pem(key_text))
            else:
                data[cert_name] = data[key_name] = None
        needs_certificate = data.get("security_mode", "None") != "None" or data["login"] == "certificate"
        if needs_certificate and not data.get("certificate"):
            data["certificate"], data["private_key"] = make_application_certificate()
        return data


def application_credentials(config: Mapping[str, Any]) -> list[PublicCredential]:
    """The certificates the server's admin trusts: the application certificate, and the user
    certificate when one of its own logs in."""
    shown = []
    for name, title, description in (
        ("application-certificate", "Application certificate",
         "Give this to the OPC UA server's admin: the server must trust it (most servers put a new client's "
         "certificate in a 'rejected' folder after its first attempt; move it to 'trusted')."),
        ("user-certificate", "User certificate", "The certificate this instance logs in with: the server's admin "
         "maps it to a user."),
    ):
        text = config.get("certificate" if name.startswith("application") else "user_certificate")
        if not text:
            continue
        try:
            cert = certificate_from_pem(str(text))
        except CertificateProblem:
            continue
        found = certificate_facts(cert)
        facts = (("SHA-1 thumbprint", found.sha1), ("SHA-256 thumbprint", found.sha256), ("Subject", found.subject),
                 ("Application URI", found.application_uri or "none"),
                 ("Valid until", found.not_after.strftime("%Y-%m-%d %H:%M UTC")))
        shown.append(PublicCredential(name=name, title=title, description=description, pem=certificate_pem(cert),
                                      der=certificate_der(cert), facts=facts))
    return shown
