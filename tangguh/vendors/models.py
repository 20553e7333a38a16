"""Vendor companies (Penyedia). Their users hold the vendor role at ``company:<id>``."""

from django.db import models


class VendorStatus(models.TextChoices):
    PENDING = "pending", "Menunggu verifikasi"
    APPROVED = "approved", "Terverifikasi"
    REJECTED = "rejected", "Ditolak"


class VendorCompany(models.Model):
    name = models.CharField(max_length=200)
    nib = models.CharField(max_length=13, unique=True)
    npwp = models.CharField(max_length=16, unique=True)
    address = models.CharField(max_length=300)
    city = models.CharField(max_length=100)
    email = models.EmailField()
    status = models.CharField(
        max_length=10, choices=VendorStatus.choices, default=VendorStatus.PENDING
    )
    rejection_reason = models.TextField(blank=True)
    registered_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
