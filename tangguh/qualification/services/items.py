"""A company's users add, change and remove the items of its qualification profile.

Any change sends the item back to the verifier (pending): a verification covers what was seen.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import IntegrityError, transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.core.errors import Conflict
from tangguh.qualification.models import (
    ITEM_MODELS,
    BusinessLicence,
    ItemKind,
    QualificationItem,
    QualificationProfile,
    Verification,
)
from tangguh.qualification.services.access import company_require_own, item_find
from tangguh.qualification.services.cleaning import audit_values, item_kind, item_values_clean
from tangguh.vendors.models import VendorCompany


def _profile(company: VendorCompany) -> QualificationProfile:
    now = clock.now()
    profile, _ = QualificationProfile.objects.get_or_create(
        company=company, defaults={"created_at": now, "updated_at": now}
    )
    return profile


def _touch(profile: QualificationProfile) -> None:
    profile.updated_at = clock.now()
    profile.save(update_fields=["updated_at"])


def reset_verification(item: QualificationItem) -> bool:
    """Back to pending; True if a decision was withdrawn."""
    decided = item.verification != Verification.PENDING
    item.verification = Verification.PENDING
    item.verification_reason = ""
    item.verified_by = None
    item.verified_at = None
    return decided


def _licence_exists() -> Conflict:
    return Conflict(
        "qualification.licence_exists",
        "Izin usaha sudah ada; ubah data yang ada.",
        "The business licence already exists; change it instead.",
        field="kind",
    )


def qualification_item_add(
    *, actor: User, company_id: int, kind: ItemKind | str, values: Mapping[str, object]
) -> QualificationItem:
    """Add an item to the company's profile (created on first use). One licence per company."""
    company = company_require_own(
        actor=actor, company_id=company_id, action="qualification.item_add"
    )
    kind = item_kind(kind)
    cleaned = item_values_clean(kind, values)
    now = clock.now()
    try:
        with transaction.atomic():
            profile = _profile(company)
            if (
                kind == ItemKind.LICENCE
                and BusinessLicence.objects.filter(profile=profile).exists()
            ):
                raise _licence_exists()
            item = ITEM_MODELS[kind].objects.create(
                profile=profile, created_at=now, updated_at=now, **cleaned
            )
            _touch(profile)
            audit_append(
                actor=actor,
                action="qualification.item_added",
                object_type=f"qualification_{kind.value}",
                object_id=item.pk,
                payload={"company_id": company.pk, "values": audit_values(kind, cleaned)},
            )
    except IntegrityError as exc:  # a concurrent second licence
        raise _licence_exists() from exc
    return item


def qualification_item_update(
    *,
    actor: User,
    company_id: int,
    kind: ItemKind | str,
    item_id: int,
    values: Mapping[str, object],
) -> QualificationItem:
    """Replace an item's values; the verifier's earlier decision no longer applies."""
    company_require_own(actor=actor, company_id=company_id, action="qualification.item_update")
    kind = item_kind(kind)
    cleaned = item_values_clean(kind, values)
    with transaction.atomic():
        item = item_find(kind=kind, item_id=item_id, company_id=company_id)
        for field, value in cleaned.items():
            setattr(item, field, value)
        withdrawn = reset_verification(item)
        item.updated_at = clock.now()
        item.save()
        _touch(item.profile)
        audit_append(
            actor=actor,
            action="qualification.item_updated",
            object_type=f"qualification_{kind.value}",
            object_id=item.pk,
            payload={
                "company_id": company_id,
                "values": audit_values(kind, cleaned),
                "verification_withdrawn": withdrawn,
            },
        )
    return item


def qualification_item_delete(
    *, actor: User, company_id: int, kind: ItemKind | str, item_id: int
) -> None:
    """Remove an item from the profile (its document stays in storage, unreferenced)."""
    company_require_own(actor=actor, company_id=company_id, action="qualification.item_delete")
    kind = item_kind(kind)
    with transaction.atomic():
        item = item_find(kind=kind, item_id=item_id, company_id=company_id)
        profile = item.profile
        pk = item.pk
        item.delete()
        _touch(profile)
        audit_append(
            actor=actor,
            action="qualification.item_deleted",
            object_type=f"qualification_{kind.value}",
            object_id=pk,
            payload={"company_id": company_id},
        )
