"""Pages: logging in with a credential from another node, and a vendor downloading theirs."""

from __future__ import annotations

from django import forms
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


@login_required
def credential_page(request):
    return render(request, "hub/credential.html", {"companies": vendor_companies_of(request.user)})


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
        context = {"companies": vendor_companies_of(request.user), "error": message}
        return render(request, "hub/credential.html", context, status=status)
    response = HttpResponse(issued.token + "\n", content_type="application/jose")
    response["Content-Disposition"] = f'attachment; filename="kredensial-{issued.company.nib}.jws"'
    response["Cache-Control"] = "no-store"
    return response
