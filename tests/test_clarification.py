"""The clarification stage through the API: questions from registered participants only and
only while the stage runs, answers by the tender's Pokja, askers never named in public, the
minutes as a real PDF, addenda with the schedule change they require — each role allowed and
refused."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from django.core import mail
from pypdf import PdfReader

from tangguh.audit.models import AuditEvent
from tangguh.clarification.models import Addendum, Question
from tangguh.core.blobs import node_blobs
from tangguh.domain.roles import Role
from tangguh.notifications.models import Notification
from tangguh.participation.models import Participation
from tangguh.tenders.models import ScheduleChange, Tender, TenderDocument
from tangguh.testing import factories
from tests.test_tender_workflow import _announced as announced_tender

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
QUESTION = "Apakah SBU BG004 kualifikasi kecil dapat diganti dengan SBU BS001?"


def _token(api, user) -> str:
    """A token that outlives the weeks these tests move the clock through."""
    payload = {"username": user.username, "password": factories.PASSWORD, "lifetime_hours": 720}
    if user.has_totp:
        payload["otp"] = factories.current_code(user)
    response = api.call("POST", "/auth/token", json=payload)
    assert response.status_code == 201, response.content
    return response.json()["token"]


@pytest.fixture
def tokens(api, org):
    return {role: _token(api, user) for role, user in org.users.items()}


def _file(name: str, content: bytes):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def _announced(api, org, tokens) -> str:
    """An announced tender of ``org``'s Pokja, through the API as a PPK, the UKPBJ head and
    the Pokja would do it (the tender workflow tests' helper)."""
    return announced_tender(api, org, tokens)


def _register(tender: Tender, company, user) -> Participation:
    now = tender.announced_at
    return Participation.objects.create(
        tender=tender,
        company=company,
        registered_by=user,
        registered_at=now,
        pact_version="test",
        pact_sha256="0" * 64,
        pact_accepted_at=now,
    )


def _stage(tender: Tender, kind: str):
    return tender.stages.get(kind=kind)


@pytest.fixture
def tender(api, org, tokens, clock):
    code = _announced(api, org, tokens)
    tender = Tender.objects.get(code=code)
    _register(tender, org.company, org.users[Role.VENDOR])
    return tender


def _into_clarification(clock, tender: Tender) -> None:
    clock.set(_stage(tender, "clarification").start + timedelta(minutes=5))


def _ask(api, token, code, text=QUESTION, **extra):
    return api.call("POST", f"/tenders/{code}/questions", token=token, json={"text": text, **extra})


# --- questions ----------------------------------------------------------------------------


def test_a_registered_participant_asks_during_clarification(api, tender, tokens, clock):
    _into_clarification(clock, tender)
    response = _ask(api, tokens[Role.VENDOR], tender.code, section="Bab III LDP")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == 1 and body["text"] == QUESTION and body["answer"] is None
    question = Question.objects.get()
    assert question.company_id == tender.participations.get().company_id
    assert AuditEvent.objects.filter(action="question.asked").count() == 1


def test_questions_are_refused_before_and_after_the_clarification_stage(api, tender, tokens, clock):
    stage = _stage(tender, "clarification")
    clock.set(stage.start - timedelta(minutes=1))
    early = _ask(api, tokens[Role.VENDOR], tender.code)
    assert early.status_code == 409
    assert early.json()["code"] == "clarification.not_started"
    assert "WIT" in early.json()["message"]
    clock.set(stage.end)
    late = api.call(
        "POST",
        f"/tenders/{tender.code}/questions",
        token=tokens[Role.VENDOR],
        json={"text": QUESTION},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert late.status_code == 409
    assert late.json()["code"] == "clarification.closed"
    assert late.json()["message"].startswith("The clarification stage has ended")
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.COMMITTEE_MEMBER, Role.COMMITMENT_OFFICER, Role.ADMIN, Role.AUDITOR]
)
def test_only_participants_may_ask(api, tender, tokens, clock, role):
    _into_clarification(clock, tender)
    response = _ask(api, tokens[role], tender.code)
    assert response.status_code == 403
    assert response.json()["code"] == "question.not_participant"
    assert not Question.objects.exists()


def test_a_vendor_not_registered_for_the_tender_is_refused(api, tender, clock):
    _company, outsider = factories.make_vendor()
    _into_clarification(clock, tender)
    response = _ask(api, _token(api, outsider), tender.code)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "question.not_participant"
    assert tender.code in body["message_id"] and tender.code in body["message_en"]
    assert AuditEvent.objects.filter(action="permission.denied").exists()


