"""Reads of qualification profiles: a company's whole profile, its business size, and the
verifier's queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tangguh.qualification.models import (
    ITEM_MODELS,
    BusinessLicence,
    BusinessSize,
    ItemKind,
    QualificationItem,
    QualificationProfile,
    Verification,
    plain,
)
from tangguh.vendors.models import VendorCompany


@dataclass(frozen=True)
class ProfileView:
    company: VendorCompany
    profile: QualificationProfile | None
    business_size: BusinessSize | None
    items: list[QualificationItem]


def qualification_profile_view(company: VendorCompany) -> ProfileView:
    """Everything in ``company``'s profile, items grouped by kind in the order of ``ItemKind``."""
    profile = QualificationProfile.objects.filter(company=company).first()
    items: list[QualificationItem] = []
    if profile is not None:
        for model in ITEM_MODELS.values():
            items.extend(model.objects.filter(profile=profile).order_by("created_at", "id"))
    return ProfileView(company, profile, qualification_business_size(company.pk), items)


def qualification_business_size(company_id: int) -> BusinessSize | None:
    """The business size the company declared on its licence, unless a verifier rejected it."""
    licence = (
        BusinessLicence.objects.filter(profile__company_id=company_id)
        .exclude(verification=Verification.REJECTED)
        .first()
    )
    return BusinessSize(licence.business_size) if licence else None


def qualification_item_values(item: QualificationItem) -> dict[str, object]:
    """The item's own fields as JSON values (dates ISO, money as decimal text)."""
    return {field: plain(value) for field, value in item.values().items()}


def qualification_item_expired(item: QualificationItem, today: date) -> bool:
    """True when a certificate or statement with a validity date has run out."""
    valid_until = getattr(item, "valid_until", None)
    return valid_until is not None and valid_until < today


def qualification_items_pending(limit: int = 200) -> list[QualificationItem]:
    """Items waiting for the verifier, oldest change first."""
    pending: list[QualificationItem] = []
    for model in ITEM_MODELS.values():
        pending.extend(
            model.objects.select_related("profile__company")
            .filter(verification=Verification.PENDING)
            .order_by("updated_at")[:limit]
        )
    pending.sort(key=lambda item: (item.updated_at, item.kind, item.pk))
    return pending[:limit]


def qualification_kinds() -> list[ItemKind]:
    return list(ITEM_MODELS)
