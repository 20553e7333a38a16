"""Red flags from the database: the facts of a tender (bids as the opening listed them, the
award once announced, schedule changes and outage extensions), handed to the pure
``tangguh.domain.red_flags``, and each flag's evidence keys turned into public links.

Only public facts are read: company names and NIB (business identifiers, already on the
opening list and the award announcement), prices after opening, the schedule. Never a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.urls import reverse

from tangguh.awards.models import AwardStatus
from tangguh.awards.selectors import current_award, priced_opening
from tangguh.bids.models import OpenedEnvelope
from tangguh.bids.selectors import closing_statement_get
from tangguh.domain import red_flags as rules
from tangguh.domain.red_flags import BidFacts, RedFlag, TenderFacts, red_flags
from tangguh.organizations.models import Agency
from tangguh.tenders.models import EvaluationMethod, ScheduleChange, Tender
from tangguh.tenders.selectors import tender_schedule

PAGE_MAX = 200

# --- the award, through one door ---------------------------------------------------------------


@dataclass(frozen=True)
class AwardFacts:
    """What red flags need of the award. Empty (no winner) until an award is announced: a
    proposal awaiting the PA/KPA or a cancelled award is not public and raises no flag."""

    winner_nib: str | None = None
    price: Decimal | None = None
    disqualified_nibs: frozenset[str] = frozenset()
    announced_at: datetime | None = None


def award_facts(tender: Tender) -> AwardFacts:
    award = current_award(tender)
    if award is None or award.status != AwardStatus.ANNOUNCED:
        return AwardFacts()
    content = award.minute.content if award.minute_id else {}
    bids = content.get("bids", []) if isinstance(content, dict) else []
    disqualified = frozenset(
        str(b.get("company_nib"))
        for b in bids
        if isinstance(b, dict) and (b.get("excluded") or b.get("opened") is False)
    )
    return AwardFacts(
        winner_nib=award.company.nib,
        price=award.price,
        disqualified_nibs=disqualified,
        announced_at=award.announced_at,
    )


# --- the facts of one tender -------------------------------------------------------------------


def _bids(tender: Tender, award: AwardFacts) -> list[BidFacts]:
    """One entry per bidding company: from the priced opening (``offer``, or ``price`` of a
    two-file tender) when it has run, else from the closing statement (no prices yet).

    Prices are the totals read at opening (as the BA Pembukaan shows them), not the corrected
    ones, so "identical prices" compares what the bidders wrote. A bid that could not be opened
    or failed the technical evaluation counts as disqualified."""
    opening = priced_opening(tender)
    if opening is not None:
        rows = OpenedEnvelope.objects.filter(opening=opening).select_related("envelope__company")
        return [
            BidFacts(
                bid_id=row.envelope.company.nib,
                price=row.total_price if row.ok else None,
                disqualified=(not row.ok) or row.envelope.company.nib in award.disqualified_nibs,
                winner=row.envelope.company.nib == award.winner_nib,
            )
            for row in rows
        ]
    statement = closing_statement_get(tender)
    if statement is None:
        return []
    nibs = sorted({str(e.get("company_nib")) for e in statement.document.get("envelopes", [])})
    return [BidFacts(bid_id=nib, price=None, disqualified=False) for nib in nibs]


def tender_facts(tender: Tender) -> TenderFacts:
    award = award_facts(tender)
    changes = list(ScheduleChange.objects.filter(tender=tender).values_list("cause", flat=True))
    return TenderFacts(
        code=tender.code,
        price_only=tender.evaluation_method == EvaluationMethod.LOWEST_PRICE,
        hps=tender.package.owner_estimate,
        announced_at=tender.announced_at,
        bid_deadline=tender_schedule(tender).bid_deadline,
        bids=tuple(_bids(tender, award)),
        # An outage extension is the node's doing, not the committee's: it has its own flag
        # and does not count towards "repeated schedule changes".
        schedule_changes=sum(1 for cause in changes if cause != "outage"),
        outage_extensions=sum(1 for cause in changes if cause == "outage"),
        awarded=award.winner_nib is not None,
    )


# --- flags with their evidence as links --------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    key: str
    label_id: str
    label_en: str
    url: str


# What each flag means in general (the flag's own detail says what this tender did); the
# thresholds are the domain's (docs/transparency.md).
DEFINITIONS = {
    "single_bid": (
        "Tender yang ditetapkan pemenangnya padahal hanya satu penawaran masuk.",
        "A tender awarded although only one bid was received.",
    ),
    "short_submission_period": (
        f"Waktu dari pengumuman sampai batas akhir penawaran kurang dari "
        f"{rules.SHORT_SUBMISSION_DAYS} hari kalender.",
        f"Less than {rules.SHORT_SUBMISSION_DAYS} calendar days from the announcement to the "
        "bid deadline.",
    ),
    "winning_price_near_hps": (
        f"Harga pemenang paling sedikit {rules.NEAR_HPS_RATIO * 100:.0f}% dari HPS.",
        f"The winning price is at least {rules.NEAR_HPS_RATIO * 100:.0f}% of the HPS "
        "(owner's estimate).",
    ),
    "all_but_winner_disqualified": (
        "Semua penawaran selain pemenang digugurkan.",
        "Every bid except the winner's was disqualified.",
    ),
    "lowest_bid_disqualified": (
        "Pada evaluasi harga terendah, penawaran dengan harga terendah digugurkan.",
        "On a lowest-price tender, the lowest bid was disqualified.",
    ),
    "identical_bid_prices": (
        "Dua penawaran atau lebih dengan harga total yang sama persis saat dibuka.",
        "Two or more bids with exactly the same total price at opening.",
    ),
    "repeated_schedule_changes": (
        f"Jadwal diubah Pokja lebih dari {rules.REPEATED_CHANGES} kali (perpanjangan karena "
        "gangguan tidak dihitung).",
        f"The committee changed the schedule more than {rules.REPEATED_CHANGES} times "
        "(outage extensions not counted).",
    ),
    "award_after_outage_extension": (
        "Pemenang ditetapkan pada tender yang jadwalnya diperpanjang karena gangguan sistem.",
        "A winner was awarded on a tender whose schedule was extended because of an outage.",
    ),
}


@dataclass(frozen=True)
class FlagView:
    flag: RedFlag
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def definition_id(self) -> str:
        return DEFINITIONS.get(self.flag.code, ("", ""))[0]

    @property
    def definition_en(self) -> str:
        return DEFINITIONS.get(self.flag.code, ("", ""))[1]

    def as_json(self) -> dict:
        f = self.flag
        return {
            "code": f.code,
            "cardinal": f.cardinal,
            "title_id": f.title_id,
            "title_en": f.title_en,
            "detail_id": f.detail_id,
            "detail_en": f.detail_en,
            "definition_id": self.definition_id,
            "definition_en": self.definition_en,
            "evidence": [
                {"key": e.key, "label_id": e.label_id, "label_en": e.label_en, "url": e.url}
                for e in self.evidence
            ],
        }


# Extra evidence a flag needs beyond the keys the domain names: a flag that only fires after
# the award also links the award; the outage flag links the outage list.
_EXTRA = {
    "single_bid": ("award",),
    "award_after_outage_extension": ("outage", "award"),
}


def _links(code: str, key: str) -> list[Evidence]:
    tender_page = reverse("web:tender", args=[code])
    flags_page = reverse("integrity:tender", args=[code])
    award_page = reverse("awards:award", args=[code])
    api = f"/api/v1/tenders/{code}"
    table = {
        "opening": [
            Evidence(key, "Daftar pembukaan penawaran", "Opening list", f"{flags_page}#pembukaan"),
            Evidence(key, "Daftar pembukaan (JSON)", "Opening list (JSON)", f"{api}/opening"),
        ],
        "schedule": [Evidence(key, "Jadwal tender", "Tender schedule", f"{tender_page}#jadwal")],
        "schedule_changes": [
            Evidence(
                key, "Riwayat perubahan jadwal", "Schedule changes", f"{flags_page}#perubahan"
            ),
            Evidence(key, "Jadwal tender", "Tender schedule", f"{tender_page}#jadwal"),
        ],
        "award": [
            Evidence(key, "Pengumuman pemenang", "Award announcement", award_page),
            Evidence(key, "Pengumuman pemenang (JSON)", "Award (JSON)", f"{api}/award"),
        ],
        "evaluation": [
            Evidence(key, "Hasil evaluasi dan pemenang", "Evaluation and award", award_page)
        ],
        "outage": [
            Evidence(key, "Gangguan yang tercatat", "Recorded outages", reverse("outages:status")),
            Evidence(key, "Gangguan (JSON)", "Outages (JSON)", "/api/v1/outages"),
        ],
    }
    return table.get(key, [])


def tender_red_flags(tender: Tender) -> list[FlagView]:
    views = []
    for flag in red_flags(tender_facts(tender)):
        keys = list(dict.fromkeys([*flag.evidence, *_EXTRA.get(flag.code, ())]))
        views.append(FlagView(flag, [link for key in keys for link in _links(tender.code, key)]))
    return views


def thresholds() -> dict:
    """The node's thresholds (shown with the definitions)."""
    return {
        "short_submission_days": rules.SHORT_SUBMISSION_DAYS,
        "near_hps_ratio": str(rules.NEAR_HPS_RATIO),
        "repeated_changes_more_than": rules.REPEATED_CHANGES,
    }