def test_asking_needs_a_token_and_a_real_question(api, tender, tokens, clock):
    _into_clarification(clock, tender)
    anonymous = api.call("POST", f"/tenders/{tender.code}/questions", json={"text": QUESTION})
    assert anonymous.status_code == 401
    short = _ask(api, tokens[Role.VENDOR], tender.code, text="  ok ")
    assert short.status_code == 422
    assert short.json()["code"] == "question.text_required"
    assert short.json()["field"] == "text"
    unknown = _ask(api, tokens[Role.VENDOR], "2024XXXX")
    assert unknown.status_code == 404


def test_the_public_sees_questions_and_answers_without_askers(api, org, tender, tokens, clock):
    _into_clarification(clock, tender)
    _ask(api, tokens[Role.VENDOR], tender.code)
    question_id = Question.objects.get().pk
    api.call(
        "POST",
        f"/tenders/{tender.code}/questions/{question_id}/answer",
        token=tokens[Role.COMMITTEE_MEMBER],
        json={"answer": "Tidak. SBU BG004 wajib sesuai LDP."},
    )
    response = api.call("GET", f"/tenders/{tender.code}/questions")
    assert response.status_code == 200
    [item] = response.json()
    assert item["text"] == QUESTION and item["answer"] == "Tidak. SBU BG004 wajib sesuai LDP."
    raw = response.content.decode()
    for secret in (org.company.name, org.users[Role.VENDOR].username, "company", "asked_by"):
        assert secret not in raw


# --- answers ------------------------------------------------------------------------------


def test_the_pokja_answers_and_the_askers_company_is_told(
    api, org, tender, tokens, clock, django_capture_on_commit_callbacks
):
    colleague = factories.make_user("rekan.vendor", [(Role.VENDOR, f"company:{org.company.pk}")])
    colleague.email = "rekan@example.co.id"
    colleague.save(update_fields=["email"])
    other_company, other_user = factories.make_vendor()
    _register(tender, other_company, other_user)
    _into_clarification(clock, tender)
    _ask(api, tokens[Role.VENDOR], tender.code)
    question_id = Question.objects.get().pk
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.call(
            "POST",
            f"/tenders/{tender.code}/questions/{question_id}/answer",
            token=tokens[Role.COMMITTEE_MEMBER],
            json={"answer": "Tidak dapat; gunakan SBU BG004 sesuai LDP."},
        )
    assert response.status_code == 200, response.content
    assert response.json()["answered_at"] is not None
    told = set(Notification.objects.filter(kind="answer").values_list("recipient", flat=True))
    assert told == {org.users[Role.VENDOR].pk, colleague.pk}  # not the other participant
    assert len(callbacks) == 1
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([org.users[Role.VENDOR].email, "rekan@example.co.id"])
    assert tender.code in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="question.answered").count() == 1


def test_no_email_leaves_before_the_answer_commits(
    api, tender, tokens, clock, django_capture_on_commit_callbacks
):
    _into_clarification(clock, tender)
    _ask(api, tokens[Role.VENDOR], tender.code)
    question_id = Question.objects.get().pk
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        api.call(
            "POST",
            f"/tenders/{tender.code}/questions/{question_id}/answer",
            token=tokens[Role.COMMITTEE_MEMBER],
            json={"answer": "Jawaban yang belum terkirim."},
        )
    assert len(callbacks) == 1
    assert mail.outbox == []


