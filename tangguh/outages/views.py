"""Pages: the public service status (Status Layanan), the administrator's outage page
(declare, probe keys), and the Pokja's decision form. Views only translate."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from tangguh.accounts.selectors import user_grants
from tangguh.core.errors import InvalidInput, ServiceError
from tangguh.domain.roles import NODE_SCOPE, Permission, is_allowed
from tangguh.outages.selectors import outage_row, outages_all, probe_keys, status_snapshot
from tangguh.outages.services.decisions import outage_decision_record
from tangguh.outages.services.outages import outage_declare
from tangguh.outages.services.probes import probe_key_register


def status_page(request):
    return render(request, "outages/status.html", {"s": status_snapshot()})


def _is_admin(user) -> bool:
    return is_allowed(user_grants(user), Permission.MANAGE_NODE, [NODE_SCOPE])


def _local(value: str, field: str) -> datetime:
    """A ``datetime-local`` field, read in the node's zone (the page says which)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            "outage.time_invalid",
            "Waktu tidak dapat dibaca.",
            "The time cannot be read.",
            field=field,
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


@login_required
def admin_page(request):
    if not _is_admin(request.user):
        return render(request, "web/forbidden.html", status=403)
    status = 200
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("action") == "probe_key":
                key = probe_key_register(
                    actor=request.user, name=post.get("name", ""), public_key=post.get("key", "")
                )
                messages.success(request, f"Probe {key.name}: terdaftar / registered.")
            else:
                outage, report = outage_declare(
                    actor=request.user,
                    start=_local(post.get("start", ""), "start"),
                    end=_local(post.get("end", ""), "end"),
                    reason=post.get("reason", ""),
                    scope=post.get("scope", "node"),
                )
                messages.success(
                    request,
                    f"Gangguan #{outage.pk} dicatat; {len(report.changes)} tender diperpanjang, "
                    f"{len(report.decisions)} keputusan Pokja diminta. / Outage #{outage.pk} "
                    f"recorded; {len(report.changes)} tenders extended, "
                    f"{len(report.decisions)} Pokja decisions asked.",
                )
            return redirect("outages:admin")
        except ServiceError as exc:
            messages.error(request, f"{exc.message(get_language())} ({exc.code})")
            status = exc.status
    return render(
        request,
        "outages/admin.html",
        {
            "outages": [outage_row(o) for o in outages_all()[:200]],
            "probe_keys": probe_keys(),
            "form": request.POST if request.method == "POST" else {},
        },
        status=status,
    )


@login_required
@require_POST
def decide(request, decision_id: int):
    back = request.POST.get("next") or "/status"
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/status"
    try:
        decision = outage_decision_record(
            actor=request.user,
            decision_id=decision_id,
            choice=request.POST.get("choice", ""),
            reason=request.POST.get("reason", ""),
        )
    except ServiceError as exc:
        messages.error(request, f"{exc.message(get_language())} ({exc.code})")
        if exc.status == 403:
            return render(request, "web/forbidden.html", status=403)
    else:
        messages.success(
            request,
            f"Keputusan untuk tender {decision.tender.code} diumumkan. / "
            f"The decision for tender {decision.tender.code} is published.",
        )
    return redirect(back)
