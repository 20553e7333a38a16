"""Committees have an odd number of members, at least three; vendor registration checks NIB
and NPWP and names the field in the caller's language; a decision is made once."""

from __future__ import annotations

import pytest

from tangguh.domain.identifiers import IdentifierError, format_npwp, normalize_nib, normalize_npwp
from tangguh.domain.roles import Role
from tangguh.organizations.models import Committee
from tangguh.testing import factories
from tangguh.vendors.models import VendorCompany, VendorStatus


def test_nib_and_npwp_are_normalised_to_digits():
    assert normalize_nib("9120 0012 3456 1") == "9120001234561"
    assert normalize_npwp("01.234.567.8-953.000") == "012345678953000"
    assert normalize_npwp("3174012345678901") == "3174012345678901"
    assert format_npwp("012345678953000") == "01.234.567.8-953.000"


@pytest.mark.parametrize("value", ["", "123", "91200012345612", "91200012345AB"])
def test_a_malformed_nib_is_refused_naming_the_field(value):
    with pytest.raises(IdentifierError) as caught:
        normalize_nib(value)
    assert caught.value.field == "nib"
    assert "13 digit" in caught.value.rule_id


@pytest.mark.django_db
@pytest.mark.parametrize(("size", "ok"), [(2, False), (3, True), (4, False), (5, True)])
def test_committee_size_must_be_odd_and_at_least_three(api, org, size, ok):
    head = org.users[Role.PROCUREMENT_UNIT_HEAD]
    members = [factories.make_user().username for _ in range(size)]
    token = api.token_for(head)
    before = Committee.objects.count()
    response = api.call(
        "POST",
        "/organizations/committees",
        token=token,
        json={
            "procurement_unit_id": org.procurement_unit.pk,
            "name": f"Pokja {size}",
            "members": members,
        },
    )
    if ok:
        assert response.status_code == 201, response.content
        committee = Committee.objects.get(pk=response.json()["id"])
        from tangguh.accounts.selectors import users_with_role

        assert sorted(
            u.username for u in users_with_role(Role.COMMITTEE_MEMBER, f"committee:{committee.pk}")
        ) == sorted(members)
    else:
        assert response.status_code == 422
        assert response.json()["code"] == "committee.member_count"
        assert response.json()["field"] == "members"
        assert Committee.objects.count() == before


@pytest.mark.django_db
def test_a_member_listed_twice_or_unknown_is_refused(api, org):
    token = api.token_for(org.users[Role.PROCUREMENT_UNIT_HEAD])
    one = factories.make_user().username
    twice = api.call(
        "POST",
        "/organizations/committees",
        token=token,
        json={
            "procurement_unit_id": org.procurement_unit.pk,
            "name": "Pokja X",
            "members": [one, one, factories.make_user().username],
        },
    )
    assert twice.json()["code"] == "committee.duplicate_member"
    unknown = api.call(
        "POST",
        "/organizations/committees",
        token=token,
        json={
            "procurement_unit_id": org.procurement_unit.pk,
            "name": "Pokja Y",
            "members": [one, "nobody.here", factories.make_user().username],
        },
    )
    assert unknown.status_code == 422
    assert "nobody.here" in unknown.json()["message"]


REGISTRATION = {
    "company_name": "CV Mandiri Timika",
    "nib": "9120099912345",
    "npwp": "01.999.888.7-953.000",
    "address": "Jl. Yos Sudarso 5",
    "city": "Timika",
    "email": "info@mandiri.co.id",
    "username": "mandiri.timika",
    "password": "kata-sandi-kuat-77",
    "display_name": "Ani",
}


@pytest.mark.django_db
def test_vendor_registration_through_the_api_waits_for_a_verifier(api, clock):
    response = api.call("POST", "/vendors/registrations", json=REGISTRATION)
    assert response.status_code == 201, response.content
    company = VendorCompany.objects.get(pk=response.json()["id"])
    assert company.status == VendorStatus.PENDING
    assert company.npwp == "019998887953000"
    token = api.call(
        "POST",
        "/auth/token",
        json={"username": "mandiri.timika", "password": REGISTRATION["password"]},
    ).json()["token"]
    me = api.call("GET", "/auth/me", token=token).json()
    assert me["grants"] == [{"role": "vendor", "scope": f"company:{company.pk}"}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("nib", "12345", "vendor.nib_invalid"),
        ("npwp", "12.345", "vendor.npwp_invalid"),
        ("email", "not-an-email", "vendor.email_invalid"),
        ("password", "123", "user.password_weak"),
        ("username", "Nama Dengan Spasi", "user.username_invalid"),
        ("company_name", "   ", "vendor.field_required"),
    ],
)
def test_bad_registration_input_names_the_field_and_changes_nothing(api, clock, field, value, code):
    response = api.call("POST", "/vendors/registrations", json={**REGISTRATION, field: value})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert body["field"] == field
    assert body["message"] == body["message_id"]  # Indonesian by default
    assert not VendorCompany.objects.exists()


@pytest.mark.django_db
def test_a_nib_can_be_registered_only_once(api, clock):
    assert api.call("POST", "/vendors/registrations", json=REGISTRATION).status_code == 201
    again = api.call(
        "POST",
        "/vendors/registrations",
        json={**REGISTRATION, "username": "lain", "npwp": "019998887953001"},
    )
    assert again.status_code == 409
    assert again.json()["code"] == "vendor.nib_registered"


@pytest.mark.django_db
def test_a_registration_is_decided_once_and_rejection_needs_a_reason(api, org):
    verifier = api.token_for(org.users[Role.VERIFIER])
    company = org.company
    short = api.call("POST", f"/vendors/{company.pk}/reject", token=verifier, json={"reason": "no"})
    assert short.status_code == 422 and short.json()["field"] == "reason"
    company.refresh_from_db()
    assert company.status == VendorStatus.PENDING
    rejected = api.call(
        "POST",
        f"/vendors/{company.pk}/reject",
        token=verifier,
        json={"reason": "Akta tidak terbaca, unggah ulang."},
    )
    assert rejected.status_code == 200
    assert rejected.json()["rejection_reason"] == "Akta tidak terbaca, unggah ulang."
    again = api.call("POST", f"/vendors/{company.pk}/approve", token=verifier)
    assert again.status_code == 409
    assert again.json()["code"] == "vendor.already_verified"
