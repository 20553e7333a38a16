"""Pages of the evaluation and award: the Pokja's evaluation workspace (Evaluasi), the public
award announcement (Pengumuman Pemenang), the vendor's results and objections (Hasil dan
Sanggah Saya), and the officials' page (PPK: SPPBJ and contract; PA/KPA: large awards and
appeals). Forms post back to the same page; the services decide, the page shows what happened."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import get_language

from tangguh.awards.models import FailureReason, FollowUp
from tangguh.awards.selectors import (
    award_appeals,
    award_objections,
    award_sppbj,
    bidder_company_ids,
    current_award,
    evaluation_compute,
    evaluation_snapshot,
    public_evaluation,
    tender_contract,
    tender_failures,
    tender_minutes,
    validity_request_pending,
)
from tangguh.awards.services.common import award_tender
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
    CheckItem,
    bill_parse_csv,
    bill_set,
    checks_record,
    clarification_record,
    validity_company,
    validity_extend,
)
from tangguh.bids.services.opening import is_committee_member
from tangguh.core.calendar import node_calendar
from tangguh.core.errors import InvalidInput, NotFound, ServiceError
from tangguh.domain.roles import Role
from tangguh.outages.models import Outage
from tangguh.tenders.models import Tender
from tangguh.vendors.selectors import vendor_companies_of


def _post(request, action, *args) -> None:
    """Run one form action (``action(request, *args)`` returns its success message); the
    message, or the refusal with its code, shows on the page the form redirects to."""
    try:
        messages.success(request, action(request, *args))
    except ServiceError as exc:
        text = exc.message(get_language())
        for item in exc.details or []:
            text += f" • {item}"
        messages.error(request, f"{text} ({exc.code})")


def _tender_or_404(request, code: str):
    try:
        return award_tender(code)
    except NotFound:
        return None


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("form.invalid", "Isian tidak sah.", "Invalid input.") from exc


def _date(value, field: str | None = None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError as exc:
        raise InvalidInput("form.date", "Tanggal tidak sah.", "Invalid date.", field=field) from exc


def _decimal(value) -> Decimal:
    try:
        return Decimal((value or "").replace(".", "").replace(",", ".").strip())
    except InvalidOperation as exc:
        raise InvalidInput("form.amount", "Nilai tidak sah.", "Invalid amount.") from exc


def _answer_fields(post) -> dict:
    """The answer form, for an objection (Pokja) or an appeal (PA/KPA) alike."""
    return {"answer": post.get("answer", ""), "upheld": post.get("upheld") == "1"}


# --- Pokja -----------------------------------------------------------------------------------


def _evaluation_action(request, tender: Tender) -> str:
    post = request.POST
    action = post.get("action", "")
    user = request.user
    if action == "bill":
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("form.file", "Pilih berkas CSV.", "Choose a CSV file.")
        content = upload.read(5 * 1024 * 1024).decode("utf-8-sig", errors="replace")
        bill_set(actor=user, tender=tender, lines=bill_parse_csv(content), source="csv")
        return "Daftar kuantitas disimpan / bill of quantities saved."
    if action == "check":
        checks_record(
            actor=user,
            tender=tender,
            company_nib=post.get("company_nib", ""),
            stage=post.get("stage", ""),
            items=[
                CheckItem(post.get("item", ""), post.get("passed") == "1", post.get("reason", ""))
            ],
        )
        return "Hasil pemeriksaan dicatat / check recorded."
    if action == "clarification":
        clarification_record(
            actor=user,
            tender=tender,
            company_nib=post.get("company_nib", ""),
            reasonable=post.get("reasonable") == "1",
            note=post.get("note", ""),
        )
        return "Klarifikasi harga dicatat / price clarification recorded."
    if action == "propose":
        minute_propose(
            actor=user,
            tender=tender,
            kind=post.get("kind", ""),
            company_nib=post.get("company_nib", ""),
        )
        return "Berita acara diusulkan / minute proposed."
    if action == "vote":
        minute_vote(
            actor=user,
            tender=tender,
            minute_id=_int(post.get("minute")),
            approve=post.get("approve") == "1",
            otp=post.get("otp", ""),
            content_sha256=post.get("content_sha256", ""),
            reason=post.get("reason", ""),
        )
        return "Persetujuan Anda dicatat / your vote is recorded."
    if action == "decide":
        minute_decide(actor=user, tender=tender, minute_id=_int(post.get("minute")))
        return "Berita acara ditetapkan / minute adopted."
    if action == "fail":
        tender_fail(
            actor=user, tender=tender, reason=post.get("reason", ""), note=post.get("note", "")
        )
        return "Tender dinyatakan gagal / tender declared failed."
    if action == "follow_up":
        tender_fail_follow_up(actor=user, tender=tender, action=post.get("follow_up", ""))
        return "Tindak lanjut dicatat / follow-up recorded."
    if action == "answer":
        objection_answer(
            actor=user,
            tender=tender,
            objection_id=_int(post.get("objection")),
            **_answer_fields(post),
        )
        return "Jawaban sanggah dicatat / objection answered."
    if action == "outside":
        objection_record_outside(
            actor=user,
            tender=tender,
            company_nib=post.get("company_nib", ""),
            text=post.get("text", ""),
            received_at=_moment(post.get("received_at")),
            outage_id=_int(post.get("outage")),
        )
        return "Sanggah di luar sistem dicatat / objection outside the system recorded."
    raise InvalidInput("form.action", "Tindakan tidak dikenal.", "Unknown action.")


def _moment(value) -> dt.datetime:
    """A local date and time from the form, in the node's zone."""
    try:
        naive = dt.datetime.fromisoformat(value or "")
    except ValueError as exc:
        raise InvalidInput("form.date", "Waktu tidak sah.", "Invalid time.") from exc
    return naive.replace(tzinfo=node_calendar().tz) if naive.tzinfo is None else naive


