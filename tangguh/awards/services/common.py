"""What every award service shares: finding the tender and its current award, refusing a
non-member (audited), the tender's lock, the audit entry, and the errors with stable codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.awards.models import Award, AwardStatus
from tangguh.awards.selectors import current_award
from tangguh.bids.services.opening import is_committee_member
from tangguh.bids.services.upload import lock_tender
from tangguh.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from tangguh.domain.roles import Permission, Role
from tangguh.notifications.messages import Message
from tangguh.notifications.selectors import company_users, tender_participant_users
from tangguh.notifications.services import notification_send
from tangguh.tenders.models import Tender


def award_tender(code: str) -> Tender:
    tender = (
        Tender.objects.filter(code=code)
        .select_related("package__work_unit__agency", "committee")
        .first()
    )
    if tender is None or tender.announced_at is None:
        raise NotFound(
            "evaluation.tender_not_found",
            f"Tender {code} tidak ditemukan atau belum diumumkan.",
            f"Tender {code} does not exist or is not announced.",
        )
    return tender


def audit_tender(actor, tender: Tender, action: str, payload: dict) -> None:
    """Append one audit event about the tender (every award step is recorded against
    ``tender:<code>``, inside the caller's transaction)."""
    audit_append(
        actor=actor, action=action, object_type="tender", object_id=tender.code, payload=payload
    )


@contextmanager
def tender_locked(tender: Tender) -> Iterator[None]:
    """One transaction holding the tender's row lock: one tender's award steps run one at a
    time, each seeing the others' effects."""
    with transaction.atomic():
        lock_tender(tender)
        yield


def require_member(actor: User | None, tender: Tender, action: str) -> None:
    """Only the tender's own Pokja evaluates and decides; a refusal is audited."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated(
            "auth.required", "Silakan masuk terlebih dahulu.", "Please log in first."
        )
    if is_committee_member(actor, tender):
        return
    audit_tender(
        actor,
        tender,
        "permission.denied",
        {"attempted": action, "scope": f"committee:{tender.committee_id}"},
    )
    raise PermissionDenied(
        "evaluation.not_member",
        "Hanya anggota Pokja Pemilihan tender ini yang dapat melakukan evaluasi dan keputusan.",
        "Only this tender's selection committee members can evaluate and decide.",
    )


def require_award(
    tender: Tender, status: AwardStatus, code: str, message_id: str, message_en: str
) -> Award:
    """The tender's current award, which the step needs in ``status``; otherwise a conflict
    with the step's own code and message."""
    award = current_award(tender)
    if award is None or award.status != status:
        raise conflict(code, message_id, message_en)
    return award


def work_unit_scope(tender: Tender) -> str:
    return f"work_unit:{tender.package.work_unit_id}"


def require_work_unit(actor: User | None, tender: Tender, permission: Permission, action: str):
    """The PPK (contract) or the PA/KPA (award above the threshold, appeals) of the tender's
    work unit."""
    permission_require(
        user=actor, permission=permission, scope=work_unit_scope(tender), action=action
    )


def invalid(code: str, message_id: str, message_en: str, field: str | None = None):
    return InvalidInput(code, message_id, message_en, field=field)


def conflict(code: str, message_id: str, message_en: str, field: str | None = None):
    return Conflict(code, message_id, message_en, field=field)


def not_found(code: str, what_id: str, what_en: str) -> NotFound:
    return NotFound(code, f"{what_id} tidak ditemukan.", f"No such {what_en}.")


def tell_company(*, company_id: int, tender: Tender, message: Message) -> int:
    """An inbox row (and e-mail after commit) for every user of one vendor company."""
    return notification_send(recipients=company_users([company_id]), tender=tender, message=message)


def tell_committee(*, tender: Tender, message: Message) -> int:
    """An inbox row (and e-mail after commit) for every member of the tender's Pokja."""
    members = User.objects.filter(
        is_active=True,
        role_assignments__role=Role.COMMITTEE_MEMBER.value,
        role_assignments__scope=f"committee:{tender.committee_id}",
    ).distinct()
    return notification_send(
        recipients=list(members.order_by("pk")), tender=tender, message=message
    )


def tell_participants(*, tender: Tender, message: Message) -> int:
    """Every user of every company registered for the tender (the losing bidders too)."""
    return notification_send(
        recipients=tender_participant_users(tender), tender=tender, message=message
    )
