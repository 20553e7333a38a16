"""Recording the technical evaluation result of a two-file tender.

After the technical envelopes are opened, the Pokja records, for every bid the technical
opening listed, whether it passed the technical evaluation, or failed and why. All bids at
once, by a member of that tender's Pokja, once; the result may be revised explicitly until the
first price share is released — from then on it is final, because it decides whose price
envelope is decrypted (Perlem LKPP 12/2021, metode dua file: price envelopes are opened only
for bidders who pass the technical evaluation). One transaction under the tender lock, so a
revision and the start of the price opening cannot interleave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.bids.services.opening import require_committee_member
from tangguh.bids.services.upload import lock_tender
from tangguh.core.errors import Conflict, InvalidInput
from tangguh.domain.roles import Permission
from tangguh.evaluation.models import TechnicalResult
from tangguh.evaluation.selectors import (
    price_opening_started,
    technical_bids,
    technical_opening,
)
from tangguh.tenders.models import Tender

REASON_MAX = 2000


@dataclass(frozen=True)
class TechnicalVerdict:
    """One bid's result as the Pokja gives it: the company by its NIB."""

    company_nib: str
    passed: bool
    reason: str = ""


def _invalid(code: str, message_id: str, message_en: str) -> InvalidInput:
    return InvalidInput(code, message_id, message_en, field="results")


def _check(verdicts: Sequence[TechnicalVerdict], bids: dict[str, bool]) -> dict[str, tuple]:
    """``{nib: (passed, reason)}`` for exactly the bids in ``bids`` (nib → technical envelope
    opened); refuse anything else with a code naming the problem."""
    seen: dict[str, tuple[bool, str]] = {}
    for verdict in verdicts:
        nib = (verdict.company_nib or "").strip()
        if nib in seen:
            raise _invalid(
                "evaluation.duplicate_bid",
                f"Penawaran NIB {nib} disebut dua kali.",
                f"The bid of NIB {nib} is listed twice.",
            )
        if nib not in bids:
            raise _invalid(
                "evaluation.unknown_bid",
                f"NIB {nib} tidak termasuk penawaran teknis yang dibuka.",
                f"NIB {nib} is not among the opened technical bids.",
            )
        reason = (verdict.reason or "").strip()
        if len(reason) > REASON_MAX:
            raise _invalid(
                "evaluation.reason_too_long",
                f"Alasan paling panjang {REASON_MAX} karakter (NIB {nib}).",
                f"A reason is at most {REASON_MAX} characters (NIB {nib}).",
            )
        if not verdict.passed and len(reason) < 3:
            raise _invalid(
                "evaluation.reason_required",
                f"Penawaran yang tidak lulus wajib diberi alasan (NIB {nib}).",
                f"A bid that fails needs a reason (NIB {nib}).",
            )
        if verdict.passed and not bids[nib]:
            raise _invalid(
                "evaluation.unopened_cannot_pass",
                f"Sampul teknis NIB {nib} tidak dapat dibuka atau tidak sah, sehingga tidak "
                "dapat dinyatakan lulus.",
                f"The technical envelope of NIB {nib} did not open or is invalid, so it cannot "
                "pass.",
            )
        seen[nib] = (bool(verdict.passed), reason)
    missing = sorted(set(bids) - set(seen))
    if missing:
        raise _invalid(
            "evaluation.results_incomplete",
            "Hasil evaluasi teknis harus dicatat untuk semua penawaran sekaligus; belum ada "
            f"untuk NIB {', '.join(missing)}.",
            f"Record the technical result of every bid at once; missing: NIB {', '.join(missing)}.",
        )
    return seen


def technical_results_record(
    *,
    actor: User,
    tender: Tender,
    results: Sequence[TechnicalVerdict],
    revise: bool = False,
) -> list[TechnicalResult]:
    """Record (or, with ``revise``, change) the technical result of every opened technical bid
    of ``tender``; see the module docstring."""
    require_committee_member(
        actor, tender, "evaluation.technical_record", permission=Permission.EVALUATE
    )
    if tender.envelopes != 2:
        raise Conflict(
            "evaluation.not_two_file",
            "Evaluasi teknis terpisah hanya untuk tender dua file.",
            "A separate technical result applies to two-file tenders only.",
        )
    with transaction.atomic():
        lock_tender(tender)
        if technical_opening(tender) is None:
            raise Conflict(
                "evaluation.technical_not_opened",
                "Sampul teknis belum dibuka.",
                "The technical envelopes are not open yet.",
            )
        existing = {r.company_id: r for r in TechnicalResult.objects.filter(tender=tender)}
        if existing and not revise:
            raise Conflict(
                "evaluation.technical_already_recorded",
                "Hasil evaluasi teknis sudah dicatat; kirim sebagai revisi bila perlu diubah "
                "(hanya sebelum pembukaan sampul harga).",
                "The technical results are already recorded; send a revision to change them "
                "(only before the price opening starts).",
            )
        if revise and not existing:
            raise Conflict(
                "evaluation.technical_not_recorded",
                "Belum ada hasil evaluasi teknis yang dapat direvisi.",
                "There are no technical results to revise yet.",
            )
        if revise and price_opening_started(tender):
            raise Conflict(
                "evaluation.technical_frozen",
                "Pembukaan sampul harga sudah dimulai; hasil evaluasi teknis tidak dapat "
                "diubah lagi.",
                "The price opening has started; the technical results can no longer change.",
            )
        rows = {row.envelope.company.nib: row for row in technical_bids(tender)}
        verdicts = _check(results, {nib: row.ok for nib, row in rows.items()})
        now = clock.now()
        recorded, changed = [], []
        for nib, (passed, reason) in verdicts.items():
            company = rows[nib].envelope.company
            current = existing.get(company.pk)
            if current is None:
                current = TechnicalResult.objects.create(
                    tender=tender,
                    company=company,
                    passed=passed,
                    reason=reason,
                    recorded_by=actor,
                    recorded_at=now,
                )
                changed.append(nib)
            elif (current.passed, current.reason) != (passed, reason):
                current.passed, current.reason = passed, reason
                current.recorded_by, current.recorded_at = actor, now
                current.revision += 1
                current.save()
                changed.append(nib)
            recorded.append(current)
        audit_append(
            actor=actor,
            action="evaluation.technical_revised" if revise else "evaluation.technical_recorded",
            object_type="tender",
            object_id=tender.code,
            payload={
                "results": [
                    {"company_nib": nib, "passed": passed, "reason": reason}
                    for nib, (passed, reason) in sorted(verdicts.items())
                ],
                "changed": sorted(changed),
            },
        )
    return recorded
