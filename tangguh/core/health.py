"""``/healthz``: can this node serve? Database, storage, clock, version."""

from __future__ import annotations

import os
import tempfile

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from tangguh import __version__, clock


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # a health check reports, it never raises
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}


def _storage() -> dict:
    directory = settings.TANGGUH_DATA_DIR / "files"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".healthz-") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
        return {"ok": True}
    except OSError as exc:
        return {"ok": False, "error": type(exc).__name__}


def healthz(request):
    database, storage = _database(), _storage()
    now = clock.now()
    ok = database["ok"] and storage["ok"]
    body = {
        "status": "ok" if ok else "degraded",
        "database": database,
        "storage": storage,
        "clock": {
            "now": now.isoformat(),
            "time_zone": settings.TIME_ZONE,
            "shifted": settings.TANGGUH_CLOCK_START is not None,
        },
        "env": settings.TANGGUH_ENV,
        "version": __version__,
    }
    return JsonResponse(body, status=200 if ok else 503)