@login_required
def evaluation_page(request, code: str):
    tender = _tender_or_404(request, code)
    if tender is None or not is_committee_member(request.user, tender):
        return render(request, "web/forbidden.html", status=403)
    if request.method == "POST":
        _post(request, _evaluation_action, tender)
        return redirect("awards:evaluation", code=tender.code)
    evaluation = evaluation_compute(tender)
    snapshot = evaluation_snapshot(evaluation)
    award = current_award(tender)
    votes_by_me = {}
    minutes = tender_minutes(tender)
    for minute in minutes:
        votes_by_me[minute.pk] = next(
            (v for v in minute.votes.all() if v.member_id == request.user.pk), None
        )
    return render(
        request,
        "awards/evaluation.html",
        {
            "tender": tender,
            "e": snapshot,
            "minutes": [(m, votes_by_me[m.pk]) for m in minutes],
            "award": award,
            "objections": award_objections(award) if award else [],
            "failures": tender_failures(tender),
            "reasons": FailureReason.choices,
            "follow_ups": FollowUp.choices,
            "outages": list(Outage.objects.filter(counts=True).order_by("-start")[:20])
            if award
            else [],
        },
    )


# --- public ----------------------------------------------------------------------------------


def award_page(request, code: str):
    tender = _tender_or_404(request, code)
    if tender is None:
        return render(request, "web/forbidden.html", status=404)
    award = current_award(tender)
    announced = award is not None and award.status == "announced"
    return render(
        request,
        "awards/award.html",
        {
            "tender": tender,
            "award": award if announced else None,
            "pending": award if award and not announced else None,
            "objections": award_objections(award) if announced else [],
            "evaluation": public_evaluation(award) if announced else [],
            "appeals": award_appeals(award) if announced else [],
            "sppbj": award_sppbj(award) if announced else None,
            "contract": tender_contract(tender),
            "period_end": objection_period_end(tender, award) if announced else None,
            "failures": tender_failures(tender),
        },
    )


# --- vendor ----------------------------------------------------------------------------------


def _validity_action(request) -> str:
    """The vendor extends its bid's validity from its results page (the same services as
    ``POST /tenders/{code}/bid-validity``)."""
    tender = award_tender(request.POST.get("code", ""))
    company = validity_company(
        actor=request.user, tender=tender, company_nib=request.POST.get("company_nib", "")
    )
    validity_extend(
        actor=request.user,
        tender=tender,
        company=company,
        valid_until=_date(request.POST.get("valid_until")),
        guarantee_valid_until=(
            _date(request.POST["guarantee_valid_until"], "guarantee_valid_until")
            if request.POST.get("guarantee_valid_until")
            else None
        ),
    )
    return "Masa berlaku penawaran diperpanjang / bid validity extended."


@login_required
def my_results_page(request):
    companies = {c.pk: c for c in vendor_companies_of(request.user)}
    if not companies:
        return render(request, "web/forbidden.html", status=403)
    if request.method == "POST":
        _post(request, _validity_action)
        return redirect("awards:my_results")
    rows = []
    tenders = Tender.objects.filter(
        openings__envelopes__envelope__company_id__in=list(companies)
    ).distinct()
    for tender in tenders.order_by("-announced_at"):
        mine = bidder_company_ids(tender) & set(companies)
        if not mine:
            continue
        award = current_award(tender)
        evaluation = evaluation_compute(tender)
        snapshot = evaluation_snapshot(evaluation) if award else None
        my_rows = [
            b
            for b in (snapshot["bids"] if snapshot else [])
            if b["company_nib"] in {companies[c].nib for c in mine}
        ]
        contract = tender_contract(tender)
        validity = []
        for company_id in sorted(mine):
            bid = evaluation.bid(company_id)
            if bid is None or bid.valid_until is None:
                continue
            validity.append(
                {
                    "company": companies[company_id],
                    "valid_until": bid.valid_until,
                    "lapsed": bid.lapsed,
                    "request": validity_request_pending(tender, company_id, bid.valid_until),
                    "extendable": contract is None,
                    "guarantee_required": bid.guarantee_required,
                    "guarantee_until": bid.guarantee.valid_until if bid.guarantee else None,
                }
            )
        rows.append(
            {
                "tender": tender,
                "award": award,
                "mine": my_rows,
                "validity": validity,
                "objections": [
                    o for o in (award_objections(award) if award else []) if o.company_id in mine
                ],
                "failures": tender_failures(tender),
            }
        )
    return render(request, "awards/my_results.html", {"rows": rows})


