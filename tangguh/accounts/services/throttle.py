"""Recording failed logins and telling how long a caller must wait. Never a lockout."""

from __future__ import annotations

import math
from datetime import timedelta

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import LoginThrottle
from tangguh.core.errors import Throttled
from tangguh.domain.login_throttle import RESET_AFTER_SECONDS, ThrottleKind, delay_after


def _keys(username: str, address: str) -> list[tuple[ThrottleKind, str]]:
    name = username.strip().lower()[:150]
    return [
        (ThrottleKind.PAIR, f"pair:{name}|{address}"),
        (ThrottleKind.ADDRESS, f"addr:{address}"),
        (ThrottleKind.ACCOUNT, f"account:{name}"),
    ]


def throttle_check(*, username: str, address: str) -> None:
    """Raise ``Throttled`` while any of the caller's keys is still waiting."""
    now = clock.now()
    waits = [
        (row.blocked_until - now).total_seconds()
        for row in LoginThrottle.objects.filter(key__in=[k for _, k in _keys(username, address)])
        if row.blocked_until > now
    ]
    if waits:
        seconds = max(1, math.ceil(max(waits)))
        raise Throttled(
            "auth.throttled",
            f"Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {seconds} detik.",
            f"Too many failed login attempts. Try again in {seconds} seconds.",
            retry_after=seconds,
        )


def throttle_record_failure(*, username: str, address: str) -> None:
    now = clock.now()
    with transaction.atomic():
        for kind, key in _keys(username, address):
            row = LoginThrottle.objects.filter(key=key).first()
            failures = 1
            recent = row is not None and (
                (now - row.last_failure_at).total_seconds() < RESET_AFTER_SECONDS
            )
            if recent:
                failures = row.failures + 1
            blocked_until = now + timedelta(seconds=delay_after(kind, failures))
            LoginThrottle.objects.update_or_create(
                key=key,
                defaults={
                    "failures": failures,
                    "last_failure_at": now,
                    "blocked_until": blocked_until,
                },
            )


def throttle_clear(*, username: str, address: str) -> None:
    """A successful login forgets this pair's failures (the address's and account's remain)."""
    pair = _keys(username, address)[0][1]
    LoginThrottle.objects.filter(key=pair).delete()
