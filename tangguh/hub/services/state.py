"""The last contact with each national service (operational bookkeeping, not audited: it is
no business change, like a token's last use)."""

from __future__ import annotations

from tangguh import clock
from tangguh.hub.models import AdapterState


def adapter_ok(*, service: str) -> None:
    now = clock.now()
    AdapterState.objects.update_or_create(
        service=service, defaults={"last_attempt_at": now, "last_ok_at": now, "last_error": ""}
    )


def adapter_failed(*, service: str, error: str) -> None:
    AdapterState.objects.update_or_create(
        service=service, defaults={"last_attempt_at": clock.now(), "last_error": error[:2000]}
    )
