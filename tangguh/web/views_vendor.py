"""Pages a vendor and the public use around a tender: search, registration with the integrity
pact, document downloads, questions; the inbox."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from tangguh import clock
from tangguh.clarification.services.questions import question_ask
from tangguh.core.errors import ServiceError
from tangguh.notifications.selectors import inbox_page
from tangguh.notifications.services import notification_mark_read
from tangguh.organizations.models import Agency
from tangguh.participation.http import blob_attachment
from tangguh.participation.selectors import my_tenders
from tangguh.participation.services.downloads import tender_document_download
from tangguh.participation.services.registration import participation_register
from tangguh.planning.models import Category
from tangguh.search.selectors import SearchPhase, search_tenders
from tangguh.tenders.selectors import tender_get_public


def _error(request, exc: ServiceError) -> None:
    messages.error(request, exc.message(get_language()))


def search_page(request):
    params = request.GET
    result, error = None, None
    try:
        result = search_tenders(
            q=params.get("q", ""),
            category=params.get("category") or None,
            agency_id=int(params["agency"]) if params.get("agency", "").isdigit() else None,
            fiscal_year=int(params["year"]) if params.get("year", "").isdigit() else None,
            value_min=int(params["min"]) if params.get("min", "").isdigit() else None,
            value_max=int(params["max"]) if params.get("max", "").isdigit() else None,
            phase=params.get("status") or None,
            sort=params.get("sort") or "deadline",
            page=int(params["page"]) if params.get("page", "").isdigit() else 1,
        )
    except ServiceError as exc:
        error = exc.message(get_language())
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "web/search.html",
        {
            "result": result,
            "error": error,
            "params": params,
            "query": query.urlencode(),
            "categories": Category.choices,
            "phases": list(SearchPhase),
            "agencies": Agency.objects.order_by("name"),
        },
        status=200 if error is None else 422,
    )


@login_required
@require_POST
def tender_register(request, code: str):
    try:
        _, created = participation_register(
            actor=request.user,
            tender_code=code,
            company_id=None,
            accept_integrity_pact=request.POST.get("accept") == "yes",
            pact_sha256=request.POST.get("pact_sha256", ""),
        )
        messages.success(
            request,
            "Anda terdaftar sebagai peserta / you are registered."
            if created
            else "Sudah terdaftar / already registered.",
        )
    except ServiceError as exc:
        _error(request, exc)
    return redirect("web:tender", code=code)


@login_required
def tender_download(request, code: str, document_id: int):
    try:
        document = tender_document_download(
            actor=request.user, tender_code=code, document_id=document_id
        )
    except ServiceError as exc:
        _error(request, exc)
        return redirect("web:tender", code=code)
    return blob_attachment(
        sha256=document.sha256,
        filename=document.filename,
        content_type=document.content_type,
        size=document.size,
    )


@login_required
@require_POST
def tender_ask(request, code: str):
    tender = tender_get_public(code)
    if tender is None:
        return redirect("web:home")
    try:
        question_ask(
            actor=request.user,
            tender_id=tender.pk,
            text=request.POST.get("text", ""),
            section=request.POST.get("section", ""),
        )
        messages.success(request, "Pertanyaan terkirim / question sent.")
    except ServiceError as exc:
        _error(request, exc)
    return redirect("web:tender", code=code)


@login_required
def my_tenders_page(request):
    return render(request, "web/my_tenders.html", {"rows": my_tenders(request.user, clock.now())})


@login_required
def inbox(request):
    page = int(request.GET["page"]) if request.GET.get("page", "").isdigit() else 1
    return render(request, "web/inbox.html", {"inbox": inbox_page(user=request.user, page=page)})


@login_required
@require_POST
def inbox_read(request, notification_id: int):
    try:
        notification_mark_read(actor=request.user, notification_id=notification_id)
    except ServiceError as exc:
        _error(request, exc)
    return redirect("web:inbox")
