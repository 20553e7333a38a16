"""The SPPBJ and the contract: the PPK of the tender's work unit issues the SPPBJ once the
objection and appeal period is over (every objection and appeal answered, every window closed),
and records the signed contract (number, value, dates, signatories), which closes the
procedure (RULES.md "SPPBJ, contract signing": SPPBJ within 6 working days, D)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.awards.models import AwardStatus, Contract, Sppbj
from tangguh.awards.selectors import award_appeals, award_objections, current_award
from tangguh.awards.services.common import (
    audit_tender,
    conflict,
    invalid,
    require_award,
    require_work_unit,
    tell_company,
    tell_participants,
    tender_locked,
)
from tangguh.awards.services.objections import appeal_deadline
from tangguh.core.calendar import node_calendar
from tangguh.domain.evaluation.guarantees import performance_guarantee
from tangguh.domain.money import format_rupiah
from tangguh.domain.roles import Permission
from tangguh.notifications.messages import message_compose
from tangguh.tenders.models import Tender
from tangguh.tenders.publication import tender_published
from tangguh.tenders.selectors import tender_ruleset


def objection_period_end(tender: Tender, award) -> dt.datetime | None:
    """When the objection and appeal period ends, or None while something is still open (an
    unanswered objection or appeal)."""
    end = award.objection_end
    for objection in award_objections(award):
        if objection.answered_at is None:
            return None
        end = max(end, objection.answered_at)
        if tender.package.category == "works":
            end = max(end, appeal_deadline(tender, objection))
    for appeal in award_appeals(award):
        if appeal.answered_at is None:
            return None
        end = max(end, appeal.answered_at)
    return end


def sppbj_issue(*, actor: User, tender: Tender, number: str) -> Sppbj:
    require_work_unit(actor, tender, Permission.ISSUE_CONTRACT, "sppbj.issue")
    number = (number or "").strip()
    if not 3 <= len(number) <= 100:
        raise invalid(
            "sppbj.number_required",
            "Nomor SPPBJ wajib diisi.",
            "The SPPBJ number is required.",
            field="number",
        )
    with tender_locked(tender):
        award = require_award(
            tender,
            AwardStatus.ANNOUNCED,
            "sppbj.no_award",
            "Belum ada pemenang yang diumumkan.",
            "No announced winner.",
        )
        if Sppbj.objects.filter(award=award).exists():
            raise conflict("sppbj.exists", "SPPBJ sudah diterbitkan.", "The SPPBJ is issued.")
        now = clock.now()
        end = objection_period_end(tender, award)
        if end is None or now <= end:
            raise conflict(
                "sppbj.too_early",
                "SPPBJ diterbitkan setelah masa sanggah (dan sanggah banding) selesai dan "
                "semua sanggah dijawab.",
                "The SPPBJ is issued after the objection (and appeal) period ends and every "
                "objection is answered.",
            )
        rules = tender_ruleset(tender)
        due = node_calendar().add_working_days(end, rules.days("sppbj_max_working_days"))
        sppbj = Sppbj.objects.create(
            tender=tender,
            award=award,
            number=number,
            issued_by=actor,
            issued_at=now,
            late=now > due,
        )
        audit_tender(
            actor,
            tender,
            "sppbj.issued",
            {
                "number": number,
                "company_nib": award.company.nib,
                "price": str(award.price),
                "late": sppbj.late,
            },
        )
        tell_company(
            company_id=award.company_id,
            tender=tender,
            message=message_compose(
                "sppbj_issued", code=tender.code, title=tender.title, number=number
            ),
        )
    return sppbj


def contract_record(
    *,
    actor: User,
    tender: Tender,
    number: str,
    value: Decimal,
    signed_on: dt.date,
    start_on: dt.date,
    end_on: dt.date,
    ppk_signatory: str,
    vendor_signatory: str,
) -> Contract:
    """Record the signed contract; its value is the awarded bid's price at most (the domestic
    preference only ranks, Ps 67)."""
    require_work_unit(actor, tender, Permission.ISSUE_CONTRACT, "contract.record")
    number, ppk_signatory, vendor_signatory = (
        (number or "").strip(),
        (ppk_signatory or "").strip(),
        (vendor_signatory or "").strip(),
    )
    for field, text in (
        ("number", number),
        ("ppk_signatory", ppk_signatory),
        ("vendor_signatory", vendor_signatory),
    ):
        if not 3 <= len(text) <= 200:
            raise invalid(
                "contract.field_required",
                f"{field} wajib diisi.",
                f"{field} is required.",
                field=field,
            )
    if not (signed_on <= start_on <= end_on):
        raise invalid(
            "contract.dates",
            "Tanggal harus berurutan: tanda tangan ≤ mulai ≤ selesai.",
            "Dates must be in order: signed ≤ start ≤ end.",
            field="start_on",
        )
    with tender_locked(tender):
        award = current_award(tender)
        sppbj = Sppbj.objects.filter(award=award).first() if award else None
        if sppbj is None:
            raise conflict(
                "contract.no_sppbj",
                "Kontrak dicatat setelah SPPBJ diterbitkan.",
                "The contract is recorded after the SPPBJ.",
            )
        if Contract.objects.filter(tender=tender).exists():
            raise conflict("contract.exists", "Kontrak sudah dicatat.", "The contract is recorded.")
        if value <= 0 or value > award.price:
            raise invalid(
                "contract.value",
                "Nilai kontrak harus positif dan tidak melebihi harga penawaran pemenang.",
                "The contract value must be positive and not above the winning bid's price.",
                field="value",
            )
        contract = Contract.objects.create(
            tender=tender,
            sppbj=sppbj,
            number=number,
            value=value,
            signed_on=signed_on,
            start_on=start_on,
            end_on=end_on,
            ppk_signatory=ppk_signatory,
            vendor_signatory=vendor_signatory,
            performance_guarantee=performance_guarantee(
                contract_value=value, hps=tender.package.owner_estimate
            ),
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        audit_tender(
            actor,
            tender,
            "contract.recorded",
            {
                "number": number,
                "value": str(value),
                "signed_on": signed_on.isoformat(),
                "company_nib": award.company.nib,
            },
        )
        # The OCDS contract release (docs/opendata.md), in the same transaction.
        tender_published(tender=tender, event="contract")
        # Recording the contract closes the procedure: every participant is told, so the
        # losing bidders know it is over too.
        tell_participants(
            tender=tender,
            message=message_compose(
                "contract_signed",
                code=tender.code,
                title=tender.title,
                number=number,
                winner=award.company.name,
                value=format_rupiah(value),
                signed_on=f"{signed_on:%d-%m-%Y}",
            ),
        )
    return contract
