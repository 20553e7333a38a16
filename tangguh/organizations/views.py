"""Pages: the administrator's local days off (Hari libur daerah). Views only translate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import get_language

from tangguh import clock
from tangguh.accounts.selectors import user_grants
from tangguh.core.calendar import node_calendar
from tangguh.core.errors import ServiceError
from tangguh.domain.roles import NODE_SCOPE, Permission, is_allowed
from tangguh.organizations.selectors import holidays_of_year
from tangguh.organizations.services import holiday_add, holiday_remove


def _is_admin(user) -> bool:
    return is_allowed(user_grants(user), Permission.MANAGE_NODE, [NODE_SCOPE])


@login_required
def holidays_page(request):
    if not _is_admin(request.user):
        return render(request, "web/forbidden.html", status=403)
    status = 200
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("action") == "remove":
                day = holiday_remove(
                    actor=request.user, day=post.get("date", ""), reason=post.get("reason", "")
                )
                messages.success(request, f"{day:%d-%m-%Y}: dihapus / removed.")
            else:
                holiday = holiday_add(
                    actor=request.user,
                    day=post.get("date", ""),
                    name=post.get("name", ""),
                    reason=post.get("reason", ""),
                )
                messages.success(
                    request, f"{holiday.day:%d-%m-%Y} {holiday.name}: ditambahkan / added."
                )
            return redirect("organizations:holidays")
        except ServiceError as exc:
            messages.error(request, f"{exc.message(get_language())} ({exc.code})")
            status = exc.status
    today = node_calendar().local(clock.now()).date()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    year = min(max(year, 2000), 2100)
    return render(
        request,
        "organizations/holidays.html",
        {
            "year": year,
            "previous_year": year - 1,
            "next_year": year + 1,
            "today": today,
            "days": holidays_of_year(year),
            "form": request.POST if request.method == "POST" else {},
        },
        status=status,
    )
