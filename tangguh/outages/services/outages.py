"""Recording outages (detected, declared, probe) and applying their extensions.

Whatever records an outage, the extensions follow the same path: ``outages_apply_pending``
recomputes every touched tender with the full list of counting outages
(``extensions.tender_outage_extend``) and then marks the new outages applied. A crash in
between leaves them pending; the next beat (or declaration) finishes the work, and because the
computation is idempotent nothing is applied twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.core.errors import InvalidInput
from tangguh.domain.outage import DEFAULT_POLICY
from tangguh.domain.roles import Permission
from tangguh.outages.models import NODE_SCOPE, Outage, OutageSource
from tangguh.outages.selectors import (
    UPSTREAM_PREFIX,
    outages_counting,
    outages_pending,
    tenders_touched_by,
    upstream_counts,
)
from tangguh.outages.services.extensions import TenderExtension, tender_outage_extend

REASON_MIN = 10
_UPSTREAM_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,40}$")


@dataclass
class ApplyReport:
    """What one application of pending outages did."""

    outages: list[Outage] = field(default_factory=list)
    tenders: list[TenderExtension] = field(default_factory=list)

    @property
    def changes(self) -> list:
        return [t.change for t in self.tenders if t.change is not None]

    @property
    def decisions(self) -> list:
        return [d for t in self.tenders for d in t.decisions]


def outage_record(
    *,
    source: OutageSource,
    start: datetime,
    end: datetime,
    reason: str,
    scope: str = NODE_SCOPE,
    actor: User | str = "system",
    probe=None,
) -> Outage:
    """Record one outage and its audit event, in the caller's transaction (no extension yet:
    call ``outages_apply_pending`` after the transaction)."""
    now = clock.now()
    with transaction.atomic():
        outage = Outage.objects.create(
            source=source,
            scope=scope,
            start=start,
            end=end,
            reason=reason,
            counts=upstream_counts(scope),
            recorded_at=now,
            declared_by=actor if isinstance(actor, User) else None,
            probe=probe,
        )
        audit_append(
            actor=actor,
            action=f"outage.{source}",
            object_type="outage",
            object_id=outage.pk,
            payload={
                "source": source,
                "scope": scope,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "reason": reason,
                "counts": outage.counts,
                "probe": probe.name if probe is not None else None,
            },
        )
    return outage


def outages_apply_pending() -> ApplyReport:
    """Apply the extension policy for every outage not applied yet (see module docstring)."""
    report = ApplyReport(outages=outages_pending())
    if not report.outages:
        return report
    now = clock.now()
    new_counting = [o for o in report.outages if o.counts]
    if new_counting:
        counting = outages_counting()
        for tender in tenders_touched_by(new_counting, DEFAULT_POLICY.extended_stages):
            report.tenders.append(tender_outage_extend(tender=tender, outages=counting, now=now))
    extended = [t.tender.code for t in report.tenders if t.change is not None]
    for outage in report.outages:
        with transaction.atomic():
            marked = Outage.objects.filter(pk=outage.pk, applied_at__isnull=True).update(
                applied_at=now
            )
            if marked:
                audit_append(
                    actor="system",
                    action="outage.applied",
                    object_type="outage",
                    object_id=outage.pk,
                    payload={"counts": outage.counts, "tenders_extended": extended},
                )
    return report


# --- declared by an administrator -----------------------------------------------------------


def _invalid(code: str, message_id: str, message_en: str, field: str) -> InvalidInput:
    return InvalidInput(code, message_id, message_en, field=field)


def _check_scope(scope: str) -> str:
    scope = (scope or NODE_SCOPE).strip().lower()
    if scope == NODE_SCOPE:
        return scope
    name = scope.removeprefix(UPSTREAM_PREFIX)
    if not scope.startswith(UPSTREAM_PREFIX) or not _UPSTREAM_NAME.match(name):
        raise _invalid(
            "outage.scope_invalid",
            "Cakupan harus 'node' atau 'upstream:<nama>' (huruf kecil, angka, . _ -), "
            "misalnya upstream:sikap.",
            "The scope must be 'node' or 'upstream:<name>' (lower case, digits, . _ -), "
            "e.g. upstream:sikap.",
            "scope",
        )
    return scope


def outage_declare(
    *,
    actor: User,
    start: datetime,
    end: datetime,
    reason: str,
    scope: str = NODE_SCOPE,
) -> tuple[Outage, ApplyReport]:
    """An administrator (admin PPE, ``manage_node``) records an outage of this node or of an
    upstream service, which is then applied to every affected tender."""
    permission_require(
        user=actor, permission=Permission.MANAGE_NODE, scope=NODE_SCOPE, action="outage.declare"
    )
    return outage_declare_unchecked(actor=actor, start=start, end=end, reason=reason, scope=scope)


def outage_declare_unchecked(
    *,
    actor: User | str,
    start: datetime | None,
    end: datetime | None,
    reason: str,
    scope: str = NODE_SCOPE,
) -> tuple[Outage, ApplyReport]:
    """Declare an outage (for the CLI, whose operator already holds the node; other callers
    check rights first). Overlapping an earlier outage is allowed (the domain merges them); an
    outage that has not ended yet is refused: it is declared once over."""
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise _invalid(
            "outage.reason_required",
            f"Alasan gangguan wajib diisi (paling sedikit {REASON_MIN} karakter); alasan ini "
            "dikutip dalam setiap perubahan jadwal.",
            f"A reason of at least {REASON_MIN} characters is required; it is quoted in every "
            "schedule change.",
            "reason",
        )
    for name, moment in (("start", start), ("end", end)):
        if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
            raise _invalid(
                "outage.time_without_zone",
                "Waktu harus ISO 8601 dengan zona, mis. 2024-06-20T00:54:00+07:00.",
                "Times must be ISO 8601 with an offset, e.g. 2024-06-20T00:54:00+07:00.",
                name,
            )
    if end <= start:
        raise _invalid(
            "outage.end_before_start",
            "Akhir gangguan harus sesudah awalnya.",
            "The outage must end after it starts.",
            "end",
        )
    if end > clock.now():
        raise _invalid(
            "outage.in_future",
            "Gangguan hanya dapat dinyatakan setelah berakhir; akhirnya tidak boleh di masa depan.",
            "An outage is declared once it is over; its end cannot be in the future.",
            "end",
        )
    scope = _check_scope(scope)
    outage = outage_record(
        source=OutageSource.DECLARED,
        start=start,
        end=end,
        reason=reason,
        scope=scope,
        actor=actor,
    )
    return outage, outages_apply_pending()