def _objection_action(request, tender: Tender) -> str:
    post = request.POST
    if post.get("action") == "appeal":
        appeal_file(
            actor=request.user,
            tender=tender,
            objection_id=_int(post.get("objection")),
            text=post.get("text", ""),
            guarantee_reference=post.get("guarantee_reference", ""),
        )
        return "Sanggah banding diajukan / appeal filed."
    upload = request.FILES.get("file")
    objection_file(
        actor=request.user,
        tender=tender,
        text=post.get("text", ""),
        filename=upload.name if upload else "",
        handle=upload,
    )
    return "Sanggah disampaikan / objection filed."


@login_required
def objection_page(request, code: str):
    tender = _tender_or_404(request, code)
    companies = {c.pk for c in vendor_companies_of(request.user)}
    if tender is None or not (bidder_company_ids(tender) & companies):
        return render(request, "web/forbidden.html", status=403)
    if request.method == "POST":
        _post(request, _objection_action, tender)
        return redirect("awards:objection", code=tender.code)
    award = current_award(tender)
    return render(
        request,
        "awards/objection.html",
        {
            "tender": tender,
            "award": award if award and award.status == "announced" else None,
            "objections": [
                o for o in (award_objections(award) if award else []) if o.company_id in companies
            ],
            "works": tender.package.category == "works",
        },
    )


# --- PPK and PA/KPA --------------------------------------------------------------------------


def _is_official(user, tender: Tender) -> bool:
    scope = f"work_unit:{tender.package.work_unit_id}"
    return user.role_assignments.filter(
        role__in=[Role.COMMITMENT_OFFICER.value, Role.BUDGET_USER.value], scope=scope
    ).exists()


def _officials_action(request, tender: Tender) -> str:
    post = request.POST
    user = request.user
    action = post.get("action")
    # The PPK: the SPPBJ and the contract.
    if action == "contract":
        contract_record(
            actor=user,
            tender=tender,
            number=post.get("number", ""),
            value=_decimal(post.get("value")),
            signed_on=_date(post.get("signed_on")),
            start_on=_date(post.get("start_on")),
            end_on=_date(post.get("end_on")),
            ppk_signatory=post.get("ppk_signatory", ""),
            vendor_signatory=post.get("vendor_signatory", ""),
        )
        return "Kontrak dicatat / contract recorded."
    if action == "sppbj":
        sppbj_issue(actor=user, tender=tender, number=post.get("number", ""))
        return "SPPBJ diterbitkan / SPPBJ issued."
    # The PA/KPA: an award above the threshold, and appeals.
    if action == "pa_decision":
        approve = post.get("approve") == "1"
        award_pa_decide(actor=user, tender=tender, approve=approve, note=post.get("note", ""))
        return "Keputusan dicatat / decision recorded."
    if action == "appeal_answer":
        appeal_answer(
            actor=user, tender=tender, appeal_id=_int(post.get("appeal")), **_answer_fields(post)
        )
        return "Sanggah banding dijawab / appeal answered."
    if action == "guarantee":
        appeal_guarantee_confirm(actor=user, tender=tender, appeal_id=_int(post.get("appeal")))
        return "Jaminan dikonfirmasi / guarantee confirmed."
    raise InvalidInput("form.action", "Tindakan tidak dikenal.", "Unknown action.")


@login_required
def officials_page(request, code: str):
    tender = _tender_or_404(request, code)
    if tender is None or not _is_official(request.user, tender):
        return render(request, "web/forbidden.html", status=403)
    if request.method == "POST":
        _post(request, _officials_action, tender)
        return redirect("awards:officials", code=tender.code)
    award = current_award(tender)
    return render(
        request,
        "awards/officials.html",
        {
            "tender": tender,
            "award": award,
            "appeals": award_appeals(award) if award else [],
            "sppbj": award_sppbj(award) if award else None,
            "contract": tender_contract(tender),
            "period_end": objection_period_end(tender, award)
            if award and award.status == "announced"
            else None,
        },
    )
