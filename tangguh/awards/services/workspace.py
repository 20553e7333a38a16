"""The Pokja's evaluation workspace: the tender's bill of quantities, each bid's checklist
items and technical scores, the price clarification of a bid below 80% of the HPS, and the
qualification evaluation (pembuktian) of the top-ranked bid. Everything the rules decide is
computed by ``selectors.evaluation_compute``; these services record what people decide, each
write audited, and only while the evaluation is not yet adopted by the committee."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.awards.models import (
    BidCheck,
    BidScore,
    BillItem,
    CheckStage,
    MinuteKind,
    PriceClarification,
    ValidityExtension,
)
from tangguh.awards.selectors import (
    adopted_minute,
    evaluation_compute,
    priced_opening,
)
from tangguh.awards.services.common import (
    audit_tender,
    conflict,
    invalid,
    require_member,
    tender_locked,
)
from tangguh.core.errors import PermissionDenied
from tangguh.domain.evaluation.ranking import LOW_PRICE_THRESHOLD, SCORED_METHODS
from tangguh.tenders.models import Tender
from tangguh.vendors.models import VendorCompany
from tangguh.vendors.selectors import vendor_companies_of

MAX_BILL_LINES = 5000
TEXT_MAX = 4000


@dataclass(frozen=True)
class CheckItem:
    item: str
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class ScoreItem:
    criterion: str
    weight: Decimal
    score: Decimal


@dataclass(frozen=True)
class BillLine:
    item: str
    unit: str
    volume: Decimal


def require_evaluation_open(tender: Tender) -> None:
    """After the committee adopted the evaluation minute, its figures are final until a
    re-evaluation (Ps 51) reopens them."""
    if priced_opening(tender) is None:
        raise conflict(
            "evaluation.not_opened",
            "Evaluasi dimulai setelah penawaran harga dibuka.",
            "Evaluation starts once the price bids are opened.",
        )
    if adopted_minute(tender, MinuteKind.EVALUATION) is not None:
        raise conflict(
            "evaluation.frozen",
            "Berita Acara Evaluasi sudah disetujui; perubahan hanya melalui evaluasi ulang.",
            "The evaluation minute is adopted; changes need a re-evaluation.",
        )


def _bid_company(tender: Tender, nib: str) -> VendorCompany:
    evaluation = evaluation_compute(tender)
    for bid in evaluation.bids:
        if bid.company.nib == (nib or "").strip():
            return bid.company
    raise invalid(
        "evaluation.bid_unknown",
        f"Tidak ada penawaran yang dibuka dari NIB {nib}.",
        f"No opened bid from NIB {nib}.",
        field="company_nib",
    )


def _text(value: str, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise invalid(
            "evaluation.reason_required",
            "Alasan wajib diisi untuk setiap butir yang tidak memenuhi.",
            "A reason is required for every item that fails.",
            field=field,
        )
    if len(value) > TEXT_MAX:
        raise invalid(
            "evaluation.text_too_long",
            f"Teks paling banyak {TEXT_MAX} karakter.",
            f"At most {TEXT_MAX} characters.",
            field=field,
        )
    return value


# --- bill of quantities ---------------------------------------------------------------------


def bill_parse_csv(content: str) -> list[BillLine]:
    """``item,unit,volume`` rows (a header row naming them), volume a decimal number; every bad
    row reported at once."""
    reader = csv.DictReader(io.StringIO(content))
    if not reader.fieldnames or not {"item", "unit", "volume"} <= {
        (f or "").strip().lower() for f in reader.fieldnames
    }:
        raise invalid(
            "bill.columns",
            "CSV harus memiliki kolom item, unit, volume.",
            "The CSV must have the columns item, unit, volume.",
            field="file",
        )
    lines, problems = [], []
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            volume = Decimal(row["volume"].replace(",", "."))
            if not volume.is_finite() or volume <= 0:
                raise InvalidOperation
        except InvalidOperation:
            problems.append({"row": number, "field": "volume", "value": row["volume"][:50]})
            continue
        if not row["item"] or not row["unit"]:
            problems.append({"row": number, "field": "item" if not row["item"] else "unit"})
            continue
        lines.append(BillLine(row["item"][:300], row["unit"][:30], volume))
    if problems:
        raise _rows_invalid(problems)
    return lines


def _rows_invalid(problems: list[dict]):
    error = invalid(
        "bill.rows_invalid",
        "Beberapa baris daftar kuantitas tidak sah; tidak ada yang disimpan.",
        "Some bill-of-quantities rows are invalid; nothing was stored.",
        field="file",
    )
    error.details = problems
    return error


def bill_set(
    *, actor: User, tender: Tender, lines: Sequence[BillLine], source: str = "api"
) -> list[BillItem]:
    """Replace the tender's bill of quantities (works: items and volumes of the tender
    document), used by the arithmetic correction of every bid."""
    require_member(actor, tender, "evaluation.bill")
    if not lines or len(lines) > MAX_BILL_LINES:
        raise invalid(
            "bill.empty",
            f"Daftar kuantitas harus berisi 1–{MAX_BILL_LINES} baris.",
            f"A bill of quantities has 1–{MAX_BILL_LINES} lines.",
            field="lines",
        )
    items = [line.item for line in lines]
    if len(set(items)) != len(items):
        raise invalid(
            "bill.duplicate_item",
            "Setiap item hanya boleh muncul sekali.",
            "Each item may appear once.",
            field="lines",
        )
    now = clock.now()
    with tender_locked(tender):
        require_evaluation_open(tender)
        BillItem.objects.filter(tender=tender).delete()
        rows = BillItem.objects.bulk_create(
            [
                BillItem(
                    tender=tender,
                    position=i,
                    item=line.item,
                    unit=line.unit,
                    volume=line.volume,
                    source=source,
                    recorded_by=actor,
                    recorded_at=now,
                )
                for i, line in enumerate(lines, start=1)
            ]
        )
        audit_tender(
            actor,
            tender,
            "evaluation.bill_set",
            {
                "source": source,
                "lines": [[x.item, x.unit, str(x.volume)] for x in lines],
            },
        )
    return rows


# --- checks, scores, clarification ------------------------------------------------------------


def checks_record(
    *,
    actor: User,
    tender: Tender,
    company_nib: str,
    stage: str,
    items: Sequence[CheckItem],
) -> list[BidCheck]:
    """Record checklist items of one bid (administrative, technical, or the qualification of
    the top-ranked bid); an item recorded again replaces the earlier verdict (audited)."""
    require_member(actor, tender, "evaluation.checks")
    if stage not in CheckStage.values:
        raise invalid(
            "evaluation.stage_unknown",
            "Tahap harus administrative, technical atau qualification.",
            "The stage must be administrative, technical or qualification.",
            field="stage",
        )
    if stage == CheckStage.TECHNICAL and tender.envelopes == 2:
        raise conflict(
            "evaluation.technical_in_two_file",
            "Pada metode dua file hasil evaluasi teknis dicatat sebelum pembukaan sampul harga.",
            "In a two-file tender the technical result is recorded before the price opening.",
            field="stage",
        )
    if not items:
        raise invalid(
            "evaluation.items_required",
            "Sebutkan paling sedikit satu butir.",
            "Give at least one item.",
            field="items",
        )
    cleaned = []
    for i, entry in enumerate(items):
        name = _text(entry.item, f"items[{i}].item", required=True)[:200]
        reason = _text(entry.reason, f"items[{i}].reason", required=not entry.passed)
        cleaned.append((name, entry.passed, reason))
    now = clock.now()
    with tender_locked(tender):
        if stage == CheckStage.QUALIFICATION:
            # Qualification and its proof follow the evaluation minute, for the top-ranked
            # bid, until the award proposal is adopted.
            if adopted_minute(tender, MinuteKind.AWARD) is not None:
                raise conflict(
                    "evaluation.frozen",
                    "Pemenang sudah ditetapkan.",
                    "The award is already decided.",
                )
        else:
            require_evaluation_open(tender)
        company = _bid_company(tender, company_nib)
        if stage == CheckStage.QUALIFICATION:
            winner = evaluation_compute(tender).winner
            if winner is None or winner.company.pk != company.pk:
                raise conflict(
                    "evaluation.qualification_not_top",
                    "Evaluasi kualifikasi dan pembuktian dilakukan untuk peringkat teratas "
                    "yang belum gugur.",
                    "Qualification and its proof are evaluated for the top-ranked bid still "
                    "standing.",
                    field="company_nib",
                )
        rows = []
        for name, passed, reason in cleaned:
            row, _ = BidCheck.objects.update_or_create(
                tender=tender,
                company=company,
                stage=stage,
                item=name,
                defaults={
                    "passed": passed,
                    "reason": reason,
                    "recorded_by": actor,
                    "recorded_at": now,
                },
            )
            rows.append(row)
        audit_tender(
            actor,
            tender,
            "evaluation.checks_recorded",
            {
                "company_nib": company.nib,
                "stage": stage,
                "items": [[n, p, r] for n, p, r in cleaned],
            },
        )
    return rows


def scores_record(
    *, actor: User, tender: Tender, company_nib: str, scores: Sequence[ScoreItem]
) -> list[BidScore]:
    """Technical scores per criterion (0-100, with a positive weight) for the scored methods
    (merit point, consultancy; Ps 39, 42)."""
    require_member(actor, tender, "evaluation.scores")
    if tender.evaluation_method not in SCORED_METHODS:
        raise conflict(
            "evaluation.scores_not_used",
            "Metode evaluasi tender ini tidak memakai skor teknis.",
            "This tender's evaluation method does not use technical scores.",
        )
    if not scores:
        raise invalid(
            "evaluation.items_required",
            "Berikan paling sedikit satu skor.",
            "Give a score.",
            field="scores",
        )
    for i, s in enumerate(scores):
        if not (s.criterion or "").strip():
            raise invalid(
                "evaluation.criterion_required",
                "Nama kriteria wajib diisi.",
                "A criterion name is required.",
                field=f"scores[{i}].criterion",
            )
        if not (Decimal(0) <= s.score <= Decimal(100)) or s.weight <= 0:
            raise invalid(
                "evaluation.score_range",
                "Skor 0–100 dan bobot lebih dari 0.",
                "A score is 0–100 and a weight above 0.",
                field=f"scores[{i}]",
            )
    now = clock.now()
    with tender_locked(tender):
        require_evaluation_open(tender)
        company = _bid_company(tender, company_nib)
        rows = []
        for s in scores:
            row, _ = BidScore.objects.update_or_create(
                tender=tender,
                company=company,
                criterion=s.criterion.strip()[:200],
                defaults={
                    "weight": s.weight,
                    "score": s.score,
                    "recorded_by": actor,
                    "recorded_at": now,
                },
            )
            rows.append(row)
        audit_tender(
            actor,
            tender,
            "evaluation.scores_recorded",
            {
                "company_nib": company.nib,
                "scores": [[s.criterion, str(s.weight), str(s.score)] for s in scores],
            },
        )
    return rows


def clarification_record(
    *, actor: User, tender: Tender, company_nib: str, reasonable: bool, note: str
) -> PriceClarification:
    """The price-reasonableness clarification of a bid below 80% of the HPS (Perpres 16/2018
    Ps 33; for works with the unit price analysis): required before it can win; a price found
    unreasonable fails the bid."""
    require_member(actor, tender, "evaluation.clarification")
    note = _text(note, "note", required=True)
    with tender_locked(tender):
        require_evaluation_open(tender)
        company = _bid_company(tender, company_nib)
        bid = evaluation_compute(tender).bid(company.pk)
        hps = tender.package.owner_estimate
        if bid is None or bid.price is None or bid.price >= hps * LOW_PRICE_THRESHOLD:
            raise conflict(
                "evaluation.clarification_not_needed",
                "Klarifikasi kewajaran harga hanya untuk penawaran di bawah 80% HPS.",
                "A price clarification is only for a bid below 80% of the HPS.",
                field="company_nib",
            )
        row, _ = PriceClarification.objects.update_or_create(
            tender=tender,
            company=company,
            defaults={
                "reasonable": reasonable,
                "note": note,
                "recorded_by": actor,
                "recorded_at": clock.now(),
            },
        )
        audit_tender(
            actor,
            tender,
            "evaluation.clarification_recorded",
            {"company_nib": company.nib, "reasonable": reasonable, "note": note},
        )
    return row


def validity_extend(
    *,
    actor: User,
    tender: Tender,
    company: VendorCompany,
    valid_until: dt.date,
    guarantee_valid_until: dt.date | None = None,
) -> None:
    """The vendor extends its bid's validity in writing (standard tender documents); when the
    tender requires a bid guarantee, the guarantee's new end too, which may not come before the
    bid's (RULES.md "Bid validity": each bid states its validity and its guarantee's)."""
    bid = evaluation_compute(tender).bid(company.pk)
    if bid is None:
        raise invalid(
            "evaluation.bid_unknown",
            "Perusahaan Anda tidak memiliki penawaran yang dibuka pada tender ini.",
            "Your company has no opened bid in this tender.",
        )
    if bid.valid_until is not None and valid_until <= bid.valid_until:
        raise invalid(
            "validity.not_later",
            "Tanggal perpanjangan harus setelah masa berlaku saat ini.",
            "The extension must end after the current validity.",
            field="valid_until",
        )
    if not bid.guarantee_required:
        guarantee_valid_until = None  # nothing to secure: the field is not asked for
    elif guarantee_valid_until is None or guarantee_valid_until < valid_until:
        raise invalid(
            "validity.guarantee_short",
            "Jaminan penawaran harus diperpanjang sampai paling sedikit "
            f"{valid_until.isoformat()} (akhir masa berlaku penawaran yang baru).",
            "The bid guarantee must be extended to at least "
            f"{valid_until.isoformat()} (the bid's new validity).",
            field="guarantee_valid_until",
        )
    with tender_locked(tender):
        ValidityExtension.objects.create(
            tender=tender,
            company=company,
            valid_until=valid_until,
            guarantee_valid_until=guarantee_valid_until,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        audit_tender(
            actor,
            tender,
            "evaluation.validity_extended",
            {
                "company_nib": company.nib,
                "valid_until": valid_until.isoformat(),
                "guarantee_valid_until": (
                    guarantee_valid_until.isoformat() if guarantee_valid_until else None
                ),
            },
        )


def validity_company(
    *, actor: User, tender: Tender, company_nib: str | None = None
) -> VendorCompany:
    """The actor's company whose opened bid's validity it extends: the one named by
    ``company_nib``, or, without a name, the first with a bid."""
    mine = {c.pk for c in vendor_companies_of(actor)}
    bid = next(
        (
            b
            for b in evaluation_compute(tender).bids
            if b.company.pk in mine and (company_nib is None or b.company.nib == company_nib)
        ),
        None,
    )
    if bid is None:
        raise PermissionDenied(
            "objection.not_participant",
            "Perusahaan Anda tidak memiliki penawaran pada tender ini.",
            "Your company has no bid in this tender.",
        )
    return bid.company
