"""A real Request Tracker 5 for tests: Debian's request-tracker5, one private instance per session.

``.ci/setup-rt.sh`` installs the packages; nothing here needs root or touches a system RT.
:class:`RealRT` writes its own ``RT_SiteConfig.pm`` into a temporary directory (an SQLite
database there, RT's default scrips left on, outgoing mail written to files by a stand-in
``sendmail`` so a test can count what RT would have mailed), initialises the database with
``rt-setup-database-5``, makes the hub's RT user with the rights docs/connectors/itsm-rt.md
names and an auth token for it and for ``root`` (the RT agent a test plays), and serves
REST2 with RT's own ``rt-server`` (Starlet, prefork) on a free loopback port. Readiness is
a REST2 call that answers 200, polled under a generous deadline: a busy 2-core machine
takes a while to load RT's Perl.

Missing packages are a skip, or a failure with HUB_TEST_REQUIRE_SERVICES=1
(tests.support.services). An RT that is installed but does not start is always an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import requests

from tests.support.processes import free_port
from tests.support.services import missing
from tests.support.waiting import scaled, wait_until

RT_HOME = Path("/usr/share/request-tracker5")
RT_SERVER = RT_HOME / "libexec" / "rt-server"
SETUP_DATABASE = Path("/usr/sbin/rt-setup-database-5")
READY_SECONDS = float(os.environ.get("HUB_TEST_RT_READY_SECONDS", "300"))
SITE_TIMEZONE = "Europe/Berlin"
"""RT's $Timezone: not UTC, so a connector that sends TicketSQL dates in the wrong zone shows."""
HUB_USER = "hub"
HUB_RIGHTS = ("SeeQueue", "ShowTicket", "ShowTicketComments", "ModifyTicket", "ReplyToTicket",
              "CommentOnTicket", "CreateTicket", "SeeCustomField", "ModifyCustomField")
"""The rights docs/connectors/itsm-rt.md tells an admin to grant. Granted on the system
rather than per queue, so every test's fresh queue is usable; RT answers REST2 the same
way for both (ticket searches check rights in SQL, $UseSQLForACLChecks)."""
WORKERS = 3
BCRYPT_COST = 4
"""RT checks an auth token with bcrypt on every REST2 call; at RT's default cost (12) that
is about 0.3 s of CPU per call, which would make this suite crawl on a busy machine. The
cost changes how long a check takes, nothing else."""

SITE_CONFIG = """\
Set($rtname, 'hub-test');
Set($Organization, 'hub-test.invalid');
Set($WebDomain, '127.0.0.1');
Set($WebPort, {port});
Set($WebPath, '');
Set($WebBaseURL, 'http://127.0.0.1:{port}');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{home}/rt.sqlite3');
Set($MasonDataDir, '{home}/mason');
Set($MasonSessionDir, '{home}/sessions');
Set($Timezone, '{timezone}');
Set($LogToSyslog, undef);
Set($LogToSTDERR, undef);
Set($LogDir, '{home}');
Set($LogToFileNamed, 'rt.log');
Set($LogToFile, 'warning');
Set($MailCommand, 'sendmailpipe');
Set($SendmailPath, '{home}/sendmail');
Set($CorrespondAddress, 'rt@hub-test.invalid');
Set($CommentAddress, 'rt-comment@hub-test.invalid');
Set($BcryptCost, {bcrypt_cost});
1;
"""

# Each message RT sends becomes one file, named by the time it went (names sort in order);
# RT's pipe wants its reader to take everything.
SENDMAIL = """\
#!/bin/sh
exec cat > "$(mktemp "{home}/mail/message.$(date +%s%N).XXXXXX")"
"""

BOOTSTRAP = r"""
use strict; use warnings;
use lib '/usr/share/request-tracker5/lib';
use RT; use JSON;
RT::LoadConfig(); RT::Init();
my @rights = split / /, $ARGV[0];
my $hub = RT::User->new(RT->SystemUser);
my ($ok, $msg) = $hub->Create(Name => $ARGV[1], EmailAddress => "$ARGV[1]\@hub-test.invalid",
                              RealName => 'itsm-hub', Privileged => 1);
die "hub user: $msg\n" unless $ok;
for my $right (@rights, 'ManageAuthTokens') {
    ($ok, $msg) = $hub->PrincipalObj->GrantRight(Right => $right, Object => RT->System);
    die "$right: $msg\n" unless $ok;
}
my %tokens;
for my $name ($ARGV[1], 'root') {
    my $user = RT::User->new(RT->SystemUser);
    $user->Load($name) or die "no user $name\n";
    my $token = RT::AuthToken->new(RT::CurrentUser->new($user));
    my ($id, $said, $secret) = $token->Create(Owner => $user->Id, Description => 'itsm-hub tests');
    die "token for $name: $said\n" unless $id;
    $tokens{$name} = $secret;
}
print JSON::encode_json(\%tokens), "\n";
"""
CUSTOM_FIELD = r"""
use strict; use warnings;
use lib '/usr/share/request-tracker5/lib';
use RT;
RT::LoadConfig(); RT::Init();
my ($name, $queue_name) = @ARGV;
my $queue = RT::Queue->new(RT->SystemUser);
$queue->Load($queue_name) or die "no queue $queue_name\n";
my $cf = RT::CustomField->new(RT->SystemUser);
$cf->LoadByName(Name => $name, LookupType => RT::Ticket->CustomFieldLookupType);
unless ($cf->id) {
    my ($ok, $msg) = $cf->Create(Name => $name, Type => 'Freeform', MaxValues => 1,
                                 LookupType => RT::Ticket->CustomFieldLookupType);
    die "custom field $name: $msg\n" unless $ok;
}
my ($ok, $msg) = $cf->AddToObject($queue);
die "apply $name to $queue_name: $msg\n" unless $ok;
print $cf->id, "\n";
"""


