"""Outages over the API: the public list and status, declarations by an administrator, the
Pokja's decisions, probe keys and signed probe reports.

``router`` is mounted at ``/outages``, ``status_router`` at ``/status``.
"""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from tangguh.accounts.api import Strict, bearer, browser_or_bearer
from tangguh.outages.selectors import (
    decision_row,
    decisions_all,
    outage_row,
    outages_all,
    status_snapshot,
)
from tangguh.outages.services.decisions import outage_decision_record
from tangguh.outages.services.outages import ApplyReport, outage_declare
from tangguh.outages.services.probes import probe_key_register, probe_report_accept

router = Router(tags=["outages"])
status_router = Router(tags=["outages"])


class OutageIn(Strict):
    start: datetime
    end: datetime
    reason: str = Field(max_length=2000)
    scope: str = Field(default="node", max_length=60)


class OutageOut(Schema):
    id: int
    source: str
    scope: str
    start: datetime
    end: datetime
    minutes: int
    reason: str
    counts: bool
    recorded_at: datetime
    applied: bool
    probe: str | None


class DeclaredOut(Schema):
    outage: OutageOut
    extended: list[dict]
    decisions: list[dict]


class DecisionIn(Strict):
    choice: str = Field(max_length=20)
    reason: str = Field(max_length=2000)


class DecisionOut(Schema):
    id: int
    tender: str
    tender_title: str
    stage: str
    stage_label: str
    stage_label_en: str
    code: str
    message_id: str
    message_en: str
    outages: list[int]
    raised_at: datetime
    choice: str | None
    reason: str
    decided_at: datetime | None


class ProbeKeyIn(Strict):
    name: str = Field(max_length=60)
    public_key: str = Field(max_length=100)


class ProbeKeyOut(Schema):
    name: str
    public_key: str
    registered_at: datetime


class ProbeReportIn(Strict):
    report: str = Field(max_length=2_400_000)  # under Django's 2.5 MB body limit


class ProbeReportOut(Schema):
    accepted_checks: int
    outages: list[OutageOut]
    extended: list[dict]


def _applied(report: ApplyReport) -> tuple[list[dict], list[dict]]:
    extended = [
        {"tender": t.tender.code, "reason": t.change.reason, "diff": t.change.diff}
        for t in report.tenders
        if t.change is not None
    ]
    return extended, [decision_row(d) for d in report.decisions]


@router.get("", response=list[OutageOut], summary="Recorded outages, newest first (public)")
def list_outages(request, limit: int = 100):
    return [outage_row(o) for o in outages_all()[: max(1, min(limit, 1000))]]


@router.post(
    "",
    auth=bearer,
    response={201: DeclaredOut},
    summary="Declare an outage (admin PPE); extensions are applied at once",
)
def declare(request, payload: OutageIn):
    outage, report = outage_declare(
        actor=request.auth,
        start=payload.start,
        end=payload.end,
        reason=payload.reason,
        scope=payload.scope,
    )
    extended, decisions = _applied(report)
    return Status(201, {"outage": outage_row(outage), "extended": extended, "decisions": decisions})


@router.get("/decisions", response=list[DecisionOut], summary="Decisions asked of a Pokja (public)")
def list_decisions(request, tender: str | None = None):
    rows = decisions_all()
    if tender:
        rows = rows.filter(tender__code=tender)
    return [decision_row(d) for d in rows[:200]]


@router.post(
    "/decisions/{decision_id}",
    auth=browser_or_bearer,
    response={200: DecisionOut},
    summary="A Pokja member records the decision, with a public reason",
)
def decide(request, decision_id: int, payload: DecisionIn):
    decision = outage_decision_record(
        actor=request.auth, decision_id=decision_id, choice=payload.choice, reason=payload.reason
    )
    return decision_row(decision)


@router.post(
    "/probe-keys",
    auth=bearer,
    response={201: ProbeKeyOut},
    summary="Register an external probe's Ed25519 key (admin PPE)",
)
def register_probe(request, payload: ProbeKeyIn):
    key = probe_key_register(actor=request.auth, name=payload.name, public_key=payload.public_key)
    return Status(201, key)


@router.post(
    "/probe-reports",
    response={201: ProbeReportOut},
    summary="A signed reachability report from a registered probe (the signature is the auth)",
)
def probe_report(request, payload: ProbeReportIn):
    accepted, outages, report = probe_report_accept(token=payload.report)
    extended, _ = _applied(report)
    return Status(
        201,
        {
            "accepted_checks": accepted,
            "outages": [outage_row(o) for o in outages],
            "extended": extended,
        },
    )


@status_router.get("", response=dict, summary="Service status: health, outages, extensions")
def status(request):
    return status_snapshot()
