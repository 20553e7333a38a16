"""Evaluation, award, objections, appeals, SPPBJ and contract over the API, under
``/api/v1/tenders/{code}/``. The routes only translate; every rule is in the services, every
refusal has a stable code (docs/api.md "Evaluation and award")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from pydantic import Field

from tangguh.accounts.api import Strict, bearer
from tangguh.awards.selectors import (
    award_appeals,
    award_objections,
    award_sppbj,
    current_award,
    evaluation_compute,
    evaluation_snapshot,
    public_evaluation,
    tender_contract,
    tender_failures,
    tender_minutes,
)
from tangguh.awards.services.common import award_tender, require_member
from tangguh.awards.services.contract import contract_record, objection_period_end, sppbj_issue
from tangguh.awards.services.decisions import (
    award_pa_decide,
    minute_decide,
    minute_propose,
    minute_vote,
    tender_fail,
    tender_fail_follow_up,
)
from tangguh.awards.services.objections import (
    appeal_answer,
    appeal_file,
    appeal_guarantee_confirm,
    objection_answer,
    objection_file,
    objection_record_outside,
)
from tangguh.awards.services.workspace import (
    BillLine,
    CheckItem,
    ScoreItem,
    bill_parse_csv,
    bill_set,
    checks_record,
    clarification_record,
    scores_record,
    validity_company,
    validity_extend,
)
from tangguh.bids.services.opening import is_committee_member
from tangguh.bids.services.receipts import rfc3339
from tangguh.core.errors import NotFound, PermissionDenied
from tangguh.qualification.selectors import qualification_item_values, qualification_profile_view
from tangguh.vendors.selectors import vendor_companies_of

router = Router(tags=["awards"])
NO_FILE = File(None)  # the objection's document is optional


def _t(value):
    return None if value is None else rfc3339(value)


# --- the workspace ----------------------------------------------------------------------------


@router.get("/{code}/evaluation", auth=bearer, response=dict, summary="The evaluation (Pokja)")
def read_evaluation(request, code: str):
    tender = award_tender(code)
    require_member(request.auth, tender, "evaluation.read")
    return {
        **evaluation_snapshot(evaluation_compute(tender)),
        "minutes": [_minute_out(m) for m in tender_minutes(tender)],
        "failures": [_failure_out(f) for f in tender_failures(tender)],
    }


class BillLineIn(Strict):
    item: str = Field(max_length=300)
    unit: str = Field(max_length=30)
    volume: Decimal


class BillIn(Strict):
    lines: list[BillLineIn] = Field(max_length=5000)


@router.put("/{code}/evaluation/bill", auth=bearer, response=dict, summary="Set the BoQ")
def put_bill(request, code: str, payload: BillIn):
    tender = award_tender(code)
    bill_set(
        actor=request.auth,
        tender=tender,
        lines=[BillLine(x.item.strip(), x.unit.strip(), x.volume) for x in payload.lines],
    )
    return evaluation_snapshot(evaluation_compute(tender))


@router.post("/{code}/evaluation/bill.csv", auth=bearer, response=dict, summary="Import BoQ CSV")
def import_bill(request, code: str, file: File[UploadedFile]):
    tender = award_tender(code)
    content = file.read(5 * 1024 * 1024).decode("utf-8-sig", errors="replace")
    bill_set(actor=request.auth, tender=tender, lines=bill_parse_csv(content), source="csv")
    return evaluation_snapshot(evaluation_compute(tender))


def _workspace_record(request, code: str, service, **fields) -> Status:
    """Record one entry of the evaluation workspace with ``service``; the answer is the
    evaluation as it now stands."""
    tender = award_tender(code)
    service(actor=request.auth, tender=tender, **fields)
    return Status(201, evaluation_snapshot(evaluation_compute(tender)))


class CheckIn(Strict):
    item: str = Field(max_length=200)
    passed: bool
    reason: str = Field(default="", max_length=4000)


class ChecksIn(Strict):
    company_nib: str = Field(max_length=20)
    stage: str = Field(max_length=20)
    items: list[CheckIn] = Field(max_length=200)


@router.post("/{code}/evaluation/checks", auth=bearer, response={201: dict})
def post_checks(request, code: str, payload: ChecksIn):
    items = [CheckItem(i.item, i.passed, i.reason) for i in payload.items]
    return _workspace_record(
        request,
        code,
        checks_record,
        company_nib=payload.company_nib,
        stage=payload.stage,
        items=items,
    )


class ScoreIn(Strict):
    criterion: str = Field(max_length=200)
    weight: Decimal
    score: Decimal


class ScoresIn(Strict):
    company_nib: str = Field(max_length=20)
    scores: list[ScoreIn] = Field(max_length=100)


@router.post("/{code}/evaluation/scores", auth=bearer, response={201: dict})
def post_scores(request, code: str, payload: ScoresIn):
    scores = [ScoreItem(s.criterion, s.weight, s.score) for s in payload.scores]
    return _workspace_record(
        request, code, scores_record, company_nib=payload.company_nib, scores=scores
    )


class ClarificationIn(Strict):
    company_nib: str = Field(max_length=20)
    reasonable: bool
    note: str = Field(max_length=4000)


@router.post("/{code}/evaluation/clarifications", auth=bearer, response={201: dict})
def post_clarification(request, code: str, payload: ClarificationIn):
    return _workspace_record(request, code, clarification_record, **payload.model_dump())


@router.get("/{code}/evaluation/qualification/{nib}", auth=bearer, response=dict)
def read_qualification(request, code: str, nib: str):
    """The vendor's qualification profile, for the Pokja's qualification evaluation."""
    tender = award_tender(code)
    require_member(request.auth, tender, "evaluation.qualification_read")
    bid = next((b for b in evaluation_compute(tender).bids if b.company.nib == nib), None)
    if bid is None:
        raise NotFound("evaluation.bid_unknown", "Penawaran tidak ditemukan.", "No such bid.")
    view = qualification_profile_view(bid.company)
    return {
        "company": bid.company.name,
        "company_nib": nib,
        "business_size": view.business_size,
        "items": [
            {
                "kind": item.kind,
                "verification": item.verification,
                "values": {k: str(v) for k, v in qualification_item_values(item).items()},
            }
            for item in view.items
        ],
    }


# --- minutes and decisions --------------------------------------------------------------------


def _minute_out(minute) -> dict:
    return {
        "id": minute.pk,
        "kind": minute.kind,
        "status": minute.status,
        "content_sha256": minute.content_sha256,
        "content": minute.content,
        "proposed_by": minute.proposed_by.username,
        "proposed_at": _t(minute.proposed_at),
        "decided_at": _t(minute.decided_at) if minute.status == "adopted" else None,
        "votes": [
            {
                "member": v.member.username,
                "approve": v.approve,
                "reason": v.reason,
                "at": _t(v.at),
            }
            for v in minute.votes.all()
        ],
        "members": minute.members,
        "document_sha256": minute.document.sha256 if minute.document_id else None,
        "document_id": minute.document_id,
    }


class MinuteIn(Strict):
    kind: str = Field(max_length=20)
    company_nib: str = Field(default="", max_length=20)


@router.post("/{code}/evaluation/minutes", auth=bearer, response={201: dict})
def post_minute(request, code: str, payload: MinuteIn):
    minute = minute_propose(
        actor=request.auth,
        tender=award_tender(code),
        kind=payload.kind,
        company_nib=payload.company_nib,
    )
    return Status(201, _minute_out(minute))


class VoteIn(Strict):
    approve: bool
    otp: str = Field(max_length=10)
    content_sha256: str = Field(max_length=64)
    reason: str = Field(default="", max_length=4000)


@router.post("/{code}/evaluation/minutes/{minute_id}/votes", auth=bearer, response={201: dict})
def post_vote(request, code: str, minute_id: int, payload: VoteIn):
    tender = award_tender(code)
    minute_vote(
        actor=request.auth,
        tender=tender,
        minute_id=minute_id,
        approve=payload.approve,
        otp=payload.otp,
        content_sha256=payload.content_sha256,
        reason=payload.reason,
    )
    minute = next(m for m in tender_minutes(tender) if m.pk == minute_id)
    return Status(201, _minute_out(minute))


@router.post("/{code}/evaluation/minutes/{minute_id}/decision", auth=bearer, response=dict)
def post_decision(request, code: str, minute_id: int):
    tender = award_tender(code)
    minute_decide(actor=request.auth, tender=tender, minute_id=minute_id)
    minute = next(m for m in tender_minutes(tender) if m.pk == minute_id)
    return _minute_out(minute)


class PaDecisionIn(Strict):
    approve: bool
    note: str = Field(default="", max_length=4000)


@router.post("/{code}/award/pa-decision", auth=bearer, response=dict)
def post_pa_decision(request, code: str, payload: PaDecisionIn):
    tender = award_tender(code)
    award_pa_decide(actor=request.auth, tender=tender, approve=payload.approve, note=payload.note)
    return award_public(tender)


def _failure_out(f) -> dict:
    return {
        "reason": f.reason,
        "reason_label": f.get_reason_display(),
        "note": f.note,
        "detected": f.detected,
        "declared_at": _t(f.declared_at),
        "follow_up": f.follow_up or None,
        "new_tender": f.new_tender.code if f.new_tender_id else None,
    }


class FailureIn(Strict):
    reason: str = Field(max_length=30)
    note: str = Field(max_length=4000)


@router.post("/{code}/failure", auth=bearer, response={201: dict})
def post_failure(request, code: str, payload: FailureIn):
    failure = tender_fail(
        actor=request.auth, tender=award_tender(code), reason=payload.reason, note=payload.note
    )
    return Status(201, _failure_out(failure))


class FollowUpIn(Strict):
    action: str = Field(max_length=20)


@router.post("/{code}/failure/follow-up", auth=bearer, response=dict)
def post_follow_up(request, code: str, payload: FollowUpIn):
    failure = tender_fail_follow_up(
        actor=request.auth, tender=award_tender(code), action=payload.action
    )
    return _failure_out(failure)


# --- the public announcement ------------------------------------------------------------------


def _objection_out(o, *, full: bool) -> dict:
    out = {
        "id": o.pk,
        "company": o.company.name,
        "filed_at": _t(o.filed_at),
        "text": o.text,
        "document_filename": o.document_filename or None,
        "document_sha256": o.document_sha256 or None,
        "answer": o.answer or None,
        "upheld": o.upheld,
        "answered_at": _t(o.answered_at),
        "answered_late": o.answered_late,
        "received_outside": o.received_outside,
    }
    if full:
        out["company_nib"] = o.company.nib
    return out


def award_public(tender) -> dict:
    """What everyone sees: the winner and reserves with their evaluated prices, the windows,
    the objections and their answers, appeals, the SPPBJ and the contract."""
    award = current_award(tender)
    failures = [_failure_out(f) for f in tender_failures(tender)]
    if award is None:
        return {"tender": tender.code, "award": None, "failures": failures}
    announced = award.status == "announced"
    contract = tender_contract(tender)
    sppbj = award_sppbj(award)
    end = objection_period_end(tender, award) if announced else None
    minute = award.minute
    return {
        "tender": tender.code,
        "title": tender.title,
        "hps": str(tender.package.owner_estimate),
        "award": {
            "status": award.status,
            "winner": (
                {
                    "company": award.company.name,
                    "company_nib": award.company.nib,
                    "price": str(award.price),
                    "evaluated_price": minute.content["winner"]["evaluated_price"],
                }
                if announced
                else None
            ),
            "reserves": award.reserves if announced else [],
            "announced_at": _t(award.announced_at),
            "objection_end": _t(award.objection_end),
            "answer_due": _t(award.answer_due),
            "period_end": _t(end),
            "minutes_document_id": minute.document_id,
            "pa_note": award.pa_note or None,
        },
        "evaluation": public_evaluation(award) if announced else [],
        "objections": [_objection_out(o, full=False) for o in award_objections(award)]
        if announced
        else [],
        "appeals": [
            {
                "id": a.pk,
                "company": a.company.name,
                "filed_at": _t(a.filed_at),
                "guarantee_amount": str(a.guarantee_amount),
                "guarantee_confirmed_at": _t(a.guarantee_confirmed_at),
                "answer_due": _t(a.answer_due),
                "answer": a.answer or None,
                "upheld": a.upheld,
                "answered_at": _t(a.answered_at),
            }
            for a in award_appeals(award)
        ],
        "sppbj": None
        if sppbj is None
        else {"number": sppbj.number, "issued_at": _t(sppbj.issued_at), "late": sppbj.late},
        "contract": None
        if contract is None
        else {
            "number": contract.number,
            "value": str(contract.value),
            "signed_on": contract.signed_on.isoformat(),
            "start_on": contract.start_on.isoformat(),
            "end_on": contract.end_on.isoformat(),
            "ppk_signatory": contract.ppk_signatory,
            "vendor_signatory": contract.vendor_signatory,
            "performance_guarantee": None
            if contract.performance_guarantee is None
            else str(contract.performance_guarantee),
        },
        "failures": failures,
    }


@router.get("/{code}/award", response=dict, summary="The award announcement (public)")
def read_award(request, code: str):
    return award_public(award_tender(code))


# --- objections and appeals -------------------------------------------------------------------


@router.post("/{code}/objections", auth=bearer, response={201: dict})
def post_objection(request, code: str, text: Form[str], file: UploadedFile | None = NO_FILE):
    objection = objection_file(
        actor=request.auth,
        tender=award_tender(code),
        text=text,
        filename=(file.name or "") if file else "",
        handle=file,
    )
    return Status(201, _objection_out(objection, full=True))


@router.get("/{code}/objections", auth=bearer, response=dict)
def read_objections(request, code: str):
    """The Pokja sees every objection; a vendor its own companies'."""
    tender = award_tender(code)
    award = current_award(tender)
    rows = award_objections(award) if award else []
    if not is_committee_member(request.auth, tender):
        mine = {c.pk for c in vendor_companies_of(request.auth)}
        if not mine:
            raise PermissionDenied(
                "objection.not_participant",
                "Hanya Pokja atau peserta.",
                "Only the committee or a participant.",
            )
        rows = [o for o in rows if o.company_id in mine]
    return {"objections": [_objection_out(o, full=True) for o in rows]}


