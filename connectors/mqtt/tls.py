"""TLS for the MQTT connector: the instance's files as a verifying SSL context, and every
way a TLS connection fails said in words that name what to fix.

The broker's certificate is always verified, hostname included; there is no setting to
turn that off. A plant whose broker has a private CA, or a self-signed certificate, puts
that CA (or that certificate) in ``tls_ca_file``; a broker reached by a name its
certificate does not list is reached by one it does. Switching verification off would
let anyone on the line network read the broker password and forge alarms and change
requests, and the two fixes above cover every case it would have been used for.

OpenSSL's own errors are opaque ("PEM lib"), so the files are looked at first, each
problem reported against its setting. paho handles the connection in its own thread and
keeps the TLS error to itself (the listener only learns "connection failed"); a
``TlsTrace`` on the context records it, through the socket class the context makes.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.sdk import AuthenticationError, ConnectorError, RetriableError

if TYPE_CHECKING:
    from connectors.mqtt.client import Broker

TLS_FIELDS = ("tls_ca_file", "tls_cert_file", "tls_key_file", "tls_key_password")
MAX_PEM_BYTES = 1 << 20
CERT_MARK = b"-----BEGIN CERTIFICATE-----"
KEY_MARK = b"PRIVATE KEY-----"
#: OpenSSL verify codes (X509_V_ERR_*) with a fix of their own.
EXPIRED, NOT_YET_VALID = 10, 9
HOSTNAME_MISMATCH, IP_MISMATCH = 62, 64
#: TLS alerts by which a broker says it wants a (different) client certificate.
CERT_REQUIRED_ALERT = "TLSV13_ALERT_CERTIFICATE_REQUIRED"
MAYBE_CERT_REQUIRED = ("SSLV3_ALERT_HANDSHAKE_FAILURE",)  # TLS 1.2's way, but other causes give it too
CERT_REFUSED_ALERTS = ("TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_BAD_CERTIFICATE", "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
                       "SSLV3_ALERT_CERTIFICATE_EXPIRED", "SSLV3_ALERT_CERTIFICATE_REVOKED",
                       "TLSV1_ALERT_ACCESS_DENIED")


class TlsSetupError(AuthenticationError):
    """A TLS file of the instance cannot be used. An authentication error, like a refused
    password: the admin fixes it, and deliveries wait for that instead of dead-lettering."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class TlsTrace:
    """The last TLS failure on a client's connections, as paho's thread met it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: OSError | None = None

    def record(self, exc: OSError) -> None:
        with self._lock:
            self._last = exc

    def take(self) -> OSError | None:
        """The failure since the last call, and forget it."""
        with self._lock:
            last, self._last = self._last, None
            return last


class _TracedSocket(ssl.SSLSocket):
    """Records handshake, read and write failures on the context's trace, then raises them as
    before. Writes too: under TLS 1.3 a broker refuses a client certificate after the
    handshake, and the client often learns it when it sends its CONNECT."""

    _trace: TlsTrace | None = None

    def _failed(self, exc: OSError, *, handshake: bool = False) -> bool:
        """Note a real failure (not "try again"); True when it was one. In the handshake any
        failure is TLS's (a reset there means no TLS on that port); later only TLS errors are."""
        if isinstance(exc, ssl.SSLWantReadError | ssl.SSLWantWriteError):
            return False
        if self._trace is not None and (handshake or isinstance(exc, ssl.SSLError)):
            self._trace.record(exc)
        return True

    def do_handshake(self, block: bool = False) -> None:
        try:
            super().do_handshake(block)
        except OSError as exc:
            if self._failed(exc, handshake=True):
                self.close()  # paho drops a socket whose handshake failed without closing it
            raise

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        try:
            return super().recv(buflen, flags)
        except OSError as exc:
            self._failed(exc)
            raise

    def send(self, data: Any, flags: int = 0) -> int:
        try:
            return super().send(data, flags)
        except OSError as exc:
            self._failed(exc)
            raise


# -- the instance's files -----------------------------------------------------------------


