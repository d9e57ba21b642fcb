"""A private Dovecot IMAP server for tests, and helpers to arrange and inspect mail on it.

Each ``DovecotServer`` is its own Dovecot instance: a generated config, base_dir, state_dir,
log file, passwd-file and maildir root in one temporary directory, listening on
127.0.0.1 only, on two free ports (plain IMAP with STARTTLS, and implicit TLS). It never
touches the machine's Dovecot, so it works whether that one runs or not, and several
instances (pytest-xdist workers, two checkouts) can run side by side.

The helpers talk IMAP to the server as the test user (``append``, ``flags``, ...) rather
than writing maildir files: the server assigns UIDs and flags exactly as it does for the
code under test. The exceptions are ``reset_uidvalidity``, which removes Dovecot's UID
state from disk because no IMAP command can change a mailbox's UIDVALIDITY, and
``drop_connections``, which uses ``doveadm kick``.

``stop()`` removes the directory; with HUB_TEST_KEEP_DOVECOT=1 it stays (config, log,
maildirs) for a look after a puzzling failure. ``log()`` returns the log meanwhile.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import datetime as dt
import email
import email.policy
import grp
import imaplib
import ipaddress
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Self

from tests.support.waiting import wait_until

SERVICE = "Dovecot IMAP server"

#: How long ``start()`` waits for the greeting on an idle machine before giving up (start-up
#: normally takes a few hundred milliseconds); tests.support.waiting stretches it under load.
START_TIMEOUT = 10.0
#: Timeout for each helper IMAP connection, so a wedged server fails a test, not the run.
HELPER_TIMEOUT = 10.0

TlsMode = Literal["none", "starttls", "implicit"]

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
_UID = re.compile(rb"\bUID (\d+)")
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_UIDVALIDITY = re.compile(rb"\bUIDVALIDITY (\d+)")
# Each user is a file name (see _config) and a passwd-file line, which is colon separated.
_USER_NAME = re.compile(r"[A-Za-z0-9_+@-][A-Za-z0-9._+@-]{0,63}")
_BAD_PASSWORD_CHARS = re.compile(r"[:\s]")
# Index and UID-list files of one maildir mailbox; see reset_uidvalidity.
_UID_STATE_FILES = ("dovecot-uidlist", "dovecot-uidlist.lock", "dovecot.index", "dovecot.index.log",
                    "dovecot.index.log.2", "dovecot.index.cache")


# doveadm's exit code when there was nothing to act on (kick: nobody logged in).
_EX_NOTFOUND = 68


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed here; the fixture turns this into skip (or fail in CI)."""


def find_binaries() -> tuple[str, str]:
    """The dovecot and doveadm executables; /usr/sbin is often not on a user's PATH."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin", "/usr/local/sbin"])
    dovecot = shutil.which("dovecot", path=search)
    doveadm = shutil.which("doveadm", path=search)
    if not dovecot or not doveadm:
        raise DovecotUnavailable(
            "the dovecot/doveadm executables were not found (Debian: apt-get install dovecot-imapd, "
            "or run .ci/setup-dovecot.sh)"
        )
    return dovecot, doveadm


# --------------------------------------------------------------------------- TLS files


@dataclass(frozen=True)
class TlsFiles:
    """A throwaway CA and a server certificate it signed, as PEM files."""

    cafile: Path
    certfile: Path
    keyfile: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only the test CA, with hostname checking on."""
        return ssl.create_default_context(cafile=str(self.cafile))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.certfile), str(self.keyfile))
        return context


