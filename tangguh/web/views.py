"""Pages. Views translate requests into service calls and results into templates."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from tangguh.accounts.middleware import SESSION_FLAG
from tangguh.accounts.selectors import user_grants, user_requires_two_factor
from tangguh.accounts.services.login import login_check_password, login_record_success
from tangguh.accounts.services.throttle import throttle_check, throttle_record_failure
from tangguh.accounts.services.totp import (
    totp_begin_enrollment,
    totp_confirm_enrollment,
    totp_uri,
    totp_verify,
)
from tangguh.audit.selectors import audit_head
from tangguh.audit.services import audit_record_read
from tangguh.core.errors import ServiceError
from tangguh.domain.roles import ROLE_LABELS, Role
from tangguh.hub.selectors import registry_compare
from tangguh.organizations.selectors import scope_label
from tangguh.tenders.selectors import tenders_open_by_category
from tangguh.vendors.selectors import vendor_companies_of, vendor_pending
from tangguh.vendors.services import vendor_approve, vendor_register, vendor_reject
from tangguh.web.forms import LoginForm, OtpForm, VendorRegistrationForm


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _show_error(form, exc: ServiceError) -> None:
    message = exc.message(get_language())
    form.add_error(exc.field if exc.field in form.fields else None, message)


def home(request):
    return render(request, "web/home.html", {"categories": tenders_open_by_category()})


def login_view(request):
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = login_check_password(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                address=_address(request),
            )
        except ServiceError as exc:
            _show_error(form, exc)
            status = exc.status
        else:
            login(request, user)
            if user_requires_two_factor(user):
                request.session[SESSION_FLAG] = False
                return redirect("web:login_otp")
            request.session[SESSION_FLAG] = True
            login_record_success(user=user, address=_address(request), channel="web")
            return redirect("web:dashboard")
    return render(request, "web/login.html", {"form": form}, status=status)


def _qr_svg(uri: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@login_required
def login_otp(request):
    user = request.user
    if request.session.get(SESSION_FLAG):
        return redirect("web:dashboard")
    enrolling = not user.has_totp
    if enrolling:
        totp_begin_enrollment(user=user)
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            throttle_check(username=user.username, address=_address(request))
            if enrolling:
                totp_confirm_enrollment(user=user, code=form.cleaned_data["otp"])
            else:
                totp_verify(user=user, code=form.cleaned_data["otp"])
        except ServiceError as exc:
            if exc.code == "auth.otp_invalid":
                throttle_record_failure(username=user.username, address=_address(request))
            _show_error(form, exc)
            status = exc.status
        else:
            request.session.cycle_key()
            request.session[SESSION_FLAG] = True
            login_record_success(user=user, address=_address(request), channel="web")
            return redirect("web:dashboard")
    context = {"form": form, "enrolling": enrolling}
    if enrolling:
        uri = totp_uri(user=user, node_name=settings.TANGGUH_NODE_NAME)
        context.update(secret=user.totp_secret, qr_svg=_qr_svg(uri))
    return render(request, "web/login_otp.html", context, status=status)


def logout_view(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    logout(request)
    return redirect("web:home")


@login_required
def dashboard(request):
    grants = user_grants(request.user)
    roles = {grant.role for grant in grants}
    english = (get_language() or "id").startswith("en")
    context = {
        "grants": [
            {
                "role": grant.role.value,
                "label": ROLE_LABELS[grant.role][1 if english else 0],
                "scope": scope_label(grant.scope),
            }
            for grant in grants
        ],
        "roles": {role.value for role in roles},
    }
    if Role.VENDOR in roles:
        context["companies"] = vendor_companies_of(request.user)
    if Role.VERIFIER in roles:
        context["pending_count"] = len(vendor_pending())
    if roles & {Role.ADMIN, Role.AUDITOR}:
        context["audit_seq"], context["audit_head"] = audit_head()
    return render(request, "web/dashboard.html", context)


def vendor_register_view(request):
    form = VendorRegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            company = vendor_register(**form.cleaned_data)
        except ServiceError as exc:
            _show_error(form, exc)
            status = exc.status
        else:
            return render(request, "web/vendor_registered.html", {"company": company}, status=201)
    return render(request, "web/vendor_register.html", {"form": form}, status=status)


@login_required
def verification_queue(request):
    roles = {grant.role for grant in user_grants(request.user)}
    if Role.VERIFIER not in roles:
        return render(request, "web/forbidden.html", status=403)
    pending = vendor_pending()
    if pending:
        # The queue shows tax numbers, which may be a person's (UU 27/2022): record the read.
        audit_record_read(
            actor=request.user,
            object_type="vendor_company",
            object_ids=[company.pk for company in pending],
            purpose="vendor verification",
        )
    # What the local copy of the national registry (SIKaP) says about each NIB, next to what the
    # vendor declared; the copy is what `tangguh hub pull` last fetched, never a live call.
    rows = [
        {
            "company": company,
            "registry": registry_compare(
                nib=company.nib, name=company.name, npwp=company.npwp, city=company.city
            ),
        }
        for company in pending
    ]
    return render(request, "web/verification.html", {"pending": pending, "rows": rows})


@login_required
@require_POST
def verification_decide(request, company_id: int):
    try:
        if request.POST.get("decision") == "approve":
            company = vendor_approve(actor=request.user, company_id=company_id)
            messages.success(request, f"{company.name}: terverifikasi / approved.")
        else:
            company = vendor_reject(
                actor=request.user, company_id=company_id, reason=request.POST.get("reason", "")
            )
            messages.success(request, f"{company.name}: ditolak / rejected.")
    except ServiceError as exc:
        messages.error(request, exc.message(get_language()))
        if exc.status == 403:
            return render(request, "web/forbidden.html", status=403)
    return redirect("web:verification")
