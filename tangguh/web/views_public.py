"""Public pages: the tender page (Informasi Tender) with its schedule, documents, questions and
history; for a vendor also registration, downloads and the question form."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from django.shortcuts import render

from tangguh.clarification.selectors import clarification_stage, public_questions
from tangguh.domain.methods import StageKind
from tangguh.participation.selectors import is_committee_member, pact_for, participation_of_user
from tangguh.tenders.detail import tender_public_data
from tangguh.tenders.selectors import tender_get_public
from tangguh.vendors.selectors import vendor_companies_of


def _vendor_context(request, tender) -> dict:
    user = request.user
    if not user.is_authenticated:
        return {}
    context: dict = {"is_committee": is_committee_member(user, tender)}
    companies = vendor_companies_of(user)
    if not companies:
        return context
    participation = participation_of_user(user, tender)
    context["participation"] = participation
    if participation is None:
        context["pact"] = pact_for(user=user, company=companies[0], tender=tender)
        context["company"] = companies[0]
    stage = clarification_stage(tender)
    from tangguh import clock

    now = clock.now()
    context["can_ask"] = bool(participation and stage and stage.start <= now < stage.end)
    return context


def tender_page(request, code: str):
    tender = tender_get_public(code)
    if tender is None:
        raise Http404("tender")
    data = tender_public_data(tender)
    for change in data["schedule_changes"]:
        change["moves"] = [
            {
                "stage": StageKind(d["stage"]).label_id,
                "stage_en": StageKind(d["stage"]).label_en,
                "before": datetime.fromisoformat(d["before"][1]),
                "after": datetime.fromisoformat(d["after"][1]),
            }
            for d in change["diff"]
        ]
    return render(
        request,
        "web/tender.html",
        {
            "t": data,
            "tender": tender,
            "questions": public_questions(tender=tender),
            "sealing_keys": tender.sealing_keys.order_by("envelope"),
            **_vendor_context(request, tender),
        },
    )
