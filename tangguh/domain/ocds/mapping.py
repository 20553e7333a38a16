"""Releases from facts: one mapping function per release kind (``BUILDERS``), each returning
the release as a plain dict, ready to be written as JSON.

Every release of a tender is a full snapshot of what is public at its date (planning, parties,
tender with its documents and amendments, bid statistics once public), so a reader of any one
release, or of the compiled record, sees the whole process. Free text typed by people passes
through ``personal_data.redact`` first (UU 27/2022).

Award and contract releases are the same snapshot, which from the award announcement also
holds the awards (winner as ``supplier``, price, reserves, objections and appeals as
``complaints`` documents), the evaluated bids (bids extension ``details``) with every tenderer
as a party, and from its recording the contract. A failed tender is ``unsuccessful``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

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
    AwardFacts,
    BidFacts,
    ContractFacts,
    DocumentFacts,
    NodeFacts,
    PartyFacts,
    PeriodFacts,
    ProcessFacts,
    ReleaseMeta,
    ReviewFacts,
    TenderFacts,
)
from tangguh.domain.ocds.identifiers import rfc3339
from tangguh.domain.ocds.personal_data import redact

CURRENCY = "IDR"
LANGUAGE = "id"
REVIEW_TEXT_MAX = 2000


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


def _day(day: date, node: NodeFacts, *, end: bool = False) -> str:
    """A calendar date (a contract's signing, start, end) as the start (or the last second)
    of that day in the node's zone: OCDS dates are date-times with a zone."""
    moment = datetime.combine(day, time(23, 59, 59) if end else time(0), ZoneInfo(node.zone))
    return rfc3339(moment, node.zone)


def _rupiah(amount: Decimal | None) -> str:
    """Rp2.389.547.250 (whole rupiah, Indonesian thousands separator)."""
    if amount is None:
        return "-"
    return "Rp" + f"{int(round_rupiah(amount)):,}".replace(",", ".")


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
    """Parties by id; a body in two roles (a work unit running its own selection, a tenderer
    that won) is one party holding both."""
    merged: dict[str, PartyFacts] = {}
    members = [process.buyer]
    if with_procuring_entity:
        members.append(process.procuring_entity)
        members.extend(process.tender.tenderers)
        for award in process.awards:
            members.append(_with_role(award.supplier, "supplier"))
            if award.review_body is not None:
                members.append(_with_role(award.review_body, "reviewBody"))
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


def _with_role(facts: PartyFacts, role: str) -> PartyFacts:
    roles = facts.roles if role in facts.roles else (*facts.roles, role)
    return PartyFacts(facts.id, facts.name, roles, facts.scheme, facts.legal_id)


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
    if tender.sealing_fingerprints:
        details += (
            " Sidik jari kunci sampul: "
            + "; ".join(
                f"{envelope} {fingerprint}" for envelope, fingerprint in tender.sealing_fingerprints
            )
            + "."
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
        "status": _tender_status(process),
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
    if tender.failure is not None:
        failure = tender.failure
        documents.append(
            _document(
                DocumentFacts(
                    id="tender-gagal",
                    kind="failure",
                    title=f"Tender gagal: {failure.reason_label} (Perpres 16/2018 Ps 51)",
                    published=failure.date,
                    note=failure.note,
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


def _tender_status(process: ProcessFacts) -> str:
    """tenderStatus.csv (closed): cancelled (dibatalkan); unsuccessful (tender gagal, Ps 51);
    complete once a winner is announced (the selection is over; an upheld objection or a
    re-evaluation makes it active again); active otherwise."""
    tender = process.tender
    if tender.cancelled_at:
        return "cancelled"
    if tender.failure is not None:
        return "unsuccessful"
    if any(award.status == "active" for award in process.awards):
        return "complete"
    return "active"


def _bid(facts: BidFacts) -> dict:
    out: dict = {
        "id": facts.id,
        "status": facts.status,
        "tenderers": [reference(facts.tenderer)],
    }
    if facts.price is not None:
        out["value"] = value(facts.price)
    return out


def _evaluation_report(process: ProcessFacts, award: AwardFacts) -> dict:
    """The adopted evaluation result in words (the bids extension has no field for a bid's
    rank or the reason it was excluded): every bidder with its price and rank or reason."""
    lines = []
    for bid in sorted(process.tender.bids, key=lambda b: (b.rank is None, b.rank or 0, b.id)):
        name = redact(bid.tenderer.name)
        if bid.status == "valid":
            lines.append(f"{name}: {_rupiah(bid.price)}, peringkat {bid.rank or '-'}")
        else:
            lines.append(f"{name}: {_rupiah(bid.price)}, gugur — {redact(bid.reason) or '-'}")
    return _document(
        DocumentFacts(
            id=f"{award.id}-hasil-evaluasi",
            kind="evaluation_result",
            title="Hasil evaluasi penawaran",
            published=award.date,
            note="; ".join(lines) or "Tidak ada penawaran yang dievaluasi.",
            url=award.page_url,
            content_type="text/html" if award.page_url else "",
        ),
        process.node,
    )


def _review(facts: ReviewFacts, award: AwardFacts, node: NodeFacts) -> dict:
    """An objection or an appeal, with its answer, as a ``complaints`` document of the award
    (objections and answers are public, SPEC "Objections")."""
    text = redact(facts.text)
    if len(text) > REVIEW_TEXT_MAX:
        text = text[: REVIEW_TEXT_MAX - 1] + "…"
    if facts.kind == "appeal":
        title = f"Sanggah banding {redact(facts.party.name)} kepada PA/KPA"
    else:
        title = f"Sanggah {redact(facts.party.name)} kepada Pokja Pemilihan"
    if facts.answered is None:
        answer = "Belum dijawab."
    else:
        verdict = "diterima" if facts.upheld else "ditolak"
        answer = f"Jawaban ({_local(facts.answered, node)}, {verdict}): {redact(facts.answer)}"
    return _document(
        DocumentFacts(
            id=facts.id,
            kind="complaint",
            title=title,
            published=facts.filed,
            note=f"{text} — {answer}",
            url=award.page_url,
            content_type="text/html" if award.page_url else "",
        ),
        node,
    )


def _award(process: ProcessFacts, facts: AwardFacts) -> dict:
    node = process.node
    description = f"Pemenang: {redact(facts.supplier.name)}, harga {_rupiah(facts.price)}"
    if facts.evaluated_price is not None and round_rupiah(facts.evaluated_price) != round_rupiah(
        facts.price
    ):
        description += (
            f" (harga evaluasi {_rupiah(facts.evaluated_price)} hanya untuk peringkat, "
            "preferensi harga dalam negeri; nilai kontrak adalah harga penawaran)"
        )
    for rank, reserve, price in facts.reserves:
        description += f". Pemenang cadangan {rank}: {redact(reserve.name)}, {_rupiah(price)}"
    if facts.objection_end is not None:
        description += f". Masa sanggah sampai {_local(facts.objection_end, node)}"
    out: dict = {
        "id": facts.id,
        "title": f"Penetapan pemenang tender {process.tender.code}",
        "description": description + ".",
        "status": facts.status,
        "date": _date(facts.date, node),
        "value": value(facts.price),
        "suppliers": [reference(facts.supplier)],
    }
    documents = [_evaluation_report(process, facts)] if process.tender.bids else []
    documents += [_review(r, facts, node) for r in sorted(facts.reviews, key=lambda r: r.filed)]
    if documents:
        out["documents"] = documents
    return out


def _contract(process: ProcessFacts, facts: ContractFacts) -> dict:
    node = process.node
    award = next((a for a in process.awards if a.id == facts.award_id), None)
    supplier = redact(award.supplier.name) if award else "-"
    description = (
        f"Kontrak nomor {redact(facts.number)} antara {redact(process.buyer.name)} dan "
        f"{supplier}, ditandatangani oleh pejabat yang berwenang dari kedua pihak"
    )
    if facts.performance_guarantee is not None:
        description += f"; jaminan pelaksanaan {_rupiah(facts.performance_guarantee)}"
    return {
        "id": facts.id,
        "awardID": facts.award_id,
        "title": f"Kontrak {redact(facts.number)}",
        "description": description + ".",
        "status": "active",
        "period": {
            "startDate": _day(facts.start_on, node),
            "endDate": _day(facts.end_on, node, end=True),
        },
        "value": value(facts.value),
        "dateSigned": _day(facts.signed_on, node),
    }


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
    bids: dict = {}
    if statistics:
        bids["statistics"] = [
            {
                "id": s.id,
                "measure": s.measure,
                "value": s.value,
                "date": _date(s.date, process.node),
            }
            for s in statistics
        ]
    if process.tender.bids:
        bids["details"] = [_bid(b) for b in process.tender.bids]
    if bids:
        release["bids"] = bids
    if process.awards:
        release["awards"] = [_award(process, a) for a in process.awards]
    if process.contracts:
        release["contracts"] = [_contract(process, c) for c in process.contracts]
    return release


BUILDERS: dict[str, Callable[[ProcessFacts, ReleaseMeta], dict]] = {
    ReleaseKind.PLANNING: planning_release,
    ReleaseKind.TENDER: tender_release,
    ReleaseKind.TENDER_AMENDMENT: tender_release,
    ReleaseKind.TENDER_UPDATE: tender_release,
    ReleaseKind.TENDER_CANCELLATION: tender_release,
    # Awards and contracts are in the same snapshot; the tag says what this release adds.
    ReleaseKind.AWARD: tender_release,
    ReleaseKind.AWARD_UPDATE: tender_release,
    ReleaseKind.CONTRACT: tender_release,
}


def build_release(process: ProcessFacts, meta: ReleaseMeta) -> dict:
    """The release of kind ``meta.kind``."""
    return BUILDERS[meta.kind](process, meta)


def kinds_to_publish(
    *,
    event: str,
    first: bool,
    new_amendments: bool,
    cancelled: bool,
    awarded: bool = False,
    contracted: bool = False,
) -> list[ReleaseKind]:
    """Which releases a publication event makes: the first publication of a process is its
    planning and tender releases (and its cancellation, award and contract, when a node
    publishes a tender that got that far before open data existed); then a cancellation, an
    award (``award``: the announcement), a contract (``contract``: recorded), an amendment (any
    change not yet published with a rationale) or an update (a failed tender among them)."""
    if first:
        kinds = [ReleaseKind.PLANNING, ReleaseKind.TENDER]
        if cancelled:
            kinds.append(ReleaseKind.TENDER_CANCELLATION)
        if awarded or event == "award":
            kinds.append(ReleaseKind.AWARD)
        if contracted or event == "contract":
            kinds.append(ReleaseKind.CONTRACT)
        return kinds
    if cancelled and event == "cancelled":
        return [ReleaseKind.TENDER_CANCELLATION]
    if event == "award":
        return [ReleaseKind.AWARD]
    if event == "contract":
        return [ReleaseKind.CONTRACT]
    if event == "award_update":  # an objection or appeal filed or answered
        return [ReleaseKind.AWARD_UPDATE]
    if new_amendments:
        return [ReleaseKind.TENDER_AMENDMENT]
    return [ReleaseKind.TENDER_UPDATE]
