"""The plain facts an OCDS release is made from: what the node knows about one contracting
process at one moment. Services read them from the database; the mapping (``mapping.py``)
turns them into releases without touching anything else.

Awards and contracts (issue 6) are ``AwardFacts``/``ContractFacts`` in ``ProcessFacts``; the
evaluated bids (``BidFacts``) and the failure of a tender (``FailureFacts``) are in
``TenderFacts``. Each is filled only once the rules make it public.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class NodeFacts:
    """The publishing node: its OCDS prefix (``ocds-`` + 6 characters), name, public base URL
    and time zone (dates are written in the node's zone, with its offset)."""

    ocds_prefix: str
    name: str
    public_url: str
    zone: str
    zone_abbreviation: str


@dataclass(frozen=True)
class PartyFacts:
    """An organization taking part. ``id`` is unique within the process; ``scheme``/``legal_id``
    identify a company (NIB); government bodies carry no registry identifier."""

    id: str
    name: str
    roles: tuple[str, ...]
    scheme: str = ""
    legal_id: str = ""


@dataclass(frozen=True)
class PeriodFacts:
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class DocumentFacts:
    """A published document (stored under its SHA-256) or a published decision. ``kind`` is
    ours: tender_document, addendum, minutes, cancellation, outage_decision."""

    id: str
    kind: str
    title: str
    published: datetime
    url: str = ""
    content_type: str = ""
    sha256: str = ""
    size: int | None = None
    version: int = 1
    note: str = ""


@dataclass(frozen=True)
class StageMove:
    """One stage moved by a schedule change (our stage kind, before and after)."""

    stage: str
    stage_label: str
    before: PeriodFacts
    after: PeriodFacts


@dataclass(frozen=True)
class AmendmentFacts:
    """A public change to the tender after its announcement: a schedule change (by the Pokja,
    with an addendum, or extended by rule after an outage) or an addendum to the documents.
    ``cause`` is committee | addendum | outage | addendum_document."""

    id: str
    date: datetime
    cause: str
    rationale: str
    moves: tuple[StageMove, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class OfflineFacts:
    """A part of the tender done offline (*luring*, SPEC "Offline procedure"): when and what."""

    date: datetime
    description: str


@dataclass(frozen=True)
class BidStatisticFacts:
    """A bids-extension statistic, published once the rules make it public (after opening)."""

    id: str
    measure: str
    value: int
    date: datetime


@dataclass(frozen=True)
class BidFacts:
    """One evaluated bid (bids extension ``details``), public from the award announcement
    (the adopted evaluation result, SPEC "Evaluation"): the company, the bid's price after
    arithmetic correction (never the HEA, which only ranks), and whether it stayed in
    (``valid``) or was excluded (``disqualified``, with the Pokja's reason)."""

    id: str
    tenderer: PartyFacts
    price: Decimal | None
    status: str  # valid | disqualified
    rank: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class FailureFacts:
    """A failed tender (tender gagal, Perpres 16/2018 Ps 51): when, the reason and its text."""

    date: datetime
    reason: str
    reason_label: str
    note: str


@dataclass(frozen=True)
class ReviewFacts:
    """An objection (sanggah) to the Pokja, or an appeal (sanggah banding, construction) to
    the PA/KPA, with the answer when there is one. ``kind`` is objection | appeal."""

    id: str
    kind: str
    filed: datetime
    party: PartyFacts
    text: str
    answered: datetime | None = None
    upheld: bool | None = None
    answer: str = ""


@dataclass(frozen=True)
class AwardFacts:
    """The award as announced (penetapan pemenang): the winner, its price (the contract price:
    the bid's own price after correction, never the HEA), the reserves, and what was said
    against it. ``status`` is active, or cancelled when the tender failed afterwards."""

    id: str
    status: str
    date: datetime
    supplier: PartyFacts
    price: Decimal
    evaluated_price: Decimal | None = None
    # (1 for the first reserve, 2 for the second; the company; its price)
    reserves: tuple[tuple[int, PartyFacts, Decimal | None], ...] = ()
    objection_end: datetime | None = None
    reviews: tuple[ReviewFacts, ...] = ()
    review_body: PartyFacts | None = None
    page_url: str = ""


@dataclass(frozen=True)
class ContractFacts:
    """The signed contract the PPK recorded. The people who signed are never published
    (UU 27/2022): the contract names the two organizations that are its parties."""

    id: str
    award_id: str
    number: str
    value: Decimal
    signed_on: date
    start_on: date
    end_on: date
    recorded_at: datetime
    performance_guarantee: Decimal | None = None


@dataclass(frozen=True)
class PlanningFacts:
    """The plan item (RUP) and budget (pagu) behind the package."""

    fiscal_year: int
    budget: Decimal
    rup_code: str = ""
    plan_title: str = ""


@dataclass(frozen=True)
class TenderFacts:
    code: str
    title: str
    method: str  # tangguh.domain.methods.Method value
    category: str  # goods | works | consultancy | other_services
    category_label: str
    owner_estimate: Decimal  # HPS
    location: str
    evaluation_method: str
    evaluation_label: str
    announced_at: datetime
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    tender_period: PeriodFacts | None = None
    enquiry_period: PeriodFacts | None = None
    award_period: PeriodFacts | None = None
    requirements: tuple[str, ...] = ()
    small_business_reserved: bool = False
    documents: tuple[DocumentFacts, ...] = ()
    amendments: tuple[AmendmentFacts, ...] = ()
    offline: tuple[OfflineFacts, ...] = ()
    bid_statistics: tuple[BidStatisticFacts, ...] = ()
    number_of_tenderers: int | None = None
    tenderers: tuple[PartyFacts, ...] = ()
    page_url: str = ""
    bids: tuple[BidFacts, ...] = ()
    failure: FailureFacts | None = None
    # (envelope, recipient fingerprint) of each sealing key: bidders compare them with the
    # tender page, the sealing page and their receipts (issue 5: fingerprints in open data).
    sealing_fingerprints: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ProcessFacts:
    """One contracting process (one tender of one package) as known now."""

    node: NodeFacts
    buyer: PartyFacts
    procuring_entity: PartyFacts
    planning: PlanningFacts
    tender: TenderFacts
    awards: tuple[AwardFacts, ...] = ()
    contracts: tuple[ContractFacts, ...] = ()

    @property
    def ocid(self) -> str:
        return f"{self.node.ocds_prefix}-{self.tender.code}"


@dataclass(frozen=True)
class ReleaseMeta:
    """What the release itself is: its id, kind, date, and for every amendment the release that
    introduced it (``releaseID``) and the one before that (``amendsReleaseID``)."""

    id: str
    kind: str
    date: datetime
    amendment_links: dict[str, tuple[str, str]] = field(default_factory=dict)