def _read_pem(field: str, path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PEM_BYTES + 1)
    except OSError as exc:
        raise TlsSetupError(field, f"cannot read {path}: {exc.strerror or exc}.") from None
    if len(data) > MAX_PEM_BYTES:
        raise TlsSetupError(field, f"{path} is over 1 MiB: not a certificate or key file.")
    return data


def _not_pem(path: str, what: str) -> str:
    return (f"{path} holds no PEM {what} (a '-----BEGIN ...' block). A binary (DER) file converts with "
            f"'openssl {'x509' if what == 'certificate' else 'pkey'} -inform der -in <file> -out <file>.pem'.")


def _is_encrypted(key: bytes) -> bool:
    return b"ENCRYPTED PRIVATE KEY" in key or b"Proc-Type: 4,ENCRYPTED" in key


class _PasswordNeeded(Exception):
    pass


def _no_password() -> str:
    # OpenSSL would otherwise prompt on the terminal: a listener or web process would hang.
    raise _PasswordNeeded


def _load_client_certificate(context: ssl.SSLContext, config: Mapping[str, Any]) -> None:
    cert = str(config["tls_cert_file"])
    cert_pem = _read_pem("tls_cert_file", cert)
    if CERT_MARK not in cert_pem:
        raise TlsSetupError("tls_cert_file", _not_pem(cert, "certificate"))
    key = str(config.get("tls_key_file") or "")
    if key:
        key_pem = _read_pem("tls_key_file", key)
        if KEY_MARK not in key_pem:
            raise TlsSetupError("tls_key_file", _not_pem(key, "private key"))
    elif KEY_MARK in cert_pem:
        key_pem = cert_pem
    else:
        raise TlsSetupError("tls_key_file", f"needed: {cert} holds no private key, so name the key's file.")
    password = config.get("tls_key_password") or None
    encrypted = _is_encrypted(key_pem)
    if encrypted and not password:
        raise TlsSetupError("tls_key_password", "the key is encrypted: enter its password.")
    try:
        context.load_cert_chain(cert, key or None, password=password or _no_password)
    except _PasswordNeeded:
        raise TlsSetupError("tls_key_password", "the key is encrypted: enter its password.") from None
    except OSError as exc:  # ssl.SSLError is an OSError too
        reason = getattr(exc, "reason", None)
        if reason == "KEY_VALUES_MISMATCH":
            raise TlsSetupError("tls_key_file", "this key does not belong to the certificate in tls_cert_file."
                                ) from None
        if encrypted:
            raise TlsSetupError("tls_key_password", "wrong password for the key (or the key file is damaged)."
                                ) from None
        raise TlsSetupError("tls_cert_file", f"the certificate and key cannot be loaded: {exc}.") from None


def tls_context(config: Mapping[str, Any], trace: TlsTrace | None = None) -> ssl.SSLContext:
    """A verifying context (hostname checked) from the instance's files; TlsSetupError says
    which file is wrong."""
    ca = str(config.get("tls_ca_file") or "")
    if ca and CERT_MARK not in _read_pem("tls_ca_file", ca):
        raise TlsSetupError("tls_ca_file", _not_pem(ca, "certificate"))
    try:
        context = ssl.create_default_context(cafile=ca or None)
    except OSError as exc:
        raise TlsSetupError("tls_ca_file", f"{ca} cannot be loaded: {exc}.") from None
    if config.get("tls_cert_file"):
        _load_client_certificate(context, config)
    if trace is not None:
        context.sslsocket_class = type("TracedSocket", (_TracedSocket,), {"_trace": trace})
    return context


def setting_errors(config: Mapping[str, Any], *, tls: bool) -> dict[str, list[str]]:
    """Field errors of the TLS settings, for the config schema."""
    errors: dict[str, list[str]] = {}
    if not tls:
        for field in TLS_FIELDS:
            if config.get(field):
                errors[field] = ["Used only with TLS: make the broker URL mqtts://host:8883, or clear this."]
        return errors
    if config.get("tls_key_file") and not config.get("tls_cert_file"):
        errors["tls_key_file"] = ["A key file needs a client certificate (tls_cert_file)."]
    if config.get("tls_key_password") and not config.get("tls_cert_file"):
        errors["tls_key_password"] = ["Used only with a client certificate (tls_cert_file)."]
    if errors:
        return errors
    try:
        tls_context(config)
    except TlsSetupError as exc:
        errors[exc.field] = [exc.problem[:1].upper() + exc.problem[1:]]
    return errors


