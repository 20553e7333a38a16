"""The one clock every part of Tangguh asks for the time.

Business code calls ``now()``; tests replace the clock with ``use_clock`` (frozen or moved by
hand); a sandbox node may start its clock at ``TANGGUH_CLOCK`` and let it run from there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedClock:
    """Starts at a chosen moment and runs at real speed from there (sandbox nodes only)."""

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(UTC)
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)


class FrozenClock:
    """Stands still until moved; for tests."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def move(self, delta: timedelta) -> None:
        with self._lock:
            self._at += delta

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = at.astimezone(UTC)


_clock: Clock | None = None


def _configured_clock() -> Clock:
    from django.conf import settings

    start = getattr(settings, "TANGGUH_CLOCK_START", None)
    # config.load_config already refused TANGGUH_CLOCK outside a sandbox.
    return ShiftedClock(start) if start is not None else SystemClock()


def get_clock() -> Clock:
    global _clock
    if _clock is None:
        _clock = _configured_clock()
    return _clock


def now() -> datetime:
    """The current moment, aware, in UTC."""
    return get_clock().now()


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Replace the clock for the duration of a block (tests, replays)."""
    global _clock
    previous = _clock
    _clock = clock
    try:
        yield clock
    finally:
        _clock = previous
