"""The offline procedure (*luring*): media-receipt minutes, their confirmations, sealed files
imported from media, and openings held off-line by quorum.

A sealed file handed over on media during an outage enters the node only as an ``Envelope``
(``tangguh.bids``) whose SHA-256 a published minute lists; ``OfflineEnvelope`` marks it luring
without changing the bids app. Nothing is edited after the fact: a wrong minute is replaced by
a new one, never rewritten (its confirmations bind to its digest).
"""

from django.db import models


class MediaMinute(models.Model):
    """Berita acara penerimaan luring: sealed files the Pokja received on media. Binding once
    every listed company confirmed it and at least *k* members did; public once published."""

    tender = models.ForeignKey(
        "tenders.Tender", on_delete=models.PROTECT, related_name="offline_minutes"
    )
    number = models.PositiveSmallIntegerField()  # 1, 2, … per tender
    place = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # SHA-256 of the RFC 8785 JSON of what the minute states (tender, files): what the vendor
    # and the members confirm.
    digest = models.CharField(max_length=64)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="one_minute_number"),
        ]

    def __str__(self) -> str:
        return f"{self.tender_id} BA luring {self.number}"


class MediaFile(models.Model):
    """One sealed file listed in a minute: whose, handed over by whom, when, its hash and size."""

    minute = models.ForeignKey(MediaMinute, on_delete=models.PROTECT, related_name="files")
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    lot = models.PositiveSmallIntegerField(default=1)
    envelope = models.CharField(max_length=10)  # offer | technical | price
    handed_over_by = models.CharField(max_length=200)
    received_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["minute", "received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["minute", "sha256"], name="one_media_file_per_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.minute_id} {self.sha256[:12]}"


class ConfirmationMethod(models.TextChoices):
    LOGIN = "login", "Dikonfirmasi penyedia di node"
    SCAN = "scan", "Pindaian pernyataan bertanda tangan penyedia"


class VendorConfirmation(models.Model):
    """A listed company confirmed the hashes of its files: a user of the company, logged in,
    or — when the vendor cannot log in — its signed statement, scanned and uploaded by the
    Pokja (recorded as such)."""

    minute = models.ForeignKey(
        MediaMinute, on_delete=models.PROTECT, related_name="vendor_confirmations"
    )
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=10, choices=ConfirmationMethod.choices)
    confirmed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()
    digest = models.CharField(max_length=64)  # the minute's digest, as confirmed
    scan = models.ForeignKey(
        "tenders.TenderDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["minute", "company"], name="one_vendor_confirmation_per_company"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minute_id} {self.company_id} {self.method}"


class MemberConfirmation(models.Model):
    """A member of the tender's Pokja confirmed the minute (second factor checked)."""

    minute = models.ForeignKey(
        MediaMinute, on_delete=models.PROTECT, related_name="member_confirmations"
    )
    member = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()
    digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["minute", "confirmed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["minute", "member"], name="one_member_confirmation_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minute_id} {self.member_id}"


class OfflineEnvelope(models.Model):
    """Marks a ``bids.Envelope`` as imported from media (luring), with the listing it came by."""

    envelope = models.OneToOneField(
        "bids.Envelope", on_delete=models.PROTECT, related_name="offline"
    )
    media_file = models.OneToOneField(MediaFile, on_delete=models.PROTECT, related_name="imported")
    imported_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"luring {self.envelope_id}"


class OfflineOpening(models.Model):
    """An opening the Pokja held off-line by quorum, with its scanned minutes (luring)."""

    tender = models.ForeignKey(
        "tenders.Tender", on_delete=models.PROTECT, related_name="offline_openings"
    )
    opened_at = models.DateTimeField()
    place = models.CharField(max_length=200)
    members = models.ManyToManyField("accounts.User", related_name="+")
    # [{"company_nib", "company", "envelope", "sha256", "total_price"}], as the minutes state
    envelopes = models.JSONField(default=list)
    minutes = models.ForeignKey(
        "tenders.TenderDocument", on_delete=models.PROTECT, related_name="+"
    )
    minutes_sha256 = models.CharField(max_length=64)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "opened_at"]

    def __str__(self) -> str:
        return f"pembukaan luring {self.tender_id} {self.opened_at:%Y-%m-%d}"
