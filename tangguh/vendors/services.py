"""Vendor registration, its verification, and a company's own users."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.accounts.services.users import role_grant_unchecked, user_create_unchecked
from tangguh.audit.services import audit_append
from tangguh.core.errors import Conflict, InvalidInput, NotFound
from tangguh.domain.identifiers import IdentifierError, normalize_nib, normalize_npwp
from tangguh.domain.roles import Permission, Role
from tangguh.vendors.models import VendorCompany, VendorStatus


def _required(value: str, field: str, label_id: str, label_en: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text or len(text) > max_length:
        raise InvalidInput(
            "vendor.field_required",
            f"{label_id} wajib diisi (paling banyak {max_length} karakter).",
            f"{label_en} is required (at most {max_length} characters).",
            field=field,
        )
    return text


def _email(value: str, field: str = "email") -> str:
    try:
        validate_email(value)
    except ValidationError as exc:
        raise InvalidInput(
            "vendor.email_invalid",
            "Alamat email tidak valid.",
            "The email address is not valid.",
            field=field,
        ) from exc
    return value.strip().lower()


def vendor_register(
    *,
    company_name: str,
    nib: str,
    npwp: str,
    address: str,
    city: str,
    email: str,
    username: str,
    password: str,
    display_name: str,
) -> VendorCompany:
    """A company registers itself and its first user; a verifier then checks it."""
    name = _required(company_name, "company_name", "Nama perusahaan", "Company name", 200)
    try:
        nib_digits = normalize_nib(nib)
        npwp_digits = normalize_npwp(npwp)
    except IdentifierError as exc:
        raise InvalidInput(
            f"vendor.{exc.field}_invalid", exc.rule_id, exc.rule_en, field=exc.field
        ) from exc
    address = _required(address, "address", "Alamat", "Address", 300)
    city = _required(city, "city", "Kota/kabupaten", "City", 100)
    email = _email(email)
    display_name = _required(
        display_name, "display_name", "Nama pengguna lengkap", "Full name", 200
    )
    if VendorCompany.objects.filter(nib=nib_digits).exists():
        raise Conflict(
            "vendor.nib_registered",
            "NIB ini sudah terdaftar.",
            "This NIB is already registered.",
            field="nib",
        )
    if VendorCompany.objects.filter(npwp=npwp_digits).exists():
        raise Conflict(
            "vendor.npwp_registered",
            "NPWP ini sudah terdaftar.",
            "This NPWP is already registered.",
            field="npwp",
        )
    with transaction.atomic():
        company = VendorCompany.objects.create(
            name=name,
            nib=nib_digits,
            npwp=npwp_digits,
            address=address,
            city=city,
            email=email,
            registered_at=clock.now(),
        )
        # NPWP is kept out of the audit payload: it may be a person's tax number (UU 27/2022).
        audit_append(
            actor="public",
            action="vendor.registered",
            object_type="vendor_company",
            object_id=company.pk,
            payload={"name": name, "nib": nib_digits},
        )
        user = user_create_unchecked(
            actor="public",
            username=username,
            password=password,
            display_name=display_name,
            email=email,
        )
        role_grant_unchecked(
            actor="public", user=user, role=Role.VENDOR, scope=f"company:{company.pk}"
        )
    return company


def _company(company_id: int) -> VendorCompany:
    company = VendorCompany.objects.filter(pk=company_id).first()
    if company is None:
        raise NotFound(
            "vendor.not_found",
            "Perusahaan tidak ditemukan.",
            "Vendor company not found.",
            field="company_id",
        )
    return company


def _require_pending(company: VendorCompany) -> None:
    if company.status != VendorStatus.PENDING:
        raise Conflict(
            "vendor.already_verified",
            f"Pendaftaran ini sudah diputuskan ({company.get_status_display()}).",
            f"This registration was already decided ({company.status}).",
        )


def _decide(*, actor: User, company_id: int, status: str, reason: str = "") -> VendorCompany:
    with transaction.atomic():
        company = _company(company_id)
        _require_pending(company)
        company.status = status
        company.verified_at = clock.now()
        company.verified_by = actor
        company.rejection_reason = reason
        company.save(update_fields=["status", "verified_at", "verified_by", "rejection_reason"])
        audit_append(
            actor=actor,
            action=f"vendor.{status}",
            object_type="vendor_company",
            object_id=company.pk,
            payload={"reason": reason} if reason else {},
        )
    return company


def vendor_approve(*, actor: User, company_id: int) -> VendorCompany:
    """A verifier confirms the company's NIB, NPWP and deed."""
    permission_require(user=actor, permission=Permission.VERIFY_VENDORS, action="vendor.approve")
    return _decide(actor=actor, company_id=company_id, status=VendorStatus.APPROVED)


def vendor_reject(*, actor: User, company_id: int, reason: str) -> VendorCompany:
    """A verifier refuses a registration, saying why, so the vendor can put it right."""
    permission_require(user=actor, permission=Permission.VERIFY_VENDORS, action="vendor.reject")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise InvalidInput(
            "vendor.reason_required",
            "Alasan penolakan wajib diisi (paling sedikit 10 karakter).",
            "A rejection reason of at least 10 characters is required.",
            field="reason",
        )
    return _decide(actor=actor, company_id=company_id, status=VendorStatus.REJECTED, reason=reason)


def vendor_user_add(
    *,
    actor: User,
    company_id: int,
    username: str,
    password: str,
    display_name: str,
    email: str,
) -> User:
    """A user of a company adds a colleague to the same company."""
    permission_require(
        user=actor,
        permission=Permission.MANAGE_COMPANY,
        scope=f"company:{company_id}",
        action="vendor.user_add",
    )
    company = _company(company_id)
    with transaction.atomic():
        user = user_create_unchecked(
            actor=actor,
            username=username,
            password=password,
            display_name=display_name,
            email=_email(email),
        )
        role_grant_unchecked(
            actor=actor, user=user, role=Role.VENDOR, scope=f"company:{company.pk}"
        )
    return user
