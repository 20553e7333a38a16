#!/usr/bin/env bash
# Make the project's environment: find Python 3.12, install uv if missing, sync the locked
# dependencies into .venv. Safe to run again; it changes nothing when all is in place.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never

PY=""
for candidate in "${TANGGUH_PYTHON:-}" /root/.pyenv/versions/3.12.1/bin/python3.12 \
                 "$(command -v python3.12 || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then PY="$candidate"; break; fi
done
if [ -z "$PY" ]; then
  echo "bootstrap: Python 3.12 not found; set TANGGUH_PYTHON to its path" >&2
  exit 1
fi

if uv --version >/dev/null 2>&1; then
  UV=(uv)
elif "$PY" -m uv --version >/dev/null 2>&1; then
  UV=("$PY" -m uv)
else
  echo "bootstrap: installing uv with $PY -m pip" >&2
  "$PY" -m pip install --quiet --disable-pip-version-check uv
  UV=("$PY" -m uv)
fi

"${UV[@]}" sync --frozen --quiet --python "$PY"
