"""Pages: logging in with a credential from another node, and a vendor downloading theirs,
seeing those issued for their companies and revoking one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from tangguh.accounts.selectors import SESSION_FLAG
from tangguh.core.errors import ServiceError
from tangguh.hub.services.credentials import (
    MAX_CREDENTIAL_CHARS,
    credential_issue,
    credential_login,
    credential_revoke,
    credential_status,
    credentials_of,
)
from tangguh.vendors.selectors import vendor_companies_of


class CredentialForm(forms.Form):
    credential = forms.CharField(
        required=False,
        max_length=MAX_CREDENTIAL_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        label="Tempel kredensial / Paste the credential",
    )
    file = forms.FileField(required=False, label="atau unggah berkasnya / or upload its file")


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def credential_login_page(request):
    form = CredentialForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["credential"]
        upload = form.cleaned_data.get("file")
        if upload is not None and not token:
            token = upload.read(MAX_CREDENTIAL_CHARS + 1).decode("ascii", "replace")
        try:
            user, _claims = credential_login(token=token, address=_address(request), channel="web")
        except ServiceError as exc:
            form.add_error(None, f"{exc.message(get_language())} ({exc.code})")
            status = exc.status
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_FLAG] = True
            return redirect("web:dashboard")
    return render(request, "hub/credential_login.html", {"form": form}, status=status)


def _credential_context(user, error: str = "") -> dict:
    issued = [(record, credential_status(record)) for record in credentials_of(user)]
    return {"companies": vendor_companies_of(user), "issued": issued, "error": error}


@login_required
def credential_page(request):
    return render(request, "hub/credential.html", _credential_context(request.user))


@login_required
@require_POST
def credential_revoke_page(request):
    try:
        record = credential_revoke(actor=request.user, jti=request.POST.get("jti", ""))
    except ServiceError as exc:
        context = _credential_context(request.user, exc.message(get_language()))
        return render(request, "hub/credential.html", context, status=exc.status)
    messages.success(
        request,
        f"Kredensial dicabut / credential revoked: {record.jti}. Simpul lain menolaknya "
        "setelah menarik daftar kunci / other nodes refuse it once they pull the trust list.",
    )
    return redirect("hub:credential")


@login_required
@require_POST
def credential_download(request):
    company_id = request.POST.get("company_id")
    try:
        issued = credential_issue(
            actor=request.user, company_id=int(company_id) if company_id else None
        )
    except (ServiceError, ValueError) as exc:
        message = exc.message(get_language()) if isinstance(exc, ServiceError) else str(exc)
        status = exc.status if isinstance(exc, ServiceError) else 400
        context = _credential_context(request.user, message)
        return render(request, "hub/credential.html", context, status=status)
    response = HttpResponse(issued.token + "\n", content_type="application/jose")
    response["Content-Disposition"] = f'attachment; filename="kredensial-{issued.company.nib}.jws"'
    response["Cache-Control"] = "no-store"
    return response
