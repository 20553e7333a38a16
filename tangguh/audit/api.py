"""The audit chain over the API: verification and events (auditors)."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from tangguh.accounts.api import bearer
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.selectors import audit_events, audit_verify
from tangguh.audit.services.checkpoints import checkpoint_current
from tangguh.domain.roles import Permission

router = Router(tags=["audit"])


class VerifyOut(Schema):
    ok: bool
    count: int
    head: str
    broken_seq: int | None = None
    reason: str | None = None


class EventOut(Schema):
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    payload: dict
    prev_hash: str
    hash: str


@router.get("/verify", auth=bearer, response=VerifyOut, summary="Verify the whole chain")
def verify(request):
    permission_require(user=request.auth, permission=Permission.VERIFY_AUDIT, action="audit.verify")
    report = audit_verify()
    return {
        "ok": report.ok,
        "count": report.count,
        "head": report.head_hash,
        "broken_seq": report.problem.seq if report.problem else None,
        "reason": report.problem.reason if report.problem else None,
    }


@router.get("/events", auth=bearer, response=list[EventOut], summary="Events after a sequence")
def events(request, after: int = 0, limit: int = 100):
    permission_require(user=request.auth, permission=Permission.READ_AUDIT, action="audit.read")
    return audit_events(after_seq=after, limit=limit)


class CheckpointOut(Schema):
    checkpoint: str
    kid: str
    size: int
    head_hash: str
    made_at: datetime


@router.get(
    "/checkpoint",
    response=CheckpointOut,
    summary="The latest signed checkpoint of the audit log (public; keep it to detect rewrites)",
)
def checkpoint(request):
    made = checkpoint_current()
    return {
        "checkpoint": made.token,
        "kid": made.kid,
        "size": made.size,
        "head_hash": made.head_hash,
        "made_at": made.made_at,
    }