class OutsideIn(Strict):
    company_nib: str = Field(max_length=20)
    text: str = Field(max_length=20000)
    received_at: dt.datetime
    outage_id: int


@router.post("/{code}/objections/outside", auth=bearer, response={201: dict})
def post_objection_outside(request, code: str, payload: OutsideIn):
    """The Pokja records an objection delivered outside the system during a recorded outage."""
    objection = objection_record_outside(
        actor=request.auth, tender=award_tender(code), **payload.model_dump()
    )
    return Status(201, _objection_out(objection, full=True))


class AnswerIn(Strict):
    answer: str = Field(max_length=20000)
    upheld: bool


@router.post("/{code}/objections/{objection_id}/answer", auth=bearer, response=dict)
def post_objection_answer(request, code: str, objection_id: int, payload: AnswerIn):
    objection = objection_answer(
        actor=request.auth,
        tender=award_tender(code),
        objection_id=objection_id,
        answer=payload.answer,
        upheld=payload.upheld,
    )
    return _objection_out(objection, full=True)


class AppealIn(Strict):
    objection_id: int
    text: str = Field(max_length=20000)
    guarantee_reference: str = Field(max_length=200)


def _appeal_out(a) -> dict:
    return {
        "id": a.pk,
        "objection_id": a.objection_id,
        "guarantee_amount": str(a.guarantee_amount),
        "guarantee_reference": a.guarantee_reference,
        "guarantee_confirmed_at": _t(a.guarantee_confirmed_at),
        "answer_due": _t(a.answer_due),
        "answer": a.answer or None,
        "upheld": a.upheld,
        "answered_at": _t(a.answered_at),
    }


