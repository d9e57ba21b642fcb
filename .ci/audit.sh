#!/usr/bin/env bash
# Dependency audit. pip-audit needs a vulnerability database (PyPI's per-release JSON or
# OSV); where neither is reachable it would silently audit nothing, so say so instead.
set -euo pipefail
probe=$(curl -s -m 10 https://pypi.org/pypi/jinja2/2.10/json || true)
if [[ "$probe" != *'"vulnerabilities"'* ]] && ! curl -s -m 10 -o /dev/null https://api.osv.dev/v1/query; then
  echo "dependency audit: SKIPPED - no vulnerability database is reachable from this machine"
  echo "  (PyPI's per-release JSON and api.osv.dev do not answer here; run 'pip-audit --strict' where they do)"
  exit 0
fi
pip install -q pip-audit
pip-audit --strict --skip-editable --progress-spinner off
