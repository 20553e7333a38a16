"""A vendor company's qualification profile (data kualifikasi), kept once and reused for every
tender: business licence, construction certificates (SBU, SKK), financial capacity, experience,
tax compliance, staff and equipment. Each item may carry a supporting PDF (content-addressed,
``tangguh.core.blobs``) and is checked by a verifier.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from django.db import models


def plain(value: object) -> object:
    """A field value as JSON: dates as ISO text, money as decimal text (never a float)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class ItemKind(models.TextChoices):
    LICENCE = "licence", "Izin usaha (NIB dan KBLI)"
    SBU = "sbu", "Sertifikat Badan Usaha (SBU)"
    SKK = "skk", "Sertifikat Kompetensi Kerja (SKK)"
    CAPACITY = "capacity", "Kemampuan keuangan"
    EXPERIENCE = "experience", "Pengalaman"
    TAX = "tax", "Kepatuhan pajak (KSWP)"
    STAFF = "staff", "Tenaga ahli/terampil"
    EQUIPMENT = "equipment", "Peralatan"


class BusinessSize(models.TextChoices):
    """Kualifikasi usaha as the reservation rule reads it (Perpres 12/2021 Ps 65(4))."""

    SMALL = "small", "Usaha kecil"
    NON_SMALL = "non_small", "Non-kecil"


class SbuLevel(models.TextChoices):
    SMALL = "small", "Kecil"
    MEDIUM = "medium", "Menengah"
    LARGE = "large", "Besar"


class CapacityBasis(models.TextChoices):
    BASIC_CAPABILITY = "basic_capability", "Kemampuan Dasar (KD)"
    NET_WORTH = "net_worth", "Kekayaan bersih"


class TaxStatus(models.TextChoices):
    VALID = "valid", "Valid"
    INVALID = "invalid", "Tidak valid"


class Ownership(models.TextChoices):
    OWNED = "owned", "Milik sendiri"
    LEASED = "leased", "Sewa"


class Verification(models.TextChoices):
    PENDING = "pending", "Menunggu pemeriksaan"
    VERIFIED = "verified", "Terverifikasi"
    REJECTED = "rejected", "Ditolak"


class QualificationProfile(models.Model):
    company = models.OneToOneField(
        "vendors.VendorCompany", on_delete=models.PROTECT, related_name="qualification"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Kualifikasi {self.company_id}"


class QualificationItem(models.Model):
    """What every item shares: its supporting document and the verifier's decision."""

    kind: ClassVar[ItemKind]
    value_fields: ClassVar[tuple[str, ...]]

    profile = models.ForeignKey(
        QualificationProfile, on_delete=models.CASCADE, related_name="%(class)s_items"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_size = models.PositiveBigIntegerField(null=True, blank=True)
    document_filename = models.CharField(max_length=200, blank=True)
    document_uploaded_at = models.DateTimeField(null=True, blank=True)
    verification = models.CharField(
        max_length=10, choices=Verification.choices, default=Verification.PENDING
    )
    verification_reason = models.TextField(blank=True)
    verified_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["profile", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.pk}"

    def values(self) -> dict[str, object]:
        """The item's own fields (those its kind declares), as stored."""
        return {field: getattr(self, field) for field in self.value_fields}


class BusinessLicence(QualificationItem):
    """The OSS business licence: the NIB is the company's own; KBLI codes and business scale
    (skala usaha, stated on the NIB) are declared here and checked against the document."""

    kind = ItemKind.LICENCE
    value_fields = ("kbli_codes", "business_size")

    kbli_codes = models.JSONField(default=list)
    business_size = models.CharField(max_length=10, choices=BusinessSize.choices)

    class Meta(QualificationItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["profile"], name="one_business_licence_per_profile")
        ]


class BusinessCertificate(QualificationItem):
    """Sertifikat Badan Usaha (SBU) for construction, one per subclassification."""

    kind = ItemKind.SBU
    value_fields = ("number", "subclassification_code", "qualification_level", "valid_until")

    number = models.CharField(max_length=60)
    subclassification_code = models.CharField(max_length=10)
    qualification_level = models.CharField(max_length=10, choices=SbuLevel.choices)
    valid_until = models.DateField()


class CompetenceCertificate(QualificationItem):
    """Sertifikat Kompetensi Kerja (SKK) held by one of the company's staff."""

    kind = ItemKind.SKK
    value_fields = ("holder_name", "number", "occupation", "level", "valid_until")

    holder_name = models.CharField(max_length=200)
    number = models.CharField(max_length=60)
    occupation = models.CharField(max_length=200)  # jabatan kerja
    level = models.PositiveSmallIntegerField()  # jenjang 1-9
    valid_until = models.DateField()

    class Meta(QualificationItem.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=9), name="skk_level_1_to_9"
            )
        ]


class FinancialCapacity(QualificationItem):
    """Kemampuan Dasar (KD) or net worth for a fiscal year."""

    kind = ItemKind.CAPACITY
    value_fields = ("basis", "amount", "fiscal_year")

    basis = models.CharField(max_length=20, choices=CapacityBasis.choices)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    fiscal_year = models.PositiveSmallIntegerField()

    class Meta(QualificationItem.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="capacity_amount_not_negative"
            )
        ]


class Experience(QualificationItem):
    """A contract the company carried out (pengalaman)."""

    kind = ItemKind.EXPERIENCE
    value_fields = ("contract_name", "client", "contract_value", "year", "completed_on")

    contract_name = models.CharField(max_length=300)
    client = models.CharField(max_length=200)
    contract_value = models.DecimalField(max_digits=18, decimal_places=2)
    year = models.PositiveSmallIntegerField()
    completed_on = models.DateField(null=True, blank=True)  # handover (BAST); empty = ongoing

    class Meta(QualificationItem.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contract_value__gte=0), name="experience_value_not_negative"
            )
        ]


class TaxCompliance(QualificationItem):
    """The tax compliance statement (KSWP) for the company's NPWP."""

    kind = ItemKind.TAX
    value_fields = ("reference", "status", "valid_until")

    reference = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=TaxStatus.choices)
    valid_until = models.DateField()


class StaffMember(QualificationItem):
    kind = ItemKind.STAFF
    value_fields = ("name", "position", "education", "experience_years")

    name = models.CharField(max_length=200)
    position = models.CharField(max_length=200)
    education = models.CharField(max_length=100)
    experience_years = models.PositiveSmallIntegerField()


class Equipment(QualificationItem):
    kind = ItemKind.EQUIPMENT
    value_fields = ("name", "quantity", "capacity", "ownership")

    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    capacity = models.CharField(max_length=100, blank=True)
    ownership = models.CharField(max_length=10, choices=Ownership.choices)

    class Meta(QualificationItem.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="equipment_quantity_positive"
            )
        ]


ITEM_MODELS: dict[ItemKind, type[QualificationItem]] = {
    model.kind: model
    for model in (
        BusinessLicence,
        BusinessCertificate,
        CompetenceCertificate,
        FinancialCapacity,
        Experience,
        TaxCompliance,
        StaffMember,
        Equipment,
    )
}