@pytest.mark.parametrize("role", [Role.VENDOR, Role.PROCUREMENT_UNIT_HEAD, Role.ADMIN])
def test_only_the_tenders_pokja_answers(api, tender, tokens, clock, role):
    _into_clarification(clock, tender)
    _ask(api, tokens[Role.VENDOR], tender.code)
    question_id = Question.objects.get().pk
    response = api.call(
        "POST",
        f"/tenders/{tender.code}/questions/{question_id}/answer",
        token=tokens[role],
        json={"answer": "Jawaban dari yang tidak berwenang."},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission.denied"
    assert Question.objects.get().answered_at is None


def test_a_member_of_another_pokja_cannot_answer(api, org, tender, tokens, clock):
    from tests.conftest import committee_member

    other = committee_member(factories.make_committee(org.procurement_unit))
    _into_clarification(clock, tender)
    _ask(api, tokens[Role.VENDOR], tender.code)
    question_id = Question.objects.get().pk
    response = api.call(
        "POST",
        f"/tenders/{tender.code}/questions/{question_id}/answer",
        token=_token(api, other),
        json={"answer": "Bukan Pokja tender ini."},
    )
    assert response.status_code == 403


def test_a_question_is_answered_once_and_must_exist(api, tender, tokens, clock):
    _into_clarification(clock, tender)
    _ask(api, tokens[Role.VENDOR], tender.code)
    question_id = Question.objects.get().pk
    pokja = tokens[Role.COMMITTEE_MEMBER]
    path = f"/tenders/{tender.code}/questions/{question_id}/answer"
    empty = api.call("POST", path, token=pokja, json={"answer": " "})
    assert (empty.status_code, empty.json()["field"]) == (422, "answer")
    assert api.call("POST", path, token=pokja, json={"answer": "Ya."}).status_code == 200
    again = api.call("POST", path, token=pokja, json={"answer": "Ya, lagi."})
    assert (again.status_code, again.json()["code"]) == (409, "question.already_answered")
    missing = api.call(
        "POST",
        f"/tenders/{tender.code}/questions/{question_id + 999}/answer",
        token=pokja,
        json={"answer": "Ya."},
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "question.not_found")


# --- minutes ------------------------------------------------------------------------------


def test_the_pokja_publishes_the_minutes_as_a_real_pdf(api, org, tender, tokens, clock):
    _into_clarification(clock, tender)
    _ask(api, tokens[Role.VENDOR], tender.code, section="Bab III LDP")
    question_id = Question.objects.get().pk
    pokja = tokens[Role.COMMITTEE_MEMBER]
    api.call(
        "POST",
        f"/tenders/{tender.code}/questions/{question_id}/answer",
        token=pokja,
        json={"answer": "Tidak dapat diganti; SBU BG004 wajib."},
    )
    response = api.call("POST", f"/tenders/{tender.code}/minutes", token=pokja)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["questions"] == 1 and body["answered"] == 1
    document = TenderDocument.objects.get(pk=body["document"]["id"])
    assert document.kind == "minutes" and document.content_type == "application/pdf"
    with node_blobs().open(document.sha256) as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    import hashlib

    assert hashlib.sha256(data).hexdigest() == document.sha256 == body["document"]["sha256"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert tender.code in text
    assert "BERITA ACARA PEMBERIAN PENJELASAN" in text
    assert "SBU BG004 wajib" in text and "WIT" in text and "Asia/Jayapura" in text
    assert org.company.name not in text  # askers are not named in the minutes either
    assert AuditEvent.objects.filter(action="minutes.published").count() == 1
    listed = api.call("GET", f"/tenders/{tender.code}/minutes").json()
    assert listed[0]["document"]["sha256"] == document.sha256


def test_minutes_republished_are_a_new_version(api, tender, tokens, clock):
    _into_clarification(clock, tender)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    first = api.call("POST", f"/tenders/{tender.code}/minutes", token=pokja).json()
    _ask(api, tokens[Role.VENDOR], tender.code)
    second = api.call("POST", f"/tenders/{tender.code}/minutes", token=pokja).json()
    assert (first["document"]["version"], second["document"]["version"]) == (1, 2)
    assert first["document"]["sha256"] != second["document"]["sha256"]


def test_minutes_are_refused_before_clarification_and_to_others(api, tender, tokens, clock):
    clock.set(_stage(tender, "clarification").start - timedelta(hours=1))
    early = api.call("POST", f"/tenders/{tender.code}/minutes", token=tokens[Role.COMMITTEE_MEMBER])
    assert (early.status_code, early.json()["code"]) == (409, "minutes.too_early")
    _into_clarification(clock, tender)
    for role in (Role.VENDOR, Role.COMMITMENT_OFFICER, Role.AUDITOR):
        refused = api.call("POST", f"/tenders/{tender.code}/minutes", token=tokens[role])
        assert refused.status_code == 403, role
    assert api.call("POST", f"/tenders/{tender.code}/minutes").status_code == 401
    assert not TenderDocument.objects.filter(kind="minutes").exists()


def test_the_pdf_renderer_fetches_only_our_static_files():
    from tangguh.clarification.pdf import STATIC_PREFIX, ResourceRefused, StaticOnlyFetcher

    fetcher = StaticOnlyFetcher()
    css = fetcher.fetch(STATIC_PREFIX + "clarification/minutes.css")
    assert b"@page" in css.read()
    for url in (
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.org/logo.png",
        STATIC_PREFIX + "../../settings.py",
        STATIC_PREFIX + "clarification/../../../etc/passwd.css",
    ):
        with pytest.raises(ResourceRefused):
            fetcher.fetch(url)


# --- addenda ------------------------------------------------------------------------------


def _addendum(api, token, code, *, stages=None, reason="", amends=None, description=None):
    data = {
        "description": description or "Perubahan spesifikasi atap: baja ringan 0,75 mm.",
        "file": _file("adendum-1.pdf", PDF + b"% addendum\n"),
    }
    if amends is not None:
        data["amends_document_id"] = str(amends)
    else:
        data["title"] = "Adendum Dokumen Pemilihan"
    if stages is not None:
        import json

        data["stages"] = json.dumps(stages)
        data["reason"] = reason
    return api.client.post(
        f"/api/v1/tenders/{code}/addenda", data=data, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def _shifted(tender: Tender, days: int) -> list[dict]:
    """The bid deadline and every stage after it moved ``days`` later."""
    bid = _stage(tender, "bid_submission")
    moved = [{"kind": "bid_submission", "start": bid.start, "end": bid.end + timedelta(days)}]
    for stage in tender.stages.filter(start__gte=bid.end).order_by("position"):
        moved.append(
            {
                "kind": stage.kind,
                "start": stage.start + timedelta(days),
                "end": stage.end + timedelta(days),
            }
        )
    return [
        {"kind": s["kind"], "start": s["start"].isoformat(), "end": s["end"].isoformat()}
        for s in moved
    ]


def test_an_early_addendum_needs_no_schedule_change(
    api, org, tender, tokens, clock, django_capture_on_commit_callbacks
):
    _into_clarification(clock, tender)
    original = tender.documents.get(kind="tender_document")
    with django_capture_on_commit_callbacks(execute=True):
        response = _addendum(api, tokens[Role.COMMITTEE_MEMBER], tender.code, amends=original.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == 1 and body["schedule_change"] is None
    assert body["document"]["kind"] == "addendum"
    assert body["document"]["title"] == original.title and body["document"]["version"] == 2
    assert body["amends_document_id"] == original.pk
    told = Notification.objects.filter(kind="addendum")
    assert list(told.values_list("recipient", flat=True)) == [org.users[Role.VENDOR].pk]
    assert any("Adendum" in message.subject for message in mail.outbox)
    public = api.call("GET", f"/tenders/{tender.code}/addenda").json()
    assert public[0]["description"].startswith("Perubahan spesifikasi atap")
    assert AuditEvent.objects.filter(action="addendum.issued").count() == 1


def _late(clock, tender: Tender) -> None:
    """Two hours before the bid deadline: less than three working days are left."""
    clock.set(_stage(tender, "bid_submission").end - timedelta(hours=2))


def test_a_late_addendum_without_a_schedule_change_is_refused(api, tender, tokens, clock):
    _late(clock, tender)
    response = _addendum(api, tokens[Role.COMMITTEE_MEMBER], tender.code)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "addendum.schedule_change_required"
    assert body["field"] == "stages"
    assert "3 hari kerja" in body["message_id"] and "3 working days" in body["message_en"]
    detail = body["details"][0]
    assert detail["minimum_working_days"] == 3
    earliest = datetime.fromisoformat(detail["earliest_bid_deadline"])
    assert earliest > _stage(tender, "bid_submission").end
    assert f"{earliest.day} Juli 2024 {earliest:%H:%M} WIT" in body["message_id"]
    assert not Addendum.objects.exists()
    assert not TenderDocument.objects.filter(kind="addendum").exists()


def test_a_late_addendum_with_too_short_a_schedule_change_is_refused(api, tender, tokens, clock):
    _late(clock, tender)
    response = _addendum(
        api,
        tokens[Role.COMMITTEE_MEMBER],
        tender.code,
        stages=_shifted(tender, 1),
        reason="Adendum atap; tambahan waktu satu hari.",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "addendum.schedule_change_required"
    assert not ScheduleChange.objects.exists()


def test_a_late_addendum_applies_its_schedule_change_in_the_same_step(
    api, org, tender, tokens, clock, django_capture_on_commit_callbacks
):
    _late(clock, tender)
    old_deadline = _stage(tender, "bid_submission").end
    reason = "Adendum spesifikasi atap; waktu penyusunan penawaran ditambah tujuh hari."
    with django_capture_on_commit_callbacks(execute=True):
        response = _addendum(
            api,
            tokens[Role.COMMITTEE_MEMBER],
            tender.code,
            stages=_shifted(tender, 7),
            reason=reason,
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["schedule_change"]["cause"] == "addendum"
    assert body["schedule_change"]["reason"] == reason
    assert _stage(tender, "bid_submission").end == old_deadline + timedelta(days=7)
    change = ScheduleChange.objects.get()
    assert Addendum.objects.get().schedule_change == change
    public = api.call("GET", f"/tenders/{tender.code}").json()
    assert public["schedule_changes"][-1]["reason"] == reason
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"addendum", "schedule_change"} <= kinds
    assert len(mail.outbox) >= 2


def test_a_schedule_change_the_domain_refuses_undoes_the_whole_addendum(api, tender, tokens, clock):
    _late(clock, tender)
    bid = _stage(tender, "bid_submission")
    # The bid deadline moves far enough, but the opening is left before it: invalid schedule.
    stages = [
        {
            "kind": "bid_submission",
            "start": bid.start.isoformat(),
            "end": (bid.end + timedelta(days=7)).isoformat(),
        }
    ]
    response = _addendum(
        api, tokens[Role.COMMITTEE_MEMBER], tender.code, stages=stages, reason="Adendum atap."
    )
    assert response.status_code == 422, response.content
    assert not Addendum.objects.exists()
    assert not TenderDocument.objects.filter(kind="addendum").exists()
    assert _stage(tender, "bid_submission").end == bid.end


@pytest.mark.parametrize("role", [Role.VENDOR, Role.COMMITMENT_OFFICER, Role.PROCUREMENT_UNIT_HEAD])
def test_only_the_pokja_issues_addenda(api, tender, tokens, clock, role):
    _into_clarification(clock, tender)
    response = _addendum(api, tokens[role], tender.code)
    assert response.status_code == 403
    assert not Addendum.objects.exists()


def test_addendum_input_is_checked(api, tender, tokens, clock):
    _into_clarification(clock, tender)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    short = _addendum(api, pokja, tender.code, description="kurang")
    assert (short.status_code, short.json()["field"]) == (422, "description")
    foreign = _addendum(api, pokja, tender.code, amends=10**9)
    assert foreign.json()["code"] == "addendum.amended_document_not_found"
    broken = api.client.post(
        f"/api/v1/tenders/{tender.code}/addenda",
        data={
            "description": "Perubahan spesifikasi atap baja ringan.",
            "title": "Adendum",
            "stages": "not json",
            "file": _file("a.pdf", PDF),
        },
        HTTP_AUTHORIZATION=f"Bearer {pokja}",
    )
    assert (broken.status_code, broken.json()["code"]) == (422, "addendum.stages_invalid")
    exe = api.client.post(
        f"/api/v1/tenders/{tender.code}/addenda",
        data={
            "description": "Perubahan spesifikasi atap baja ringan.",
            "title": "Adendum",
            "file": _file("a.exe", b"MZ..."),
        },
        HTTP_AUTHORIZATION=f"Bearer {pokja}",
    )
    assert (exe.status_code, exe.json()["code"]) == (422, "document.type_not_allowed")
    clock.set(_stage(tender, "bid_submission").end)
    closed = _addendum(api, pokja, tender.code)
    assert (closed.status_code, closed.json()["code"]) == (409, "addendum.after_bid_deadline")
    assert not Addendum.objects.exists()


def test_a_cancelled_tender_takes_no_more_clarification(api, tender, tokens, clock):
    _into_clarification(clock, tender)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    cancelled = api.call(
        "POST",
        f"/tenders/{tender.code}/cancel",
        token=pokja,
        json={"reason": "Anggaran direalokasi untuk tanggap darurat."},
    )
    assert cancelled.status_code == 200, cancelled.content
    assert _ask(api, tokens[Role.VENDOR], tender.code).json()["code"] == "tender.cancelled"
    assert _addendum(api, pokja, tender.code).json()["code"] == "tender.cancelled"
    told = Notification.objects.filter(kind="cancelled", tender=tender)
    assert told.count() == 1
