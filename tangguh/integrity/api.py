"""Red flags (public) and the auditor dossier (auditors) over the API."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from ninja import Router

from tangguh.accounts.api import bearer
from tangguh.accounts.services.permissions import permission_require
from tangguh.core.errors import NotFound
from tangguh.domain.roles import Permission
from tangguh.integrity.selectors import tender_red_flags, tenders_red_flags, thresholds
from tangguh.integrity.services.dossier import dossier_tar_stream
from tangguh.tenders.selectors import tender_get_public

router = Router(tags=["integrity"])
tenders_router = Router(tags=["integrity"])


def _tender(code: str):
    tender = tender_get_public(code)
    if tender is None:
        raise NotFound(
            "tender.not_found",
            f"Tender {code} tidak ditemukan.",
            f"No tender {code}.",
            field="code",
        )
    return tender


@tenders_router.get(
    "/{code}/red-flags",
    response=dict,
    summary="A tender's red flags, with definitions, Cardinal codes and evidence links",
)
def tender_flags(request, code: str):
    tender = _tender(code)
    return {
        "tender": tender.code,
        "thresholds": thresholds(),
        "flags": [view.as_json() for view in tender_red_flags(tender)],
    }


@router.get(
    "",
    response=dict,
    summary="Announced tenders with their red flags (newest first; ?agency=ID, ?flagged=true)",
)
def flags_list(
    request, agency: int | None = None, flagged: bool = False, limit: int = 50, offset: int = 0
):
    rows = tenders_red_flags(
        agency_id=agency, flagged_only=flagged, limit=limit, offset=max(0, offset)
    )
    return {"tenders": [row.as_json() for row in rows], "thresholds": thresholds()}


@tenders_router.get(
    "/{code}/dossier",
    auth=bearer,
    summary="The auditor dossier of a tender as a streamed tar (auditors; recorded as a read)",
)
def dossier(request, code: str):
    permission_require(user=request.auth, permission=Permission.READ_AUDIT, action="audit.dossier")
    tender = _tender(code)
    _, stream = dossier_tar_stream(tender=tender, actor=request.auth)
    response = StreamingHttpResponse(stream, content_type="application/x-tar")
    response["Content-Disposition"] = f'attachment; filename="dossier-{tender.code}.tar"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
