"""The committee's decisions: minutes confirmed member by member with the second factor and
adopted by the majority of the committee (each vote and each absence recorded), the BA Evaluasi
and BA Hasil Pemilihan (PDF), the award and its public announcement (or the PA/KPA's decision
above the threshold), and a failed tender (Ps 51) with what follows.

A minute's content is a snapshot of what the system computed when it was proposed; a member
confirms its SHA-256, so nobody approves figures they did not see. Deciding recomputes the
evaluation: if anything changed since the proposal, the minute cannot be adopted."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import rfc8785
from django.conf import settings

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.totp import totp_verify
from tangguh.awards.models import (
    Award,
    AwardStatus,
    Contract,
    Failure,
    FailureReason,
    FollowUp,
    Minute,
    MinuteKind,
    MinuteStatus,
    MinuteVote,
)
from tangguh.awards.selectors import (
    adopted_minute,
    committee_user_ids,
    current_award,
    current_failure,
    evaluation_compute,
    evaluation_snapshot,
)
from tangguh.awards.services.common import (
    audit_tender,
    conflict,
    invalid,
    not_found,
    require_award,
    require_member,
    require_work_unit,
    tell_participants,
    tender_locked,
)
from tangguh.awards.services.workspace import require_evaluation_open
from tangguh.clarification.pdf import render_pdf
from tangguh.core.calendar import node_calendar
from tangguh.domain.methods import Method
from tangguh.domain.money import format_rupiah
from tangguh.domain.roles import Permission
from tangguh.notifications.messages import message_compose
from tangguh.organizations.selectors import node_get
from tangguh.tenders.models import DocumentKind, Tender
from tangguh.tenders.publication import tender_published
from tangguh.tenders.selectors import tender_ruleset
from tangguh.tenders.services.documents import document_record, document_store
from tangguh.tenders.services.retender import tender_retender
from tangguh.vendors.models import VendorCompany

TITLES = {
    MinuteKind.EVALUATION: "Berita Acara Evaluasi Penawaran",
    MinuteKind.AWARD: "Berita Acara Hasil Pemilihan",
}
FILENAMES = {MinuteKind.EVALUATION: "ba-evaluasi", MinuteKind.AWARD: "ba-hasil-pemilihan"}
REASON_MAX = 4000
# The English of each Ps 51 reason (the model's labels are Indonesian).
FAILURE_REASONS_EN = {
    FailureReason.EVALUATION_ERROR: "an error in the evaluation",
    FailureReason.NO_BIDS: "no participant submitted a bid",
    FailureReason.NONE_PASSED: "no participant passed the evaluation",
    FailureReason.DEFECTIVE_DOCUMENTS: "the tender documents do not meet the rules",
    FailureReason.COLLUSION: "all participants colluded",
    FailureReason.ALL_ABOVE_HPS: "all bids are above the HPS",
    FailureReason.NEGOTIATION_FAILED: "the consultancy cost negotiation failed",
    FailureReason.KKN: "corruption, collusion or nepotism involving the Pokja or PPK",
}


def content_sha256(content: dict) -> str:
    return hashlib.sha256(rfc8785.dumps(content)).hexdigest()


def _minute(tender: Tender, minute_id: int) -> Minute:
    minute = Minute.objects.filter(pk=minute_id, tender=tender).first()
    if minute is None:
        raise not_found("minute.not_found", "Berita acara", "minute")
    return minute


def _require_open(minute: Minute) -> None:
    if minute.status != MinuteStatus.OPEN:
        raise conflict(
            "minute.closed",
            "Berita acara ini sudah diputuskan atau ditarik.",
            "This minute is already decided or withdrawn.",
        )


# --- proposing --------------------------------------------------------------------------------


def _award_content(tender: Tender, company_nib: str) -> dict:
    """The award proposal for ``company_nib``, refused unless the rules let that bid win."""
    evaluation = evaluation_compute(tender)
    snapshot = evaluation_snapshot(evaluation)
    bid = next((b for b in evaluation.bids if b.company.nib == (company_nib or "").strip()), None)
    if bid is None:
        raise invalid(
            "evaluation.bid_unknown",
            f"Tidak ada penawaran yang dibuka dari NIB {company_nib}.",
            f"No opened bid from NIB {company_nib}.",
            field="company_nib",
        )
    row = next(b for b in snapshot["bids"] if b["company_nib"] == bid.company.nib)
    if row["excluded"] is not None:
        raise conflict(
            "award.bid_failed_check",
            f"Penawaran {bid.company.name} gugur dan tidak dapat ditetapkan sebagai pemenang: "
            f"{row['excluded']['reason']}",
            f"The bid of {bid.company.name} failed and cannot be awarded: "
            f"{row['excluded']['reason']}",
            field="company_nib",
        )
    if snapshot["winner"] != bid.company.nib:
        raise conflict(
            "award.not_top_ranked",
            "Hanya penawaran peringkat pertama yang dapat diusulkan sebagai pemenang.",
            "Only the top-ranked bid can be proposed as the winner.",
            field="company_nib",
        )
    if row["below_80_percent"] and bid.clarification is None:
        raise conflict(
            "award.clarification_required",
            "Penawaran di bawah 80% HPS: klarifikasi kewajaran harga wajib dicatat sebelum "
            "penetapan (Perpres 16/2018 Ps 33).",
            "A bid below 80% of the HPS needs a recorded price clarification before it can "
            "win (Perpres 16/2018 Ps 33).",
            field="company_nib",
        )
    if bid.qualification_passed is not True:
        raise conflict(
            "award.qualification_required",
            "Evaluasi kualifikasi dan pembuktian kualifikasi calon pemenang belum dicatat lulus.",
            "The qualification and its proof of the proposed winner are not recorded as passed.",
            field="company_nib",
        )
    if bid.lapsed:
        raise conflict(
            "award.bid_lapsed",
            f"Masa berlaku penawaran {bid.company.name} telah lewat ({bid.valid_until}) dan "
            "belum diperpanjang penyedia.",
            f"The validity of {bid.company.name}'s bid ended on {bid.valid_until} and the "
            "vendor has not extended it.",
            field="company_nib",
        )
    reserves = [b for b in snapshot["bids"] if b["company_nib"] in snapshot["reserves"]]
    return {
        "kind": "award",
        "tender": tender.code,
        "winner": {
            "company": row["company"],
            "company_nib": row["company_nib"],
            "price": row["corrected_total"],
            "evaluated_price": row["evaluated_price"],
            "score": row["score"],
        },
        "reserves": [
            {
                "rank": r["rank"],
                "company": r["company"],
                "company_nib": r["company_nib"],
                "price": r["corrected_total"],
                "evaluated_price": r["evaluated_price"],
            }
            for r in reserves
        ],
        "evaluation": snapshot,
    }


def minute_propose(*, actor: User, tender: Tender, kind: str, company_nib: str = "") -> Minute:
    """A member proposes the evaluation minute or the award proposal; an earlier open minute
    of the same kind is withdrawn."""
    require_member(actor, tender, f"minute.propose.{kind}")
    if kind not in MinuteKind.values:
        raise invalid(
            "minute.kind_unknown",
            "Jenis berita acara: evaluation atau award.",
            "The minute kind is evaluation or award.",
            field="kind",
        )
    with tender_locked(tender):
        if current_failure(tender) is not None:
            raise conflict(
                "tender.failed",
                "Tender dinyatakan gagal; tentukan tindak lanjutnya terlebih dahulu.",
                "The tender is declared failed; decide what follows first.",
            )
        if kind == MinuteKind.EVALUATION:
            require_evaluation_open(tender)
            evaluation = evaluation_compute(tender)
            if evaluation.rules_error:
                raise conflict(
                    evaluation.rules_error,
                    "Pengaturan metode evaluasi tender tidak lengkap.",
                    "The tender's evaluation settings are incomplete.",
                )
            content = {"kind": "evaluation", **evaluation_snapshot(evaluation)}
            if content["failure"]:
                raise conflict(
                    "evaluation.failed",
                    f"Hasil evaluasi: tender gagal ({content['failure']}); nyatakan tender "
                    "gagal dengan alasannya (Perpres 16/2018 Ps 51).",
                    f"The evaluation finds the tender failed ({content['failure']}); declare "
                    "it failed with its reason (Perpres 16/2018 Ps 51).",
                )
        else:
            if adopted_minute(tender, MinuteKind.EVALUATION) is None:
                raise conflict(
                    "award.evaluation_not_adopted",
                    "Berita Acara Evaluasi belum disetujui mayoritas Pokja.",
                    "The evaluation minute is not adopted by the committee's majority yet.",
                )
            if current_award(tender) is not None:
                raise conflict(
                    "award.exists",
                    "Pemenang tender ini sudah ditetapkan.",
                    "This tender already has an award.",
                )
            content = _award_content(tender, company_nib)
        now = clock.now()
        Minute.objects.filter(tender=tender, kind=kind, status=MinuteStatus.OPEN).update(
            status=MinuteStatus.WITHDRAWN, decided_at=now
        )
        minute = Minute.objects.create(
            tender=tender,
            kind=kind,
            content=content,
            content_sha256=content_sha256(content),
            proposed_by=actor,
            proposed_at=now,
        )
        audit_tender(
            actor,
            tender,
            "minute.proposed",
            {"minute": minute.pk, "kind": kind, "sha256": minute.content_sha256},
        )
    return minute


# --- voting and deciding ----------------------------------------------------------------------


def minute_vote(
    *,
    actor: User,
    tender: Tender,
    minute_id: int,
    approve: bool,
    otp: str,
    content_sha256: str,
    reason: str = "",
) -> MinuteVote:
    """A member confirms (or rejects) a minute with a fresh second-factor code, bound to the
    SHA-256 of the content they saw."""
    require_member(actor, tender, "minute.vote")
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise invalid("minute.reason_too_long", "Alasan terlalu panjang.", "Reason too long.")
    if not approve and not reason:
        raise invalid(
            "minute.reason_required",
            "Anggota yang tidak setuju wajib menyebutkan alasannya.",
            "A member who disagrees must give a reason.",
            field="reason",
        )
    with tender_locked(tender):
        minute = _minute(tender, minute_id)
        _require_open(minute)
        if content_sha256 != minute.content_sha256:
            raise conflict(
                "minute.content_mismatch",
                "Isi berita acara yang Anda lihat berbeda dari yang diusulkan; muat ulang.",
                "The minute you saw differs from the one proposed; reload it.",
                field="content_sha256",
            )
        if MinuteVote.objects.filter(minute=minute, member=actor).exists():
            raise conflict(
                "minute.already_voted",
                "Anda sudah memberikan persetujuan untuk berita acara ini.",
                "You already voted on this minute.",
            )
        totp_verify(user=actor, code=otp)
        vote = MinuteVote.objects.create(
            minute=minute,
            member=actor,
            approve=approve,
            reason=reason,
            at=clock.now(),
            content_sha256=minute.content_sha256,
        )
        audit_tender(
            actor,
            tender,
            "minute.voted",
            {
                "minute": minute.pk,
                "approve": approve,
                "reason": reason,
                "sha256": minute.content_sha256,
                "second_factor": "totp",
            },
        )
    return vote


def _members_record(tender: Tender, minute: Minute) -> list[dict]:
    votes = {v.member_id: v for v in minute.votes.select_related("member")}
    users = {u.pk: u for u in User.objects.filter(pk__in=committee_user_ids(tender))}
    rows = []
    for user_id in committee_user_ids(tender):
        user = users[user_id]
        vote = votes.get(user_id)
        rows.append(
            {
                "user": user.username,
                "name": user.get_full_name() or user.username,
                "vote": "absent" if vote is None else ("approve" if vote.approve else "reject"),
                "reason": vote.reason if vote else "",
                "at": vote.at.isoformat() if vote else None,
            }
        )
    return rows


def minute_decide(*, actor: User, tender: Tender, minute_id: int) -> Minute:
    """Adopt a minute once the majority of the whole committee approved it (each vote and each
    absence recorded in it), publish its PDF, and act on it: an adopted award proposal becomes
    the award, announced, or sent to the PA/KPA above the threshold."""
    require_member(actor, tender, "minute.decide")
    minute = _minute(tender, minute_id)
    _require_open(minute)
    members = _members_record(tender, minute)
    approvals = sum(1 for m in members if m["vote"] == "approve")
    if approvals * 2 <= len(members):
        raise conflict(
            "minute.no_majority",
            f"Belum ada persetujuan mayoritas Pokja ({approvals} dari {len(members)} anggota); "
            "berita acara belum dapat ditetapkan.",
            f"No majority of the committee yet ({approvals} of {len(members)} members); the "
            "minute cannot be adopted.",
        )
    if minute.kind == MinuteKind.EVALUATION:
        current = {"kind": "evaluation", **evaluation_snapshot(evaluation_compute(tender))}
    else:  # the award must still be what the rules allow, on the same figures
        current = _award_content(tender, minute.content["winner"]["company_nib"])
    if content_sha256(current) != minute.content_sha256:
        raise conflict(
            "minute.stale",
            "Data evaluasi berubah sejak berita acara diusulkan; usulkan ulang.",
            "The evaluation changed since the minute was proposed; propose it again.",
        )
    now = clock.now()
    pdf = render_pdf(
        template="awards/minutes.html", context=_pdf_context(tender, minute, members, now)
    )
    filename = f"{FILENAMES[minute.kind]}-{tender.code}.pdf"
    stored = document_store(filename=filename, handle=io.BytesIO(pdf))
    with tender_locked(tender):
        minute = Minute.objects.select_for_update().get(pk=minute.pk)
        _require_open(minute)
        document = document_record(
            actor=actor,
            tender=tender,
            title=TITLES[minute.kind],
            filename=filename,
            stored=stored,
            kind=DocumentKind.MINUTES,
        )
        minute.status = MinuteStatus.ADOPTED
        minute.decided_by = actor
        minute.decided_at = now
        minute.members = members
        minute.document = document
        minute.save(update_fields=["status", "decided_by", "decided_at", "members", "document"])
        audit_tender(
            actor,
            tender,
            "minute.adopted",
            {
                "minute": minute.pk,
                "kind": minute.kind,
                "sha256": minute.content_sha256,
                "members": members,
                "document_sha256": document.sha256,
            },
        )
        if minute.kind == MinuteKind.AWARD:
            _award_create(actor=actor, tender=tender, minute=minute)
    return minute


def pa_threshold(tender: Tender):
    """Above this the PA/KPA decides the award (RULES.md "Award by PA/KPA", S)."""
    rules = tender_ruleset(tender)
    key = (
        "award_by_pa_limit_consultancy"
        if tender.package.category == "consultancy"
        else "award_by_pa_limit"
    )
    return rules.amount(key)


def _award_create(*, actor: User, tender: Tender, minute: Minute) -> Award:
    winner = minute.content["winner"]
    price = Decimal(winner["price"])
    award = Award.objects.create(
        tender=tender,
        minute=minute,
        company=VendorCompany.objects.get(nib=winner["company_nib"]),
        price=price,
        evaluated_price=Decimal(winner["evaluated_price"]),
        reserves=minute.content["reserves"],
        status=AwardStatus.AWAITING_PA if price > pa_threshold(tender) else AwardStatus.ANNOUNCED,
        created_at=clock.now(),
    )
    audit_tender(
        actor,
        tender,
        "award.created",
        {
            "company_nib": winner["company_nib"],
            "price": str(price),
            "status": award.status,
        },
    )
    if award.status == AwardStatus.ANNOUNCED:
        _announce(actor=actor, tender=tender, award=award)
    return award


def _announce(*, actor: User, tender: Tender, award: Award) -> None:
    """Announce the winner and reserves publicly and open the objection window: the window's
    days after the announcement, the answers' after the window, each ending on a working day
    (RULES.md "Time": objection window 5 calendar days, answers within 3; SDP)."""
    rules = tender_ruleset(tender)
    calendar = node_calendar()
    now = clock.now()
    award.status = AwardStatus.ANNOUNCED
    award.announced_at = now
    award.objection_end = calendar.add_calendar_days(now, rules.days("objection_window_days"))
    award.answer_due = calendar.add_calendar_days(
        award.objection_end, rules.days("objection_answer_max_days")
    )
    award.save(update_fields=["status", "announced_at", "objection_end", "answer_due"])
    audit_tender(
        actor,
        tender,
        "award.announced",
        {
            "company_nib": award.company.nib,
            "price": str(award.price),
            "objection_end": award.objection_end.isoformat(),
            "answer_due": award.answer_due.isoformat(),
        },
    )
    tender_published(tender=tender, event="award")
    end = calendar.local(award.objection_end).strftime("%d-%m-%Y %H:%M")
    tell_participants(
        tender=tender,
        message=message_compose(
            "award_announced",
            code=tender.code,
            title=tender.title,
            winner=award.company.name,
            price=format_rupiah(award.price),
            until=f"{end} {calendar.zone_abbreviation}",
        ),
    )


def award_pa_decide(*, actor: User, tender: Tender, approve: bool, note: str) -> Award:
    """The PA/KPA decides an award above the threshold (RULES.md "Award by PA/KPA")."""
    require_work_unit(actor, tender, Permission.APPROVE_AWARD, "award.pa_decide")
    note = (note or "").strip()
    if not approve and not note:
        raise invalid(
            "award.reason_required",
            "Penolakan wajib disertai alasan.",
            "A refusal needs a reason.",
            field="note",
        )
    with tender_locked(tender):
        award = require_award(
            tender,
            AwardStatus.AWAITING_PA,
            "award.not_awaiting_pa",
            "Tidak ada usulan penetapan pemenang yang menunggu keputusan PA/KPA.",
            "No award proposal awaits the PA/KPA's decision.",
        )
        award.pa_decided_by = actor
        award.pa_decided_at = clock.now()
        award.pa_note = note
        if not approve:
            award.status = AwardStatus.REFUSED_BY_PA
        award.save(update_fields=["pa_decided_by", "pa_decided_at", "pa_note", "status"])
        audit_tender(actor, tender, "award.pa_decided", {"approve": approve, "note": note})
        if approve:
            _announce(actor=actor, tender=tender, award=award)
    return award


# --- failure ----------------------------------------------------------------------------------


def tender_fail(*, actor: User, tender: Tender, reason: str, note: str) -> Failure:
    """Declare the tender failed with its Perpres 16/2018 Ps 51 reason: by the Pokja, except
    KKN involving the Pokja or PPK, which the PA/KPA declares. All bids above the HPS is found
    by the system (``detected``)."""
    if reason not in FailureReason.values:
        raise invalid(
            "failure.reason_unknown",
            "Alasan tender gagal harus salah satu alasan Perpres 16/2018 Ps 51.",
            "The reason must be one of Perpres 16/2018 Ps 51.",
            field="reason",
        )
    if reason == FailureReason.KKN:
        require_work_unit(actor, tender, Permission.APPROVE_AWARD, "tender.fail.kkn")
    else:
        require_member(actor, tender, "tender.fail")
    note = (note or "").strip()
    if not note or len(note) > REASON_MAX:
        raise invalid(
            "failure.note_required",
            "Uraian alasan tender gagal wajib diisi.",
            "Describe why the tender failed.",
            field="note",
        )
    with tender_locked(tender):
        if current_failure(tender) is not None:
            raise conflict(
                "tender.failed", "Tender sudah dinyatakan gagal.", "The tender is already failed."
            )
        award = current_award(tender)
        if Contract.objects.filter(tender=tender).exists():
            raise conflict(
                "tender.closed", "Kontrak sudah ditandatangani.", "The contract is signed."
            )
        detected = evaluation_compute(tender).outcome
        failure = Failure.objects.create(
            tender=tender,
            reason=reason,
            note=note,
            detected=bool(detected and detected.failure == reason),
            declared_by=actor,
            declared_at=clock.now(),
        )
        if award is not None:
            award.status = AwardStatus.CANCELLED
            award.save(update_fields=["status"])
        Minute.objects.filter(tender=tender, status=MinuteStatus.OPEN).update(
            status=MinuteStatus.WITHDRAWN, decided_at=clock.now()
        )
        audit_tender(
            actor,
            tender,
            "tender.failed",
            {"reason": reason, "note": note, "detected": failure.detected},
        )
        tender_published(tender=tender, event="failed", detail=note)
        reason_label = FailureReason(reason)
        tell_participants(
            tender=tender,
            message=message_compose(
                "tender_failed",
                code=tender.code,
                title=tender.title,
                reason_id=reason_label.label,
                reason_en=FAILURE_REASONS_EN[reason_label],
                note=note,
            ),
        )
    return failure


def tender_fail_follow_up(*, actor: User, tender: Tender, action: str) -> Failure:
    """What follows a failed tender (Ps 51): re-evaluation or re-submission reopen this
    tender's evaluation; a re-tender creates a new draft tender linked to this one, carrying
    its package and settings."""
    require_member(actor, tender, "tender.fail.follow_up")
    if action not in FollowUp.values:
        raise invalid(
            "failure.follow_up_unknown",
            "Tindak lanjut: re_evaluation, re_submission atau re_tender.",
            "The follow-up is re_evaluation, re_submission or re_tender.",
            field="action",
        )
    with tender_locked(tender):
        failure = current_failure(tender)
        if failure is None:
            raise conflict(
                "failure.none", "Tender ini tidak dinyatakan gagal.", "This tender is not failed."
            )
        now = clock.now()
        failure.follow_up = action
        failure.follow_up_by = actor
        failure.follow_up_at = now
        if action == FollowUp.RE_TENDER:
            failure.new_tender = tender_retender(
                actor=actor,
                tender=tender,
                reason=f"{failure.get_reason_display()}: {failure.note}",
            )
        failure.save(update_fields=["follow_up", "follow_up_by", "follow_up_at", "new_tender"])
        audit_tender(
            actor,
            tender,
            "tender.failure_follow_up",
            {
                "action": action,
                "new_tender": failure.new_tender.code if failure.new_tender else None,
            },
        )
    return failure


# --- the minutes' PDF -------------------------------------------------------------------------


def _pdf_context(tender: Tender, minute: Minute, members: list[dict], now) -> dict:
    calendar = node_calendar()
    package = tender.package
    current = node_get()
    content = minute.content
    evaluation = content if minute.kind == MinuteKind.EVALUATION else content["evaluation"]

    def rp(value):
        return format_rupiah(Decimal(value)) if value is not None else "—"

    return {
        "sandbox": settings.TANGGUH_ENV == "sandbox",
        "node_name": current.name if current else settings.TANGGUH_NODE_NAME,
        "title": TITLES[minute.kind],
        "kind": minute.kind,
        "tender": {
            "code": tender.code,
            "title": tender.title,
            "agency": package.work_unit.agency.name,
            "work_unit": package.work_unit.name,
            "method": Method(tender.method).label_id,
            "evaluation_method": tender.get_evaluation_method_display(),
            "fiscal_year": package.fiscal_year,
            "committee": tender.committee.name,
            "hps": rp(package.owner_estimate),
        },
        "bids": [
            {
                **b,
                "stated": rp(b["stated_total"]),
                "corrected": rp(b["corrected_total"]),
                "evaluated": rp(b["evaluated_price"]),
            }
            for b in evaluation["bids"]
        ],
        "winner": (
            {**content["winner"], "price_rp": rp(content["winner"]["price"])}
            if minute.kind == MinuteKind.AWARD
            else None
        ),
        "reserves": [{**r, "price_rp": rp(r["price"])} for r in content.get("reserves", [])]
        if minute.kind == MinuteKind.AWARD
        else [],
        "members": members,
        "sha256": minute.content_sha256,
        "decided_at": calendar.local(now).strftime("%d-%m-%Y %H:%M")
        + f" {calendar.zone_abbreviation}",
    }
