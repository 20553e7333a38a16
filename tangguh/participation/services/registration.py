"""A vendor company registers for an announced tender (mendaftar sebagai peserta).

Refused, each with its own code, when the tender is not open for registration (draft,
cancelled, bid deadline passed), the company is not verified, it is on the blacklist copy
(Perpres 16/2018 Ps 78), the tender is reserved for small businesses and it is not one
(Perpres 12/2021 Ps 65(4)), or the integrity pact shown was not accepted as shown.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from tangguh.domain.phase import Phase
from tangguh.domain.roles import Permission
from tangguh.participation.models import Participation
from tangguh.participation.selectors import (
    blacklist_last_sync,
    blacklist_match,
    pact_for,
    participation_get,
)
from tangguh.qualification.models import BusinessSize
from tangguh.qualification.selectors import qualification_business_size
from tangguh.tenders.models import Tender
from tangguh.tenders.selectors import tender_get_public, tender_status
from tangguh.vendors.models import VendorCompany, VendorStatus
from tangguh.vendors.selectors import vendor_companies_of

OPEN_PHASES = (Phase.ANNOUNCED, Phase.BIDDING)


def tender_public_or_404(code: str) -> Tender:
    """An announced tender by code; a draft is as unknown as a missing one."""
    tender = tender_get_public(code)
    if tender is None:
        raise NotFound(
            "tender.not_found", "Tender tidak ditemukan.", "Tender not found.", field="code"
        )
    return tender


def company_for_vendor(*, actor: User, company_id: int | None, action: str) -> VendorCompany:
    """The company ``actor`` acts for: the one named (SUBMIT_BID there), or their only one."""
    if company_id is None:
        companies = vendor_companies_of(actor) if getattr(actor, "is_authenticated", False) else []
        if len(companies) > 1:
            raise InvalidInput(
                "participation.company_required",
                "Anda terdaftar di lebih dari satu perusahaan; pilih perusahaannya.",
                "You belong to more than one company; choose which one.",
                field="company_id",
            )
        company_id = companies[0].pk if companies else 0
    permission_require(
        user=actor, permission=Permission.SUBMIT_BID, scope=f"company:{company_id}", action=action
    )
    company = VendorCompany.objects.filter(pk=company_id).first()
    if company is None:
        raise NotFound(
            "vendor.not_found",
            "Perusahaan tidak ditemukan.",
            "Vendor company not found.",
            field="company_id",
        )
    return company


def _require_open(tender: Tender) -> None:
    status = tender_status(tender)
    if status.phase == Phase.CANCELLED:
        raise Conflict(
            "participation.tender_cancelled",
            f"Tender {tender.code} telah dibatalkan: {tender.cancel_reason}",
            f"Tender {tender.code} was cancelled: {tender.cancel_reason}",
        )
    if status.phase not in OPEN_PHASES:
        raise Conflict(
            "participation.deadline_passed",
            f"Pendaftaran tender {tender.code} sudah ditutup: batas akhir pemasukan penawaran "
            "telah lewat.",
            f"Registration for tender {tender.code} is closed: the bid deadline has passed.",
        )


def _require_eligible(
    company: VendorCompany, tender: Tender
) -> tuple[datetime | None, BusinessSize | None]:
    """Check the company against the rules; (blacklist copy's sync time, business size)."""
    if company.status != VendorStatus.APPROVED:
        raise PermissionDenied(
            "participation.vendor_not_approved",
            "Perusahaan Anda belum terverifikasi; pendaftaran tender dibuka setelah verifikator "
            "menyetujui data perusahaan.",
            "Your company is not verified yet; you can register for tenders once a verifier has "
            "approved it.",
            field="company_id",
        )
    today = timezone.localdate(clock.now())
    entry = blacklist_match(npwp=company.npwp, nib=company.nib, on=today)
    if entry is not None:
        until = entry.ends_on.isoformat() if entry.ends_on else "dicabut"
        until_en = entry.ends_on.isoformat() if entry.ends_on else "lifted"
        raise PermissionDenied(
            "participation.blacklisted",
            f"Perusahaan tercantum dalam Daftar Hitam ({entry.decree_reference}, berlaku "
            f"{entry.starts_on.isoformat()} s.d. {until}) dan tidak dapat mengikuti pengadaan "
            "(Perpres 16/2018 Ps 78).",
            f"The company is on the blacklist ({entry.decree_reference}, from "
            f"{entry.starts_on.isoformat()} until {until_en}) and cannot take part in "
            "procurement (Perpres 16/2018 Ps 78).",
            field="company_id",
        )
    size = qualification_business_size(company.pk)
    if tender.small_business_reserved and size != BusinessSize.SMALL:
        declared_id = (
            "belum menyatakan kualifikasi usaha kecil pada data kualifikasi"
            if size is None
            else "bukan usaha kecil menurut data kualifikasinya"
        )
        declared_en = (
            "has not declared itself a small business in its qualification profile"
            if size is None
            else "is not a small business according to its qualification profile"
        )
        raise PermissionDenied(
            "participation.small_business_reserved",
            f"Paket ini dicadangkan untuk usaha kecil (Perpres 12/2021 Ps 65(4): paket sampai "
            f"Rp15 miliar diperuntukkan bagi usaha kecil); perusahaan Anda {declared_id}.",
            f"This package is reserved for small businesses (Perpres 12/2021 Ps 65(4): packages "
            f"up to Rp15 billion are reserved for small businesses); your company {declared_en}.",
            field="business_size",
        )
    sync = blacklist_last_sync()
    return (sync.at if sync else None), size


def _require_pact(*, accepted: bool, sha256: str, expected: str) -> None:
    if not accepted:
        raise InvalidInput(
            "participation.pact_not_accepted",
            "Pakta Integritas wajib disetujui untuk mendaftar.",
            "The integrity pact must be accepted to register.",
            field="accept_integrity_pact",
        )
    if (sha256 or "").strip().lower() != expected:
        raise Conflict(
            "participation.pact_mismatch",
            "Teks Pakta Integritas yang disetujui berbeda dengan teks yang berlaku; muat ulang "
            "dan setujui teks terbaru.",
            "The integrity pact accepted differs from the current text; reload it and accept "
            "the current text.",
            field="pact_sha256",
        )


def participation_register(
    *,
    actor: User,
    tender_code: str,
    company_id: int | None,
    accept_integrity_pact: bool,
    pact_sha256: str,
) -> tuple[Participation, bool]:
    """Register the company for the tender; (participation, created). Registering again
    returns the existing participation unchanged."""
    company = company_for_vendor(
        actor=actor, company_id=company_id, action="participation.register"
    )
    tender = tender_public_or_404(tender_code)
    existing = participation_get(tender, company)
    if existing is not None:
        return existing, False
    try:
        _require_open(tender)
        synced_at, size = _require_eligible(company, tender)
    except (Conflict, PermissionDenied) as refusal:
        _audit_refusal(actor=actor, tender=tender, company=company, refusal=refusal)
        raise
    pact = pact_for(user=actor, company=company, tender=tender)
    _require_pact(accepted=accept_integrity_pact, sha256=pact_sha256, expected=pact.sha256)
    now = clock.now()
    try:
        with transaction.atomic():
            participation = Participation.objects.create(
                tender=tender,
                company=company,
                registered_by=actor,
                registered_at=now,
                pact_version=pact.version,
                pact_sha256=pact.sha256,
                pact_accepted_at=now,
                blacklist_synced_at=synced_at,
                business_size=size.value if size else "",
            )
            audit_append(
                actor=actor,
                action="participation.registered",
                object_type="participation",
                object_id=participation.pk,
                payload={
                    "tender": tender.code,
                    "company_id": company.pk,
                    "pact_version": pact.version,
                    "pact_sha256": pact.sha256,
                    "blacklist_synced_at": synced_at.isoformat() if synced_at else None,
                    "business_size": participation.business_size,
                },
            )
    except IntegrityError:  # a colleague registered the company at the same moment
        existing = participation_get(tender, company)
        if existing is None:
            raise
        return existing, False
    return participation, True


def _audit_refusal(
    *, actor: User, tender: Tender, company: VendorCompany, refusal: ServiceError
) -> None:
    audit_append(
        actor=actor,
        action="participation.refused",
        object_type="tender",
        object_id=tender.code,
        payload={"company_id": company.pk, "code": refusal.code},
    )
