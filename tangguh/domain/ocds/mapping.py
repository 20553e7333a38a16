"""Releases from facts: one mapping function per release kind (``BUILDERS``), each returning
the release as a plain dict, ready to be written as JSON.

Every release of a tender is a full snapshot of what is public at its date (planning, parties,
tender with its documents and amendments, bid statistics once public), so a reader of any one
release, or of the compiled record, sees the whole process. Free text typed by people passes
through ``personal_data.redact`` first (UU 27/2022).

Award and contract releases (issue 6) add ``award_release``/``contract_release`` here, taking
the same ``ProcessFacts`` extended with awards and contracts, and register in ``BUILDERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tangguh.domain.methods import Method
from tangguh.domain.money import round_rupiah
from tangguh.domain.ocds.codes import (
    AWARD_CRITERIA,
    CAUSE_LABEL,
    LURING,
    MAIN_CATEGORY,
    PROCUREMENT_METHOD,
    ReleaseKind,
    document_type,
)
from tangguh.domain.ocds.facts import (
    AmendmentFacts,
    DocumentFacts,
    NodeFacts,
    PartyFacts,
    PeriodFacts,
    ProcessFacts,
    ReleaseMeta,
    TenderFacts,
)
from tangguh.domain.ocds.identifiers import rfc3339
from tangguh.domain.ocds.personal_data import redact

CURRENCY = "IDR"
LANGUAGE = "id"


def value(amount: Decimal | int) -> dict:
    """An OCDS Value in rupiah: whole rupiah, as a JSON number (never a float's rounding)."""
    return {"amount": int(round_rupiah(amount)), "currency": CURRENCY}


def _date(moment, node: NodeFacts) -> str:
    return rfc3339(moment, node.zone)


def _period(period: PeriodFacts | None, node: NodeFacts) -> dict | None:
    if period is None or (period.start is None and period.end is None):
        return None
    out = {}
    if period.start is not None:
        out["startDate"] = _date(period.start, node)
    if period.end is not None:
        out["endDate"] = _date(period.end, node)
    return out


def _local(moment, node: NodeFacts) -> str:
    """A moment for people, in the node's zone: 01-07-2024 16:00 WIT."""
    text = rfc3339(moment, node.zone)
    return f"{text[8:10]}-{text[5:7]}-{text[0:4]} {text[11:16]} {node.zone_abbreviation}"


def party(facts: PartyFacts) -> dict:
    out: dict = {"id": facts.id, "name": redact(facts.name), "roles": list(facts.roles)}
    if facts.scheme and facts.legal_id:
        out["identifier"] = {
            "scheme": facts.scheme,
            "id": facts.legal_id,
            "legalName": redact(facts.name),
        }
    return out


def reference(facts: PartyFacts) -> dict:
    """An OrganizationReference: the party's id and name (the party itself is in ``parties``)."""
    return {"id": facts.id, "name": redact(facts.name)}


def _parties(process: ProcessFacts, *, with_procuring_entity: bool) -> list[dict]:
    """Parties by id; a body in two roles (a work unit running its own selection) is one party
    holding both."""
    merged: dict[str, PartyFacts] = {}
    members = [process.buyer]
    if with_procuring_entity:
        members.append(process.procuring_entity)
        members.extend(process.tender.tenderers)
    for member in members:
        known = merged.get(member.id)
        if known is None:
            merged[member.id] = member
        else:
            roles = known.roles + tuple(r for r in member.roles if r not in known.roles)
            merged[member.id] = PartyFacts(
                known.id, known.name, roles, known.scheme or member.scheme, known.legal_id
            )
    return [party(p) for p in merged.values()]


def _planning(process: ProcessFacts) -> dict:
    facts = process.planning
    budget: dict = {
        "description": (
            f"Pagu anggaran Tahun Anggaran {facts.fiscal_year}"
            + (f", RUP {facts.rup_code}" if facts.rup_code else "")
            + (f": {redact(facts.plan_title)}" if facts.plan_title else "")
        ),
        "amount": value(facts.budget),
    }
    if facts.rup_code:
        budget["id"] = facts.rup_code
    return {"budget": budget}


def _document(facts: DocumentFacts, node: NodeFacts) -> dict:
    out: dict = {
        "id": facts.id,
        "title": redact(facts.title),
        "datePublished": _date(facts.published, node),
        "language": LANGUAGE,
    }
    kind = document_type(facts.kind, facts.title)
    if kind:
        out["documentType"] = kind
    details = []
    if facts.note:
        details.append(redact(facts.note))
    if facts.sha256:
        details.append(f"Versi {facts.version}; SHA-256 {facts.sha256}")
    if facts.size is not None:
        details.append(f"{facts.size} bita")
    if details:
        out["description"] = "; ".join(details)
    if facts.url:
        out["url"] = facts.url
    if facts.content_type:
        out["format"] = facts.content_type
    return out


def _amendment(facts: AmendmentFacts, meta: ReleaseMeta, node: NodeFacts) -> dict:
    label = CAUSE_LABEL.get(facts.cause, "Perubahan")
    moves = "; ".join(
        f"{m.stage_label}: {_span(m.before, node)} → {_span(m.after, node)}" for m in facts.moves
    )
    description = label + (f": {moves}" if moves else "")
    if facts.detail:
        description += f". {redact(facts.detail)}"
    out = {
        "id": facts.id,
        "date": _date(facts.date, node),
        "rationale": redact(facts.rationale) or label,
        "description": description,
    }
    amends, release = meta.amendment_links.get(facts.id, ("", ""))
    if amends:
        out["amendsReleaseID"] = amends
    if release:
        out["releaseID"] = release
    return out


def _span(period: PeriodFacts, node: NodeFacts) -> str:
    start = _local(period.start, node) if period.start else "?"
    end = _local(period.end, node) if period.end else "?"
    return f"{start} s.d. {end}"


def _submission(tender: TenderFacts, node: NodeFacts) -> tuple[list[str], str]:
    methods = ["electronicSubmission"]
    details = (
        "Dokumen penawaran dienkripsi (format age) di perangkat penyedia dan diunggah ke "
        f"{node.name}; dibuka setelah batas akhir oleh kuorum Pokja Pemilihan."
    )
    if tender.offline:
        methods.append("inPerson")
        steps = "; ".join(
            f"{_local(o.date, node)}: {redact(o.description)}" for o in tender.offline
        )
        details = f"{LURING}: sebagian proses dilakukan luring (offline) — {steps}. " + details
    return methods, details


def _tender(process: ProcessFacts, meta: ReleaseMeta) -> dict:
    tender, node = process.tender, process.node
    method = Method(tender.method)
    details = method.label_id + (f" ({LURING})" if tender.offline else "")
    out: dict = {
        "id": tender.code,
        "title": redact(tender.title),
        "description": (
            f"{tender.category_label}, lokasi {redact(tender.location)}, Tahun Anggaran "
            f"{process.planning.fiscal_year}"
        ),
        "status": "cancelled" if tender.cancelled_at else "active",
        "procuringEntity": reference(process.procuring_entity),
        "value": value(tender.owner_estimate),
        "procurementMethod": PROCUREMENT_METHOD[method],
        "procurementMethodDetails": details,
        "mainProcurementCategory": MAIN_CATEGORY[tender.category],
    }
    criteria = AWARD_CRITERIA.get(tender.evaluation_method)
    if criteria:
        out["awardCriteria"] = criteria
    out["awardCriteriaDetails"] = tender.evaluation_label
    out["submissionMethod"], out["submissionMethodDetails"] = _submission(tender, node)
    eligibility = [redact(text) for text in tender.requirements if text.strip()]
    if tender.small_business_reserved:
        eligibility.append("Dicadangkan untuk usaha kecil (Perpres 12/2021 Ps 65(4)).")
    if eligibility:
        out["eligibilityCriteria"] = "\n".join(eligibility)
    for key, period in (
        ("tenderPeriod", tender.tender_period),
        ("enquiryPeriod", tender.enquiry_period),
        ("awardPeriod", tender.award_period),
    ):
        rendered = _period(period, node)
        if rendered:
            out[key] = rendered
    if tender.number_of_tenderers is not None:
        out["numberOfTenderers"] = tender.number_of_tenderers
    if tender.tenderers:
        out["tenderers"] = [reference(t) for t in tender.tenderers]
    documents = [_document(d, node) for d in tender.documents]
    if tender.cancelled_at:
        documents.append(
            _document(
                DocumentFacts(
                    id="pembatalan",
                    kind="cancellation",
                    title="Alasan pembatalan tender",
                    published=tender.cancelled_at,
                    note=tender.cancel_reason or "Tender dibatalkan.",
                    url=tender.page_url,
                    content_type="text/html" if tender.page_url else "",
                ),
                node,
            )
        )
    if documents:
        out["documents"] = documents
    amendments = sorted(tender.amendments, key=lambda a: (a.date, a.id))
    if amendments:
        out["amendments"] = [_amendment(a, meta, node) for a in amendments]
    return out


def _base(process: ProcessFacts, meta: ReleaseMeta) -> dict:
    return {
        "ocid": process.ocid,
        "id": meta.id,
        "date": _date(meta.date, process.node),
        "tag": [meta.kind],
        "initiationType": "tender",
        "language": LANGUAGE,
    }


def planning_release(process: ProcessFacts, meta: ReleaseMeta) -> dict:
    """The plan behind the process: the buyer and the budget (pagu) with its RUP code."""
    release = _base(process, meta)
    release["parties"] = _parties(process, with_procuring_entity=False)
    release["buyer"] = reference(process.buyer)
    release["planning"] = _planning(process)
    return release


def tender_release(process: ProcessFacts, meta: ReleaseMeta) -> dict:
    """The tender as public at ``meta.date``: announcement, amendment, update or cancellation
    (the kind is the tag; the content is always the full snapshot)."""
    release = _base(process, meta)
    release["parties"] = _parties(process, with_procuring_entity=True)
    release["buyer"] = reference(process.buyer)
    release["planning"] = _planning(process)
    release["tender"] = _tender(process, meta)
    statistics = process.tender.bid_statistics
    if statistics:
        release["bids"] = {
            "statistics": [
                {
                    "id": s.id,
                    "measure": s.measure,
                    "value": s.value,
                    "date": _date(s.date, process.node),
                }
                for s in statistics
            ]
        }
    return release


BUILDERS: dict[str, Callable[[ProcessFacts, ReleaseMeta], dict]] = {
    ReleaseKind.PLANNING: planning_release,
    ReleaseKind.TENDER: tender_release,
    ReleaseKind.TENDER_AMENDMENT: tender_release,
    ReleaseKind.TENDER_UPDATE: tender_release,
    ReleaseKind.TENDER_CANCELLATION: tender_release,
}


def build_release(process: ProcessFacts, meta: ReleaseMeta) -> dict:
    """The release of kind ``meta.kind``."""
    return BUILDERS[meta.kind](process, meta)


def kinds_to_publish(
    *, event: str, first: bool, new_amendments: bool, cancelled: bool
) -> list[ReleaseKind]:
    """Which releases a publication event makes: the first publication of a process is its
    planning and tender releases (and its cancellation, when a node publishes a tender that was
    cancelled before open data existed); then a cancellation, an amendment (any change not yet
    published with a rationale) or an update."""
    if first:
        kinds = [ReleaseKind.PLANNING, ReleaseKind.TENDER]
        if cancelled:
            kinds.append(ReleaseKind.TENDER_CANCELLATION)
        return kinds
    if cancelled and event == "cancelled":
        return [ReleaseKind.TENDER_CANCELLATION]
    if new_amendments:
        return [ReleaseKind.TENDER_AMENDMENT]
    return [ReleaseKind.TENDER_UPDATE]
