"""Loading the Mimika demo through the ordinary services, so every row is audited.

Idempotent: if the demo agency exists, nothing is written; the logins are read back from the
data directory, where the first run stored them (owner-only).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from datetime import timedelta
from pathlib import Path

import pyotp
from django.conf import settings
from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.totp import totp_begin_enrollment, totp_confirm_enrollment
from tangguh.accounts.services.users import user_create_unchecked
from tangguh.bids.services.keys import member_key_enrol
from tangguh.clock import FrozenClock
from tangguh.demo import data
from tangguh.demo.tenders import load_tenders
from tangguh.domain.roles import Role, requires_two_factor
from tangguh.domain.sealing.kit import armor, new_key_kit
from tangguh.domain.sealing.passphrase import new_passphrase
from tangguh.organizations.models import Agency, Committee, ProcurementUnit, WorkUnit
from tangguh.organizations.services import (
    agency_create_unchecked,
    committee_form_unchecked,
    node_ensure,
    procurement_unit_create_unchecked,
    work_unit_create_unchecked,
)
from tangguh.qualification.services.items import qualification_item_add
from tangguh.tenders.models import Tender
from tangguh.vendors.services import vendor_approve, vendor_register, vendor_reject

ACTOR = "demo"


def _logins_path() -> Path:
    return settings.TANGGUH_DATA_DIR / "demo-logins.json"


def _password() -> str:
    return "demo-" + secrets.token_urlsafe(9)


def _enrol_totp(user: User) -> str:
    secret = totp_begin_enrollment(user=user)
    # Confirmed with the previous step's code, so the current code still works for the
    # person who logs in right after the demo starts (each step is accepted once).
    previous = clock.now() - timedelta(seconds=30)
    totp_confirm_enrollment(user=user, code=pyotp.TOTP(secret).at(previous))
    return secret


def _kits_dir() -> Path:
    return settings.TANGGUH_DATA_DIR / "demo-kits"


def _enrol_member_key(user: User) -> tuple[str, Path, str]:
    """A personal key for a demo Pokja member, as ``tangguh keys enrol`` makes it: a key kit
    (the identity sealed with age scrypt at work factor 2^18) under the data directory and its
    generated passphrase. A real member makes the kit in the browser or with the CLI and the
    node never sees either; the demo prints both so a tester can check and release key shares
    (sandbox only). Returns (identity, kit path, passphrase); the identity stays in memory for
    the demo's own key checks."""
    passphrase = new_passphrase()
    kit = new_key_kit(passphrase, created=clock.now().isoformat(timespec="seconds"))
    path = _kits_dir() / f"{user.username}.age"
    _write_private(path, armor(kit.sealed))
    member_key_enrol(actor=user, recipient=kit.recipient)
    return kit.identity, path, passphrase


def _person(username: str, name: str, role: Role, grants: list[tuple[Role, str]]) -> tuple:
    """An official's account and its login entry (the TOTP secret is added once enrolled)."""
    password = _password()
    user = user_create_unchecked(
        actor=ACTOR,
        username=username,
        password=password,
        display_name=name,
        email=f"{username}@mimikakab.go.id",
        grants=grants,
    )
    entry = {"role": role.value, "username": username, "password": password, "totp_secret": None}
    return user, entry


