"""Plan items (RUP) and packages: what a work unit means to buy, and the unit of procurement a
PPK delegates to the UKPBJ, which assigns it to a Pokja."""

from django.db import models


class Category(models.TextChoices):
    GOODS = "goods", "Pengadaan Barang"
    WORKS = "works", "Pekerjaan Konstruksi"
    CONSULTANCY = "consultancy", "Jasa Konsultansi"
    OTHER_SERVICES = "other_services", "Jasa Lainnya"


class PlanItem(models.Model):
    """A line of the published procurement plan (RUP, as in SiRUP)."""

    work_unit = models.ForeignKey(
        "organizations.WorkUnit", on_delete=models.PROTECT, related_name="plan_items"
    )
    rup_code = models.CharField(max_length=30, unique=True)
    fiscal_year = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    category = models.CharField(max_length=20, choices=Category.choices)
    budget = models.DecimalField(max_digits=18, decimal_places=2)
    source = models.CharField(max_length=10, default="manual")  # manual | csv | sirup
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-fiscal_year", "rup_code"]

    def __str__(self) -> str:
        return f"{self.rup_code} {self.title}"


class Package(models.Model):
    """Paket: created by a PPK, delegated to the UKPBJ, assigned to a Pokja."""

    work_unit = models.ForeignKey(
        "organizations.WorkUnit", on_delete=models.PROTECT, related_name="packages"
    )
    plan_item = models.ForeignKey(
        PlanItem, null=True, blank=True, on_delete=models.PROTECT, related_name="packages"
    )
    fiscal_year = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    category = models.CharField(max_length=20, choices=Category.choices)
    budget = models.DecimalField(max_digits=18, decimal_places=2)
    owner_estimate = models.DecimalField(max_digits=18, decimal_places=2)  # HPS
    location = models.CharField(max_length=200)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    procurement_unit = models.ForeignKey(
        "organizations.ProcurementUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="packages",
    )
    delegated_at = models.DateTimeField(null=True, blank=True)
    committee = models.ForeignKey(
        "organizations.Committee",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="packages",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["procurement_unit", "committee", "delegated_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_estimate__lte=models.F("budget")),
                name="package_hps_within_budget",
            ),
            models.CheckConstraint(
                condition=models.Q(committee__isnull=True) | models.Q(delegated_at__isnull=False),
                name="package_assigned_only_after_delegation",
            ),
        ]

    def __str__(self) -> str:
        return self.title
