"""The inbox over the API: ``GET /api/v1/inbox`` and ``POST /api/v1/inbox/{id}/read``."""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router, Schema
from pydantic import Field

from tangguh.accounts.api import Strict, bearer
from tangguh.notifications.models import Notification
from tangguh.notifications.selectors import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, inbox_page
from tangguh.notifications.services import notification_mark_read

router = Router(tags=["inbox"])


class InboxParams(Strict):
    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class NotificationOut(Schema):
    id: int
    kind: str
    tender: str | None
    title: str
    body: str
    title_id: str
    title_en: str
    body_id: str
    body_en: str
    created_at: datetime
    read_at: datetime | None


class InboxOut(Schema):
    items: list[NotificationOut]
    count: int
    unread: int
    page: int
    page_size: int
    has_next: bool


def _english(request) -> bool:
    return request.headers.get("Accept-Language", "").lower().startswith("en")


def _out(request, n: Notification) -> dict:
    english = _english(request)
    return {
        "id": n.pk,
        "kind": n.kind,
        "tender": n.tender.code if n.tender_id else None,
        "title": n.title_en if english else n.title_id,
        "body": n.body_en if english else n.body_id,
        "title_id": n.title_id,
        "title_en": n.title_en,
        "body_id": n.body_id,
        "body_en": n.body_en,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


@router.get("", auth=bearer, response=InboxOut, summary="My notifications, newest first")
def inbox(request, params: Query[InboxParams]):
    found = inbox_page(user=request.auth, page=params.page, page_size=params.page_size)
    return {
        "items": [_out(request, n) for n in found.items],
        "count": found.count,
        "unread": found.unread,
        "page": found.page,
        "page_size": found.page_size,
        "has_next": found.has_next,
    }


@router.post("/{id}/read", auth=bearer, response=NotificationOut, summary="Mark one read")
def mark_read(request, id: int):
    notification = notification_mark_read(actor=request.auth, notification_id=id)
    return _out(request, notification)