@router.post("/{code}/appeals", auth=bearer, response={201: dict})
def post_appeal(request, code: str, payload: AppealIn):
    appeal = appeal_file(
        actor=request.auth,
        tender=award_tender(code),
        objection_id=payload.objection_id,
        text=payload.text,
        guarantee_reference=payload.guarantee_reference,
    )
    return Status(201, _appeal_out(appeal))


@router.post("/{code}/appeals/{appeal_id}/guarantee", auth=bearer, response=dict)
def post_appeal_guarantee(request, code: str, appeal_id: int):
    appeal = appeal_guarantee_confirm(
        actor=request.auth, tender=award_tender(code), appeal_id=appeal_id
    )
    return _appeal_out(appeal)


@router.post("/{code}/appeals/{appeal_id}/answer", auth=bearer, response=dict)
def post_appeal_answer(request, code: str, appeal_id: int, payload: AnswerIn):
    appeal = appeal_answer(
        actor=request.auth,
        tender=award_tender(code),
        appeal_id=appeal_id,
        answer=payload.answer,
        upheld=payload.upheld,
    )
    return _appeal_out(appeal)


# --- bid validity, SPPBJ and contract ---------------------------------------------------------


class ValidityIn(Strict):
    valid_until: dt.date
    # required when the tender asks for a bid guarantee (validity.guarantee_short otherwise)
    guarantee_valid_until: dt.date | None = None