# --- the public evidence shown on the page -----------------------------------------------------


def opening_rows(tender: Tender) -> list[dict]:
    """The priced opening's public list (what ``GET …/opening`` shows to everyone)."""
    opening = priced_opening(tender)
    if opening is None:
        return []
    return [
        {
            "company": row.envelope.company.name,
            "company_nib": row.envelope.company.nib,
            "sha256": row.envelope.sha256,
            "ok": row.ok,
            "reason": row.reason,
            "total_price": row.total_price,
        }
        for row in OpenedEnvelope.objects.filter(opening=opening).select_related(
            "envelope__company"
        )
    ]


def schedule_change_rows(tender: Tender) -> list[ScheduleChange]:
    return list(ScheduleChange.objects.filter(tender=tender).order_by("at", "id"))


# --- lists: per agency, node-wide ----------------------------------------------------------------


@dataclass(frozen=True)
class TenderFlags:
    tender: Tender
    flags: list[FlagView]

    def as_json(self) -> dict:
        agency = self.tender.package.work_unit.agency
        return {
            "code": self.tender.code,
            "title": self.tender.title,
            "agency": {"id": agency.pk, "name": agency.name},
            "count": len(self.flags),
            "flags": [v.flag.code for v in self.flags],
        }


def agency_get(agency_id: int) -> Agency | None:
    return Agency.objects.filter(pk=agency_id).first()


def tenders_red_flags(
    *, agency_id: int | None = None, flagged_only: bool = False, limit: int = 50, offset: int = 0
) -> list[TenderFlags]:
    """Announced tenders (newest first), each with its flags; one page at a time."""
    limit = max(1, min(limit, PAGE_MAX))
    query = Tender.objects.filter(announced_at__isnull=False).select_related(
        "package__work_unit__agency"
    )
    if agency_id is not None:
        query = query.filter(package__work_unit__agency_id=agency_id)
    rows = [
        TenderFlags(t, tender_red_flags(t))
        for t in query.order_by("-announced_at", "-id")[offset : offset + limit]
    ]
    return [r for r in rows if r.flags] if flagged_only else rows
