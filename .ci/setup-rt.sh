#!/usr/bin/env bash
# Make Request Tracker 5 available to the real-RT tests. Safe to run any number of times.
#
# The tests never use a system RT: tests/support/rt_server.py makes a private one per test
# session (own RT_SiteConfig, SQLite database in a temporary directory, rt-server on a free
# loopback port, outgoing mail written to files). So this script only installs Debian's
# packages when they are missing, and keeps apt from setting up a system database or
# starting services on a fresh install.
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin"
PACKAGES=(request-tracker5 rt5-db-sqlite rt5-standalone)
RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
SETUP_DATABASE=/usr/sbin/rt-setup-database-5

have_rt() { [ -x "$RT_SERVER" ] && [ -x "$SETUP_DATABASE" ] && perl -MDBD::SQLite -MStarlet -e1 2>/dev/null; }

if ! have_rt; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup-rt: need root (or sudo) to install ${PACKAGES[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  # No system database (the tests make their own), no cron jobs for a system instance.
  printf '%s\n' "request-tracker5 request-tracker5/dbconfig-install boolean false" \
    "request-tracker5 request-tracker5/install-cronjobs boolean false" | $SUDO debconf-set-selections
  # policy-rc.d exit code 101 ("action forbidden") keeps the MTA apt pulls in from being
  # started by this install. An existing policy-rc.d belongs to the machine and is not touched.
  added_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    added_policy=1
  fi
  cleanup() { if [ -n "$added_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi; }
  trap cleanup EXIT
  if ! apt-cache show request-tracker5 >/dev/null 2>&1; then
    $SUDO apt-get update -qq
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
  cleanup
  trap - EXIT
fi

have_rt || { echo "setup-rt: rt-server, rt-setup-database-5 or their Perl modules still missing after install" >&2; exit 1; }
version=$(dpkg-query -W -f='${Version}' request-tracker5 2>/dev/null || echo unknown)
echo "request tracker: request-tracker5 $version installed (the tests start their own rt-server)"