@router.post("/{code}/bid-validity", auth=bearer, response={201: dict})
def post_validity(request, code: str, payload: ValidityIn):
    tender = award_tender(code)
    company = validity_company(actor=request.auth, tender=tender)
    validity_extend(
        actor=request.auth,
        tender=tender,
        company=company,
        valid_until=payload.valid_until,
        guarantee_valid_until=payload.guarantee_valid_until,
    )
    return Status(201, {"company_nib": company.nib, "valid_until": str(payload.valid_until)})


class SppbjIn(Strict):
    number: str = Field(max_length=100)


@router.post("/{code}/sppbj", auth=bearer, response={201: dict})
def post_sppbj(request, code: str, payload: SppbjIn):
    tender = award_tender(code)
    sppbj_issue(actor=request.auth, tender=tender, number=payload.number)
    return Status(201, award_public(tender))


class ContractIn(Strict):
    number: str = Field(max_length=100)
    value: Decimal
    signed_on: dt.date
    start_on: dt.date
    end_on: dt.date
    ppk_signatory: str = Field(max_length=200)
    vendor_signatory: str = Field(max_length=200)


@router.post("/{code}/contract", auth=bearer, response={201: dict})
def post_contract(request, code: str, payload: ContractIn):
    tender = award_tender(code)
    contract_record(actor=request.auth, tender=tender, **payload.model_dump())
    return Status(201, award_public(tender))
