#!/usr/bin/env bash
# Every check, in the order that fails fastest: lint, format, layer contracts, migrations,
# then the test suite on the database DATABASE_URL names (SQLite in the data dir by default).
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
bin=.venv/bin
db="SQLite (embedded default)"
[ -n "${DATABASE_URL:-}" ] && db="PostgreSQL (${DATABASE_URL%%@*}@…)"
[[ "${DATABASE_URL:-}" == sqlite* ]] && db="SQLite ($DATABASE_URL)"
echo "== lint (ruff)"
$bin/ruff check tangguh tests bench
$bin/ruff format --check tangguh tests bench
echo "== layer contracts (import-linter)"
$bin/lint-imports --no-cache
echo "== migrations are complete"
env -u DATABASE_URL TANGGUH_ENV=sandbox TANGGUH_DATA_DIR="$(mktemp -d)" \
  $bin/tangguh makemigrations --check --dry-run
echo "== tests on $db"
# Two workers (pytest-xdist): the suite is I/O- and browser-bound, and CI must stay under 20
# minutes for both databases. TANGGUH_TEST_WORKERS=0 runs in one process (for debugging).
$bin/pytest -n "${TANGGUH_TEST_WORKERS:-2}" "$@"
echo "== tests passed on $db"
