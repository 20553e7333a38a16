"""The clarification stage (pemberian penjelasan): questions and their answers, addenda, and
the minutes (BA Pemberian Penjelasan). Perlem 12/2021 §4.2.4 (RULES.md "Clarification")."""

from django.db import models


class Question(models.Model):
    """A participant's question and the Pokja's answer. Who asked is kept for the record and
    for telling the asker's company, and is never shown: not to the public, not to the Pokja."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="questions")
    number = models.PositiveIntegerField()  # 1, 2, … within the tender, as the minutes list them
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField()
    section = models.CharField(max_length=200, blank=True)  # e.g. "Bab III LDP angka 5"
    text = models.TextField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="one_question_number"),
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True) | ~models.Q(answer=""),
                name="answered_question_has_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tender_id} Q{self.number}"


class Addendum(models.Model):
    """A change to the tender documents: a new document version, its description, and the
    schedule change it required (when it left too little time before the bid deadline)."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="addenda")
    number = models.PositiveIntegerField()
    document = models.OneToOneField(
        "tenders.TenderDocument", on_delete=models.PROTECT, related_name="addendum"
    )
    amends = models.ForeignKey(
        "tenders.TenderDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amended_by",
    )
    description = models.TextField()
    schedule_change = models.OneToOneField(
        "tenders.ScheduleChange",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="addendum",
    )
    issued_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="one_addendum_number"),
        ]

    def __str__(self) -> str:
        return f"{self.tender_id} Adendum {self.number}"


class ClarificationMinutes(models.Model):
    """One publication of the BA Pemberian Penjelasan (a later one is a new version)."""

    tender = models.ForeignKey(
        "tenders.Tender", on_delete=models.PROTECT, related_name="clarification_minutes"
    )
    document = models.OneToOneField(
        "tenders.TenderDocument", on_delete=models.PROTECT, related_name="clarification_minutes"
    )
    questions = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()
    published_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "published_at"]

    def __str__(self) -> str:
        return f"{self.tender_id} BA {self.published_at:%Y-%m-%d}"
