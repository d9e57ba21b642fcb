#!/usr/bin/env bash
# Make Dovecot available to the IMAP tests. Safe to run any number of times.
#
# The tests never use the system Dovecot: tests/support/imap.py starts a private
# instance per test run (own config, directories and ports on 127.0.0.1) from the
# installed binaries. So this script only installs the package, and keeps apt from
# starting the system service on a fresh install (it would hold ports 143/993 for
# nothing). A system Dovecot that already runs is left alone: it does not disturb the
# tests, and it may be there for someone else.
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin"

have_dovecot() { command -v dovecot >/dev/null && command -v doveadm >/dev/null; }
# The broken-MIME tests deliver through a real MTA: Exim, with a private config (never the
# system one), hands mail to Dovecot's LDA (tests/connectors/email/mta.py).
have_exim() { command -v exim4 >/dev/null && [ -x /usr/lib/dovecot/dovecot-lda ]; }

if ! have_dovecot || ! have_exim; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup-dovecot: need root (or sudo) to install dovecot-imapd" >&2; exit 1; }
    SUDO="sudo"
  fi
  # policy-rc.d exit code 101 ("action forbidden") makes invoke-rc.d and
  # deb-systemd-invoke skip starting the new service during this install only.
  # An existing policy-rc.d belongs to the machine and is not touched.
  added_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    added_policy=1
  fi
  cleanup() { if [ -n "$added_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi; }
  trap cleanup EXIT
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd exim4-daemon-light >/dev/null
  cleanup
  trap - EXIT
fi

have_dovecot || { echo "setup-dovecot: dovecot/doveadm still missing after install" >&2; exit 1; }
have_exim || { echo "setup-dovecot: exim4/dovecot-lda still missing after install" >&2; exit 1; }

# The private instance runs its auth and login processes as the package's users,
# and (when the tests run as root) mail as "mail"; the package and base-files make them.
for user in dovecot dovenull; do
  getent passwd "$user" >/dev/null || { echo "setup-dovecot: system user '$user' is missing" >&2; exit 1; }
done

if [ -f /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
  system_state="running (not used by the tests)"
else
  system_state="not running (not needed)"
fi
echo "dovecot: $(dovecot --version) installed; system service $system_state"
