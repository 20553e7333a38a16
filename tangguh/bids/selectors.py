"""Reads for sealed bids: which envelopes a tender takes, a company's envelopes, the current
ones, the closing statement, what a receipt names, and what the tender asks of the bid
guarantee (shown on the sealing page, checked at the opening)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet

from tangguh.bids.models import ClosingStatement, Envelope, EnvelopeName, SealingKey
from tangguh.domain.evaluation.guarantees import bid_guarantee_minimum
from tangguh.domain.rulesets import RULESETS, RuleSet
from tangguh.organizations.selectors import node_get
from tangguh.tenders.models import Tender
from tangguh.tenders.selectors import tender_bid_guarantee_required, tender_ruleset

DEFAULT_MAX_BYTES = 2 * 1024**3


def envelope_names(tender: Tender) -> list[str]:
    """The envelope names a tender takes: ``offer`` (1 file) or ``technical`` + ``price``."""
    if tender.envelopes == 2:
        return [EnvelopeName.TECHNICAL.value, EnvelopeName.PRICE.value]
    return [EnvelopeName.OFFER.value]


def bid_max_bytes(tender: Tender) -> int:
    """The size limit of one sealed envelope (``TANGGUH_BID_MAX_BYTES``, default 2 GiB)."""
    return int(getattr(settings, "TANGGUH_BID_MAX_BYTES", DEFAULT_MAX_BYTES))


def node_identity() -> tuple[str, str]:
    """The node's name and OCDS prefix."""
    node = node_get()
    if node is not None:
        return node.name, node.ocds_prefix
    return settings.TANGGUH_NODE_NAME, settings.TANGGUH_OCDS_PREFIX


def sealing_fingerprint(tender: Tender, lot: int, name: str) -> str | None:
    key = SealingKey.objects.filter(tender=tender, lot=lot, envelope=name).first()
    return key.fingerprint if key else None


def envelope_status(envelope: Envelope) -> str:
    if envelope.withdrawn_at is not None:
        return "withdrawn"
    if envelope.superseded_at is not None:
        return "superseded"
    return "current"


def current_envelopes(tender: Tender) -> QuerySet[Envelope]:
    """Every envelope neither superseded nor withdrawn, in order of receipt."""
    return (
        Envelope.objects.filter(
            tender=tender, superseded_at__isnull=True, withdrawn_at__isnull=True
        )
        .select_related("company")
        .order_by("received_at", "id")
    )


def current_envelope(tender: Tender, company_id: int, lot: int, name: str) -> Envelope | None:
    return (
        Envelope.objects.filter(
            tender=tender,
            company_id=company_id,
            lot=lot,
            name=name,
            superseded_at__isnull=True,
            withdrawn_at__isnull=True,
        )
        .order_by("-received_at", "-id")
        .first()
    )


def company_envelopes(tender: Tender, company_id: int) -> list[Envelope]:
    return list(
        Envelope.objects.filter(tender=tender, company_id=company_id).order_by("received_at", "id")
    )


def closing_statement_get(tender: Tender) -> ClosingStatement | None:
    return ClosingStatement.objects.filter(tender=tender).first()


def envelope_named_by_receipt(payload: dict) -> Envelope | None:
    """The envelope a (verified) receipt names, if this node records it: the one recorded with
    the receipt's audit index, else (a re-deposit after a restore gets a new audit index) the
    one with the same tender, lot, envelope, company and SHA-256."""
    vendor = payload.get("vendor") or {}
    if not isinstance(vendor, dict):
        return None
    rows = list(
        Envelope.objects.filter(
            tender__code=str(payload.get("tender", "")),
            lot=payload.get("lot") if isinstance(payload.get("lot"), int) else -1,
            name=str(payload.get("envelope", "")),
            company__nib=str(vendor.get("nib", "")),
            sha256=str(payload.get("sha256", "")),
        ).select_related("tender", "company")
    )
    exact = [row for row in rows if row.audit_seq == payload.get("audit_index")]
    return (exact or rows or [None])[0]


@dataclass(frozen=True)
class BidGuaranteeRule:
    """What a tender asks of the bid guarantee in one envelope (RULES.md "Bid guarantee")."""

    required: bool
    hps: Decimal  # the package's owner estimate
    threshold: Decimal  # the rule set's bid_guarantee_hps_threshold the HPS must be above
    minimum: Decimal | None  # the legal floor (1% of the HPS) when required


def _ruleset_or_oldest(tender: Tender) -> RuleSet:
    """The tender's rule set (``tender_ruleset``); a tender older than every encoded regime (or
    pinned to a code no longer known) takes the oldest one rather than failing: the guarantee
    rule is a hint on the sealing page and a finding at the opening, neither of which may stop."""
    try:
        return tender_ruleset(tender)
    except LookupError:  # NoRuleSetInForce too
        return RULESETS[0]


def bid_guarantee_rule(tender: Tender, envelope: str) -> BidGuaranteeRule:
    """Whether this envelope's bids must carry a bid guarantee: HPS = the package's owner
    estimate, its category, the tender's rule set; never a price envelope (the guarantee goes
    with the administrative part: ``offer``, or ``technical`` in a two-file tender)."""
    package = tender.package
    hps = Decimal(package.owner_estimate)
    ruleset = _ruleset_or_oldest(tender)
    required = envelope != EnvelopeName.PRICE.value and tender_bid_guarantee_required(
        tender=tender, ruleset=ruleset
    )
    return BidGuaranteeRule(
        required=required,
        hps=hps,
        threshold=ruleset.amount("bid_guarantee_hps_threshold"),
        minimum=bid_guarantee_minimum(hps=hps) if required else None,
    )
