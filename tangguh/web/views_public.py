"""Public pages: the tender page (Informasi Tender) with its schedule, documents and history."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from django.shortcuts import render

from tangguh.tenders.detail import tender_public_data
from tangguh.tenders.selectors import tender_get_public


def tender_page(request, code: str):
    tender = tender_get_public(code)
    if tender is None:
        raise Http404("tender")
    data = tender_public_data(tender)
    for change in data["schedule_changes"]:
        change["moves"] = [
            {
                "stage": d["stage"],
                "before": datetime.fromisoformat(d["before"][1]),
                "after": datetime.fromisoformat(d["after"][1]),
            }
            for d in change["diff"]
        ]
    extra = {}
    from django.apps import apps

    if apps.is_installed("tangguh.clarification"):
        from tangguh.clarification.selectors import public_questions

        extra["questions"] = public_questions(tender=tender)
    return render(request, "web/tender.html", {"t": data, "tender": tender, **extra})
