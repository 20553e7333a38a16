#!/usr/bin/env bash
# System packages the test suite uses: Chromium (browser tests through Playwright), the age
# CLI (interoperability), the sqlite3 shell (tamper test), PostgreSQL 15 (second database run),
# Pango for WeasyPrint (PDF minutes).
# Installs what is missing when it can (root with apt-get); otherwise says what is missing.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v age >/dev/null 2>&1 || missing+=(age)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
# WeasyPrint renders the minutes (BA) with Pango.
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null
  }
else
  echo "system-deps: please install: ${missing[*]}" >&2
  exit 1
fi
