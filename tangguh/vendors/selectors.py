"""Reads of vendor companies."""

from __future__ import annotations

from tangguh.accounts.models import RoleAssignment, User
from tangguh.domain.roles import Role
from tangguh.vendors.models import VendorCompany, VendorStatus


def vendor_pending() -> list[VendorCompany]:
    return list(VendorCompany.objects.filter(status=VendorStatus.PENDING).order_by("registered_at"))


def vendor_company_ids_of(user: User) -> list[int]:
    """The ids of the companies ``user`` acts for (their vendor role scopes)."""
    return [
        int(scope.split(":", 1)[1])
        for scope in RoleAssignment.objects.filter(
            user=user, role=Role.VENDOR.value, scope__startswith="company:"
        ).values_list("scope", flat=True)
    ]


def vendor_companies_of(user: User) -> list[VendorCompany]:
    return list(VendorCompany.objects.filter(pk__in=vendor_company_ids_of(user)))
