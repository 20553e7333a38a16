"""Evaluation results the Pokja records.

``TechnicalResult``: in a two-file tender (*metode dua file*), the technical evaluation of each
bid whose technical envelope was opened — passed, or failed with the reason. Only the price
envelopes of bids that passed are ever opened (Perlem LKPP 12/2021, dua file: the price
envelope is opened only for bidders who pass the technical evaluation).
"""

from django.db import models


class TechnicalResult(models.Model):
    tender = models.ForeignKey(
        "tenders.Tender", on_delete=models.PROTECT, related_name="technical_results"
    )
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    passed = models.BooleanField()
    reason = models.TextField(blank=True)  # required when failed; the Pokja's own words
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # 1 when first recorded; each explicit revision (allowed until the price opening starts)
    # adds one, so a reader sees that the result was changed (the audit log says how).
    revision = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["tender", "company__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "company"], name="one_technical_result_per_bid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tender_id}/{self.company_id} {'passed' if self.passed else 'failed'}"
