"""Objections (sanggah) and appeals (sanggah banding) after the award announcement.

- A participant whose bid the opening listed files an objection, with a document if it has
  one, inside the objection window (5 calendar days after the announcement, ending on a working
  day; SDP "cara sanggah", V). Outside it, or from anyone else, it is refused.
- The Pokja answers each objection, by the answer deadline (3 calendar days after the window
  closes, SDP, V); a late answer is recorded as late.
- Construction only: the objector files an appeal to the PA/KPA within 5 calendar days after
  the answer with a guarantee of 1% of the HPS (Perpres 16/2018 Ps 32; 1% of the budget for
  integrated works); the PA/KPA confirms the guarantee and answers within 14 calendar days.
"""

from __future__ import annotations

import datetime as dt
from typing import BinaryIO

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.awards.models import Appeal, Award, AwardStatus, Objection
from tangguh.awards.selectors import bidder_company_ids
from tangguh.awards.services.common import (
    audit_tender,
    conflict,
    invalid,
    not_found,
    require_award,
    require_member,
    require_work_unit,
    tell_committee,
    tell_company,
    tender_locked,
)
from tangguh.core.calendar import node_calendar
from tangguh.core.errors import PermissionDenied
from tangguh.domain.money import percent_of
from tangguh.domain.roles import Permission
from tangguh.notifications.messages import message_compose
from tangguh.outages.models import Outage
from tangguh.tenders.models import Tender
from tangguh.tenders.publication import tender_published
from tangguh.tenders.selectors import tender_ruleset
from tangguh.tenders.services.documents import document_store
from tangguh.vendors.models import VendorCompany
from tangguh.vendors.selectors import vendor_companies_of

TEXT_MAX = 20_000


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not 10 <= len(value) <= TEXT_MAX:
        raise invalid(
            "objection.text_required",
            f"Uraian wajib diisi (10–{TEXT_MAX} karakter).",
            f"A text of 10–{TEXT_MAX} characters is required.",
            field=field,
        )
    return value


def _announced_award(tender: Tender) -> Award:
    return require_award(
        tender,
        AwardStatus.ANNOUNCED,
        "objection.no_award",
        "Pemenang tender ini belum diumumkan.",
        "No winner of this tender is announced.",
    )


def _participant_company(actor: User, tender: Tender) -> VendorCompany:
    """The actor's company that submitted a bid the opening listed (the participants who may
    object)."""
    bidders = bidder_company_ids(tender)
    for company in vendor_companies_of(actor):
        if company.pk in bidders:
            return company
    audit_tender(actor, tender, "permission.denied", {"attempted": "objection.file"})
    raise PermissionDenied(
        "objection.not_participant",
        "Hanya peserta yang menyampaikan penawaran pada tender ini yang dapat menyanggah.",
        "Only participants who submitted a bid in this tender can object.",
    )


def _tell_committee_of(tender: Tender, award: Award, objection: Objection) -> None:
    """Every Pokja member hears of a new objection, with the answer deadline."""
    calendar = node_calendar()
    due = f"{calendar.local(award.answer_due):%d-%m-%Y %H:%M} {calendar.zone_abbreviation}"
    tell_committee(
        tender=tender,
        message=message_compose(
            "objection_filed",
            code=tender.code,
            title=tender.title,
            company=objection.company.name,
            due=due,
            text=objection.text,
        ),
    )


def _objection_save(
    actor: User, tender: Tender, award: Award, objection: Objection, action: str, payload: dict
) -> Objection:
    """Store a new objection (filed in the system, or recorded from outside it) under the
    tender's lock, audit it as ``action`` with ``payload`` and tell the Pokja."""
    objection.tender, objection.award, objection.filed_by = tender, award, actor
    with tender_locked(tender):
        objection.save(force_insert=True)
        audited = {"objection": objection.pk, "company_nib": objection.company.nib, **payload}
        audit_tender(actor, tender, action, audited)
        _tell_committee_of(tender, award, objection)
    return objection


def _answer_publish(
    *, tender: Tender, company_id: int, message: str, answer: str, upheld: bool
) -> None:
    """Tell the objector the verdict and the answer (to an objection or an appeal), and publish
    the answer in open data as an awardUpdate (no one is notified twice: award_update has no
    notification message)."""
    verdict_id, verdict_en = ("diterima", "upheld") if upheld else ("ditolak", "rejected")
    tell_company(
        company_id=company_id,
        tender=tender,
        message=message_compose(
            message,
            code=tender.code,
            verdict_id=verdict_id,
            verdict_en=verdict_en,
            answer=answer,
        ),
    )
    tender_published(tender=tender, event="award_update")


