"""Technical evaluation results of a two-file tender over the API, under ``/api/v1/tenders``:
``POST /{code}/evaluation/technical`` (the Pokja records every bid's result at once, or revises
it before the price opening) and ``GET /{code}/evaluation/technical`` (the Pokja reads them)."""

from __future__ import annotations

from ninja import Router, Status
from pydantic import Field

from tangguh.accounts.api import Strict, bearer
from tangguh.bids.services.opening import opening_tender, require_committee_member
from tangguh.bids.services.receipts import rfc3339
from tangguh.domain.roles import Permission
from tangguh.evaluation.selectors import (
    price_opening_started,
    technical_bids,
    technical_results,
    technical_results_complete,
)
from tangguh.evaluation.services.technical import TechnicalVerdict, technical_results_record

router = Router(tags=["evaluation"])


class VerdictIn(Strict):
    company_nib: str = Field(max_length=20)
    passed: bool
    reason: str = Field(default="", max_length=4000)


class TechnicalResultsIn(Strict):
    results: list[VerdictIn] = Field(max_length=1000)
    revise: bool = False


def _results_out(tender) -> dict:
    results = {r.company_id: r for r in technical_results(tender)}
    bids = []
    for row in technical_bids(tender):
        company = row.envelope.company
        result = results.get(company.pk)
        bids.append(
            {
                "company": company.name,
                "company_nib": company.nib,
                "technical_opened": row.ok,
                "technical_reason": row.reason or None,
                "passed": None if result is None else result.passed,
                "reason": None if result is None else result.reason,
                "recorded_by": None if result is None else result.recorded_by.username,
                "recorded_at": None if result is None else rfc3339(result.recorded_at),
                "revision": None if result is None else result.revision,
            }
        )
    return {
        "tender": tender.code,
        "complete": technical_results_complete(tender),
        "final": price_opening_started(tender),
        "bids": bids,
    }


@router.post(
    "/{code}/evaluation/technical",
    auth=bearer,
    response={200: dict, 201: dict},
    summary="The Pokja records every bid's technical result (two-file), or revises it",
)
def record_technical(request, code: str, payload: TechnicalResultsIn):
    tender = opening_tender(code)
    technical_results_record(
        actor=request.auth,
        tender=tender,
        results=[TechnicalVerdict(v.company_nib, v.passed, v.reason) for v in payload.results],
        revise=payload.revise,
    )
    return Status(200 if payload.revise else 201, _results_out(tender))


@router.get(
    "/{code}/evaluation/technical",
    auth=bearer,
    response={200: dict},
    summary="The technical results of a two-file tender (Pokja)",
)
def read_technical(request, code: str):
    tender = opening_tender(code)
    require_committee_member(
        request.auth, tender, "evaluation.technical_read", permission=Permission.EVALUATE
    )
    return _results_out(tender)
