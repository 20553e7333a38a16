"""Reads for the inbox, and who is told about a tender."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps

from tangguh.accounts.models import User
from tangguh.domain.roles import Role
from tangguh.notifications.models import Notification
from tangguh.tenders.models import Tender

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def company_users(company_ids: list[int]) -> list[User]:
    """The active users who act for any of these vendor companies (vendor role there)."""
    scopes = [f"company:{pk}" for pk in company_ids]
    if not scopes:
        return []
    return list(
        User.objects.filter(
            is_active=True,
            role_assignments__role=Role.VENDOR.value,
            role_assignments__scope__in=scopes,
        )
        .distinct()
        .order_by("pk")
    )


def tender_participant_company_ids(tender: Tender) -> list[int]:
    """The companies registered for the tender (empty until participation is installed)."""
    if not apps.is_installed("tangguh.participation"):
        return []
    participation = apps.get_model("participation", "Participation")
    return list(
        participation.objects.filter(tender=tender)
        .order_by("company_id")
        .values_list("company_id", flat=True)
    )


def tender_participant_users(tender: Tender) -> list[User]:
    """Every user of every company registered for the tender."""
    return company_users(tender_participant_company_ids(tender))


@dataclass(frozen=True)
class InboxPage:
    items: list[Notification]
    count: int
    unread: int
    page: int
    page_size: int

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.count


def inbox_page(*, user: User, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> InboxPage:
    """A user's own notifications, newest first, one page of them."""
    page = max(page, 1)
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    own = Notification.objects.filter(recipient=user)
    offset = (page - 1) * page_size
    items = list(
        own.select_related("tender").order_by("-created_at", "-id")[offset : offset + page_size]
    )
    return InboxPage(
        items=items,
        count=own.count(),
        unread=own.filter(read_at__isnull=True).count(),
        page=page,
        page_size=page_size,
    )