def make_tls_files(directory: Path, hostnames: Iterable[str] = ("localhost",),
                   addresses: Iterable[str] = ("127.0.0.1", "::1")) -> TlsFiles:
    """Write a CA and a leaf certificate for localhost/127.0.0.1 into ``directory``.

    A separate CA (rather than one self-signed leaf) is what a client sees in real life
    and what OpenSSL's strict chain checks expect; SKI/AKI and key usages are set so that
    Python's ``VERIFY_X509_STRICT`` (default from 3.13) accepts the chain too. EC keys
    keep generation to a few milliseconds. Also used by the SMTP sink (tests.support.smtp).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    # Back-dated so a clock a little off between processes cannot make it "not yet valid".
    not_before, not_after = now - dt.timedelta(hours=1), now + dt.timedelta(days=7)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "itsm-hub test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in hostnames]
    names += [x509.IPAddress(ipaddress.ip_address(address)) for address in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    files = TlsFiles(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    files.cafile.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    files.keyfile.chmod(0o600)
    return files


# --------------------------------------------------------------------------- IMAP bits


@dataclass(frozen=True)
class StoredMessage:
    """One message as the server holds it."""

    uid: int
    flags: frozenset[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def encode_mailbox(name: str) -> str:
    """A mailbox name as an IMAP quoted string, non-ASCII in modified UTF-7 (RFC 3501 5.1.3).

    imaplib sends arguments verbatim, so a name with a space or a non-ASCII letter
    would otherwise be a protocol error.
    """
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).rstrip(b"=").replace(b"/", b",")
            out.append("&" + encoded.decode("ascii") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    quoted = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"'


def decode_mailbox(name: str) -> str:
    """The inverse of encode_mailbox for a name as LIST returns it (unquoted)."""

    def decode(match: re.Match[str]) -> str:
        encoded = match.group(1)
        if not encoded:
            return "&"
        padded = encoded.replace(",", "/") + "=" * (-len(encoded) % 4)
        return base64.b64decode(padded).decode("utf-16-be")

    return re.sub(r"&([A-Za-z0-9+,]*)-", decode, name)


def _check(result: tuple[str, Sequence[object]], what: str) -> Sequence[object]:
    status, data = result
    if status != "OK":
        raise AssertionError(f"IMAP {what} failed: {status} {data!r}")
    return data


def _parse_fetch(data: Sequence[object]) -> list[tuple[int, frozenset[str], bytes | None]]:
    """(uid, flags, literal) per message from imaplib's FETCH data.

    imaplib hands back ``(prefix, literal)`` tuples followed by the bytes after the
    literal; the UID and FLAGS items may sit on either side, so both are searched.
    """
    parsed: list[tuple[int, frozenset[str], bytes | None]] = []
    text: bytes | None = None
    literal: bytes | None = None

    def finish() -> None:
        if text is None:
            return
        uid = _UID.search(text)
        flags = _FLAGS.search(text)
        if uid is None:
            raise AssertionError(f"FETCH response without UID: {text!r}")
        # \Recent belongs to whichever session saw the message first, not to the message:
        # leaving it out keeps results the same whatever the test did before.
        names = frozenset(flags.group(1).decode().split()) - {"\\Recent"} if flags else frozenset()
        parsed.append((int(uid.group(1)), names, literal))

    for item in data:
        if isinstance(item, tuple):
            finish()
            text, literal = item[0], item[1]
        elif isinstance(item, bytes):
            if text is not None and item.startswith(b")"):
                text += item
            else:
                finish()
                text, literal = item, None
    finish()
    return parsed


# --------------------------------------------------------------------------- the server


class DovecotServer:
    """A private Dovecot instance; ``start()`` it, ``stop()`` it, or use it as a context manager."""

    host = "127.0.0.1"

    def __init__(self, start_timeout: float = START_TIMEOUT) -> None:
        self.dovecot, self.doveadm = find_binaries()
        self.start_timeout = start_timeout
        self.port = 0
        self.tls_port = 0
        self.startup_seconds = 0.0
        self._root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._passwords: dict[str, str] = {}

    # -- lifecycle

    @property
    def root(self) -> Path:
        if self._root is None:
            raise RuntimeError("the Dovecot server is not started")
        return self._root

    @property
    def config_path(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    @property
    def cafile(self) -> Path:
        return self.root / "tls" / "ca.pem"

    @property
    def tls(self) -> TlsFiles:
        return TlsFiles(self.cafile, self.root / "tls" / "cert.pem", self.root / "tls" / "key.pem")

    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting this server's CA (hostname 127.0.0.1 or localhost)."""
        return self.tls.client_context()

    def log(self) -> str:
        """Dovecot's log so far; worth printing when a test fails for an unclear reason."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self) -> None:
        if self._process is not None:
            raise RuntimeError("the Dovecot server is already running")
        started = time.monotonic()
        # Our own directory, not pytest's tmp_path: Dovecot's auth process runs as the
        # unprivileged "dovecot" user and must reach the passwd-file, and pytest makes its
        # base directory 0700.
        self._root = Path(tempfile.mkdtemp(prefix="hub-dovecot-"))
        self._root.chmod(0o755)
        try:
            make_tls_files(self._root / "tls")
            (self._root / "users").mkdir(mode=0o755)
            for name, password in self._passwords.items():
                self._write_user(name, password)
            self._prepare_mail_root()
            # A free port is only free until someone else binds it; Dovecot exits when
            # bind fails, so pick new ports and try again a few times.
            for attempt in range(5):
                self.port, self.tls_port = _free_ports(2)
                self.config_path.write_text(self._config())
                if self._launch() or attempt == 4:
                    break
        except BaseException:
            self.stop()
            raise
        if self._process is None:
            log = self.log()
            self.stop()
            raise RuntimeError(f"Dovecot did not start:\n{log}")
        self.startup_seconds = time.monotonic() - started
        atexit.register(self.stop)

    def _launch(self) -> bool:
        """Start the master and wait for the greeting; False when a port was taken meanwhile."""
        startup_log = self.root / "startup.log"
        with startup_log.open("wb") as output:
            # -F keeps the master in the foreground so we own it as a child; a new session
            # makes it a process group leader, so stop() can reach every Dovecot child too.
            process = subprocess.Popen([self.dovecot, "-F", "-c", str(self.config_path)], stdin=subprocess.DEVNULL,
                                       stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        class _PortTaken(Exception):
            pass

        def greets() -> bool:
            if process.poll() is not None:
                failure = startup_log.read_text(errors="replace") + self.log()
                if "Address already in use" in failure:
                    raise _PortTaken
                raise RuntimeError(f"Dovecot exited with {process.returncode} at start-up:\n{failure}")
            return _greets(self.host, self.port)

        try:
            wait_until(greets, what=f"Dovecot to greet on {self.host}:{self.port}", timeout=self.start_timeout,
                       interval=0.02, ignore=(), log=lambda: startup_log.read_text(errors="replace") + self.log())
        except _PortTaken:
            _terminate(process)
            return False
        except BaseException:
            _terminate(process)
            raise
        self._process = process
        return True

    def stop(self) -> None:
        """Stop Dovecot and all its children and remove the directory; safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            _terminate(process)
        atexit.unregister(self.stop)
        root, self._root = self._root, None
        if root is not None and os.environ.get("HUB_TEST_KEEP_DOVECOT") != "1":
            shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    # -- configuration

    def _mail_owner(self) -> tuple[str, str, int, int]:
        """(user, group, uid, gid) that owns all mail.

        Dovecot refuses mail access as root whatever first_valid_uid says, so as root
        mail belongs to Debian's "mail" user (or nobody); unprivileged runs use
        ourselves, since then Dovecot cannot switch users at all.
        """
        if os.geteuid() != 0:
            entry = pwd.getpwuid(os.geteuid())
            return entry.pw_name, grp.getgrgid(os.getegid()).gr_name, entry.pw_uid, os.getegid()
        for name in ("mail", "nobody"):
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            return entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name, entry.pw_uid, entry.pw_gid
        raise RuntimeError("no unprivileged user (mail, nobody) to own the test mail")

    def _prepare_mail_root(self) -> None:
        mail = self.root / "mail"
        mail.mkdir()
        _, _, uid, gid = self._mail_owner()
        os.chown(mail, uid, gid)

    def _config(self) -> str:
        root = self.root
        if re.search(r"[\s\"'#<]", str(root)):
            raise RuntimeError(f"the temporary directory {root} has characters Dovecot's config cannot take")
        user, group, uid, gid = self._mail_owner()
        privileged = os.geteuid() == 0
        # Unprivileged, Dovecot can neither chroot nor switch to its own users.
        rootless = "" if privileged else f"""
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
        return f"""# Generated by tests/support/imap.py for one test run; not the system Dovecot.
