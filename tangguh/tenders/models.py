"""A tender: one selection procedure for a package, its schedule, documents and public history.

No phase is stored: it is derived from the stages, the clock and the recorded decisions
(``announced_at``, ``cancelled_at`` …) by ``tangguh.domain.phase``.
"""

from django.db import models

from tangguh.domain.methods import Method, StageKind


class EvaluationMethod(models.TextChoices):
    LOWEST_PRICE = "lowest_price", "Harga Terendah"
    MERIT_POINT = "merit_point", "Sistem Nilai"
    LIFE_CYCLE_COST = "life_cycle_cost", "Penilaian Biaya Selama Umur Ekonomis"
    QUALITY_AND_COST = "quality_and_cost", "Kualitas dan Biaya"
    QUALITY = "quality", "Kualitas"
    FIXED_BUDGET = "fixed_budget", "Pagu Anggaran"
    LEAST_COST = "least_cost", "Biaya Terendah"


class Tender(models.Model):
    package = models.OneToOneField(
        "planning.Package", on_delete=models.PROTECT, related_name="tender"
    )
    committee = models.ForeignKey(
        "organizations.Committee", on_delete=models.PROTECT, related_name="tenders"
    )
    code = models.CharField(max_length=20, unique=True)  # public, never changes
    title = models.CharField(max_length=300)
    method = models.CharField(max_length=30, choices=[(m.value, m.label_id) for m in Method])
    envelopes = models.PositiveSmallIntegerField(default=1)
    evaluation_method = models.CharField(max_length=30, choices=EvaluationMethod.choices)
    technical_weight = models.PositiveSmallIntegerField(null=True, blank=True)
    price_weight = models.PositiveSmallIntegerField(null=True, blank=True)
    passing_score = models.PositiveSmallIntegerField(null=True, blank=True)
    qualification_requirements = models.JSONField(default=list)
    small_business_reserved = models.BooleanField(default=False)
    ruleset_code = models.CharField(max_length=60, blank=True)  # pinned at announcement
    created_at = models.DateTimeField()
    announced_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["announced_at"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class TenderStage(models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="stages")
    kind = models.CharField(max_length=40, choices=[(k.value, k.value) for k in StageKind])
    position = models.PositiveSmallIntegerField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    changes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["tender", "position"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "kind"], name="one_stage_kind_per_tender"),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="stage_ends_not_before_start"
            ),
        ]
        indexes = [models.Index(fields=["kind", "end"])]

    def __str__(self) -> str:
        return f"{self.tender_id}:{self.kind}"


class ScheduleChange(models.Model):
    """A public change of schedule, always with a reason (and the stages it moved)."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="schedule_changes")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    cause = models.CharField(max_length=20, default="committee")  # committee|addendum|outage
    diff = models.JSONField(default=list)

    class Meta:
        ordering = ["tender", "at"]

    def __str__(self) -> str:
        return f"{self.tender_id} @ {self.at:%Y-%m-%d}"


class DocumentKind(models.TextChoices):
    TENDER_DOCUMENT = "tender_document", "Dokumen Pemilihan"
    ADDENDUM = "addendum", "Adendum"
    MINUTES = "minutes", "Berita Acara"
    OTHER = "other", "Lainnya"


class TenderDocument(models.Model):
    """A published document; the bytes live in content-addressed storage under its SHA-256."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    version = models.PositiveSmallIntegerField(default=1)
    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["tender", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"
