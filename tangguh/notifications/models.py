"""What a person is told: one in-app notification per recipient, in Indonesian and English.

Email is a copy sent after the writing transaction commits; the inbox row is the record.
"""

from django.db import models


class NotificationKind(models.TextChoices):
    ANSWER = "answer", "Jawaban pertanyaan"
    ADDENDUM = "addendum", "Adendum"
    MINUTES = "minutes", "Berita Acara Pemberian Penjelasan"
    SCHEDULE_CHANGE = "schedule_change", "Perubahan jadwal"
    CANCELLED = "cancelled", "Tender dibatalkan"
    # From the evaluation to the contract (tangguh.awards).
    AWARD = "award", "Pengumuman pemenang"
    OBJECTION = "objection", "Sanggah masuk"
    OBJECTION_ANSWER = "objection_answer", "Jawaban sanggah"
    APPEAL_ANSWER = "appeal_answer", "Jawaban sanggah banding"
    SPPBJ = "sppbj", "SPPBJ diterbitkan"
    CONTRACT = "contract", "Kontrak ditandatangani"
    TENDER_FAILED = "tender_failed", "Tender gagal"
    BID_VALIDITY = "bid_validity", "Permintaan perpanjangan masa berlaku penawaran"
    OTHER = "other", "Lainnya"


class Notification(models.Model):
    recipient = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notifications"
    )
    tender = models.ForeignKey(
        "tenders.Tender",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title_id = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_id = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"
