"""From a PPK's package to an announced tender, its public page, a public schedule change
and a cancellation — through the API, with each role allowed and refused."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from tangguh.audit.models import AuditEvent
from tangguh.domain.roles import Role
from tangguh.planning.models import Package
from tangguh.tenders.models import Tender, TenderDocument
from tangguh.testing import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def tokens(api, org):
    return {role: api.token_for(user) for role, user in org.users.items()}


def _package(api, org, tokens, **extra):
    body = {
        "work_unit_id": org.work_unit.pk,
        "title": "Peningkatan Jalan SP 2 – SP 5",
        "category": "works",
        "budget": "2500000000",
        "owner_estimate": "2400000000",
        "location": "Distrik Kuala Kencana, Mimika",
        "fiscal_year": 2024,
        **extra,
    }
    return api.call("POST", "/planning/packages", json=body, token=tokens[Role.COMMITMENT_OFFICER])


def _assigned(api, org, tokens, **package) -> int:
    """A package the PPK created and delegated and the UKPBJ head assigned to org's Pokja."""
    package_id = _package(api, org, tokens, **package).json()["id"]
    api.call(
        "POST",
        f"/planning/packages/{package_id}/delegate",
        json={"procurement_unit_id": org.procurement_unit.pk},
        token=tokens[Role.COMMITMENT_OFFICER],
    )
    api.call(
        "POST",
        f"/planning/packages/{package_id}/assign",
        json={"committee_id": org.committee.pk},
        token=tokens[Role.PROCUREMENT_UNIT_HEAD],
    )
    return package_id


