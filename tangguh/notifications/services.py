"""Telling people: an inbox row per recipient, written in the caller's transaction, and an
email copy sent only after that transaction commits (a rolled-back action tells nobody, and a
failing mail server never undoes an action)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.core.errors import NotFound
from tangguh.notifications.messages import Message, message_for
from tangguh.notifications.models import Notification
from tangguh.notifications.selectors import company_users, tender_participant_users
from tangguh.tenders.models import Tender

logger = logging.getLogger(__name__)


def notify_tender_participants(*, tender: Tender, event: str, detail: str = "") -> int:
    """Tell every user of every company registered for ``tender`` about ``event``.

    The hook of ``tangguh.tenders.publication.tender_published``. Returns how many were told;
    events without a message (see ``messages``) tell nobody.
    """
    message = message_for(event, code=tender.code, title=tender.title, detail=detail)
    if message is None:
        return 0
    return notification_send(
        recipients=tender_participant_users(tender), tender=tender, message=message
    )


def notify_company(*, company_id: int, tender: Tender, event: str, detail: str = "") -> int:
    """Tell every user of one vendor company about ``event`` on ``tender``."""
    message = message_for(event, code=tender.code, title=tender.title, detail=detail)
    if message is None:
        return 0
    return notification_send(recipients=company_users([company_id]), tender=tender, message=message)


def notification_send(*, recipients: list[User], tender: Tender | None, message: Message) -> int:
    """Write one inbox row per recipient (audited) and queue the emails for after commit."""
    if not recipients:
        return 0
    now = clock.now()
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient=user,
                    tender=tender,
                    kind=message.kind,
                    title_id=message.title_id,
                    title_en=message.title_en,
                    body_id=message.body_id,
                    body_en=message.body_en,
                    created_at=now,
                )
                for user in recipients
            ]
        )
        audit_append(
            actor="system",
            action="notification.sent",
            object_type="tender" if tender else "notification",
            object_id=tender.pk if tender else "-",
            payload={"kind": message.kind, "recipients": [u.pk for u in recipients]},
        )
        addresses = [u.email for u in recipients if u.email]
        if addresses:
            transaction.on_commit(lambda: _send_emails(addresses, message), robust=True)
    return len(recipients)


def _send_emails(addresses: list[str], message: Message) -> None:
    """One email per address (recipients never see each other), Indonesian first."""
    subject = f"[Tangguh] {message.title_id}"
    body = f"{message.body_id}\n\n— English —\n{message.title_en}\n\n{message.body_en}\n"
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", None)
    with get_connection() as connection:
        sent = connection.send_messages(
            [EmailMessage(subject, body, sender, [address]) for address in addresses]
        )
    if sent != len(addresses):
        logger.warning("notification email: %s of %s sent", sent, len(addresses))


def notification_mark_read(*, actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's own notifications read (idempotent; audited the first time)."""
    with transaction.atomic():
        notification = Notification.objects.filter(pk=notification_id, recipient=actor).first()
        if notification is None:
            # Someone else's notification is "not found" too: its existence is not disclosed.
            raise NotFound(
                "notification.not_found",
                "Notifikasi tidak ditemukan.",
                "Notification not found.",
                field="id",
            )
        if notification.read_at is None:
            notification.read_at = clock.now()
            notification.save(update_fields=["read_at"])
            audit_append(
                actor=actor,
                action="notification.read",
                object_type="notification",
                object_id=notification.pk,
            )
    return notification