def objection_file(
    *,
    actor: User,
    tender: Tender,
    text: str,
    filename: str = "",
    handle: BinaryIO | None = None,
) -> Objection:
    award = _announced_award(tender)
    company = _participant_company(actor, tender)
    text = _text(text, "text")
    now = clock.now()
    if not (award.announced_at <= now <= award.objection_end):
        raise conflict(
            "objection.outside_window",
            "Sanggah hanya dapat disampaikan dalam masa sanggah "
            f"(sampai {node_calendar().local(award.objection_end):%d-%m-%Y %H:%M}).",
            "Objections are accepted only inside the objection window "
            f"(until {node_calendar().local(award.objection_end):%Y-%m-%d %H:%M}).",
        )
    document = {}  # without one, the document columns keep their empty defaults
    if handle is not None:
        sha256, size, content_type = document_store(filename=filename, handle=handle)
        document = {
            "document_filename": (filename or "").rsplit("/", 1)[-1][:200],
            "document_sha256": sha256,
            "document_size": size,
            "document_content_type": content_type,
        }
    audited = {"document_sha256": document.get("document_sha256")}
    objection = Objection(company=company, filed_at=now, text=text, **document)
    return _objection_save(actor, tender, award, objection, "objection.filed", audited)


def objection_record_outside(
    *,
    actor: User,
    tender: Tender,
    company_nib: str,
    text: str,
    received_at: dt.datetime,
    outage_id: int,
) -> Objection:
    """The Pokja records an objection a participant delivered outside the system because a
    recorded outage overlapped the objection window (SDP: allowed under force majeure or a
    technical outage; otherwise it is a complaint, pengaduan). It counts if it arrived before
    the window's end extended by the time the outage took from the window."""
    require_member(actor, tender, "objection.record_outside")
    award = _announced_award(tender)
    text = _text(text, "text")
    company = VendorCompany.objects.filter(nib=(company_nib or "").strip()).first()
    if company is None or company.pk not in bidder_company_ids(tender):
        raise PermissionDenied(
            "objection.not_participant",
            "Perusahaan ini tidak menyampaikan penawaran pada tender ini.",
            "This company did not submit a bid in this tender.",
        )
    outage = Outage.objects.filter(pk=outage_id, counts=True).first()
    if outage is None or not (
        outage.start < award.objection_end and outage.end > award.announced_at
    ):
        raise conflict(
            "objection.no_outage",
            "Sanggah di luar sistem hanya diterima bila gangguan sistem yang tercatat terjadi "
            "dalam masa sanggah; selain itu diperlakukan sebagai pengaduan.",
            "An objection outside the system is accepted only when a recorded outage "
            "overlapped the objection window; otherwise it is a complaint.",
            field="outage_id",
        )
    lost = min(outage.end, award.objection_end) - max(outage.start, award.announced_at)
    now = clock.now()
    if not (award.announced_at <= received_at <= min(now, award.objection_end + lost)):
        raise conflict(
            "objection.outside_window",
            "Sanggah diterima di luar masa sanggah (diperpanjang sepanjang gangguan).",
            "The objection arrived outside the window (extended by the outage).",
            field="received_at",
        )
    audited = {"received_at": received_at.isoformat(), "outage": outage.pk}
    objection = Objection(
        company=company, filed_at=received_at, text=text, received_outside=True, outage=outage
    )
    return _objection_save(actor, tender, award, objection, "objection.recorded_outside", audited)


def _objection(tender: Tender, objection_id: int) -> Objection:
    objection = Objection.objects.filter(pk=objection_id, tender=tender).first()
    if objection is None:
        raise not_found("objection.not_found", "Sanggah", "objection")
    return objection


def objection_answer(
    *, actor: User, tender: Tender, objection_id: int, answer: str, upheld: bool
) -> Objection:
    """The Pokja answers an objection (once); after the answer deadline it is marked late."""
    require_member(actor, tender, "objection.answer")
    answer = _text(answer, "answer")
    with tender_locked(tender):
        objection = _objection(tender, objection_id)
        if objection.answered_at is not None:
            raise conflict(
                "objection.already_answered",
                "Sanggah ini sudah dijawab.",
                "This objection is already answered.",
            )
        # Apart from appeal_answer: an objection answered after its deadline is late (SDP, V).
        now = clock.now()
        objection.answer = answer
        objection.upheld = upheld
        objection.answered_by = actor
        objection.answered_at = now
        objection.answered_late = now > objection.award.answer_due
        objection.save(
            update_fields=["answer", "upheld", "answered_by", "answered_at", "answered_late"]
        )
        audit_tender(
            actor,
            tender,
            "objection.answered",
            {"objection": objection.pk, "upheld": upheld, "late": objection.answered_late},
        )
        _answer_publish(
            tender=tender,
            company_id=objection.company_id,
            message="objection_answered",
            answer=answer,
            upheld=upheld,
        )
    return objection


def appeal_deadline(tender: Tender, objection: Objection):
    rules = tender_ruleset(tender)
    return node_calendar().add_calendar_days(
        objection.answered_at, rules.days("appeal_window_days")
    )


def appeal_guarantee_amount(tender: Tender):
    rules = tender_ruleset(tender)
    return percent_of(tender.package.owner_estimate, rules.amount("appeal_guarantee_percent"))