def _ready(api, org, tokens) -> str:
    """A draft of org's Pokja with its schedule and tender document: all the announcement needs
    but the sealing keys."""
    package_id = _assigned(api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    code = api.call(
        "POST",
        "/tenders/prepare",
        token=pokja,
        json={
            "package_id": package_id,
            "method": "tender_one_file",
            "envelopes": 1,
            "evaluation_method": "lowest_price",
            "qualification_requirements": [{"text": "SBU BG004 kualifikasi kecil", "kind": "sbu"}],
        },
    ).json()["code"]
    api.call("POST", f"/tenders/{code}/schedule/propose", json={}, token=pokja)
    upload = api.client.post(
        f"/api/v1/tenders/{code}/documents",
        data={"title": "Dokumen Pemilihan", "file": _file("dokumen-pemilihan.pdf", PDF)},
        HTTP_AUTHORIZATION=f"Bearer {pokja}",
    )
    assert upload.status_code == 201, upload.content
    return code


def _announced(api, org, tokens):
    """``_ready``, then the Pokja deals the sealing keys, every member checks their share
    (decrypted with their identity, recorded by the real service) and the Pokja announces."""
    code = _ready(api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    dealt = api.call("POST", f"/tenders/{code}/sealing-keys/deal", token=pokja)
    assert dealt.status_code == 201, dealt.content
    factories.sealing_keys_check_all(Tender.objects.get(code=code))
    announced = api.call("POST", f"/tenders/{code}/announce", token=pokja)
    assert announced.status_code == 200, announced.content
    return code


def _file(name: str, content: bytes):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def test_the_path_from_package_to_public_tender(api, org, tokens, clock):
    code = _announced(api, org, tokens)
    tender = Tender.objects.get(code=code)
    assert code.startswith("2024") and tender.ruleset_code
    public = api.call("GET", f"/tenders/{code}").json()
    assert public["title"] == "Peningkatan Jalan SP 2 – SP 5"
    assert public["phase"] in {"announced", "bidding"}
    assert public["owner_estimate"] == "2400000000.00" or float(public["owner_estimate"]) == 2.4e9
    assert public["small_business_reserved"] is True  # HPS ≤ Rp15 miliar
    kinds = [s["kind"] for s in public["schedule"]]
    assert "bid_submission" in kinds and "clarification" in kinds
    assert public["documents"][0]["sha256"] == TenderDocument.objects.get().sha256
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "package.created",
        "package.delegated",
        "package.assigned",
        "tender.prepared",
        "tender.schedule_proposed",
        "tender.document_added",
        "tender.announced",
    } <= actions


def test_a_draft_is_not_public(api, org, tokens, clock):
    package_id = _assigned(api, org, tokens)
    code = api.call(
        "POST",
        "/tenders/prepare",
        token=tokens[Role.COMMITTEE_MEMBER],
        json={
            "package_id": package_id,
            "method": "tender_one_file",
            "envelopes": 1,
            "evaluation_method": "lowest_price",
        },
    ).json()["code"]
    response = api.call("GET", f"/tenders/{code}")
    assert response.status_code == 404
    assert response.json()["code"] == "tender.not_found"


def test_a_public_schedule_change_needs_a_reason_and_is_shown(api, org, tokens, clock):
    code = _announced(api, org, tokens)
    public = api.call("GET", f"/tenders/{code}").json()
    bid = next(s for s in public["schedule"] if s["kind"] == "bid_submission")
    later = [s for s in public["schedule"] if s["start"] >= bid["end"]]
    from datetime import datetime

    shift = timedelta(days=7)
    stages = [
        {
            "kind": s["kind"],
            "start": (datetime.fromisoformat(s["start"]) + shift).isoformat(),
            "end": (datetime.fromisoformat(s["end"]) + shift).isoformat(),
        }
        for s in later
    ]
    stages.append(
        {
            "kind": "bid_submission",
            "start": bid["start"],
            "end": (datetime.fromisoformat(bid["end"]) + shift).isoformat(),
        }
    )
    pokja = tokens[Role.COMMITTEE_MEMBER]
    no_reason = api.call(
        "POST",
        f"/tenders/{code}/schedule-changes",
        token=pokja,
        json={"stages": stages, "reason": "  "},
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["field"] == "reason"
    reason = "Adendum spesifikasi teknis; waktu penyusunan penawaran ditambah."
    changed = api.call(
        "POST",
        f"/tenders/{code}/schedule-changes",
        token=pokja,
        json={"stages": stages, "reason": reason},
    )
    assert changed.status_code == 201, changed.content
    after = api.call("GET", f"/tenders/{code}").json()
    assert after["schedule_changes"][0]["reason"] == reason
    new_bid = next(s for s in after["schedule"] if s["kind"] == "bid_submission")
    assert datetime.fromisoformat(new_bid["end"]) == datetime.fromisoformat(bid["end"]) + shift
    assert new_bid["changes"] == 1


def test_invalid_schedule_lists_every_violation(api, org, tokens, clock):
    code = _announced(api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    public = api.call("GET", f"/tenders/{code}").json()
    bid = next(s for s in public["schedule"] if s["kind"] == "bid_submission")
    opening = next(s for s in public["schedule"] if s["kind"] == "opening")
    # Opening moved before the bid deadline: refused, nothing changed.
    response = api.call(
        "POST",
        f"/tenders/{code}/schedule-changes",
        token=pokja,
        json={
            "reason": "uji perubahan jadwal yang salah",
            "stages": [{"kind": "opening", "start": bid["start"], "end": opening["end"]}],
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "schedule.invalid"
    assert body["details"] and all("message_id" in d for d in body["details"])
    assert api.call("GET", f"/tenders/{code}").json()["schedule_changes"] == []


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.COMMITMENT_OFFICER])
def test_only_the_ppk_of_the_work_unit_creates_packages(api, org, tokens, clock, role):
    before = Package.objects.count()
    response = _package(api, org, {Role.COMMITMENT_OFFICER: tokens[role]})
    assert response.status_code == 403
    assert response.json()["code"] == "permission.denied"
    assert Package.objects.count() == before


def test_hps_above_budget_is_refused_naming_the_field(api, org, tokens, clock):
    response = _package(api, org, tokens, owner_estimate="2600000000")
    assert response.status_code == 422
    assert response.json()["code"] == "package.hps_above_budget"
    assert response.json()["field"] == "owner_estimate"


def test_a_ppk_of_another_work_unit_cannot_create_here(api, org, clock):
    other_unit = factories.make_work_unit(org.agency)
    outsider = factories.make_user(grants=[(Role.COMMITMENT_OFFICER, f"work_unit:{other_unit.pk}")])
    response = _package(api, org, {Role.COMMITMENT_OFFICER: api.token_for(outsider)})
    assert response.status_code == 403


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.COMMITTEE_MEMBER])
def test_only_the_assigned_pokja_announces(api, org, tokens, clock, role):
    package_id = _assigned(api, org, tokens)
    response = api.call(
        "POST",
        "/tenders/prepare",
        token=tokens[role],
        json={
            "package_id": package_id,
            "method": "tender_one_file",
            "envelopes": 1,
            "evaluation_method": "lowest_price",
        },
    )
    assert response.status_code == 403
    assert not Tender.objects.exists()


def test_a_member_of_another_pokja_is_refused(api, org, tokens, clock):
    code = _announced(api, org, tokens)
    other = factories.make_committee(org.procurement_unit)
    from tangguh.accounts.selectors import users_with_role

    outsider = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{other.pk}")[0]
    response = api.call(
        "POST",
        f"/tenders/{code}/cancel",
        token=api.token_for(outsider),
        json={"reason": "mencoba membatalkan tender Pokja lain"},
    )
    assert response.status_code == 403
    assert Tender.objects.get(code=code).cancelled_at is None


def test_disallowed_document_types_are_refused_before_they_are_stored(api, org, tokens, clock):
    package_id = _assigned(api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    code = api.call(
        "POST",
        "/tenders/prepare",
        token=pokja,
        json={
            "package_id": package_id,
            "method": "tender_one_file",
            "envelopes": 1,
            "evaluation_method": "lowest_price",
        },
    ).json()["code"]
    from tangguh.core.blobs import node_blobs

    stored = node_blobs().root / "sha256"
    before = sorted(stored.rglob("*")) if stored.exists() else []
    for name, content in (("virus.exe", b"MZ\x90\x00"), ("palsu.pdf", b"MZ\x90\x00 not a pdf")):
        response = api.client.post(
            f"/api/v1/tenders/{code}/documents",
            data={"title": "Dokumen", "file": _file(name, content)},
            HTTP_AUTHORIZATION=f"Bearer {pokja}",
        )
        assert response.status_code == 422, name
        assert response.json()["code"] == "document.type_not_allowed"
    assert not TenderDocument.objects.exists()
    assert (sorted(stored.rglob("*")) if stored.exists() else []) == before


def test_cancel_needs_a_reason_and_is_public(api, org, tokens, clock):
    code = _announced(api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    assert (
        api.call("POST", f"/tenders/{code}/cancel", token=pokja, json={"reason": "x"}).status_code
        == 422
    )
    reason = "Anggaran dialihkan untuk penanganan bencana banjir."
    assert (
        api.call(
            "POST", f"/tenders/{code}/cancel", token=pokja, json={"reason": reason}
        ).status_code
        == 200
    )
    public = api.call("GET", f"/tenders/{code}").json()
    assert public["phase"] == "cancelled" and public["cancel_reason"] == reason


def test_backlog_lists_waiting_packages_oldest_first(api, org, tokens, clock):
    first = _package(api, org, tokens, title="Pengadaan Alat Kesehatan RSUD").json()["id"]
    api.call(
        "POST",
        f"/planning/packages/{first}/delegate",
        json={"procurement_unit_id": org.procurement_unit.pk},
        token=tokens[Role.COMMITMENT_OFFICER],
    )
    clock.move(timedelta(days=3))
    tokens = {role: api.token_for(user) for role, user in org.users.items()}  # 12 h tokens
    second = _package(api, org, tokens, title="Rehabilitasi SD Kwamki").json()["id"]
    api.call(
        "POST",
        f"/planning/packages/{second}/delegate",
        json={"procurement_unit_id": org.procurement_unit.pk},
        token=tokens[Role.COMMITMENT_OFFICER],
    )
    clock.move(timedelta(days=2))
    tokens = {role: api.token_for(user) for role, user in org.users.items()}
    head = tokens[Role.PROCUREMENT_UNIT_HEAD]
    rows = api.call("GET", f"/planning/backlog/{org.procurement_unit.pk}", token=head).json()
    assert [r["package"]["id"] for r in rows] == [first, second]
    assert [r["waiting_days"] for r in rows] == [5, 2]
    assert rows[0]["stage"] == "unassigned"
    refused = api.call(
        "GET", f"/planning/backlog/{org.procurement_unit.pk}", token=tokens[Role.VENDOR]
    )
    assert refused.status_code == 403


def test_after_announcement_documents_change_only_by_addendum(api, org, tokens, clock):
    code = _announced(api, org, tokens)
    response = api.client.post(
        f"/api/v1/tenders/{code}/documents",
        data={"title": "Dokumen Pemilihan", "file": _file("baru.pdf", PDF)},
        HTTP_AUTHORIZATION=f"Bearer {tokens[Role.COMMITTEE_MEMBER]}",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "document.addendum_required"
    assert TenderDocument.objects.count() == 1


CSV_GOOD = (
    "rup_code,fiscal_year,title,category,budget\n"
    "RUP-24-001,2024,Pengadaan Laptop Dinas,goods,350000000\n"
    "RUP-24-002,2024,Pembangunan Drainase Jl. Hasanuddin,works,1200000000\n"
)
CSV_MIXED = CSV_GOOD + (
    "RUP-24-003,2024,Belanja Kertas,stationery,5000000\n"
    "RUP-24-004,20x4,Jasa Kebersihan,other_services,90000000\n"
    "RUP-24-001,2024,Duplikat,goods,1000\n"
)


def _import(api, org, tokens, content: str, partial: bool = False):
    return api.client.post(
        "/api/v1/planning/plan-items/import",
        data={
            "work_unit_id": org.work_unit.pk,
            "partial": "true" if partial else "false",
            "file": _file("rup.csv", content.encode()),
        },
        HTTP_AUTHORIZATION=f"Bearer {tokens[Role.COMMITMENT_OFFICER]}",
    )


def test_csv_import_takes_every_valid_row(api, org, tokens, clock):
    from tangguh.planning.models import PlanItem

    response = _import(api, org, tokens, CSV_GOOD)
    assert response.status_code == 200, response.content
    assert response.json()["applied"] is True
    assert PlanItem.objects.filter(source="csv").count() == 2


def test_csv_with_broken_rows_imports_nothing_and_reports_each_row(api, org, tokens, clock):
    from tangguh.planning.models import PlanItem

    response = _import(api, org, tokens, CSV_MIXED)
    assert response.status_code == 422
    body = response.json()
    assert body["applied"] is False
    refused = {(r["row"], r["field"], r["code"]) for r in body["refused"]}
    assert refused == {
        (4, "category", "planning.category_invalid"),
        (5, "fiscal_year", "planning.fiscal_year_invalid"),
        (6, "rup_code", "plan_item.duplicate"),
    }
    assert not PlanItem.objects.exists()


def test_csv_partial_import_keeps_the_good_rows_when_asked(api, org, tokens, clock):
    from tangguh.planning.models import PlanItem

    response = _import(api, org, tokens, CSV_MIXED, partial=True)
    assert response.status_code == 200
    assert len(response.json()["refused"]) == 3
    assert sorted(PlanItem.objects.values_list("rup_code", flat=True)) == [
        "RUP-24-001",
        "RUP-24-002",
    ]


def test_csv_without_the_required_columns_is_refused(api, org, tokens, clock):
    response = _import(api, org, tokens, "kode,nama\n1,x\n")
    assert response.status_code == 422
    assert response.json()["code"] == "csv.columns_missing"