def rt_installed() -> bool:
    return RT_SERVER.exists() and SETUP_DATABASE.exists() and shutil.which("perl") is not None


def need_rt() -> None:
    if not rt_installed():
        missing("Request Tracker", f"{RT_SERVER} or {SETUP_DATABASE} is missing; run .ci/setup-rt.sh")


class RealRT:
    """One private RT: ``start()``, then ``url``, ``hub_token`` and ``agent_token``."""

    def __init__(self, home: Path | None = None, *, timezone: str = SITE_TIMEZONE) -> None:
        self.home = home or Path(tempfile.mkdtemp(prefix="hub-rt-"))
        self.timezone = timezone
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.hub_user = HUB_USER
        self.hub_token = self.agent_token = ""
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        # RT_SITE_CONFIG_DIR keeps /etc/request-tracker5/RT_SiteConfig.d (the package's
        # system instance) out: only our file is read.
        return {**os.environ, "RT_SITE_CONFIG": str(self.home / "RT_SiteConfig.pm"),
                "RT_SITE_CONFIG_DIR": str(self.home / "site.d")}

    @property
    def mail_dir(self) -> Path:
        return self.home / "mail"

    def start(self) -> RealRT:
        try:
            self._configure()
            self._run([str(SETUP_DATABASE), "--action", "init", "--skip-create"], "rt-setup-database-5")
            tokens = json.loads(self._run(["perl", "-e", BOOTSTRAP, " ".join(HUB_RIGHTS), HUB_USER], "bootstrap"))
            self.hub_token, self.agent_token = tokens[HUB_USER], tokens["root"]
            self._serve()
            return self
        except BaseException:
            self.stop()
            raise

    def add_custom_field(self, name: str, queue: str) -> None:
        """A one-value free-form ticket custom field, applied to ``queue`` (as an RT admin
        would in Admin > Custom Fields; REST2 in RT 5.0 cannot apply one to a queue)."""
        self._run(["perl", "-e", CUSTOM_FIELD, name, queue], "custom field")

    def _configure(self) -> None:
        for folder in ("site.d", "mason", "sessions", "mail"):
            (self.home / folder).mkdir(parents=True, exist_ok=True)
        values = {"port": self.port, "home": self.home, "timezone": self.timezone, "bcrypt_cost": BCRYPT_COST}
        (self.home / "RT_SiteConfig.pm").write_text(SITE_CONFIG.format(**values))
        sendmail = self.home / "sendmail"
        sendmail.write_text(SENDMAIL.format(**values))
        sendmail.chmod(0o755)

    def _run(self, command: list[str], what: str) -> str:
        done = subprocess.run(command, env=self.env, cwd=self.home, capture_output=True,
                              timeout=scaled(READY_SECONDS))
        if done.returncode:
            raise RuntimeError(f"RT {what} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
        return done.stdout.decode().strip().splitlines()[-1] if what == "bootstrap" else ""

    def _serve(self) -> None:
        log = (self.home / "rt-server.log").open("ab")
        # A session of its own: stop() ends the prefork parent and its workers together.
        self.process = subprocess.Popen(
            [str(RT_SERVER), "--host", "127.0.0.1", "--port", str(self.port), "--max-workers", str(WORKERS)],
            env=self.env, cwd=self.home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        probe = f"{self.url}/REST/2.0/rt"
        process = self.process
        assert process is not None

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"rt-server exited with {process.returncode}: {self.log_tail()}")
            try:
                answer = requests.get(probe, headers={"Authorization": f"token {self.hub_token}"}, timeout=10)
            except requests.RequestException:
                return False
            if answer.status_code == 200:
                return True
            if answer.status_code < 500:  # up, but not as set up: waiting will not help
                raise RuntimeError(f"rt-server answered {probe} with {answer.status_code}: {answer.text[:300]}")
            return False

        wait_until(answers, what=f"rt-server to answer {probe}", timeout=READY_SECONDS, interval=0.25, ignore=(),
                   log=self.log_tail)

    def log_tail(self, lines: int = 20) -> str:
        found = []
        for name in ("rt-server.log", "rt.log"):
            path = self.home / name
            if path.exists():
                found += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(found) or "(no log)"

    def mails(self) -> list[str]:
        """What RT would have mailed so far, one message each."""
        return [path.read_text(errors="replace") for path in sorted(self.mail_dir.glob("message.*"))]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            # SIGTERM, not SIGINT: rt-server run as root answers SIGINT by chowning the
            # system's /var/lib/request-tracker5.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