def appeal_file(
    *,
    actor: User,
    tender: Tender,
    objection_id: int,
    text: str,
    guarantee_reference: str,
) -> Appeal:
    """The objector appeals to the PA/KPA (construction only), with the guarantee's reference."""
    if tender.package.category != "works":
        raise conflict(
            "appeal.not_construction",
            "Sanggah banding hanya untuk tender pekerjaan konstruksi (Perpres 16/2018 Ps 50).",
            "Appeals exist only in construction tenders (Perpres 16/2018 Ps 50).",
        )
    text = _text(text, "text")
    reference = (guarantee_reference or "").strip()
    if not 3 <= len(reference) <= 200:
        raise invalid(
            "appeal.guarantee_required",
            "Nomor jaminan sanggah banding wajib diisi.",
            "The appeal guarantee's reference is required.",
            field="guarantee_reference",
        )
    with tender_locked(tender):
        objection = _objection(tender, objection_id)
        companies = {c.pk for c in vendor_companies_of(actor)}
        if objection.company_id not in companies:
            raise PermissionDenied(
                "appeal.not_objector",
                "Sanggah banding hanya oleh peserta yang menyampaikan sanggah tersebut.",
                "Only the company that filed the objection can appeal it.",
            )
        if objection.answered_at is None:
            raise conflict(
                "appeal.not_answered",
                "Sanggah banding diajukan setelah jawaban sanggah.",
                "An appeal follows the objection's answer.",
            )
        if hasattr(objection, "appeal"):
            raise conflict(
                "appeal.exists", "Sanggah banding sudah diajukan.", "The appeal was filed."
            )
        now = clock.now()
        if now > appeal_deadline(tender, objection):
            raise conflict(
                "appeal.outside_window",
                "Masa sanggah banding sudah berakhir.",
                "The appeal window is over.",
            )
        appeal = Appeal.objects.create(
            tender=tender,
            objection=objection,
            company=objection.company,
            filed_by=actor,
            filed_at=now,
            text=text,
            guarantee_amount=appeal_guarantee_amount(tender),
            guarantee_reference=reference,
        )
        audit_tender(
            actor,
            tender,
            "appeal.filed",
            {
                "appeal": appeal.pk,
                "objection": objection.pk,
                "guarantee_amount": str(appeal.guarantee_amount),
                "guarantee_reference": reference,
            },
        )
    return appeal


def _appeal(tender: Tender, appeal_id: int) -> Appeal:
    appeal = Appeal.objects.filter(pk=appeal_id, tender=tender).first()
    if appeal is None:
        raise not_found("appeal.not_found", "Sanggah banding", "appeal")
    return appeal


def appeal_guarantee_confirm(*, actor: User, tender: Tender, appeal_id: int) -> Appeal:
    """The PA/KPA confirms the guarantee; the answer is due 14 calendar days later."""
    require_work_unit(actor, tender, Permission.ANSWER_APPEAL, "appeal.guarantee_confirm")
    with tender_locked(tender):
        appeal = _appeal(tender, appeal_id)
        if appeal.guarantee_confirmed_at is not None:
            raise conflict(
                "appeal.guarantee_confirmed",
                "Jaminan sudah dikonfirmasi.",
                "The guarantee is already confirmed.",
            )
        now = clock.now()
        rules = tender_ruleset(tender)
        appeal.guarantee_confirmed_by = actor
        appeal.guarantee_confirmed_at = now
        appeal.answer_due = node_calendar().add_calendar_days(
            now, rules.days("appeal_answer_max_days")
        )
        appeal.save(
            update_fields=["guarantee_confirmed_by", "guarantee_confirmed_at", "answer_due"]
        )
        audit_tender(
            actor,
            tender,
            "appeal.guarantee_confirmed",
            {"appeal": appeal.pk, "answer_due": appeal.answer_due.isoformat()},
        )
    return appeal


def appeal_answer(
    *, actor: User, tender: Tender, appeal_id: int, answer: str, upheld: bool
) -> Appeal:
    require_work_unit(actor, tender, Permission.ANSWER_APPEAL, "appeal.answer")
    answer = _text(answer, "answer")
    with tender_locked(tender):
        appeal = _appeal(tender, appeal_id)
        # Apart from objection_answer: the PA/KPA answers once the guarantee is confirmed (Ps 32).
        if appeal.guarantee_confirmed_at is None:
            raise conflict(
                "appeal.guarantee_unconfirmed",
                "Jaminan sanggah banding belum dikonfirmasi.",
                "The appeal guarantee is not confirmed yet.",
            )
        if appeal.answered_at is not None:
            raise conflict(
                "appeal.already_answered", "Sudah dijawab.", "The appeal is already answered."
            )
        appeal.answer = answer
        appeal.upheld = upheld
        appeal.answered_by = actor
        appeal.answered_at = clock.now()
        appeal.save(update_fields=["answer", "upheld", "answered_by", "answered_at"])
        audit_tender(actor, tender, "appeal.answered", {"appeal": appeal.pk, "upheld": upheld})
        _answer_publish(
            tender=tender,
            company_id=appeal.company_id,
            message="appeal_answered",
            answer=answer,
            upheld=upheld,
        )
    return appeal
