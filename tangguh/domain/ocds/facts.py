"""The plain facts an OCDS release is made from: what the node knows about one contracting
process at one moment. Services read them from the database; the mapping (``mapping.py``)
turns them into releases without touching anything else.

Awards and contracts (issue 6) slot in the same way: an ``AwardFacts``/``ContractFacts`` added
to ``ProcessFacts`` and a mapping function per release kind in ``mapping.BUILDERS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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


@dataclass(frozen=True)
class ProcessFacts:
    """One contracting process (one tender of one package) as known now."""

    node: NodeFacts
    buyer: PartyFacts
    procuring_entity: PartyFacts
    planning: PlanningFacts
    tender: TenderFacts

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