# -- what went wrong on the wire ------------------------------------------------------------


def certificate_names(host: str, port: int, timeout: float = 5.0) -> list[str]:
    """The names a server's certificate lists (its subject alternative names), read without
    verifying: only to tell the admin which name to connect by."""
    import socket

    from cryptography import x509

    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                probe.wrap_socket(raw, server_hostname=host) as wrapped:
            der = wrapped.getpeercert(binary_form=True)
        names = x509.load_der_x509_certificate(der or b"").extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return []
    return [str(name) for name in names.get_values_for_type(x509.DNSName)] + \
        [str(address) for address in names.get_values_for_type(x509.IPAddress)]


def _untrusted(exc: ssl.SSLCertVerificationError, broker: Broker, config: Mapping[str, Any]) -> ConnectorError:
    message = exc.verify_message or str(exc)
    if exc.verify_code in (HOSTNAME_MISMATCH, IP_MISMATCH):
        names = certificate_names(broker.host, broker.port)
        listed = f" It lists: {', '.join(names)}." if names else ""
        return AuthenticationError(
            f"The broker's certificate is not for the name {broker.host} ({message}).{listed} Put a name the "
            "certificate lists in the broker URL, or have the broker's certificate issued for this name.")
    if exc.verify_code in (EXPIRED, NOT_YET_VALID):
        return AuthenticationError(f"The broker's certificate is out of its validity ({message}): renew it on "
                                   "the broker, and check the clocks of both machines.")
    ca = config.get("tls_ca_file")
    fix = (f"tls_ca_file ({ca}) does not hold the CA that signed it: put that CA in the file."
           if ca else "set tls_ca_file to the PEM file of the CA that signed it (or of the broker's own "
           "certificate, if it is self-signed).")
    return AuthenticationError(f"Server certificate not trusted: {message}. {fix}")


def explain(exc: OSError, broker: Broker, config: Mapping[str, Any]) -> ConnectorError:
    """The taxonomy error, in words naming what to fix, for a failure of TLS with ``broker``:
    an ssl.SSLError, or any error of the TLS handshake."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _untrusted(exc, broker, config)
    reason = str(getattr(exc, "reason", "") or "")
    has_cert = bool(config.get("tls_cert_file"))
    if reason == "WRONG_VERSION_NUMBER" or isinstance(exc, ConnectionResetError):
        # A plain MQTT port answers a TLS hello with plain bytes, or (Mosquitto) hangs up.
        return AuthenticationError(f"{broker.url} does not speak TLS on port {broker.port} ({reason or exc}): use "
                                   "the broker's TLS port (usually 8883), or mqtt:// if it has no TLS.")
    if not has_cert and reason == CERT_REQUIRED_ALERT:
        return AuthenticationError(f"The broker requires a client certificate ({reason}): set tls_cert_file and "
                                   "tls_key_file to a certificate issued by a CA the broker trusts.")
    if not has_cert and (reason in MAYBE_CERT_REQUIRED or isinstance(exc, ssl.SSLEOFError)):
        return AuthenticationError(f"The broker ended the TLS connection ({reason or exc}): it probably requires a "
                                   "client certificate; set tls_cert_file and tls_key_file.")
    if has_cert and (reason in CERT_REFUSED_ALERTS or isinstance(exc, ssl.SSLEOFError)):
        return AuthenticationError(
            f"The broker refused the client certificate {config['tls_cert_file']} ({reason or exc}): use one "
            "issued by a CA the broker trusts (Mosquitto: cafile of the listener), not expired or revoked.")
    return RetriableError(f"TLS with {broker.url} failed: {exc}.")
