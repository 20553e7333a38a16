"""The vendor's qualification profile: kept by the company's own users, checked by verifiers;
supporting documents are PDFs of at most 20 MB, refused before anything is stored."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tangguh.audit.models import AuditEvent
from tangguh.core.blobs import node_blobs
from tangguh.core.errors import InvalidInput
from tangguh.domain.roles import Role
from tangguh.qualification.models import (
    BusinessLicence,
    BusinessSize,
    Experience,
    Verification,
)
from tangguh.qualification.selectors import qualification_business_size
from tangguh.qualification.services.documents import MAX_DOCUMENT_BYTES, pdf_store
from tangguh.qualification.services.items import qualification_item_add
from tangguh.testing import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

SAMPLES = {
    "licence": {"kbli_codes": ["42101", "41012"], "business_size": "small"},
    "sbu": {
        "number": "1-3171-01-007-1-09-000123",
        "subclassification_code": "BS001",
        "qualification_level": "small",
        "valid_until": "2026-03-31",
    },
    "skk": {
        "holder_name": "Yohanes Wenda",
        "number": "SKK-42101-2023-0042",
        "occupation": "Pelaksana Lapangan Pekerjaan Jalan",
        "level": 6,
        "valid_until": "2028-01-15",
    },
    "capacity": {"basis": "basic_capability", "amount": "4500000000.00", "fiscal_year": 2023},
    "experience": {
        "contract_name": "Peningkatan Jalan SP 2 – SP 3",
        "client": "Dinas PUPR Kabupaten Mimika",
        "contract_value": "1500000000.00",
        "year": 2022,
        "completed_on": "2022-12-20",
    },
    "tax": {
        "reference": "S-12345/KSWP/WPJ.24/2024",
        "status": "valid",
        "valid_until": "2024-12-31",
    },
    "staff": {
        "name": "Maria Kogoya",
        "position": "Manajer Proyek",
        "education": "S1 Teknik Sipil",
        "experience_years": 8,
    },
    "equipment": {
        "name": "Asphalt Finisher",
        "quantity": 1,
        "capacity": "10 ton/jam",
        "ownership": "owned",
    },
}


def _add(api, token, company_id, kind, **overrides):
    body = {"kind": kind, **SAMPLES[kind], **overrides}
    return api.call("POST", f"/qualification/companies/{company_id}/items", json=body, token=token)


def _upload(api, token, path, content: bytes, name="dokumen.pdf", content_type="application/pdf"):
    return api.client.post(
        f"/api/v1{path}",
        data={"file": SimpleUploadedFile(name, content, content_type=content_type)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def _stored_files() -> set[str]:
    root = node_blobs().root
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_a_company_user_adds_each_kind_of_item_to_the_profile(api, org, kind):
    token = api.token_for(org.users[Role.VENDOR])
    response = _add(api, token, org.company.pk, kind)
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["kind"] == kind
    assert item["verification"]["status"] == "pending"
    for field, value in SAMPLES[kind].items():
        assert item["values"][field] == value
    event = AuditEvent.objects.filter(action="qualification.item_added").last()
    assert event.payload["company_id"] == org.company.pk
    profile = api.call("GET", f"/qualification/companies/{org.company.pk}", token=token).json()
    assert [i["id"] for i in profile["items"]] == [item["id"]]


def test_personal_data_stays_out_of_the_audit_chain(api, org):
    token = api.token_for(org.users[Role.VENDOR])
    assert _add(api, token, org.company.pk, "staff").status_code == 201
    event = AuditEvent.objects.filter(action="qualification.item_added").last()
    assert "Maria" not in str(event.payload)
    assert event.payload["values"] == {"fields": sorted(SAMPLES["staff"])}


def test_money_is_kept_as_decimal(api, org):
    token = api.token_for(org.users[Role.VENDOR])
    _add(api, token, org.company.pk, "experience", contract_value="1234567.89")
    assert Experience.objects.get().contract_value == Decimal("1234567.89")


def test_only_the_company_own_users_edit_its_profile(api, org):
    _, other_vendor = factories.make_vendor()
    for user in (
        other_vendor,
        org.users[Role.VERIFIER],
        org.users[Role.COMMITMENT_OFFICER],
        org.users[Role.COMMITTEE_MEMBER],
    ):
        response = _add(api, api.token_for(user), org.company.pk, "licence")
        assert response.status_code == 403, user.username
        assert response.json()["code"] == "permission.denied"
    assert (
        api.call(
            "POST", f"/qualification/companies/{org.company.pk}/items", json=SAMPLES["licence"]
        ).status_code
        == 401
    )
    assert not BusinessLicence.objects.exists()


def test_a_verifier_reads_any_profile_and_others_cannot(api, org):
    token = api.token_for(org.users[Role.VENDOR])
    _add(api, token, org.company.pk, "sbu")
    path = f"/qualification/companies/{org.company.pk}"
    verifier = api.call("GET", path, token=api.token_for(org.users[Role.VERIFIER]))
    assert verifier.status_code == 200
    assert verifier.json()["items"][0]["values"]["subclassification_code"] == "BS001"
    _, other_vendor = factories.make_vendor()
    for user in (other_vendor, org.users[Role.AUDITOR], org.users[Role.COMMITMENT_OFFICER]):
        assert api.call("GET", path, token=api.token_for(user)).status_code == 403


@pytest.mark.parametrize(
    ("kind", "overrides", "code", "field"),
    [
        ("licence", {"kbli_codes": ["4210"]}, "qualification.field_invalid", "kbli_codes"),
        ("licence", {"kbli_codes": []}, "qualification.field_required", "kbli_codes"),
        (
            "sbu",
            {"subclassification_code": "B-1"},
            "qualification.field_invalid",
            "subclassification_code",
        ),
        ("skk", {"level": 10}, "qualification.field_invalid", "level"),
        ("capacity", {"amount": "-1"}, "qualification.field_invalid", "amount"),
        ("capacity", {"amount": "10.001"}, "qualification.field_invalid", "amount"),
        ("experience", {"year": 2099}, "qualification.field_invalid", "year"),
        (
            "experience",
            {"completed_on": "2021-01-01"},
            "qualification.field_invalid",
            "completed_on",
        ),
        ("equipment", {"quantity": 0}, "qualification.field_invalid", "quantity"),
        ("staff", {"name": "  "}, "qualification.field_required", "name"),
    ],
)
def test_bad_values_are_refused_naming_the_field(api, org, kind, overrides, code, field):
    token = api.token_for(org.users[Role.VENDOR])
    response = _add(api, token, org.company.pk, kind, **overrides)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert response.json()["field"] == field


def test_an_unknown_field_or_kind_is_refused(api, org):
    token = api.token_for(org.users[Role.VENDOR])
    assert _add(api, token, org.company.pk, "tax", owner="x").json()["code"] == (
        "request.unknown_field"
    )
    response = api.call(
        "POST",
        f"/qualification/companies/{org.company.pk}/items",
        json={"kind": "akta", "number": "1"},
        token=token,
    )
    assert response.status_code == 422


def test_services_accept_form_text_and_check_it(org):
    vendor = org.users[Role.VENDOR]
    item = qualification_item_add(
        actor=vendor,
        company_id=org.company.pk,
        kind="licence",
        values={"kbli_codes": "42101, 41012", "business_size": "non_small"},
    )
    assert item.kbli_codes == ["42101", "41012"]
    with pytest.raises(InvalidInput) as caught:
        qualification_item_add(
            actor=vendor, company_id=org.company.pk, kind="sbu", values={"number": "x"}
        )
    assert caught.value.field == "subclassification_code"


def test_a_company_has_one_business_licence(api, org):
    token = api.token_for(org.users[Role.VENDOR])
    assert _add(api, token, org.company.pk, "licence").status_code == 201
    again = _add(api, token, org.company.pk, "licence")
    assert again.status_code == 409
    assert again.json()["code"] == "qualification.licence_exists"
    assert BusinessLicence.objects.count() == 1


def test_a_verifier_verifies_and_rejects_items_with_a_reason(api, org):
    vendor_token = api.token_for(org.users[Role.VENDOR])
    sbu = _add(api, vendor_token, org.company.pk, "sbu").json()
    tax = _add(api, vendor_token, org.company.pk, "tax").json()
    token = api.token_for(org.users[Role.VERIFIER])
    queue = api.call("GET", "/qualification/pending", token=token).json()
    assert {(i["kind"], i["id"]) for i in queue} == {("sbu", sbu["id"]), ("tax", tax["id"])}

    verified = api.call("POST", f"/qualification/items/sbu/{sbu['id']}/verify", token=token)
    assert verified.json()["verification"]["status"] == "verified"
    short = api.call(
        "POST", f"/qualification/items/tax/{tax['id']}/reject", json={"reason": "no"}, token=token
    )
    assert short.status_code == 422
    assert short.json()["code"] == "qualification.reason_required"
    rejected = api.call(
        "POST",
        f"/qualification/items/tax/{tax['id']}/reject",
        json={"reason": "Keterangan KSWP sudah kedaluwarsa."},
        token=token,
    ).json()
    assert rejected["verification"] == {
        "status": "rejected",
        "reason": "Keterangan KSWP sudah kedaluwarsa.",
        "verified_at": rejected["verification"]["verified_at"],
    }
    assert AuditEvent.objects.filter(action="qualification.item_rejected").count() == 1
    assert api.call("GET", "/qualification/pending", token=token).json() == []


def test_only_a_verifier_decides(api, org):
    vendor_token = api.token_for(org.users[Role.VENDOR])
    sbu = _add(api, vendor_token, org.company.pk, "sbu").json()
    for user in (org.users[Role.VENDOR], org.users[Role.ADMIN], org.users[Role.COMMITTEE_MEMBER]):
        response = api.call(
            "POST", f"/qualification/items/sbu/{sbu['id']}/verify", token=api.token_for(user)
        )
        assert response.status_code == 403
    assert api.call("GET", "/qualification/pending", token=vendor_token).status_code == 403


def test_a_change_sends_a_verified_item_back_to_the_verifier(api, org):
    vendor_token = api.token_for(org.users[Role.VENDOR])
    sbu = _add(api, vendor_token, org.company.pk, "sbu").json()
    api.call(
        "POST",
        f"/qualification/items/sbu/{sbu['id']}/verify",
        token=api.token_for(org.users[Role.VERIFIER]),
    )
    changed = api.call(
        "PUT",
        f"/qualification/companies/{org.company.pk}/items/sbu/{sbu['id']}",
        json={"kind": "sbu", **SAMPLES["sbu"], "qualification_level": "medium"},
        token=vendor_token,
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["values"]["qualification_level"] == "medium"
    assert changed.json()["verification"]["status"] == "pending"
    event = AuditEvent.objects.filter(action="qualification.item_updated").last()
    assert event.payload["verification_withdrawn"] is True
    mismatch = api.call(
        "PUT",
        f"/qualification/companies/{org.company.pk}/items/sbu/{sbu['id']}",
        json={"kind": "tax", **SAMPLES["tax"]},
        token=vendor_token,
    )
    assert mismatch.json()["code"] == "qualification.kind_mismatch"


def test_an_item_is_removed_only_from_its_own_company(api, org):
    vendor_token = api.token_for(org.users[Role.VENDOR])
    staff = _add(api, vendor_token, org.company.pk, "staff").json()
    other_company, other_vendor = factories.make_vendor()
    foreign = api.call(
        "DELETE",
        f"/qualification/companies/{other_company.pk}/items/staff/{staff['id']}",
        token=api.token_for(other_vendor),
    )
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "qualification.item_not_found"
    gone = api.call(
        "DELETE",
        f"/qualification/companies/{org.company.pk}/items/staff/{staff['id']}",
        token=vendor_token,
    )
    assert gone.status_code == 204
    assert AuditEvent.objects.filter(action="qualification.item_deleted").count() == 1


def test_a_pdf_is_attached_and_streamed_back_byte_exact(api, org):
    vendor_token = api.token_for(org.users[Role.VENDOR])
    sbu = _add(api, vendor_token, org.company.pk, "sbu").json()
    api.call(
        "POST",
        f"/qualification/items/sbu/{sbu['id']}/verify",
        token=api.token_for(org.users[Role.VERIFIER]),
    )
    path = f"/qualification/companies/{org.company.pk}/items/sbu/{sbu['id']}/document"
    response = _upload(api, vendor_token, path, PDF, name="sbu scan.pdf")
    assert response.status_code == 200, response.content
    item = response.json()
    assert item["document"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert item["document"]["size"] == len(PDF)
    assert item["verification"]["status"] == "pending"  # a new document is checked again
    for user in (org.users[Role.VENDOR], org.users[Role.VERIFIER]):
        download = api.client.get(
            f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {api.token_for(user)}"
        )
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Security-Policy"] == "sandbox"
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Disposition"].startswith("attachment;")
    _, other_vendor = factories.make_vendor()
    refused = api.client.get(
        f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {api.token_for(other_vendor)}"
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"PK\x03\x04 not a pdf but named one", "qualification.document_not_pdf"),
        (b"<html><script>alert(1)</script>", "qualification.document_not_pdf"),
        (b"", "qualification.document_not_pdf"),
        (b"%PDF-" + b"0" * MAX_DOCUMENT_BYTES, "qualification.document_too_large"),
    ],
    ids=["zip", "html", "empty", "oversized"],
)
def test_a_bad_upload_is_refused_and_nothing_is_stored(api, org, content, code):
    vendor_token = api.token_for(org.users[Role.VENDOR])
    sbu = _add(api, vendor_token, org.company.pk, "sbu").json()
    before = _stored_files()
    path = f"/qualification/companies/{org.company.pk}/items/sbu/{sbu['id']}/document"
    response = _upload(api, vendor_token, path, content)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert response.json()["field"] == "file"
    assert _stored_files() == before
    assert not AuditEvent.objects.filter(action="qualification.document_attached").exists()


def test_a_stream_over_the_limit_is_refused_while_storing_and_leaves_nothing():
    before = _stored_files()
    handle = io.BytesIO(b"%PDF-" + b"0" * MAX_DOCUMENT_BYTES)
    with pytest.raises(InvalidInput) as caught:
        pdf_store(handle=handle)  # no declared size: the limit is enforced while streaming
    assert caught.value.code == "qualification.document_too_large"
    assert _stored_files() == before


def test_business_size_comes_from_the_licence_unless_rejected(api, org):
    assert qualification_business_size(org.company.pk) is None
    vendor_token = api.token_for(org.users[Role.VENDOR])
    licence = _add(api, vendor_token, org.company.pk, "licence").json()
    assert qualification_business_size(org.company.pk) == BusinessSize.SMALL
    api.call(
        "POST",
        f"/qualification/items/licence/{licence['id']}/reject",
        json={"reason": "NIB menyatakan usaha menengah, bukan kecil."},
        token=api.token_for(org.users[Role.VERIFIER]),
    )
    assert qualification_business_size(org.company.pk) is None
    assert BusinessLicence.objects.get().verification == Verification.REJECTED
