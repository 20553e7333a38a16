"""Who may touch a qualification profile: the company's own users edit it; verifiers read and
decide on it."""

from __future__ import annotations

from tangguh.accounts.models import User
from tangguh.accounts.selectors import user_grants
from tangguh.accounts.services.permissions import permission_require
from tangguh.core.errors import NotFound
from tangguh.domain.roles import Permission, is_allowed
from tangguh.qualification.models import ITEM_MODELS, ItemKind, QualificationItem
from tangguh.vendors.models import VendorCompany


def company_require_own(*, actor: User, company_id: int, action: str) -> VendorCompany:
    """The company, if ``actor`` is one of its users (MANAGE_COMPANY at ``company:<id>``)."""
    permission_require(
        user=actor,
        permission=Permission.MANAGE_COMPANY,
        scope=f"company:{company_id}",
        action=action,
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


def company_require_own_or_verifier(*, actor: User, company_id: int, action: str) -> VendorCompany:
    """The company, if ``actor`` is one of its users or a verifier."""
    if getattr(actor, "is_authenticated", False) and is_allowed(
        user_grants(actor), Permission.MANAGE_COMPANY, [f"company:{company_id}"]
    ):
        return company_require_own(actor=actor, company_id=company_id, action=action)
    permission_require(user=actor, permission=Permission.VERIFY_VENDORS, action=action)
    company = VendorCompany.objects.filter(pk=company_id).first()
    if company is None:
        raise NotFound(
            "vendor.not_found",
            "Perusahaan tidak ditemukan.",
            "Vendor company not found.",
            field="company_id",
        )
    return company


def item_find(*, kind: ItemKind, item_id: int, company_id: int | None = None) -> QualificationItem:
    """One item of ``kind`` (of ``company_id`` when given), or ``qualification.item_not_found``."""
    query = ITEM_MODELS[kind].objects.select_related("profile__company").filter(pk=item_id)
    if company_id is not None:
        query = query.filter(profile__company_id=company_id)
    item = query.first()
    if item is None:
        raise NotFound(
            "qualification.item_not_found",
            "Data kualifikasi tidak ditemukan.",
            "Qualification item not found.",
            field="item_id",
        )
    return item
