"""Taking part in a tender: a company's registration with its integrity pact, the downloads of
tender documents, and the node's local copy of the national blacklist (Daftar Hitam)."""

from django.db import models


class Participation(models.Model):
    """A company registered for a tender (one row per tender and company)."""

    tender = models.ForeignKey(
        "tenders.Tender", on_delete=models.PROTECT, related_name="participations"
    )
    company = models.ForeignKey(
        "vendors.VendorCompany", on_delete=models.PROTECT, related_name="participations"
    )
    registered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField()
    # The integrity pact (Pakta Integritas) as accepted: which text, exactly, and when.
    pact_version = models.CharField(max_length=40)
    pact_sha256 = models.CharField(max_length=64)
    pact_accepted_at = models.DateTimeField()
    # What was checked at registration: the blacklist copy's sync time and the business size.
    blacklist_synced_at = models.DateTimeField(null=True, blank=True)
    business_size = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["tender", "registered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "company"], name="one_participation_per_company"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_id}@{self.tender_id}"


class DocumentDownload(models.Model):
    """One download of one tender document: who, which, the bytes' hash, when."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(
        "tenders.TenderDocument", on_delete=models.PROTECT, related_name="downloads"
    )
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    participation = models.ForeignKey(
        Participation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="downloads",
    )  # empty for a committee member
    sha256 = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "at"]
        indexes = [models.Index(fields=["tender", "at"])]

    def __str__(self) -> str:
        return f"{self.document_id} by {self.user_id}"


class BlacklistEntry(models.Model):
    """A sanction in the national blacklist (Perpres 16/2018 Ps 78-82), as last synced."""

    npwp = models.CharField(max_length=16, blank=True, db_index=True)
    nib = models.CharField(max_length=13, blank=True, db_index=True)
    name = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)  # empty: until lifted
    decree_reference = models.CharField(max_length=200)  # SK penetapan sanksi
    source = models.CharField(max_length=200, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(npwp="") | ~models.Q(nib=""),
                name="blacklist_entry_names_npwp_or_nib",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="blacklist_entry_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.decree_reference})"


class BlacklistSync(models.Model):
    """One replacement of the local copy: when, from which file, how many entries."""

    at = models.DateTimeField()
    actor = models.CharField(max_length=200)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    entries = models.PositiveIntegerField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.entries}"
