"""The Pokja's public decision after an outage hit a window that no longer moves by itself:
re-submission with fresh keys or a failed tender (SPEC "Outage resilience"), or — when the
outage was recorded too late for an extension — going on without a change."""

from __future__ import annotations

from django.db import connection, transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.core.errors import Conflict, InvalidInput, NotFound
from tangguh.domain.methods import StageKind
from tangguh.domain.roles import Permission
from tangguh.notifications.messages import Message
from tangguh.notifications.selectors import tender_participant_users
from tangguh.notifications.services import notification_send
from tangguh.outages.models import DecisionChoice, OutageDecision
from tangguh.outages.services.extensions import TOO_LATE
from tangguh.tenders.publication import tender_published

REASON_MIN = 10
CHOICE_TEXT = {
    DecisionChoice.RESUBMISSION: (
        "pemasukan ulang penawaran dengan kunci baru",
        "re-submission of bids with fresh keys",
    ),
    DecisionChoice.FAILED: ("tender gagal", "a failed tender"),
    DecisionChoice.CONTINUE: ("lanjut tanpa perubahan jadwal", "going on without a change"),
}


def allowed_choices(decision: OutageDecision) -> list[DecisionChoice]:
    """Once opening has begun only re-submission or failure are fair; when the outage was
    recorded too late the Pokja may also judge that nobody lost a right."""
    if decision.code == TOO_LATE:
        return [DecisionChoice.CONTINUE, DecisionChoice.RESUBMISSION, DecisionChoice.FAILED]
    return [DecisionChoice.RESUBMISSION, DecisionChoice.FAILED]


def outage_decision_record(
    *, actor: User, decision_id: int, choice: str, reason: str
) -> OutageDecision:
    """A member of the tender's Pokja records the decision, with a public reason (audited,
    participants told). A decision is made once."""
    decision = OutageDecision.objects.select_related("tender").filter(pk=decision_id).first()
    if decision is None:
        raise NotFound(
            "outage.decision_not_found",
            "Keputusan yang diminta tidak ditemukan.",
            "No such decision.",
            field="decision_id",
        )
    tender = decision.tender
    permission_require(
        user=actor,
        permission=Permission.PREPARE_TENDER,
        scope=f"committee:{tender.committee_id}",
        action="outage.decide",
    )
    allowed = allowed_choices(decision)
    if choice not in {c.value for c in allowed}:
        raise InvalidInput(
            "outage.choice_invalid",
            "Pilihan harus salah satu dari: " + ", ".join(c.value for c in allowed) + ".",
            "The choice must be one of: " + ", ".join(c.value for c in allowed) + ".",
            field="choice",
        )
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise InvalidInput(
            "outage.decision_reason_required",
            f"Alasan keputusan wajib diisi (paling sedikit {REASON_MIN} karakter); "
            "alasan ini diumumkan.",
            f"A public reason of at least {REASON_MIN} characters is required.",
            field="reason",
        )
    with transaction.atomic():
        query = OutageDecision.objects
        if connection.features.has_select_for_update:
            query = query.select_for_update()
        decision = query.get(pk=decision.pk)
        if decision.decided_at is not None:
            raise Conflict(
                "outage.decision_already_made",
                "Keputusan ini sudah diambil dan diumumkan.",
                "This decision has already been made and published.",
            )
        decision.choice = choice
        decision.reason = reason
        decision.decided_by = actor
        decision.decided_at = clock.now()
        decision.save(update_fields=["choice", "reason", "decided_by", "decided_at"])
        audit_append(
            actor=actor,
            action="outage.decided",
            object_type="tender",
            object_id=tender.pk,
            payload={
                "decision": decision.pk,
                "stage": decision.stage,
                "choice": choice,
                "reason": reason,
                "outages": decision.outage_ids,
            },
        )
        text_id, text_en = CHOICE_TEXT[DecisionChoice(choice)]
        stage = StageKind(decision.stage)
        notification_send(
            recipients=tender_participant_users(tender),
            tender=tender,
            message=Message(
                "outage_decision",
                f"Keputusan Pokja setelah gangguan layanan: tender {tender.code}"[:200],
                f"The Pokja's decision after an outage: tender {tender.code}"[:200],
                f"Untuk tahap {stage.label_id} tender {tender.code} {tender.title}, Pokja "
                f"memutuskan {text_id}. Alasan: {reason}",
                f"For stage {stage.label_en} of tender {tender.code} {tender.title}, the Pokja "
                f"decided on {text_en}. Reason: {reason}",
            ),
        )
        tender_published(tender=tender, event="outage_decided", detail=reason)
    return decision
