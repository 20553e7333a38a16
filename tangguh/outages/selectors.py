"""Reads for outages: the heartbeat, whether gap detection has run, outages and what they did,
decisions left to a Pokja, and the public status page's picture."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from tangguh import clock
from tangguh.bids.models import ClosingStatement, ShareRelease
from tangguh.core.health import healthz
from tangguh.domain.methods import StageKind
from tangguh.domain.outage import POLICY_SOURCE
from tangguh.domain.outage import Outage as DomainOutage
from tangguh.outages.models import (
    NODE_SCOPE,
    DecisionChoice,
    Heartbeat,
    Outage,
    OutageDecision,
    OutageExtension,
    ProbeCheck,
    ProbeKey,
)
from tangguh.tenders.models import Tender

UPSTREAM_PREFIX = "upstream:"
CHOICE_EN = {
    DecisionChoice.RESUBMISSION: "Re-submission of bids with fresh keys",
    DecisionChoice.FAILED: "Failed tender",
    DecisionChoice.CONTINUE: "Go on without a schedule change",
}


def gap_threshold() -> timedelta:
    """A silence longer than this between two beats is an outage (setting, default 5 min)."""
    return timedelta(seconds=int(getattr(settings, "TANGGUH_OUTAGE_GAP_SECONDS", 300)))


def heartbeat_interval() -> int:
    """Seconds between two beats of ``tangguh serve`` (setting, default 60)."""
    return max(1, int(getattr(settings, "TANGGUH_HEARTBEAT_SECONDS", 60)))


def heartbeat_get() -> Heartbeat | None:
    return Heartbeat.objects.filter(pk=1).first()


def gap_detection_done(now: datetime | None = None) -> bool:
    """Whether every silence of the node up to now has been examined and its extensions
    applied, so that a share release cannot open bids whose deadline an unseen outage moves.

    True on a node that never beat (nothing to compare with: development, tests); otherwise
    the last beat must be recent (a beat examines the gap before it) and no recorded outage
    may still wait for its extensions.
    """
    beat = heartbeat_get()
    if beat is not None and (now or clock.now()) - beat.beat_at > gap_threshold():
        return False
    return not Outage.objects.filter(applied_at__isnull=True).exists()


def upstream_counts(scope: str) -> bool:
    """Whether outages of ``scope`` extend deadlines under this node's policy.

    Node outages always do (RULES.md "Outage extension policy": participants regain the time
    they lost). An upstream service counts only when the node names it in
    ``TANGGUH_OUTAGE_UPSTREAM_COUNTS``: a tender here runs with nothing central on its critical
    path (SPEC "Why it exists" 1, ARCHITECTURE "Central services are optional"), so an upstream
    outage costs participants time only where this node was set up to depend on that service.
    """
    if scope == NODE_SCOPE:
        return True
    name = scope.removeprefix(UPSTREAM_PREFIX)
    return name in getattr(settings, "TANGGUH_OUTAGE_UPSTREAM_COUNTS", [])


def outages_all() -> QuerySet[Outage]:
    return Outage.objects.select_related("declared_by", "probe").order_by("-start", "-id")


def outages_counting() -> list[Outage]:
    """Every outage that extends deadlines, oldest first."""
    return list(Outage.objects.filter(counts=True).order_by("start", "id"))


def outages_pending() -> list[Outage]:
    """Recorded outages whose extensions have not been applied yet."""
    return list(Outage.objects.filter(applied_at__isnull=True).order_by("start", "id"))


def as_domain(outage: Outage) -> DomainOutage:
    return DomainOutage(outage.start, outage.end, outage.reason)


def tenders_touched_by(outages: list[Outage], kinds: frozenset[StageKind]) -> QuerySet[Tender]:
    """Announced, live tenders with a stage of ``kinds`` whose current span overlaps one of
    ``outages``. Extensions only lengthen and shift stages later, so a tender none of whose
    current stages an outage touches is not changed by recomputing with it."""
    if not outages:
        return Tender.objects.none()
    overlap = Q()
    for outage in outages:
        overlap |= Q(stages__start__lt=outage.end, stages__end__gt=outage.start)
    return (
        Tender.objects.filter(announced_at__isnull=False, cancelled_at__isnull=True)
        .filter(overlap & Q(stages__kind__in=[k.value for k in kinds]))
        .distinct()
        .order_by("pk")
    )


def opening_begun(tender: Tender) -> bool:
    """Whether the bid window may no longer move automatically.

    RULES.md: opening begins with the first released share. We also count a signed closing
    statement: it lists the envelopes the opening will read, so a deadline moved after it
    would leave bids received in the extension out of the opening (see ADR 0701).
    """
    return (
        ShareRelease.objects.filter(opening__tender=tender).exists()
        or ClosingStatement.objects.filter(tender=tender).exists()
    )


def decisions_for_tender(tender: Tender) -> list[OutageDecision]:
    return list(OutageDecision.objects.filter(tender=tender).select_related("tender", "decided_by"))


def decisions_open() -> QuerySet[OutageDecision]:
    return OutageDecision.objects.filter(decided_at__isnull=True).select_related("tender")


def decisions_all() -> QuerySet[OutageDecision]:
    return OutageDecision.objects.select_related("tender", "decided_by")


def extensions_all() -> QuerySet[OutageExtension]:
    return OutageExtension.objects.select_related("tender", "schedule_change")


def probe_keys() -> list[ProbeKey]:
    return list(ProbeKey.objects.order_by("name"))


def probe_last_checks() -> list[ProbeCheck]:
    """The newest check of every registered probe (what they see now)."""
    rows = []
    for key in ProbeKey.objects.filter(revoked_at__isnull=True).order_by("name"):
        last = key.checks.order_by("-at").first()
        if last is not None:
            rows.append(last)
    return rows


# --- the public status page -------------------------------------------------------------------


def _stage_moves(diff: list[dict]) -> list[dict]:
    moves = []
    for row in diff:
        kind = StageKind(row["stage"])
        moves.append(
            {
                "stage": kind.value,
                "label": kind.label_id,
                "label_en": kind.label_en,
                "before_end": datetime.fromisoformat(row["before"][1]),
                "after_end": datetime.fromisoformat(row["after"][1]),
            }
        )
    return moves


def _length(minutes: int) -> tuple[str, str]:
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "hari", "d"), (hours, "jam", "h"), (mins, "menit", "min")]
    shown = [(n, i, e) for n, i, e in parts if n] or [(0, "menit", "min")]
    return " ".join(f"{n} {i}" for n, i, _ in shown), " ".join(f"{n} {e}" for n, _, e in shown)


def outage_row(outage: Outage) -> dict:
    minutes = round((outage.end - outage.start).total_seconds() / 60)
    length_id, length_en = _length(minutes)
    return {
        "id": outage.pk,
        "source": outage.source,
        "scope": outage.scope,
        "start": outage.start,
        "end": outage.end,
        "minutes": minutes,
        "length_id": length_id,
        "length_en": length_en,
        "reason": outage.reason,
        "counts": outage.counts,
        "recorded_at": outage.recorded_at,
        "applied": outage.applied_at is not None,
        "probe": outage.probe.name if outage.probe_id else None,
    }


def decision_row(decision: OutageDecision) -> dict:
    kind = StageKind(decision.stage)
    return {
        "id": decision.pk,
        "tender": decision.tender.code,
        "tender_title": decision.tender.title,
        "stage": kind.value,
        "stage_label": kind.label_id,
        "stage_label_en": kind.label_en,
        "code": decision.code,
        "message_id": decision.message_id,
        "message_en": decision.message_en,
        "outages": decision.outage_ids,
        "raised_at": decision.raised_at,
        "choice": decision.choice or None,
        "choice_label": decision.get_choice_display() if decision.choice else "",
        "choice_label_en": CHOICE_EN.get(decision.choice, ""),
        "reason": decision.reason,
        "decided_at": decision.decided_at,
    }


def status_snapshot(*, limit: int = 100) -> dict:
    """Health now, outages with spans, causes and sources, the extensions they caused (old and
    new end of each moved stage) and decisions left to a Pokja: the page and the API share it."""
    now = clock.now()
    health = json.loads(healthz(None).content)
    beat = heartbeat_get()
    beat_age = (now - beat.beat_at).total_seconds() if beat else None
    heartbeat = {
        "last": beat.beat_at if beat else None,
        "age_seconds": round(beat_age) if beat_age is not None else None,
        # None on a node that never beat (nothing to judge), else whether the beat is on time.
        "ok": None if beat_age is None else beat_age <= gap_threshold().total_seconds(),
    }
    probes = [{"name": c.probe.name, "at": c.at, "ok": c.ok} for c in probe_last_checks()]
    extensions = [
        {
            "tender": ext.tender.code,
            "tender_title": ext.tender.title,
            "url": f"/tender/{ext.tender.code}/",
            "at": ext.at,
            "outages": ext.outage_ids,
            "reason": ext.schedule_change.reason,
            "stages": _stage_moves(ext.diff),
        }
        for ext in extensions_all()[:limit]
    ]
    return {
        "now": now,
        "time_zone": settings.TIME_ZONE,
        "health": {
            "status": health["status"],
            "database": health["database"],
            "storage": health["storage"],
            "heartbeat": heartbeat,
            "gap_detection_done": gap_detection_done(now),
            "probes": probes,
        },
        "outages": [outage_row(o) for o in outages_all()[:limit]],
        "extensions": extensions,
        "decisions": [decision_row(d) for d in decisions_all()[:limit]],
        "policy": {
            "source": POLICY_SOURCE,
            "gap_threshold_seconds": int(gap_threshold().total_seconds()),
            "upstream_counts": list(getattr(settings, "TANGGUH_OUTAGE_UPSTREAM_COUNTS", [])),
        },
    }
