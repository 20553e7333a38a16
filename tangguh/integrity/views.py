"""Public red flag pages: per tender, per agency, and node-wide (the auditors' list)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from tangguh.integrity.selectors import (
    agency_get,
    opening_rows,
    schedule_change_rows,
    tender_red_flags,
    tenders_red_flags,
    thresholds,
)
from tangguh.tenders.selectors import tender_get_public


def _page(request) -> int:
    try:
        return max(0, int(request.GET.get("hal", "0")))
    except ValueError:
        return 0


def tender_flags_page(request, code: str):
    tender = tender_get_public(code)
    if tender is None:
        raise Http404("tender")
    return render(
        request,
        "integrity/tender.html",
        {
            "tender": tender,
            "flags": tender_red_flags(tender),
            "opening": opening_rows(tender),
            "changes": schedule_change_rows(tender),
            "thresholds": thresholds(),
        },
    )


def agency_flags_page(request, agency_id: int):
    agency = agency_get(agency_id)
    if agency is None:
        raise Http404("agency")
    page = _page(request)
    return render(
        request,
        "integrity/list.html",
        {
            "agency": agency,
            "rows": tenders_red_flags(agency_id=agency.pk, limit=50, offset=page * 50),
            "page": page,
        },
    )


def node_flags_page(request):
    page = _page(request)
    return render(
        request,
        "integrity/list.html",
        {
            "agency": None,
            "rows": tenders_red_flags(flagged_only=True, limit=50, offset=page * 50),
            "page": page,
        },
    )
