"""A private Mosquitto with TLS listeners, a test CA and a password file, for tests of MQTT
over TLS against a real broker.

The machine's shared Mosquitto (127.0.0.1:1883) has no TLS. This one is a process of its own
on free loopback ports, with a generated ``mosquitto.conf`` in a temporary directory and
three listeners (``per_listener_settings``), one per way a plant locks its broker down:

- ``verify_port``: TLS only, anonymous clients allowed; the server certificate is issued by
  the test CA for the name ``localhost`` only, so ``127.0.0.1`` is a hostname mismatch;
- ``client_cert_port``: TLS with ``require_certificate`` (a client certificate the test CA
  issued is the login, ``use_identity_as_username``);
- ``password_port``: TLS with a ``password_file`` made by ``mosquitto_passwd -b``, anonymous
  clients refused;
- ``self_signed_port``: TLS with a self-signed certificate for ``localhost`` (no CA at all).

Readiness is a real MQTT connection over TLS to each listener, never a fixed sleep. With
HUB_TEST_REQUIRE_SERVICES=1 a missing ``mosquitto`` or ``mosquitto_passwd`` fails the test
instead of skipping it. HUB_TEST_KEEP_MOSQUITTO=1 keeps the directory (config, log, certs).
"""

from __future__ import annotations

import os
import pwd
import shutil
import ssl
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.certs import Issued, TestCa, self_signed
from tests.support.processes import free_port
from tests.support.services import missing
from tests.support.waiting import wait_until

HOST = "localhost"
USERNAME = "line-hub"
PASSWORD = "s3cret-plant-password"
KEY_PASSWORD = "key-passphrase"
CLIENT_NAME = "hub-client"


@dataclass(frozen=True)
class TlsFiles:
    ca: Path  # the CA the broker's certificate comes from
    other_ca: Path  # a CA nothing here trusts
    server: Issued
    client: Issued
    client_encrypted_key: Path  # the same key as client.key, encrypted with KEY_PASSWORD
    stranger: Issued  # a client certificate of the other CA
    self_signed: Issued  # a server certificate that is its own CA


def _binaries() -> tuple[str, str]:
    found = [shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/usr/bin")
             for name in ("mosquitto", "mosquitto_passwd")]
    if not all(found):
        missing("Mosquitto", "mosquitto and mosquitto_passwd must be installed (Debian: apt-get install mosquitto)")
    return found[0] or "", found[1] or ""


def make_files(directory: Path) -> TlsFiles:
    ca, other = TestCa(directory / "ca"), TestCa(directory / "other-ca", name="a CA nobody trusts")
    server = ca.issue("server", common_name=HOST, hostnames=[HOST])
    client = ca.issue("client", common_name=CLIENT_NAME, client=True)
    encrypted = directory / "ca" / "client-encrypted.key"
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(client.key.read_bytes(), password=None)
    encrypted.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(KEY_PASSWORD.encode())))
    stranger = other.issue("stranger", common_name=CLIENT_NAME, client=True)
    return TlsFiles(ca=ca.cert, other_ca=other.cert, server=server, client=client,
                    client_encrypted_key=encrypted, stranger=stranger,
                    self_signed=self_signed(directory / "self-signed", "broker", hostnames=[HOST]))


