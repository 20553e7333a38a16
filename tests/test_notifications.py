"""The inbox and its emails: participants are told, email leaves only after the transaction
commits, each person reads only their own notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction

from tangguh.audit.models import AuditEvent
from tangguh.domain.roles import Role
from tangguh.notifications.models import Notification
from tangguh.notifications.services import notify_tender_participants
from tangguh.tenders.models import Tender
from tangguh.testing import factories
from tests.test_clarification import _announced, _register, _token

pytestmark = pytest.mark.django_db


@pytest.fixture
def tender(api, org, clock):
    """An announced tender (through the API) with two registered companies."""
    tokens = {role: _token(api, user) for role, user in org.users.items()}
    tender = Tender.objects.get(code=_announced(api, org, tokens))
    other_company, other_user = factories.make_vendor()
    _register(tender, org.company, org.users[Role.VENDOR])
    _register(tender, other_company, other_user)
    tender.other_user = other_user
    tender.tokens = tokens
    return tender


def _tell(tender, event="schedule_changed", detail="Gangguan listrik PLN di Timika."):
    return notify_tender_participants(tender=tender, event=event, detail=detail)


def test_every_user_of_every_participating_company_is_told(
    org, tender, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        told = _tell(tender)
    assert told == 2
    recipients = set(Notification.objects.values_list("recipient", flat=True))
    assert recipients == {org.users[Role.VENDOR].pk, tender.other_user.pk}
    notification = Notification.objects.first()
    assert notification.kind == "schedule_change"
    assert tender.code in notification.title_id and tender.code in notification.title_en
    assert "Gangguan listrik" in notification.body_id
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [org.users[Role.VENDOR].email, tender.other_user.email]
    )
    assert all(len(m.to) == 1 for m in mail.outbox)  # recipients never see each other
    assert AuditEvent.objects.filter(action="notification.sent").count() == 1


def test_no_email_and_no_notification_when_the_action_rolls_back(
    tender, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _tell(tender)
        raise RuntimeError("the action failed after telling")
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_a_failing_mail_server_does_not_undo_the_action(
    tender, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.test_notifications.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        _tell(tender)
    assert Notification.objects.count() == 2


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        raise ConnectionRefusedError("smtp down")

    def __exit__(self, *exc):
        return False


def test_events_that_are_not_news_tell_nobody(tender):
    assert _tell(tender, event="announced") == 0
    assert _tell(tender, event="indexed") == 0
    assert not Notification.objects.exists()


def test_the_inbox_lists_own_notifications_newest_first_by_page(api, org, tender, clock):
    _tell(tender, detail="Perubahan pertama.")
    clock.move(timedelta(hours=1))
    _tell(tender, event="addendum", detail="Adendum 1: spesifikasi alat.")
    token = tender.tokens[Role.VENDOR]
    first = api.call("GET", "/inbox?page_size=1", token=token)
    assert first.status_code == 200, first.content
    body = first.json()
    assert (body["count"], body["unread"], body["has_next"]) == (2, 2, True)
    assert body["items"][0]["kind"] == "addendum"
    assert body["items"][0]["tender"] == tender.code
    assert body["items"][0]["title"] == body["items"][0]["title_id"]
    second = api.call("GET", "/inbox?page=2&page_size=1", token=token).json()
    assert second["items"][0]["kind"] == "schedule_change" and second["has_next"] is False
    english = api.call("GET", "/inbox", token=token, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["items"][0]["title"] == english["items"][0]["title_en"]
    assert api.call("GET", "/inbox?page_size=1000", token=token).status_code == 422


def test_a_notification_is_marked_read_by_its_recipient_only(api, org, tender):
    _tell(tender)
    mine = Notification.objects.get(recipient=org.users[Role.VENDOR])
    theirs = Notification.objects.get(recipient=tender.other_user)
    token = tender.tokens[Role.VENDOR]
    read = api.call("POST", f"/inbox/{mine.pk}/read", token=token)
    assert read.status_code == 200, read.content
    assert read.json()["read_at"] is not None
    again = api.call("POST", f"/inbox/{mine.pk}/read", token=token)
    assert again.json()["read_at"] == read.json()["read_at"]
    assert AuditEvent.objects.filter(action="notification.read").count() == 1
    foreign = api.call("POST", f"/inbox/{theirs.pk}/read", token=token)
    assert (foreign.status_code, foreign.json()["code"]) == (404, "notification.not_found")
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api.call("GET", "/inbox", token=token).json()["unread"] == 0


@pytest.mark.parametrize("role", [Role.COMMITTEE_MEMBER, Role.ADMIN, Role.AUDITOR])
def test_others_see_an_empty_inbox_not_the_vendors(api, org, tender, role):
    _tell(tender)
    body = api.call("GET", "/inbox", token=tender.tokens[role]).json()
    assert body["items"] == [] and body["count"] == 0


def test_the_inbox_needs_a_token(api):
    assert api.call("GET", "/inbox").status_code == 401
    assert api.call("POST", "/inbox/1/read").status_code == 401