instance_name = hub-test-{os.getpid()}-{self.port}
base_dir = {root}/run
state_dir = {root}/state
listen = {self.host}
protocols = imap
log_path = {root}/dovecot.log
auth_verbose = yes
ssl = yes
ssl_cert = <{root}/tls/cert.pem
ssl_key = <{root}/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
# A failed login would otherwise stall every later login from 127.0.0.1: tests that
# check wrong-password handling must not slow the rest of the run.
auth_failure_delay = 0
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
first_valid_gid = {gid}
# LAYOUT=fs with "/" as separator is what most servers clients meet (Exchange, Gmail).
mail_location = maildir:{root}/mail/%u:LAYOUT=fs
# Without the list index, STATUS reads each mailbox's own index, so reset_uidvalidity
# has only one place to clear.
mailbox_list_index = no
# Generous, so a connector test that opens a connection per folder does not hit it.
mail_max_userip_connections = 50
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
  }}
  mailbox Trash {{
    special_use = \\Trash
  }}
}}
passdb {{
  driver = passwd-file
  args = {root}/users/%u
}}
userdb {{
  driver = passwd-file
  args = {root}/users/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  # Mode 0 turns off the auth penalty (growing delays after failed logins from an IP).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{rootless}"""

    # -- users

    def add_user(self, name: str, password: str) -> None:
        """Add a login; it works at once, no reload needed."""
        if not _USER_NAME.fullmatch(name):
            raise ValueError(f"{name!r}: user names are letters, digits and ._+@- (not leading '.')")
        if not password or _BAD_PASSWORD_CHARS.search(password):
            raise ValueError("passwords must be non-empty, without ':' or whitespace")
        if name in self._passwords:
            raise ValueError(f"user {name!r} exists already")
        self._passwords[name] = password
        if self._root is not None:
            self._write_user(name, password)

    def _write_user(self, name: str, password: str) -> None:
        # One passwd-file per user (args = users/%u): Dovecot checks a passwd-file for
        # changes at most once a second, so a user appended to a shared file right after
        # a login would stay unknown for up to a second. A new file is read on first use.
        # Line format user:password:uid:gid:gecos:home:shell:extra; uid/gid come from
        # mail_uid/mail_gid, and no home is needed as mail_location is absolute.
        (self.root / "users" / name).write_text(f"{name}:{{PLAIN}}{password}::::::\n")

    def password(self, user: str) -> str:
        return self._passwords[user]

    # -- connections

    def connect(self, user: str | None = None, *, tls: TlsMode = "none",
                timeout: float = HELPER_TIMEOUT) -> imaplib.IMAP4:
        """A new IMAP connection, logged in as ``user`` unless None; the caller logs out.

        ``tls``: "none" (plain), "starttls" (plain port, then STARTTLS) or "implicit"
        (the imaps port). TLS verifies the certificate against ``cafile``.
        """
        client: imaplib.IMAP4
        if tls == "implicit":
            client = imaplib.IMAP4_SSL(self.host, self.tls_port, ssl_context=self.ssl_context(), timeout=timeout)
        else:
            client = imaplib.IMAP4(self.host, self.port, timeout=timeout)
        try:
            if tls == "starttls":
                _check(client.starttls(self.ssl_context()), "STARTTLS")
            if user is not None:
                _check(client.login(user, self._passwords[user]), "LOGIN")
        except BaseException:
            client.shutdown()
            raise
        return client

    @contextlib.contextmanager
    def session(self, user: str) -> Iterator[imaplib.IMAP4]:
        """A logged-in plain connection that is logged out (or at least closed) afterwards."""
        client = self.connect(user)
        try:
            yield client
        finally:
            try:
                client.logout()
            except (imaplib.IMAP4.error, OSError):
                client.shutdown()

    # -- mail

    def append(self, user: str, raw: bytes, folder: str = "INBOX", flags: Iterable[str] = (),
               date_time: dt.datetime | None = None) -> int:
        """APPEND a message and return the UID the server gave it."""
        flag_list = "(" + " ".join(flags) + ")" if flags else None
        when = imaplib.Time2Internaldate(date_time) if date_time is not None else None
        with self.session(user) as client:
            data = _check(client.append(encode_mailbox(folder), flag_list, when, raw), "APPEND")
        found = _APPENDUID.search(data[0] if isinstance(data[0], bytes) else b"")
        if found is None:
            raise AssertionError(f"APPEND answered without APPENDUID: {data!r}")
        return int(found.group(2))

    def messages(self, user: str, folder: str = "INBOX") -> list[StoredMessage]:
        """All messages in UID order, read with BODY.PEEK so nothing gets \\Seen."""
        with self.session(user) as client:
            _check(client.select(encode_mailbox(folder), readonly=True), "EXAMINE")
            data = _check(client.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])"), "FETCH")
        found = [StoredMessage(uid, flags, literal or b"") for uid, flags, literal in _parse_fetch(data)]
        return sorted(found, key=lambda stored: stored.uid)

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, frozenset[str]]:
        """UID -> flags (without the per-session \\Recent)."""
        with self.session(user) as client:
            _check(client.select(encode_mailbox(folder), readonly=True), "EXAMINE")
            data = _check(client.uid("FETCH", "1:*", "(UID FLAGS)"), "FETCH")
        return {uid: flags for uid, flags, _ in _parse_fetch(data)}

    def store_flags(self, user: str, uid: int, flags: Iterable[str], folder: str = "INBOX", *,
                    mode: Literal["+", "-", ""] = "+") -> None:
        """Add (+), remove (-) or set ("") flags, as another mail client of the user would."""
        with self.session(user) as client:
            _check(client.select(encode_mailbox(folder)), "SELECT")
            _check(client.uid("STORE", str(uid), f"{mode}FLAGS.SILENT", "(" + " ".join(flags) + ")"), "STORE")

    def expunge(self, user: str, uid: int, folder: str = "INBOX") -> None:
        """Delete one message for good, as another client moving it away would."""
        with self.session(user) as client:
            _check(client.select(encode_mailbox(folder)), "SELECT")
            _check(client.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
            _check(client.uid("EXPUNGE", str(uid)), "UID EXPUNGE")

    def create_folder(self, user: str, folder: str) -> None:
        with self.session(user) as client:
            _check(client.create(encode_mailbox(folder)), "CREATE")

    def delete_folder(self, user: str, folder: str) -> None:
        with self.session(user) as client:
            _check(client.delete(encode_mailbox(folder)), "DELETE")

    def folders(self, user: str) -> list[str]:
        """Mailbox names the user has, decoded from modified UTF-7, sorted."""
        with self.session(user) as client:
            data = _check(client.list(), "LIST")
        names = []
        for line in data:
            if isinstance(line, bytes):
                # (\HasNoChildren) "/" "Name"  or  ... "/" Name
                name = line.rsplit(b' "/" ', 1)[-1].decode()
                if name.startswith('"'):
                    name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                names.append(decode_mailbox(name))
        return sorted(names)

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        with self.session(user) as client:
            data = _check(client.status(encode_mailbox(folder), "(UIDVALIDITY)"), "STATUS")
        found = _UIDVALIDITY.search(data[0] if isinstance(data[0], bytes) else b"")
        if found is None:
            raise AssertionError(f"STATUS without UIDVALIDITY: {data!r}")
        return int(found.group(1))

    def reset_uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        """Make the server forget the folder's UIDs, as after a restore or a mailbox rebuild.

        The messages stay (with their flags, which maildir keeps in file names) but get
        a new UIDVALIDITY and fresh UIDs from 1, so an old UID may now name another
        message: exactly the case a client must detect and resynchronise from. Returns
        the new UIDVALIDITY.

        The user's open sessions are dropped first, as a server rebuilding a mailbox
        does. Left alone, Dovecot would keep showing a selected session the old UIDs
        until its next SELECT and then disconnect it with an index error, which makes
        for a test that passes or fails depending on timing.
        """
        self.drop_connections(user)
        old = self.uidvalidity(user, folder)
        directory = self.root / "mail" / user
        if folder.upper() != "INBOX":
            # LAYOUT=fs stores "A/B" as the directory A/B, names in modified UTF-7.
            directory = directory.joinpath(*encode_mailbox(folder)[1:-1].split("/"))
        if not (directory / "dovecot-uidlist").exists():
            raise AssertionError(f"no UID list for {user}/{folder} at {directory}")
        for name in _UID_STATE_FILES:
            with contextlib.suppress(FileNotFoundError):
                (directory / name).unlink()
        # Dovecot derives the new value from its dovecot-uidvalidity file, which only
        # counts upwards, so it differs from the old one even within the same second.
        new = self.uidvalidity(user, folder)
        if new == old:
            raise AssertionError(f"UIDVALIDITY of {user}/{folder} stayed {old}")
        return new

    # -- sessions

    def who(self, user: str | None = None) -> dict[str, int]:
        """Logged-in IMAP connections per user (pre-login connections are not counted)."""
        result = self._doveadm("who", "-1", *([user] if user else []))
        counts: dict[str, int] = {}
        for line in result.splitlines()[1:]:
            if line.strip():
                name = line.split()[0]
                counts[name] = counts.get(name, 0) + 1
        return counts

    def drop_connections(self, user: str | None = None, timeout: float = 5.0) -> None:
        """Kick every logged-in IMAP session (of ``user``, or of everyone) and wait until gone.

        The client sees ``* BYE Server shutting down.`` and EOF, i.e. what a connection
        dropped by a server restart or a load balancer looks like: its next command
        raises ``imaplib.IMAP4.abort`` (or OSError).
        """
        mask = user or "*"
        self._doveadm("kick", mask, allow={_EX_NOTFOUND})
        wait_until(lambda: not self.who(user), what=f"the sessions of {mask} to close after a kick",
                   timeout=timeout, interval=0.02, ignore=())

    def _doveadm(self, *args: str, allow: frozenset[int] | set[int] = frozenset()) -> str:
        completed = subprocess.run([self.doveadm, "-c", str(self.config_path), *args],
                                   capture_output=True, text=True, timeout=30, check=False)
        if completed.returncode not in {0, *allow}:
            raise RuntimeError(f"doveadm {' '.join(args)} failed ({completed.returncode}): {completed.stderr}")
        return completed.stdout


@dataclass
class Mailbox:
    """One test user on a running ``DovecotServer``: what the ``mailbox`` fixture returns."""

    server: DovecotServer
    user: str
    password: str

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def tls_port(self) -> int:
        return self.server.tls_port

    @property
    def cafile(self) -> Path:
        return self.server.cafile

    def ssl_context(self) -> ssl.SSLContext:
        return self.server.ssl_context()

    def connect(self, *, tls: TlsMode = "none", login: bool = True) -> imaplib.IMAP4:
        return self.server.connect(self.user if login else None, tls=tls)

    def append(self, raw: bytes, folder: str = "INBOX", flags: Iterable[str] = (),
               date_time: dt.datetime | None = None) -> int:
        return self.server.append(self.user, raw, folder, flags, date_time)

    def messages(self, folder: str = "INBOX") -> list[StoredMessage]:
        return self.server.messages(self.user, folder)

    def flags(self, folder: str = "INBOX") -> dict[int, frozenset[str]]:
        return self.server.flags(self.user, folder)

    def store_flags(self, uid: int, flags: Iterable[str], folder: str = "INBOX", *,
                    mode: Literal["+", "-", ""] = "+") -> None:
        self.server.store_flags(self.user, uid, flags, folder, mode=mode)

    def expunge(self, uid: int, folder: str = "INBOX") -> None:
        self.server.expunge(self.user, uid, folder)

    def create_folder(self, folder: str) -> None:
        self.server.create_folder(self.user, folder)

    def delete_folder(self, folder: str) -> None:
        self.server.delete_folder(self.user, folder)

    def folders(self) -> list[str]:
        return self.server.folders(self.user)

    def uidvalidity(self, folder: str = "INBOX") -> int:
        return self.server.uidvalidity(self.user, folder)

    def reset_uidvalidity(self, folder: str = "INBOX") -> int:
        return self.server.reset_uidvalidity(self.user, folder)

    def sessions(self) -> int:
        return self.server.who(self.user).get(self.user, 0)

    def drop_connections(self) -> None:
        self.server.drop_connections(self.user)


# --------------------------------------------------------------------------- plumbing


def _free_ports(count: int) -> list[int]:
    # Held open together so the kernel cannot hand out the same port twice.
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _greets(host: str, port: int) -> bool:
    """True once the IMAP greeting arrives, i.e. master and a login process both work."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            return sock.recv(64).startswith(b"* OK")
    except OSError:
        return False


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Stop the master and everything in its process group, and reap them all.

    SIGTERM lets the master stop its children (IMAP sessions included) itself, but it
    exits before its log process does. That one is then orphaned, and becomes a zombie
    until PID 1 reaps it, which in a container or a bare VM may be never. So for the
    duration we are a child subreaper (Linux): the orphans become our children and
    we reap them ourselves, and stop() returns with nothing of Dovecot left.
    """
    was_subreaper = _set_child_subreaper(True)
    try:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        _reap_group(process.pid, timeout=5.0)
    finally:
        if not was_subreaper:
            _set_child_subreaper(False)


def _set_child_subreaper(on: bool) -> bool:
    """Set PR_SET_CHILD_SUBREAPER; returns whether it was set before (False off Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        before = ctypes.c_int(0)
        libc.prctl(37, ctypes.byref(before), 0, 0, 0)  # PR_GET_CHILD_SUBREAPER
        libc.prctl(36, int(on), 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        return bool(before.value)
    except (OSError, AttributeError):
        return False


def _reap_group(pgid: int, timeout: float) -> None:
    """Wait for the group's processes that were handed to us (see _terminate)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ours = 0
        for pid in _group_members(pgid):
            try:
                os.waitpid(pid, os.WNOHANG)
                ours += 1
            except ChildProcessError:
                pass  # not handed to us (no subreaper support): PID 1 reaps it
        if not ours:
            return
        time.sleep(0.01)


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members
