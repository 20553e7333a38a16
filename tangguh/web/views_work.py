"""Pages for the officials' daily work: the PPK's packages, the UKPBJ head's backlog, the
Pokja's incoming packages and tender preparation. Views call services; nothing else."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from tangguh.accounts.selectors import user_grants
from tangguh.bids.services.keys import (
    sealing_keys_readiness,
    tender_keys_deal,
    tender_keys_redeal,
)
from tangguh.clarification.selectors import tender_questions
from tangguh.clarification.services.addenda import addendum_issue
from tangguh.clarification.services.minutes import minutes_publish
from tangguh.clarification.services.questions import question_answer
from tangguh.core.errors import ServiceError
from tangguh.domain.methods import Method
from tangguh.domain.roles import Role
from tangguh.organizations.models import Committee, ProcurementUnit, WorkUnit
from tangguh.planning.models import Category, Package
from tangguh.planning.selectors import (
    backlog,
    backlog_summary,
    packages_for,
    rup_copy_for_work_unit,
)
from tangguh.planning.services import (
    CSV_COLUMNS,
    package_assign,
    package_create,
    package_delegate,
    plan_items_import_csv,
    plan_items_import_from_copy,
)
from tangguh.tenders.detail import tender_public_data
from tangguh.tenders.models import EvaluationMethod, Tender
from tangguh.tenders.services.documents import tender_document_add
from tangguh.tenders.services.lifecycle import (
    tender_announce,
    tender_cancel,
    tender_change_schedule,
)
from tangguh.tenders.services.setup import tender_prepare, tender_propose_schedule


def _scopes(user, role: Role, kind: str) -> list[int]:
    return [
        int(g.scope.split(":", 1)[1])
        for g in user_grants(user)
        if g.role == role and g.scope.startswith(kind + ":")
    ]


def _fail(request, exc: ServiceError) -> None:
    text = exc.message(get_language())
    for item in exc.details or []:
        text += " • " + (item["message_en"] if get_language() == "en" else item["message_id"])
    messages.error(request, text)


@login_required
def ppk_packages(request):
    units = WorkUnit.objects.filter(
        pk__in=_scopes(request.user, Role.COMMITMENT_OFFICER, "work_unit")
    )
    if not units:
        return render(request, "web/forbidden.html", status=403)
    if request.method == "POST":
        try:
            package = package_create(
                actor=request.user,
                work_unit_id=int(request.POST.get("work_unit_id") or 0),
                title=request.POST.get("title", ""),
                category=request.POST.get("category", ""),
                budget=request.POST.get("budget", ""),
                owner_estimate=request.POST.get("owner_estimate", ""),
                location=request.POST.get("location", ""),
                fiscal_year=request.POST.get("fiscal_year", 0),
            )
            messages.success(request, f"Paket dibuat / package created: {package.title}")
            return redirect("web:ppk_packages")
        except ServiceError as exc:
            _fail(request, exc)
    units_list = list(units)
    return render(
        request,
        "web/ppk_packages.html",
        {
            "units": units_list,
            "categories": Category.choices,
            "packages": packages_for(request.user),
            "procurement_units": ProcurementUnit.objects.filter(
                agency_id__in={u.agency_id for u in units_list}
            ),
            "form": request.POST if request.method == "POST" else {},
        },
    )


@login_required
def ppk_import(request):
    """RUP lines from a CSV file, or chosen from the local copy of SiRUP; every refused row or
    code is reported with its reason."""
    units = list(
        WorkUnit.objects.filter(pk__in=_scopes(request.user, Role.COMMITMENT_OFFICER, "work_unit"))
    )
    if not units:
        return render(request, "web/forbidden.html", status=403)
    report = copy_report = None
    if request.method == "POST" and request.POST.get("action") == "copy":
        try:
            copy_report = plan_items_import_from_copy(
                actor=request.user,
                work_unit_id=int(request.POST.get("work_unit_id") or 0),
                rup_codes=request.POST.getlist("rup_code"),
                partial=request.POST.get("partial") == "yes",
            )
        except ServiceError as exc:
            _fail(request, exc)
    elif request.method == "POST" and request.FILES.get("file"):
        content = request.FILES["file"].read(5 * 1024 * 1024 + 1)
        try:
            report = plan_items_import_csv(
                actor=request.user,
                work_unit_id=int(request.POST.get("work_unit_id") or 0),
                content=content.decode("utf-8-sig", errors="replace"),
                partial=request.POST.get("partial") == "yes",
            )
        except ServiceError as exc:
            _fail(request, exc)
    chosen = request.POST.get("work_unit_id") or request.GET.get("unit") or ""
    unit = next((u for u in units if str(u.pk) == chosen), units[0])
    return render(
        request,
        "web/ppk_import.html",
        {
            "units": units,
            "report": report,
            "columns": CSV_COLUMNS,
            "copy_unit": unit,
            "copy_rows": rup_copy_for_work_unit(unit),
            "copy_report": copy_report,
        },
    )


@login_required
@require_POST
def ppk_delegate(request, package_id: int):
    try:
        package_delegate(
            actor=request.user,
            package_id=package_id,
            procurement_unit_id=int(request.POST.get("procurement_unit_id") or 0),
        )
        messages.success(request, "Paket didelegasikan ke UKPBJ / delegated to the UKPBJ.")
    except ServiceError as exc:
        _fail(request, exc)
    return redirect("web:ppk_packages")


@login_required
def ukpbj_backlog(request):
    units = _scopes(request.user, Role.PROCUREMENT_UNIT_HEAD, "procurement_unit")
    if not units:
        return render(request, "web/forbidden.html", status=403)
    unit = ProcurementUnit.objects.get(pk=units[0])
    rows = backlog(procurement_unit_id=unit.pk)
    return render(
        request,
        "web/ukpbj_backlog.html",
        {
            "unit": unit,
            "rows": rows,
            "summary": backlog_summary(rows),
            "committees": Committee.objects.filter(procurement_unit=unit),
        },
    )


@login_required
@require_POST
def ukpbj_assign(request, package_id: int):
    try:
        package_assign(
            actor=request.user,
            package_id=package_id,
            committee_id=int(request.POST.get("committee_id") or 0),
        )
        messages.success(request, "Paket ditugaskan ke Pokja / assigned to the committee.")
    except ServiceError as exc:
        _fail(request, exc)
    return redirect("web:ukpbj_backlog")


@login_required
def pokja_packages(request):
    committees = _scopes(request.user, Role.COMMITTEE_MEMBER, "committee")
    if not committees:
        return render(request, "web/forbidden.html", status=403)
    packages = (
        Package.objects.filter(committee_id__in=committees)
        .select_related("work_unit", "committee")
        .order_by("assigned_at")
    )
    return render(request, "web/pokja_packages.html", {"packages": packages})


def _pokja_package(request, package_id: int) -> Package | None:
    committees = _scopes(request.user, Role.COMMITTEE_MEMBER, "committee")
    return (
        Package.objects.filter(pk=package_id, committee_id__in=committees)
        .select_related("work_unit__agency")
        .first()
    )


@login_required
def pokja_tender(request, package_id: int):
    package = _pokja_package(request, package_id)
    if package is None:
        return render(request, "web/forbidden.html", status=403)
    tender = Tender.objects.filter(package=package).first()
    return render(
        request,
        "web/pokja_tender.html",
        {
            "package": package,
            "tender": tender,
            "t": tender_public_data(tender) if tender else None,
            "questions": tender_questions(tender) if tender and tender.announced_at else [],
            "keys": sealing_keys_readiness(tender) if tender and not tender.announced_at else None,
            "methods": [(m.value, m.label_id) for m in Method],
            "evaluations": EvaluationMethod.choices,
        },
    )


@login_required
@require_POST
def pokja_tender_action(request, package_id: int, action: str):
    package = _pokja_package(request, package_id)
    if package is None:
        return render(request, "web/forbidden.html", status=403)
    tender = Tender.objects.filter(package=package).first()
    post = request.POST
    try:
        if action == "setup":
            requirements = [
                {"text": line.strip(), "kind": "other"}
                for line in post.get("requirements", "").splitlines()
                if line.strip()
            ]
            tender_prepare(
                actor=request.user,
                package_id=package.pk,
                method=post.get("method", ""),
                envelopes=int(post.get("envelopes") or 1),
                evaluation_method=post.get("evaluation_method", ""),
                technical_weight=int(post["technical_weight"])
                if post.get("technical_weight")
                else None,
                price_weight=int(post["price_weight"]) if post.get("price_weight") else None,
                qualification_requirements=requirements,
            )
            messages.success(request, "Pengaturan tender disimpan / setup saved.")
        elif tender is None:
            messages.error(request, "Simpan pengaturan tender dahulu / save the setup first.")
        elif action == "propose":
            tender_propose_schedule(actor=request.user, tender_id=tender.pk)
            messages.success(request, "Jadwal diusulkan / schedule proposed.")
        elif action == "document":
            upload = request.FILES.get("file")
            if upload is None:
                messages.error(request, "Pilih berkas / choose a file.")
            else:
                tender_document_add(
                    actor=request.user,
                    tender_id=tender.pk,
                    title=post.get("title", ""),
                    filename=upload.name,
                    handle=upload,
                )
                messages.success(request, "Dokumen diunggah / document uploaded.")
        elif action == "keys_deal":
            tender_keys_deal(actor=request.user, tender_id=tender.pk)
            messages.success(
                request,
                "Kunci sampul dibagikan; setiap anggota kini memeriksa bagian kuncinya / "
                "sealing keys dealt; each member now checks their share.",
            )
        elif action == "keys_redeal":
            tender_keys_redeal(
                actor=request.user, tender_id=tender.pk, reason=post.get("reason", "")
            )
            messages.success(
                request,
                "Kunci sampul dibagikan ulang; pemeriksaan dimulai lagi / "
                "sealing keys dealt again; the checks start over.",
            )
        elif action == "announce":
            tender_announce(actor=request.user, tender_id=tender.pk)
            messages.success(request, f"Tender {tender.code} diumumkan / announced.")
        elif action == "reschedule":
            _reschedule(request, tender)
        elif action == "answer":
            question_answer(
                actor=request.user,
                tender_id=tender.pk,
                question_id=int(post.get("question_id") or 0),
                answer=post.get("answer", ""),
            )
            messages.success(request, "Jawaban diterbitkan / answer published.")
        elif action == "minutes":
            minutes_publish(actor=request.user, tender_id=tender.pk)
            messages.success(request, "BA Pemberian Penjelasan diterbitkan / minutes published.")
        elif action == "addendum":
            _addendum(request, tender)
        elif action == "cancel":
            tender_cancel(actor=request.user, tender_id=tender.pk, reason=post.get("reason", ""))
            messages.success(request, "Tender dibatalkan / cancelled.")
    except ServiceError as exc:
        _fail(request, exc)
    return redirect("web:pokja_tender", package_id=package.pk)


def _shifted_stages(tender: Tender, kind: str, raw_end: str):
    """The stage ``kind`` ending at ``raw_end`` (node-local), and every later stage shifted by
    the same amount; None when nothing was asked."""
    stage = tender.stages.filter(kind=kind).first()
    if stage is None or not raw_end:
        return None
    from zoneinfo import ZoneInfo

    from django.conf import settings

    new_end = datetime.fromisoformat(raw_end).replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    shift = new_end - stage.end
    stages = [(stage.kind, stage.start, new_end)]
    for later in tender.stages.filter(position__gt=stage.position):
        if later.start >= stage.end:
            stages.append((later.kind, later.start + shift, later.end + shift))
    return stages


def _addendum(request, tender: Tender) -> None:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Pilih berkas adendum / choose the addendum file.")
        return
    stages = _shifted_stages(tender, "bid_submission", request.POST.get("new_bid_end", ""))
    addendum_issue(
        actor=request.user,
        tender_id=tender.pk,
        description=request.POST.get("description", ""),
        filename=upload.name,
        handle=upload,
        title=request.POST.get("title", ""),
        stages=stages,
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, "Adendum diterbitkan / addendum issued.")


def _reschedule(request, tender: Tender) -> None:
    """Move one stage's end (and shift every later stage by the same amount)."""
    stages = _shifted_stages(tender, request.POST.get("stage", ""), request.POST.get("new_end", ""))
    if stages is None:
        messages.error(request, "Pilih tahap dan waktu baru / choose a stage and a new time.")
        return
    tender_change_schedule(
        actor=request.user,
        tender_id=tender.pk,
        stages=stages,
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, "Jadwal diubah / schedule changed.")