def _load() -> tuple[list[dict], dict[str, str]]:
    logins: list[dict] = []
    identities: dict[str, str] = {}
    node_ensure(actor=ACTOR, name=data.NODE_NAME)
    agency = agency_create_unchecked(actor=ACTOR, name=data.AGENCY[0], code=data.AGENCY[1])
    units = {
        code: work_unit_create_unchecked(actor=ACTOR, agency=agency, name=name, code=code)
        for name, code in data.WORK_UNITS
    }
    ukpbj = procurement_unit_create_unchecked(
        actor=ACTOR, agency=agency, name=data.PROCUREMENT_UNIT
    )
    scopes = {"node": "node", "procurement_unit": f"procurement_unit:{ukpbj.pk}"}
    scopes.update({f"work_unit:{code}": f"work_unit:{u.pk}" for code, u in units.items()})
    for username, name, role_name, scope in data.OFFICIALS:
        role = Role(role_name)
        user, entry = _person(username, name, role, [(role, scopes[scope])])
        if requires_two_factor([role]):
            entry["totp_secret"] = _enrol_totp(user)
        logins.append(entry)
    for committee_name, members in data.COMMITTEES:
        people = [_person(u, n, Role.COMMITTEE_MEMBER, []) for u, n in members]
        committee_form_unchecked(
            actor=ACTOR,
            procurement_unit=ukpbj,
            name=committee_name,
            members=[user for user, _ in people],
        )
        for user, entry in people:
            identity, kit, passphrase = _enrol_member_key(user)
            identities[user.username] = identity
            entry.update(
                committee=committee_name,
                totp_secret=_enrol_totp(user),
                key_kit=str(kit),
                key_passphrase=passphrase,
            )
            logins.append(entry)
    verifier = User.objects.get(username="verifikator")
    for company, nib, npwp, city, username, name, decision in data.VENDORS:
        password = _password()
        registered = vendor_register(
            company_name=company,
            nib=nib,
            npwp=npwp,
            address=f"Jl. Cenderawasih No. 1, {city}",
            city=city,
            email=f"{username}@example.co.id",
            username=username,
            password=password,
            display_name=name,
        )
        if decision == "approved":
            vendor_approve(actor=verifier, company_id=registered.pk)
            qualification_item_add(
                actor=User.objects.get(username=username),
                company_id=registered.pk,
                kind="licence",
                values={
                    "kbli_codes": ["41011", "46691"],
                    "business_size": "non_small" if npwp.endswith("011.000") else "small",
                },
            )
        elif decision == "rejected":
            vendor_reject(actor=verifier, company_id=registered.pk, reason=data.REJECTION_REASON)
        logins.append(
            {
                "role": "vendor",
                "username": username,
                "password": password,
                "company": company,
                "totp_secret": None,
            }
        )
    return logins, identities


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (owner-only), replacing it whole: a reload after a crash
    rewrites what the rolled-back run left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _write_logins(logins: list[dict]) -> None:
    _write_private(_logins_path(), json.dumps(logins, indent=1, ensure_ascii=False))


# The demo's history starts this many days ago: organizations and vendors first, then each
# tender's steps at the moments they happened (tangguh.demo.tenders).
HISTORY_DAYS = 60


def demo_tenders() -> list[dict]:
    """Code and derived phase of every demo tender, for ``tangguh demo --json``."""
    from tangguh.tenders.selectors import tender_status

    return [
        {"code": t.code, "title": t.title, "phase": tender_status(t).phase.name.lower()}
        for t in Tender.objects.order_by("code")
    ]


def demo_ensure() -> tuple[bool, list[dict]]:
    """Load the demo if this node has none; return (loaded now?, logins)."""
    if Agency.objects.filter(code=data.AGENCY[1]).exists():
        path = _logins_path()
        logins = json.loads(path.read_text()) if path.exists() else []
        return False, logins
    now = clock.now().replace(second=0, microsecond=0)
    start = now - timedelta(days=HISTORY_DAYS)
    with transaction.atomic(), clock.use_clock(FrozenClock(start)) as frozen:
        logins, identities = _load()
        load_tenders(
            frozen=frozen,
            now=now,
            member_identities=identities,
            procurement_unit=ProcurementUnit.objects.get(name=data.PROCUREMENT_UNIT),
            committees=list(Committee.objects.order_by("name")),
            units={u.code: u for u in WorkUnit.objects.all()},
        )
        # Written before the commit: a crash in between leaves an empty node, which the next
        # run loads again (overwriting this file), never a node whose logins are lost.
        _write_logins(logins)
    return True, logins
