"""Red flags: warning signs computed from a tender's own data, after Open Contracting
Partnership's Cardinal indicators (each flag names its Cardinal counterpart from the
cardinal-rs documentation, or "—" where Cardinal has none). A flag is not an accusation: it
says where an auditor should look, and links to the evidence (the caller turns ``evidence``
keys into links).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

# Node-configurable defaults (D): Cardinal leaves thresholds to the user.
SHORT_SUBMISSION_DAYS = 7  # RULES.md: announcement to bid deadline default >= 7 calendar days
NEAR_HPS_RATIO = Decimal("0.99")
REPEATED_CHANGES = 2  # more than this many schedule changes


@dataclass(frozen=True)
class BidFacts:
    bid_id: str
    price: Decimal | None  # opened price (None: did not open / technical only)
    disqualified: bool
    winner: bool = False


@dataclass(frozen=True)
class TenderFacts:
    code: str
    price_only: bool  # lowest-price evaluation
    hps: Decimal
    announced_at: datetime | None
    bid_deadline: datetime | None
    bids: Sequence[BidFacts] = ()
    schedule_changes: int = 0
    outage_extensions: int = 0
    awarded: bool = False


@dataclass(frozen=True)
class RedFlag:
    code: str
    cardinal: str  # the Cardinal indicator it follows (or "—")
    title_id: str
    title_en: str
    detail_id: str
    detail_en: str
    evidence: tuple[str, ...] = field(default=())  # e.g. ("bids", "schedule_changes")


def _flag(code, cardinal, title_id, title_en, detail_id, detail_en, *evidence) -> RedFlag:
    return RedFlag(code, cardinal, title_id, title_en, detail_id, detail_en, tuple(evidence))


def red_flags(facts: TenderFacts) -> list[RedFlag]:
    """Every flag that applies to ``facts``, in a fixed order."""
    flags: list[RedFlag] = []
    bids = list(facts.bids)
    if facts.bid_deadline is not None and len(bids) == 1 and facts.awarded:
        flags.append(
            _flag(
                "single_bid",
                "R018 Single bid received",
                "Hanya satu penawaran",
                "Single bid",
                "Tender ini hanya menerima satu penawaran.",
                "This tender received only one bid.",
                "opening",
            )
        )
    if facts.announced_at and facts.bid_deadline:
        period = facts.bid_deadline - facts.announced_at
        if period < timedelta(days=SHORT_SUBMISSION_DAYS):
            days = period.total_seconds() / 86400
            flags.append(
                _flag(
                    "short_submission_period",
                    "R003 Short submission period",
                    "Masa penawaran singkat",
                    "Short submission period",
                    f"{days:.1f} hari dari pengumuman sampai batas akhir penawaran "
                    f"(kurang dari {SHORT_SUBMISSION_DAYS} hari).",
                    f"{days:.1f} days from announcement to the bid deadline "
                    f"(less than {SHORT_SUBMISSION_DAYS}).",
                    "schedule",
                )
            )
    winners = [b for b in bids if b.winner]
    winner = winners[0] if winners else None
    if winner is not None and winner.price is not None and facts.hps > 0:
        ratio = winner.price / facts.hps
        if ratio >= NEAR_HPS_RATIO:
            flags.append(
                _flag(
                    "winning_price_near_hps",
                    "— (Tangguh: winning price near the estimate)",
                    "Harga pemenang ≥ 99% HPS",
                    "Winning price ≥ 99% of HPS",
                    f"Harga pemenang {ratio * 100:.2f}% dari HPS.",
                    f"The winning price is {ratio * 100:.2f}% of the HPS.",
                    "award",
                )
            )
    others = [b for b in bids if not b.winner]
    if winner is not None and others and all(b.disqualified for b in others):
        flags.append(
            _flag(
                "all_but_winner_disqualified",
                "R035 All except winning bid disqualified",
                "Semua penawaran selain pemenang digugurkan",
                "All bids except the winner disqualified",
                f"{len(others)} penawaran lain digugurkan.",
                f"All {len(others)} other bids were disqualified.",
                "evaluation",
            )
        )
    priced = [b for b in bids if b.price is not None]
    if facts.price_only and priced:
        lowest = min(b.price for b in priced)
        if any(b.price == lowest and b.disqualified for b in priced):
            flags.append(
                _flag(
                    "lowest_bid_disqualified",
                    "R036 Lowest bid disqualified",
                    "Penawaran terendah digugurkan",
                    "Lowest bid disqualified",
                    "Pada evaluasi harga terendah, penawaran terendah digugurkan.",
                    "On a price-only tender, the lowest bid was disqualified.",
                    "evaluation",
                )
            )
    counts = Counter(b.price for b in priced)
    identical = sorted(str(price) for price, n in counts.items() if n > 1)
    if identical:
        flags.append(
            _flag(
                "identical_bid_prices",
                "R028 Identical bid prices",
                "Harga penawaran identik",
                "Identical bid prices",
                f"Lebih dari satu penawaran dengan harga yang sama: {', '.join(identical)}.",
                f"More than one bid at the same price: {', '.join(identical)}.",
                "opening",
            )
        )
    if facts.schedule_changes > REPEATED_CHANGES:
        flags.append(
            _flag(
                "repeated_schedule_changes",
                "— (Tangguh: repeated amendments)",
                "Perubahan jadwal berulang",
                "Repeated schedule changes",
                f"Jadwal diubah {facts.schedule_changes} kali.",
                f"The schedule changed {facts.schedule_changes} times.",
                "schedule_changes",
            )
        )
    if facts.awarded and facts.outage_extensions > 0:
        flags.append(
            _flag(
                "award_after_outage_extension",
                "—",
                "Penetapan setelah perpanjangan karena gangguan",
                "Award after an outage extension",
                "Tender ini diperpanjang karena gangguan sebelum penetapan pemenang.",
                "This tender was extended because of an outage before the award.",
                "schedule_changes",
            )
        )
    return flags
