"""Who may call each tender-workflow API endpoint: every role, anonymous callers, and the
callers refused by scope (a Pokja member of another committee, a PPK of another work unit, the
head of another procurement unit, a vendor not registered for the tender).

Like tests/test_permissions.py, the expectations are written out by hand (not read from
ROLE_PERMISSIONS), so a wrong role → permission mapping or a forgotten check makes this file
fail. An allowed call must answer 2xx and really do its work; a refused one must answer 403
with the endpoint's documented code, change nothing and append exactly one audited
``permission.denied`` naming the caller, the attempted action and the scope; an anonymous
one must answer 401 ``auth.required`` and append nothing. On a draft, a caller who may not
know it exists answers 404 ``tender.not_found`` like an unknown code, and appends nothing
(tests/test_draft_privacy.py).

Each test builds its world once (one organization, one package or tender in the state the
endpoint acts on, one token per caller) and then calls the endpoint as every caller: the
refused callers first, the allowed ones last, so a write made by an allowed caller cannot
hide a refusal.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from tangguh import clock as clock_module
from tangguh.audit.models import AuditEvent
from tangguh.clarification.models import Addendum, ClarificationMinutes, Question
from tangguh.domain.roles import Role
from tangguh.notifications.models import Notification
from tangguh.notifications.services import notify_company
from tangguh.participation.models import DocumentDownload, Participation
from tangguh.planning.models import Package, PlanItem
from tangguh.tenders.models import ScheduleChange, Tender, TenderDocument, TenderStage
from tangguh.testing import factories
from tangguh.vendors.services import vendor_approve
from tests.conftest import committee_member
from tests.test_participation import declare_size

pytestmark = pytest.mark.django_db

R = Role
ANONYMOUS = "anonymous"
# Callers refused by scope: the right role, held somewhere else.
OTHER_POKJA = "pokja_of_another_committee"
OTHER_PPK = "ppk_of_another_work_unit"
OTHER_HEAD = "ukpbj_head_of_another_unit"
OTHER_VENDOR = "vendor_not_registered"
EVERYONE = {*Role, ANONYMOUS}
# Who may know that a draft exists (each at its own scope): its Pokja, the UKPBJ head who
# assigned the package, the package's PPK. Anyone else is told the code does not exist.
DRAFT_READERS = {R.COMMITTEE_MEMBER, R.PROCUREMENT_UNIT_HEAD, R.COMMITMENT_OFFICER}

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
QUESTION = "Apakah SBU BG004 kualifikasi kecil dapat diganti dengan SBU BS001?"
CANCEL_REASON = "Anggaran dialihkan untuk penanganan banjir di Distrik Mimika Baru."
CHANGE_REASON = "Adendum spesifikasi teknis; waktu penyusunan penawaran ditambah."

# Endpoint → the callers allowed (in the world below, each role at its own scope).
EXPECTED: dict[str, set] = {
    "create_plan_item": {R.COMMITMENT_OFFICER},
    "create_package": {R.COMMITMENT_OFFICER},
    "delegate_package": {R.COMMITMENT_OFFICER},
    "assign_package": {R.PROCUREMENT_UNIT_HEAD},
    "view_backlog": {R.PROCUREMENT_UNIT_HEAD},
    "prepare_tender": {R.COMMITTEE_MEMBER},
    "propose_schedule": {R.COMMITTEE_MEMBER},
    "announce": {R.COMMITTEE_MEMBER},
    "change_schedule": {R.COMMITTEE_MEMBER},
    "cancel": {R.COMMITTEE_MEMBER},
    "register": {R.VENDOR},
    "list_participants": {R.COMMITTEE_MEMBER},
    "download_document": {R.COMMITTEE_MEMBER, R.VENDOR},
    "ask_question": {R.VENDOR},
    "answer_question": {R.COMMITTEE_MEMBER},
    "issue_addendum": {R.COMMITTEE_MEMBER},
    "publish_minutes": {R.COMMITTEE_MEMBER},
    "inbox": set(Role),  # any signed-in user, who sees their own notifications only
    "search": EVERYONE,
    "tender_detail": EVERYONE,
}

# Endpoint → extra callers, each refused because their role is held at another scope.
SCOPE_OUTSIDERS: dict[str, list[str]] = {
    "create_plan_item": [OTHER_PPK],
    "create_package": [OTHER_PPK],
    "delegate_package": [OTHER_PPK],
    "assign_package": [OTHER_HEAD],
    "view_backlog": [OTHER_HEAD],
    "prepare_tender": [OTHER_POKJA],
    "propose_schedule": [OTHER_POKJA],
    "announce": [OTHER_POKJA],
    "change_schedule": [OTHER_POKJA],
    "cancel": [OTHER_POKJA],
    "register": [OTHER_VENDOR],  # naming a company that is not theirs
    "list_participants": [OTHER_POKJA, OTHER_VENDOR],
    "download_document": [OTHER_POKJA, OTHER_VENDOR],
    "ask_question": [OTHER_VENDOR],
    "answer_question": [OTHER_POKJA],
    "issue_addendum": [OTHER_POKJA],
    "publish_minutes": [OTHER_POKJA],
}


# --- the world: one organization, outsiders, and one token per caller -------------------


class World:
    """``org`` plus the scope outsiders, tokens, and what the endpoint under test acts on
    (``package_id``, ``code``, ``tender``, ``document_id``, ``question_id``, …)."""

    def __init__(self, api, org, clock):
        self.api, self.org, self.clock = api, org, clock
        other_unit = factories.make_procurement_unit(org.agency)
        other_work_unit = factories.make_work_unit(org.agency)
        rival_company, rival = factories.make_vendor()
        self.users = {
            **org.users,
            OTHER_POKJA: committee_member(factories.make_committee(org.procurement_unit)),
            OTHER_PPK: factories.make_user(
                grants=[(R.COMMITMENT_OFFICER, f"work_unit:{other_work_unit.pk}")]
            ),
            OTHER_HEAD: factories.make_user(
                grants=[(R.PROCUREMENT_UNIT_HEAD, f"procurement_unit:{other_unit.pk}")]
            ),
            OTHER_VENDOR: rival,
        }
        verifier = org.users[R.VERIFIER]
        for company in (org.company, rival_company):
            vendor_approve(actor=verifier, company_id=company.pk)
        # The tenders below are reserved for small businesses (HPS ≤ Rp15 miliar).
        declare_size(org.users[R.VENDOR], org.company, "small")
        self._tokens: dict = {}

    def user(self, caller):
        return None if caller == ANONYMOUS else self.users[caller]

    def token(self, caller) -> str | None:
        """A token issued once per caller, lasting the weeks the clock may move through."""
        if caller == ANONYMOUS:
            return None
        if caller not in self._tokens:
            user = self.users[caller]
            payload = {"username": user.username, "password": factories.PASSWORD}
            payload["lifetime_hours"] = 720
            if user.has_totp:
                payload["otp"] = factories.current_code(user)
            response = self.api.call("POST", "/auth/token", json=payload)
            assert response.status_code == 201, response.content
            self._tokens[caller] = response.json()["token"]
        return self._tokens[caller]

    def call(self, method, path, json=None, caller=R.COMMITTEE_MEMBER):
        return self.api.call(method, path, json=json, token=self.token(caller))


@pytest.fixture
def world(api, org, clock):
    return World(api, org, clock)


def _file(name: str, content: bytes):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


# --- setups: each builds the one object its endpoint acts on, through the API -----------


def _nothing(w: World) -> None:
    return None


def _package(w: World) -> None:
    response = w.call(
        "POST",
        "/planning/packages",
        caller=R.COMMITMENT_OFFICER,
        json={
            "work_unit_id": w.org.work_unit.pk,
            "title": "Peningkatan Jalan SP 2 – SP 5",
            "category": "works",
            "budget": "2500000000",
            "owner_estimate": "2400000000",
            "location": "Distrik Kuala Kencana, Mimika",
            "fiscal_year": 2024,
        },
    )
    assert response.status_code == 201, response.content
    w.package_id = response.json()["id"]


def _delegated(w: World) -> None:
    _package(w)
    response = w.call(
        "POST",
        f"/planning/packages/{w.package_id}/delegate",
        caller=R.COMMITMENT_OFFICER,
        json={"procurement_unit_id": w.org.procurement_unit.pk},
    )
    assert response.status_code == 200, response.content


def _assigned(w: World) -> None:
    _delegated(w)
    response = w.call(
        "POST",
        f"/planning/packages/{w.package_id}/assign",
        caller=R.PROCUREMENT_UNIT_HEAD,
        json={"committee_id": w.org.committee.pk},
    )
    assert response.status_code == 200, response.content


def _draft(w: World) -> None:
    _assigned(w)
    response = w.call("POST", "/tenders/prepare", json=_prepare_body(w))
    assert response.status_code == 201, response.content
    w.code = response.json()["code"]
    w.tender = Tender.objects.get(code=w.code)


def _ready_draft(w: World) -> None:
    """A draft with its schedule, its tender document and its sealing keys dealt and checked
    by every member: ready to announce."""
    _draft(w)
    proposed = w.call("POST", f"/tenders/{w.code}/schedule/propose", json={})
    assert proposed.status_code == 200, proposed.content
    upload = w.api.client.post(
        f"/api/v1/tenders/{w.code}/documents",
        data={"title": "Dokumen Pemilihan", "file": _file("dokumen-pemilihan.pdf", PDF)},
        HTTP_AUTHORIZATION=f"Bearer {w.token(R.COMMITTEE_MEMBER)}",
    )
    assert upload.status_code == 201, upload.content
    w.document_id = upload.json()["id"]
    factories.sealing_keys_deal_and_check(w.tender, actor=w.users[R.COMMITTEE_MEMBER])


def _announced(w: World) -> None:
    _ready_draft(w)
    response = w.call("POST", f"/tenders/{w.code}/announce")
    assert response.status_code == 200, response.content
    w.tender.refresh_from_db()


def _with_pact(w: World) -> None:
    _announced(w)
    pact = w.call("GET", f"/tenders/{w.code}/integrity-pact", caller=R.VENDOR)
    assert pact.status_code == 200, pact.content
    w.pact_sha256 = pact.json()["sha256"]


def _registered(w: World) -> None:
    """``org``'s company registered for the announced tender (the rival's company is not)."""
    _with_pact(w)
    response = w.call(
        "POST",
        f"/tenders/{w.code}/participation",
        caller=R.VENDOR,
        json={"accept_integrity_pact": True, "pact_sha256": w.pact_sha256},
    )
    assert response.status_code == 201, response.content


def _in_clarification(w: World) -> None:
    _registered(w)
    stage = w.tender.stages.get(kind="clarification")
    w.clock.set(stage.start + timedelta(minutes=5))


def _asked(w: World) -> None:
    _in_clarification(w)
    response = w.call("POST", f"/tenders/{w.code}/questions", caller=R.VENDOR, json=_ask_body(w))
    assert response.status_code == 201, response.content
    w.question_id = response.json()["id"]


def _notified(w: World) -> None:
    _registered(w)
    told = notify_company(
        company_id=w.org.company.pk, tender=w.tender, event="answer", detail="[1] Q\n\n→ A"
    )
    assert told == 1  # only org's vendor user acts for the company


# --- bodies --------------------------------------------------------------------------------


def _plan_item_body(w: World) -> dict:
    return {
        "work_unit_id": w.org.work_unit.pk,
        "rup_code": "RUP-MATRIKS-0001",
        "fiscal_year": 2024,
        "title": "Rehabilitasi SD Inpres Kwamki",
        "category": "works",
        "budget": "1500000000",
    }


def _package_body(w: World) -> dict:
    return {
        "work_unit_id": w.org.work_unit.pk,
        "title": "Pengadaan Alat Kesehatan RSUD Mimika",
        "category": "goods",
        "budget": "900000000",
        "owner_estimate": "850000000",
        "location": "Timika, Mimika",
        "fiscal_year": 2024,
    }


def _prepare_body(w: World) -> dict:
    return {
        "package_id": w.package_id,
        "method": "tender_one_file",
        "envelopes": 1,
        "evaluation_method": "lowest_price",
        "qualification_requirements": [{"text": "SBU BG004 kualifikasi kecil", "kind": "sbu"}],
    }


def _shifted_schedule(w: World) -> dict:
    """The bid deadline and every stage after it, seven days later."""
    bid = w.tender.stages.get(kind="bid_submission")
    moved = [("bid_submission", bid.start, bid.end + timedelta(days=7))]
    for stage in w.tender.stages.filter(start__gte=bid.end).order_by("position"):
        moved.append((stage.kind, stage.start + timedelta(days=7), stage.end + timedelta(days=7)))
    stages = [
        {"kind": kind, "start": start.isoformat(), "end": end.isoformat()}
        for kind, start, end in moved
    ]
    return {"stages": stages, "reason": CHANGE_REASON}


def _register_body(w: World) -> dict:
    # Everyone names org's company: only its own vendor user may register it.
    return {
        "company_id": w.org.company.pk,
        "accept_integrity_pact": True,
        "pact_sha256": w.pact_sha256,
    }


def _ask_body(w: World) -> dict:
    return {"text": QUESTION, "section": "Bab III LDP"}


def _addendum_form(w: World) -> dict:
    return {
        "description": "Perubahan spesifikasi atap: baja ringan 0,75 mm.",
        "amends_document_id": str(w.document_id),
        "file": _file("adendum-1.pdf", PDF + b"% adendum\n"),
    }


# --- effects of an allowed call ------------------------------------------------------------


def _check_plan_item(w, response, user, before):
    item = PlanItem.objects.get(pk=response.json()["id"])
    assert (item.work_unit_id, item.rup_code) == (w.org.work_unit.pk, "RUP-MATRIKS-0001")
    assert PlanItem.objects.count() == before[0] + 1


def _check_package(w, response, user, before):
    package = Package.objects.get(pk=response.json()["id"])
    assert package.work_unit_id == w.org.work_unit.pk and package.created_by_id == user.pk
    assert package.title == "Pengadaan Alat Kesehatan RSUD Mimika"


def _check_delegated(w, response, user, before):
    package = Package.objects.get(pk=w.package_id)
    assert package.procurement_unit_id == w.org.procurement_unit.pk
    assert package.delegated_at == clock_module.now()


def _check_assigned(w, response, user, before):
    package = Package.objects.get(pk=w.package_id)
    assert package.committee_id == w.org.committee.pk
    assert package.assigned_at == clock_module.now()


def _check_backlog(w, response, user, before):
    rows = response.json()
    assert [row["package"]["id"] for row in rows] == [w.package_id]
    assert rows[0]["stage"] == "unassigned"


def _check_prepared(w, response, user, before):
    tender = Tender.objects.get(code=response.json()["code"])
    assert tender.package_id == w.package_id and tender.committee_id == w.org.committee.pk
    assert tender.announced_at is None


def _check_proposed(w, response, user, before):
    kinds = set(w.tender.stages.values_list("kind", flat=True))
    assert {"announcement", "clarification", "bid_submission", "opening"} <= kinds
    assert [s["kind"] for s in response.json()["schedule"]]


def _check_announced(w, response, user, before):
    tender = Tender.objects.get(pk=w.tender.pk)
    assert tender.announced_at == clock_module.now() and tender.ruleset_code


def _check_schedule_changed(w, response, user, before):
    change = ScheduleChange.objects.get(tender=w.tender)
    assert change.reason == CHANGE_REASON and change.actor_id == user.pk
    bid = w.tender.stages.get(kind="bid_submission")
    assert bid.changes == 1


def _check_cancelled(w, response, user, before):
    tender = Tender.objects.get(pk=w.tender.pk)
    assert tender.cancelled_at == clock_module.now() and tender.cancel_reason == CANCEL_REASON
    assert response.json()["phase"] == "cancelled"


def _check_registered(w, response, user, before):
    participation = Participation.objects.get(tender=w.tender, company=w.org.company)
    assert participation.registered_by_id == user.pk
    assert participation.pact_sha256 == w.pact_sha256


def _check_participants(w, response, user, before):
    assert [row["company_id"] for row in response.json()] == [w.org.company.pk]


def _check_downloaded(w, response, user, before):
    assert b"".join(response.streaming_content) == PDF
    assert DocumentDownload.objects.count() == before[0] + 1
    download = DocumentDownload.objects.order_by("-pk").first()
    assert (download.user_id, download.document_id) == (user.pk, w.document_id)
    company = download.participation.company_id if download.participation else None
    assert company == (w.org.company.pk if user == w.org.users[R.VENDOR] else None)


def _check_asked(w, response, user, before):
    question = Question.objects.get(pk=response.json()["id"])
    assert question.company_id == w.org.company.pk and question.asked_by_id == user.pk
    assert Question.objects.count() == before[0] + 1


def _check_answered(w, response, user, before):
    question = Question.objects.get(pk=w.question_id)
    assert question.answered_by_id == user.pk and question.answered_at == clock_module.now()
    assert response.json()["answer"] == question.answer


def _check_addendum(w, response, user, before):
    addendum = Addendum.objects.get(pk=response.json()["id"])
    assert addendum.issued_by_id == user.pk and addendum.amends_id == w.document_id
    assert addendum.tender_id == w.tender.pk


def _check_minutes(w, response, user, before):
    minutes = ClarificationMinutes.objects.get(pk=response.json()["id"])
    assert minutes.published_by_id == user.pk and minutes.tender_id == w.tender.pk
    assert minutes.document.kind == "minutes"


def _check_inbox(w, response, user, before):
    body = response.json()
    if user == w.org.users[R.VENDOR]:
        assert body["count"] == 1 and body["unread"] == 1
        assert body["items"][0]["tender"] == w.code
    else:  # somebody else's notification is never shown
        assert body["count"] == 0 and body["items"] == []


def _check_search(w, response, user, before):
    assert [item["code"] for item in response.json()["items"]] == [w.code]


def _check_detail(w, response, user, before):
    body = response.json()
    assert body["code"] == w.code and body["title"] == "Peningkatan Jalan SP 2 – SP 5"


# --- snapshots of what a call could change -------------------------------------------------


def _count(*models):
    return lambda w: tuple(model.objects.count() for model in models)


def _package_row(w):
    return Package.objects.filter(pk=w.package_id).values().get()


def _tender_row(w):
    return Tender.objects.filter(pk=w.tender.pk).values().get()


def _schedule(w):
    stages = TenderStage.objects.filter(tender=w.tender).order_by("position")
    return (
        tuple(stages.values_list("kind", "start", "end", "changes")),
        ScheduleChange.objects.count(),
    )


def _question_row(w):
    return Question.objects.filter(pk=w.question_id).values().get()


def _denied(attempted: str, scope: Callable | None = None):
    """What the ``permission.denied`` event of a refusal must say."""

    def expected(w):
        payload = {"attempted": attempted}
        if scope is not None:
            payload["scope"] = scope(w)
        return payload

    return expected


def _work_unit(w):
    return f"work_unit:{w.org.work_unit.pk}"


def _procurement_unit(w):
    return f"procurement_unit:{w.org.procurement_unit.pk}"


def _committee(w):
    return f"committee:{w.org.committee.pk}"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # below /api/v1, formatted with the world as ``w``
    setup: Callable  # world -> None; builds what the call acts on
    body: Callable | None  # world -> JSON body (or multipart form data)
    state: Callable  # world -> a snapshot of what the call could change
    allowed: Callable  # (world, response, user, state before) -> None
    status: int = 200
    denied: Callable | None = None  # world -> the payload of the permission.denied event
    refusal: str = "permission.denied"
    multipart: bool = False
    draft: bool = False  # acts on a draft: hidden from all but DRAFT_READERS

    def call(self, w: World, token: str | None):
        path = self.path.format(w=w)
        body = self.body(w) if self.body else None
        if self.multipart:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
            return w.api.client.post(f"/api/v1{path}", data=body, **headers)
        return w.api.call(self.method, path, json=body, token=token)


# fmt: off
ENDPOINTS: dict[str, Endpoint] = {
    "create_plan_item": Endpoint(
        "POST", "/planning/plan-items", _nothing, _plan_item_body, _count(PlanItem),
        _check_plan_item, 201, _denied("plan_item.create", _work_unit)),
    "create_package": Endpoint(
        "POST", "/planning/packages", _nothing, _package_body, _count(Package),
        _check_package, 201, _denied("package.create", _work_unit)),
    "delegate_package": Endpoint(
        "POST", "/planning/packages/{w.package_id}/delegate", _package,
        lambda w: {"procurement_unit_id": w.org.procurement_unit.pk}, _package_row,
        _check_delegated, 200, _denied("package.delegate", _work_unit)),
    "assign_package": Endpoint(
        "POST", "/planning/packages/{w.package_id}/assign", _delegated,
        lambda w: {"committee_id": w.org.committee.pk}, _package_row,
        _check_assigned, 200, _denied("package.assign", _procurement_unit)),
    "view_backlog": Endpoint(
        "GET", "/planning/backlog/{w.org.procurement_unit.pk}", _delegated, None, _package_row,
        _check_backlog, 200, _denied("backlog.view", _procurement_unit)),
    "prepare_tender": Endpoint(
        "POST", "/tenders/prepare", _assigned, _prepare_body, _count(Tender),
        _check_prepared, 201, _denied("tender.prepare", _committee)),
    "propose_schedule": Endpoint(
        "POST", "/tenders/{w.code}/schedule/propose", _draft, lambda w: {}, _schedule,
        _check_proposed, 200, _denied("tender.schedule", _committee), draft=True),
    "announce": Endpoint(
        "POST", "/tenders/{w.code}/announce", _ready_draft, None, _tender_row,
        _check_announced, 200, _denied("tender.announce", _committee), draft=True),
    "change_schedule": Endpoint(
        "POST", "/tenders/{w.code}/schedule-changes", _announced, _shifted_schedule, _schedule,
        _check_schedule_changed, 201, _denied("tender.reschedule", _committee)),
    "cancel": Endpoint(
        "POST", "/tenders/{w.code}/cancel", _announced, lambda w: {"reason": CANCEL_REASON},
        _tender_row, _check_cancelled, 200, _denied("tender.cancel", _committee)),
    "register": Endpoint(
        "POST", "/tenders/{w.code}/participation", _with_pact, _register_body,
        _count(Participation), _check_registered, 201,
        _denied("participation.register", lambda w: f"company:{w.org.company.pk}")),
    "list_participants": Endpoint(
        "GET", "/tenders/{w.code}/participants", _registered, None, _count(Participation),
        _check_participants, 200, _denied("participation.list", _committee)),
    "download_document": Endpoint(
        "GET", "/tenders/{w.code}/documents/{w.document_id}", _registered, None,
        _count(DocumentDownload), _check_downloaded, 200,
        _denied("tender.document_download"), "participation.not_registered"),
    "ask_question": Endpoint(
        "POST", "/tenders/{w.code}/questions", _in_clarification, _ask_body, _count(Question),
        _check_asked, 201, _denied("question.ask", lambda w: f"tender:{w.tender.pk}"),
        "question.not_participant"),
    "answer_question": Endpoint(
        "POST", "/tenders/{w.code}/questions/{w.question_id}/answer", _asked,
        lambda w: {"answer": "Tidak dapat diganti; SBU BG004 wajib sesuai LDP."}, _question_row,
        _check_answered, 200, _denied("question.answer", _committee)),
    "issue_addendum": Endpoint(
        "POST", "/tenders/{w.code}/addenda", _in_clarification, _addendum_form,
        _count(Addendum, TenderDocument, ScheduleChange), _check_addendum, 201,
        _denied("addendum.issue", _committee), multipart=True),
    "publish_minutes": Endpoint(
        "POST", "/tenders/{w.code}/minutes", _in_clarification, None,
        _count(ClarificationMinutes, TenderDocument), _check_minutes, 201,
        _denied("minutes.publish", _committee)),
    "inbox": Endpoint(
        "GET", "/inbox", _notified, None, _count(Notification), _check_inbox, 200),
    "search": Endpoint(
        "GET", "/tenders", _announced, None, _count(Tender), _check_search, 200),
    "tender_detail": Endpoint(
        "GET", "/tenders/{w.code}", _announced, None, _tender_row, _check_detail, 200),
}
# fmt: on


def _denials():
    return AuditEvent.objects.filter(action="permission.denied")


def _callers(name: str) -> list:
    """Every role, anonymous and the scope outsiders; those refused first."""
    callers = [*Role, ANONYMOUS, *SCOPE_OUTSIDERS.get(name, [])]
    allowed = EXPECTED[name]
    return [c for c in callers if c not in allowed] + [c for c in callers if c in allowed]


def _outcome(response) -> str:
    content = b"" if response.streaming else response.content
    return f"{response.status_code} {content[:300]!r}"


def _check(w: World, name: str, caller) -> None:
    endpoint = ENDPOINTS[name]
    user = w.user(caller)
    token = w.token(caller)
    before = endpoint.state(w)
    before_events = AuditEvent.objects.count()
    before_denials = _denials().count()

    response = endpoint.call(w, token)

    if caller in EXPECTED[name]:
        assert response.status_code == endpoint.status, f"allowed, got {_outcome(response)}"
        endpoint.allowed(w, response, user, before)
        assert _denials().count() == before_denials, "an allowed call recorded a denial"
        return
    assert response.status_code in (401, 403, 404), f"refused, got {_outcome(response)}"
    assert endpoint.state(w) == before, "a refused call changed something"
    body = response.json()
    if caller == ANONYMOUS:
        assert (response.status_code, body["code"]) == (401, "auth.required"), _outcome(response)
        assert AuditEvent.objects.count() == before_events
        return
    if endpoint.draft and caller not in DRAFT_READERS:
        assert (response.status_code, body["code"]) == (404, "tender.not_found"), _outcome(response)
        assert AuditEvent.objects.count() == before_events
        return
    assert (response.status_code, body["code"]) == (403, endpoint.refusal), _outcome(response)
    assert body["message_id"] and body["message_en"]
    # Exactly one event: the audited refusal, nothing of the action itself.
    assert AuditEvent.objects.count() == before_events + 1
    assert _denials().count() == before_denials + 1
    event = _denials().order_by("-seq").first()
    assert (event.actor_user_id, event.actor) == (user.pk, f"user:{user.username}")
    expected = endpoint.denied(w)
    assert {key: event.payload.get(key) for key in expected} == expected


def test_expectation_table_covers_every_endpoint():
    assert set(EXPECTED) == set(ENDPOINTS)
    assert set(SCOPE_OUTSIDERS) <= set(EXPECTED)
    for name, allowed in EXPECTED.items():
        assert allowed <= EVERYONE, name
        assert not allowed & set(SCOPE_OUTSIDERS.get(name, [])), name
        if ANONYMOUS not in allowed and allowed != set(Role):
            assert ENDPOINTS[name].denied is not None, name


@pytest.mark.parametrize("name", list(EXPECTED))
def test_role_matrix(world, name):
    ENDPOINTS[name].setup(world)
    for caller in _callers(name):  # every token before the first call: issuing is audited
        world.token(caller)
    failures = []
    for caller in _callers(name):
        try:
            _check(world, name, caller)
        except Exception as exc:  # every caller is tried; all that is wrong is reported
            failures.append(f"{name} as {caller}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)