class TlsMosquitto:
    """``start()`` writes certificates, a password file and a config, and runs the broker."""

    def __init__(self) -> None:
        self.mosquitto, self.passwd = _binaries()
        self.root = Path(tempfile.mkdtemp(prefix="hub-mosquitto-tls-"))
        self.root.chmod(0o755)
        self.files = make_files(self.root)
        self.verify_port = self.client_cert_port = self.password_port = self.self_signed_port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.root / "mosquitto.log"

    def url(self, port: int, host: str = HOST) -> str:
        return f"mqtts://{host}:{port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self) -> TlsMosquitto:
        passwords = self.root / "passwd"
        subprocess.run([self.passwd, "-b", "-c", str(passwords), USERNAME, PASSWORD], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
        for attempt in range(3):  # a free port is free only until someone else binds it
            self.verify_port, self.client_cert_port, self.password_port, self.self_signed_port = (
                free_port(), free_port(), free_port(), free_port())
            config = self.root / "mosquitto.conf"
            config.write_text(self._config(passwords))
            self.log_path.write_text("")
            with (self.root / "stderr.log").open("wb") as output:
                self.process = subprocess.Popen([self.mosquitto, "-c", str(config)], stdin=subprocess.DEVNULL,
                                                stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                wait_until(self._ready, what="the TLS Mosquitto to accept MQTT over TLS", timeout=30,
                           ignore=(OSError, ssl.SSLError, ConnectionError), log=self._all_logs)
                return self
            except _PortTaken:
                if attempt == 2:
                    self.stop()
                    raise
            except BaseException:
                self.stop()  # no broker left running behind a fixture that failed
                raise
        return self

    def _config(self, passwords: Path) -> str:
        files = self.files
        tls = f"cafile {files.ca}\ncertfile {files.server.cert}\nkeyfile {files.server.key}\n"
        return (
            f"per_listener_settings true\npersistence false\nuser {pwd.getpwuid(os.geteuid()).pw_name}\n"
            f"log_dest file {self.log_path}\nlog_type error\nlog_type warning\nlog_type notice\n"
            f"log_type information\nconnection_messages true\n\n"
            f"listener {self.verify_port} 127.0.0.1\n{tls}allow_anonymous true\n\n"
            f"listener {self.client_cert_port} 127.0.0.1\n{tls}require_certificate true\n"
            "use_identity_as_username true\nallow_anonymous false\n\n"
            f"listener {self.password_port} 127.0.0.1\n{tls}password_file {passwords}\nallow_anonymous false\n\n"
            f"listener {self.self_signed_port} 127.0.0.1\ncertfile {files.self_signed.cert}\n"
            f"keyfile {files.self_signed.key}\nallow_anonymous true\n"
        )

    def _all_logs(self) -> str:
        try:
            early = (self.root / "stderr.log").read_text(errors="replace")
        except OSError:
            early = ""
        return early + self.log()

    def _ready(self) -> bool:
        process = self.process
        assert process is not None
        if process.poll() is not None:
            text = self._all_logs()
            if "Address already in use" in text:
                raise _PortTaken(text)
            raise RuntimeError(f"mosquitto exited with {process.returncode} at start-up:\n{text}")
        files = self.files
        connect(self.verify_port, ca=files.ca)
        connect(self.client_cert_port, ca=files.ca, cert=files.client)
        connect(self.password_port, ca=files.ca, username=USERNAME, password=PASSWORD)
        connect(self.self_signed_port, ca=files.self_signed.cert)
        return True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if os.environ.get("HUB_TEST_KEEP_MOSQUITTO") != "1":
            shutil.rmtree(self.root, ignore_errors=True)


class _PortTaken(Exception):
    pass


def tls_client(*, ca: Path, cert: Issued | None = None, username: str | None = None, password: str | None = None,
               client_id: str | None = None) -> mqtt.Client:
    """A plain paho MQTT 5 client over verifying TLS: what the tests publish and probe with."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or f"hubtest-tls-{uuid.uuid4().hex[:8]}",
                         protocol=mqtt.MQTTv5)
    context = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        context.load_cert_chain(str(cert.cert), str(cert.key))
    client.tls_set_context(context)
    if username:
        client.username_pw_set(username, password)
    return client


def connect(port: int, **options: object) -> None:
    """Connect, wait for a successful CONNACK, disconnect; raises when the broker refuses."""
    client = tls_client(**options)  # type: ignore[arg-type]
    client.connect(HOST, port, keepalive=10)
    try:
        deadline_loops = 100
        while not client.is_connected() and deadline_loops:
            code = client.loop(timeout=0.1)
            if code != mqtt.MQTT_ERR_SUCCESS:
                raise ConnectionError(f"connection to {HOST}:{port} lost: {code}")
            deadline_loops -= 1
        if not client.is_connected():
            raise ConnectionError(f"no CONNACK from {HOST}:{port}")
    finally:
        client.disconnect()
