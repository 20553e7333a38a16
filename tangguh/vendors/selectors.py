"""Reads of vendor companies."""

from __future__ import annotations

from tangguh.accounts.models import RoleAssignment, User
from tangguh.domain.roles import Role
from tangguh.vendors.models import VendorCompany, VendorStatus


def vendor_pending() -> list[VendorCompany]:
    return list(VendorCompany.objects.filter(status=VendorStatus.PENDING).order_by("registered_at"))


def vendor_companies_of(user: User) -> list[VendorCompany]:
    ids = [
        int(scope.split(":", 1)[1])
        for scope in RoleAssignment.objects.filter(
            user=user, role=Role.VENDOR.value, scope__startswith="company:"
        ).values_list("scope", flat=True)
    ]
    return list(VendorCompany.objects.filter(pk__in=ids))
