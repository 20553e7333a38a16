"""Building people and organizations for tests through the real services."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pyotp

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.totp import totp_begin_enrollment, totp_confirm_enrollment
from tangguh.accounts.services.users import role_grant_unchecked, user_create_unchecked
from tangguh.domain.roles import Role
from tangguh.organizations.models import Agency, Committee, ProcurementUnit, WorkUnit
from tangguh.organizations.services import (
    agency_create_unchecked,
    committee_form_unchecked,
    procurement_unit_create_unchecked,
    work_unit_create_unchecked,
)
from tangguh.vendors.models import VendorCompany
from tangguh.vendors.services import vendor_register

PASSWORD = "correct-horse-battery-9"  # noqa: S105 - test accounts only
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


def make_agency(name: str | None = None) -> Agency:
    return agency_create_unchecked(actor="test", name=name or unique("Pemerintah Kabupaten "))


def make_work_unit(agency: Agency | None = None) -> WorkUnit:
    return work_unit_create_unchecked(
        actor="test", agency=agency or make_agency(), name=unique("Dinas ")
    )


def make_procurement_unit(agency: Agency | None = None) -> ProcurementUnit:
    return procurement_unit_create_unchecked(
        actor="test", agency=agency or make_agency(), name=unique("UKPBJ ")
    )


def make_user(
    username: str | None = None, grants: list[tuple[Role, str]] | None = None, *, totp: bool = False
) -> User:
    user = user_create_unchecked(
        actor="test",
        username=username or unique("user"),
        password=PASSWORD,
        display_name="Test User",
        grants=grants,
    )
    if totp:
        enrol_totp(user)
    return user


def enrol_totp(user: User) -> str:
    secret = totp_begin_enrollment(user=user)
    totp_confirm_enrollment(
        user=user, code=pyotp.TOTP(secret).at(clock.now() - timedelta(seconds=30))
    )
    user.refresh_from_db()
    return secret


def current_code(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).at(clock.now())


# Committee members' personal age identities (as their key kits would hold them), by user id.
MEMBER_IDENTITIES: dict[int, str] = {}


def enrol_member_key(user: User) -> str:
    """Give a committee member a personal age key; return the identity (kept by the test)."""
    import pyrage

    from tangguh.bids.services.keys import member_key_enrol

    identity = pyrage.x25519.Identity.generate()
    member_key_enrol(actor=user, recipient=str(identity.to_public()))
    MEMBER_IDENTITIES[user.pk] = str(identity)
    return str(identity)


def sealing_keys_check_all(tender) -> None:
    """Every member's key check of ``tender``, as their browser or CLI makes it: open the
    sealed share with the member's identity (``MEMBER_IDENTITIES``), hash it, and record the
    check through the real service, which compares the hash with the share's commitment."""
    import hashlib

    import pyrage

    from tangguh.bids.models import KeyShare
    from tangguh.bids.services.keys import key_share_check

    shares = KeyShare.objects.filter(sealing_key__tender=tender, holder__isnull=False)
    for share in shares.select_related("sealing_key", "holder"):
        identity = pyrage.x25519.Identity.from_str(MEMBER_IDENTITIES[share.holder_id])
        plain = pyrage.decrypt(bytes(share.sealed_share), [identity])
        key_share_check(
            actor=share.holder,
            tender=tender,
            envelope=share.sealing_key.envelope,
            lot=share.sealing_key.lot,
            commitment=hashlib.sha256(plain).hexdigest(),
        )


def sealing_keys_deal_and_check(tender, *, actor: User | None = None) -> list:
    """Deal ``tender``'s sealing keys as its Pokja does (a draft) and record every member's
    key check: what a tender needs before ``tender_announce``."""
    from tangguh.bids.services.keys import committee_members, tender_keys_deal

    actor = actor or committee_members(tender)[0]
    keys = tender_keys_deal(actor=actor, tender_id=tender.pk)
    sealing_keys_check_all(tender)
    return keys


def make_committee(
    unit: ProcurementUnit | None = None, size: int = 3, *, member_keys: bool = True
) -> Committee:
    """A Pokja of ``size`` members, each with TOTP and (unless asked not to) a personal key."""
    unit = unit or make_procurement_unit()
    members = [make_user(totp=False) for _ in range(size)]
    committee = committee_form_unchecked(
        actor="test", procurement_unit=unit, name=unique("Pokja "), members=members
    )
    for member in members:
        enrol_totp(member)
        if member_keys:
            enrol_member_key(member)
    return committee


def make_vendor(username: str | None = None) -> tuple[VendorCompany, User]:
    n = next(_counter)
    username = username or f"vendor{n}"
    company = vendor_register(
        company_name=f"CV Uji {n}",
        nib=f"{9100000000000 + n}",
        npwp=f"{100000000000000 + n}",
        address="Jl. Budi Utomo 1",
        city="Timika",
        email=f"{username}@example.co.id",
        username=username,
        password=PASSWORD,
        display_name="Vendor User",
    )
    return company, User.objects.get(username=username)


def grant(user: User, role: Role, scope: str) -> None:
    role_grant_unchecked(actor="test", user=user, role=role, scope=scope)
