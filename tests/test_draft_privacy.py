"""A draft tender is invisible to whoever may not know of it: every API endpoint and page that
takes a tender code answers them exactly as for a code that does not exist (same status, same
headers, same body but for the code itself), while the draft's own people still get through.

Tender codes are sequential, so a 403 on a draft's endpoint where an unknown code gets a 404
would tell an outsider which drafts are being prepared. Who may know of a draft is decided in
one place, ``tangguh.tenders.selectors.tender_visible_to``: its Pokja, the UKPBJ head who
assigned its package and the package's PPK. An announced tender is public: a role that may not
act on it still gets its 403 there.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

import pytest
from django.test import Client

from tangguh.accounts.middleware import SESSION_FLAG
from tangguh.api import api as ninja_api
from tangguh.audit.models import AuditEvent
from tangguh.domain.roles import Role
from tangguh.tenders.models import Tender, TenderDocument
from tangguh.tenders.selectors import tender_get_visible, tender_visible_to
from tangguh.testing import factories
from tests.conftest import committee_member
from tests.test_tender_workflow import PDF, _announced, _file, _ready

pytestmark = pytest.mark.django_db

SEALED = b"age-encryption.org/v1\n-> X25519 x\n" + b"\0" * 64  # refused before it is read
DIGEST = f"sha-256=:{base64.b64encode(hashlib.sha256(SEALED).digest()).decode()}:"


@pytest.fixture
def tokens(api, org):
    return {role: api.token_for(user) for role, user in org.users.items()}


class World:
    """An announced tender and a later draft of ``org``'s Pokja (its keys dealt and checked,
    its document uploaded), two codes that do not exist (the next in the sequence, which is
    what a prober tries, and a random one), and the outsiders."""

    def __init__(self, api, org, tokens):
        self.api, self.org, self.tokens = api, org, tokens
        self.announced = _announced(api, org, tokens)
        self.draft = _ready(api, org, tokens)
        tender = Tender.objects.get(code=self.draft)
        factories.sealing_keys_deal_and_check(tender, actor=org.users[Role.COMMITTEE_MEMBER])
        self.document_id = TenderDocument.objects.get(tender=tender).pk
        year = self.draft[:4]
        taken = set(Tender.objects.values_list("code", flat=True))
        self.missing = [f"{int(self.draft) + 1}"]
        while len(self.missing) < 2:
            candidate = f"{year}{secrets.randbelow(90000) + 10000:05d}"
            if candidate not in taken:
                self.missing.append(candidate)
        assert not taken & set(self.missing) and all(
            len(c) == len(self.draft) for c in self.missing
        )
        other_pokja = committee_member(factories.make_committee(org.procurement_unit))
        _, rival = factories.make_vendor()
        # Callers who may not know of the draft: the API ones by token, the pages by user.
        self.outsider_users = {
            "vendor": org.users[Role.VENDOR],
            "another_vendor": rival,
            "pokja_of_another_committee": other_pokja,
            "admin": org.users[Role.ADMIN],
            "auditor": org.users[Role.AUDITOR],
            "budget_user": org.users[Role.BUDGET_USER],
        }
        self.outsiders = {
            name: tokens.get(next((r for r, u in org.users.items() if u == user), None))
            or api.token_for(user)
            for name, user in self.outsider_users.items()
        }
        self.outsiders["anonymous"] = None


@pytest.fixture
def world(api, org, tokens, clock):
    return World(api, org, tokens)


# --- comparing two answers -----------------------------------------------------------------

_CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+(")')
_CSRF_COOKIE = re.compile(r"csrftoken=[^;]+")


def _normal(response, code: str) -> tuple:
    """Everything the caller sees, with the code asked for (and a page's CSRF token, which is
    per request) replaced by placeholders."""
    content = b"" if response.streaming else response.content
    content = _CSRF.sub(rb"\1-\2", content.replace(code.encode(), b"{code}"))
    headers = {
        name: _CSRF_COOKIE.sub("csrftoken=-", value.replace(code, "{code}"))
        for name, value in response.headers.items()
    }
    return response.status_code, headers, content


def _same_as_missing(world: World, call, label: str, failures: list[str]) -> None:
    """``call(code)`` on the draft answers as it does on each code that does not exist, and,
    like for those, records nothing in the audit trail."""
    before = AuditEvent.objects.count()
    draft = _normal(call(world.draft), world.draft)
    audited = AuditEvent.objects.count() - before
    for missing in world.missing:
        before = AuditEvent.objects.count()
        unknown = _normal(call(missing), missing)
        if draft != unknown:
            failures.append(f"{label}: draft {draft[0]} {draft[2][:240]!r}\n  vs unknown "
                            f"{unknown[0]} {unknown[2][:240]!r}")  # fmt: skip
        elif audited != AuditEvent.objects.count() - before:
            failures.append(f"{label}: the draft call was audited, the unknown code not")


# --- the API -------------------------------------------------------------------------------


def _json(world, method, path, body=None):
    def call_as(token):
        def call(code):
            return world.api.call(method, path.format(code=code, w=world), json=body, token=token)

        return call

    return call_as


def _multipart(world, path, data):
    def call_as(token):
        def call(code):
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
            return world.api.client.post(
                f"/api/v1{path.format(code=code, w=world)}", data=data(), **headers
            )

        return call

    return call_as


def _bid_put(world):
    def call_as(token):
        def call(code):
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
            return world.api.client.put(
                f"/api/v1/tenders/{code}/bids/mine/offer",
                data=SEALED,
                content_type="application/octet-stream",
                HTTP_CONTENT_DIGEST=DIGEST,
                **headers,
            )

        return call

    return call_as


def _stages(world):
    tender = Tender.objects.get(code=world.draft)
    return [
        {"kind": s.kind, "start": s.start.isoformat(), "end": s.end.isoformat()}
        for s in tender.stages.order_by("position")
    ]


def _sample(world) -> dict:
    """Endpoint → a caller factory (token → code → response), each with a body that passes
    validation, so the lookup itself answers."""
    stages = _stages(world)
    dealt = {"format": "tangguh.dealt-keys", "version": 1, "tender": "x", "envelopes": []}
    return {
        "GET tender": _json(world, "GET", "/tenders/{code}"),
        "POST schedule/propose": _json(world, "POST", "/tenders/{code}/schedule/propose", {}),
        "PUT schedule": _json(world, "PUT", "/tenders/{code}/schedule", {"stages": stages}),
        "POST documents": _multipart(
            world,
            "/tenders/{code}/documents",
            lambda: {"title": "Dokumen Pemilihan", "file": _file("dokumen.pdf", PDF)},
        ),
        "POST announce": _json(world, "POST", "/tenders/{code}/announce"),
        "POST schedule-changes": _json(
            world,
            "POST",
            "/tenders/{code}/schedule-changes",
            {"stages": stages, "reason": "Perubahan jadwal karena adendum."},
        ),
        "POST cancel": _json(
            world, "POST", "/tenders/{code}/cancel", {"reason": "Anggaran dialihkan."}
        ),
        "GET documents/{id}": _json(world, "GET", "/tenders/{code}/documents/{w.document_id}"),
        "GET participants": _json(world, "GET", "/tenders/{code}/participants"),
        "GET integrity-pact": _json(world, "GET", "/tenders/{code}/integrity-pact"),
        "GET questions": _json(world, "GET", "/tenders/{code}/questions"),
        "POST questions/1/answer": _json(
            world, "POST", "/tenders/{code}/questions/1/answer", {"answer": "Jawaban."}
        ),
        "POST minutes": _json(world, "POST", "/tenders/{code}/minutes"),
        "POST addenda": _multipart(
            world,
            "/tenders/{code}/addenda",
            lambda: {"description": "Adendum.", "file": _file("adendum.pdf", PDF)},
        ),
        "POST sealing-keys/deal": _json(world, "POST", "/tenders/{code}/sealing-keys/deal"),
        "POST sealing-keys/redeal": _json(
            world, "POST", "/tenders/{code}/sealing-keys/redeal", {"reason": "Kit hilang."}
        ),
        "GET sealing-keys/status": _json(world, "GET", "/tenders/{code}/sealing-keys/status"),
        "GET sealing-key/shares/mine": _json(
            world, "GET", "/tenders/{code}/sealing-key/shares/mine"
        ),
        "POST sealing-key/checks": _json(
            world,
            "POST",
            "/tenders/{code}/sealing-key/checks",
            {"envelope": "offer", "commitment": "0" * 64},
        ),
        "GET sealing-key": _json(world, "GET", "/tenders/{code}/sealing-key"),
        "POST sealing-keys (dealt offline)": _json(
            world, "POST", "/tenders/{code}/sealing-keys", dealt
        ),
        "PUT bids/mine/offer": _bid_put(world),
        "GET bids/mine": _json(world, "GET", "/tenders/{code}/bids/mine"),
        "GET closing-statement": _json(world, "GET", "/tenders/{code}/closing-statement"),
        "GET opening": _json(world, "GET", "/tenders/{code}/opening"),
        "GET offline": _json(world, "GET", "/tenders/{code}/offline"),
        "GET evaluation": _json(world, "GET", "/tenders/{code}/evaluation"),
        "GET evaluation/technical": _json(world, "GET", "/tenders/{code}/evaluation/technical"),
        "GET award": _json(world, "GET", "/tenders/{code}/award"),
        "GET red-flags": _json(world, "GET", "/tenders/{code}/red-flags"),
        "GET dossier": _json(world, "GET", "/tenders/{code}/dossier"),
    }


def test_an_outsider_gets_for_a_draft_exactly_what_a_code_that_does_not_exist_gets(world):
    failures: list[str] = []
    for endpoint, factory in _sample(world).items():
        for caller, token in world.outsiders.items():
            _same_as_missing(world, factory(token), f"{endpoint} as {caller}", failures)
    assert not failures, "\n".join(failures)
    assert Tender.objects.get(code=world.draft).announced_at is None  # nothing was changed


def test_the_sample_reaches_the_lookup_not_only_validation(world):
    """The sample's bodies are valid: for each endpoint, an outsider allowed past its role
    check (the dossier's auditor; a vendor for most) is told the unknown code is not found,
    not that the request is invalid."""
    for endpoint, factory in _sample(world).items():
        answers = [factory(token)(world.missing[0]) for token in world.outsiders.values()]
        codes = {(r.status_code, r.json()["code"]) for r in answers if r.content}
        assert any(s == 404 and c.endswith("not_found") for s, c in codes), (endpoint, codes)


def _api_routes() -> list[tuple[str, str]]:
    """Every (method, path) of the API that takes a tender code."""
    routes = []
    for prefix, router in ninja_api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                if "{code}" in prefix + path:
                    routes.extend((method, prefix + path) for method in operation.methods)
    return routes


def test_every_api_route_with_a_tender_code_hides_the_draft(world):
    """A sweep of every route (other path parameters filled in, an empty JSON body): whatever
    each answers an unknown code — a 404, or a 422 for a body it needs — it answers the draft
    too. The sample above proves the lookups with real bodies."""
    routes = _api_routes()
    assert len(routes) > 60 and ("PUT", "/tenders/{code}/bids/mine/{envelope}") in routes
    fill = {
        "{envelope}": "offer",
        "{document_id}": str(world.document_id),
        "{upload_id}": "0" * 32,
        "{nib}": "9100000000001",
    }
    failures: list[str] = []
    for method, path in routes:
        route = path
        for name, value in fill.items():
            route = route.replace(name, value)
        route = re.sub(r"\{(?!code\})[a-z_]+\}", "1", route)

        def call_as(token, method=method, route=route):
            def call(code):
                headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
                url = "/api/v1" + route.replace("{code}", code)
                func = getattr(world.api.client, method.lower())
                if method in {"POST", "PUT", "PATCH", "DELETE"}:
                    return func(
                        url,
                        data="{}",
                        content_type="application/json",
                        HTTP_TUS_RESUMABLE="1.0.0",
                        **headers,
                    )
                return func(url, HTTP_TUS_RESUMABLE="1.0.0", **headers)

            return call

        for caller in ("vendor", "pokja_of_another_committee", "anonymous"):
            token = world.outsiders[caller]
            _same_as_missing(world, call_as(token), f"{method} {path} as {caller}", failures)
    assert not failures, "\n".join(failures)


# --- the draft's own people, and announced tenders ------------------------------------------


def test_the_drafts_own_people_still_get_through(world, api, tokens):
    pokja = tokens[Role.COMMITTEE_MEMBER]
    code = world.draft
    status = api.call("GET", f"/tenders/{code}/sealing-keys/status", token=pokja)
    assert status.status_code == 200 and status.json()["ready"] is True, status.content
    mine = api.call("GET", f"/tenders/{code}/sealing-key/shares/mine", token=pokja)
    assert mine.status_code == 200 and mine.json()["shares"], mine.content
    download = api.call("GET", f"/tenders/{code}/documents/{world.document_id}", token=pokja)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    proposed = api.call("POST", f"/tenders/{code}/schedule/propose", json={}, token=pokja)
    assert proposed.status_code == 200 and proposed.json()["code"] == code, proposed.content

    # The UKPBJ head and the PPK may know of the draft: refused for the action, as before.
    for role in (Role.PROCUREMENT_UNIT_HEAD, Role.COMMITMENT_OFFICER):
        before = AuditEvent.objects.filter(action="permission.denied").count()
        refused = api.call("POST", f"/tenders/{code}/announce", token=tokens[role])
        assert refused.status_code == 403, refused.content
        assert refused.json()["code"] == "permission.denied"
        assert AuditEvent.objects.filter(action="permission.denied").count() == before + 1


def test_an_announced_tender_keeps_its_403_for_a_role_that_may_not_act(world, api):
    code = world.announced
    other_pokja = world.outsiders["pokja_of_another_committee"]
    cancel = api.call(
        "POST", f"/tenders/{code}/cancel", json={"reason": "Bukan Pokja ini."}, token=other_pokja
    )
    assert (cancel.status_code, cancel.json()["code"]) == (403, "permission.denied")
    status = api.call(
        "GET", f"/tenders/{code}/sealing-keys/status", token=world.outsiders["vendor"]
    )
    assert (status.status_code, status.json()["code"]) == (403, "key_check.not_member")
    public = api.call("GET", f"/tenders/{code}")
    assert public.status_code == 200 and public.json()["code"] == code


def test_who_may_know_of_a_draft_is_decided_in_one_selector(world, org):
    draft = Tender.objects.get(code=world.draft)
    announced = Tender.objects.get(code=world.announced)
    readers = {Role.COMMITTEE_MEMBER, Role.PROCUREMENT_UNIT_HEAD, Role.COMMITMENT_OFFICER}
    for role, user in org.users.items():
        assert tender_visible_to(draft, user) == (role in readers), role
        assert (tender_get_visible(world.draft, user) is not None) == (role in readers), role
        assert tender_visible_to(announced, user), role
    for user in world.outsider_users.values():
        assert not tender_visible_to(draft, user)
    assert not tender_visible_to(draft, None) and tender_visible_to(announced, None)
    # A member whose account is disabled knows of it no longer.
    member = org.users[Role.COMMITTEE_MEMBER]
    member.is_active = False
    member.save()
    assert not tender_visible_to(draft, member) and tender_visible_to(announced, member)


# --- pages ---------------------------------------------------------------------------------


def _page_call(user, method: str, path: str):
    def call(code):
        client = Client()
        if user is not None:
            client.force_login(user)
            session = client.session
            session[SESSION_FLAG] = True
            session.save()
        func = getattr(client, method)
        data = {"accept": "yes", "text": "Pertanyaan?", "action": "x"} if method == "post" else {}
        return func(path.format(code=code), data=data, follow=True)

    return call


PAGES = [
    "/tender/{code}/",
    "/tender/{code}/daftar/",
    "/tender/{code}/dokumen/{document_id}/",
    "/tender/{code}/tanya/",
    "/tender/{code}/tanda-bahaya/",
    "/tender/{code}/luring/",
    "/tender/{code}/penawaran/",
    "/tender/{code}/pemenang/",
    "/tender/{code}/sanggah/",
    "/pokja/tender/{code}/evaluasi/",
    "/pokja/tender/{code}/periksa-kunci/",
    "/pokja/tender/{code}/buka-penawaran/",
    "/pejabat/tender/{code}/",
]


def test_pages_answer_an_outsider_for_a_draft_as_for_an_unknown_code(world, org):
    failures: list[str] = []
    callers = {**world.outsider_users, "anonymous": None}
    for page in PAGES:
        path = page.replace("{document_id}", str(world.document_id))
        for method in ("get", "post"):
            for caller, user in callers.items():
                call = _page_call(user, method, path)
                _same_as_missing(world, call, f"{method.upper()} {page} as {caller}", failures)
    assert not failures, "\n".join(failures)

    # The draft's Pokja reaches its key check page; an outsider gets what an unknown code gets.
    member = _page_call(
        org.users[Role.COMMITTEE_MEMBER], "get", "/pokja/tender/{code}/periksa-kunci/"
    )
    page = member(world.draft)
    assert page.status_code == 200 and world.draft in page.content.decode()
