"""The bodies a node serves: the node itself, agencies (K/L/PD), work units (OPD/Satker),
the procurement unit (UKPBJ) and its selection committees (Pokja)."""

from django.db import models


class Node(models.Model):
    """The LPSE this installation is (one row, id=1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    name = models.CharField(max_length=200)
    ocds_prefix = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=50)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="node_single_row")]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """Kementerian/Lembaga/Perangkat Daerah, e.g. Pemerintah Kabupaten Mimika."""

    name = models.CharField(max_length=200, unique=True)
    code = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkUnit(models.Model):
    """OPD / Satker: owns a budget and the packages it procures."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="work_units")
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=50)

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="work_unit_code_per_agency"),
            models.UniqueConstraint(fields=["agency", "name"], name="work_unit_name_per_agency"),
        ]

    def __str__(self) -> str:
        return self.name


class ProcurementUnit(models.Model):
    """UKPBJ / BPBJ: runs selections for the agency's work units."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="procurement_units")
    name = models.CharField(max_length=200)
    # Optional offline age recipient (e.g. a key kept in the UKPBJ head's safe). When set, every
    # sealing key dealt for this unit's Pokja gets one extra share sealed to it, so that bids
    # still open if more members are lost than the threshold allows (docs/sealing.md).
    recovery_recipient = models.CharField(max_length=100, blank=True)
    recovery_recipient_set_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="procurement_unit_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Committee(models.Model):
    """Pokja Pemilihan. Members are role assignments (accounts.RoleAssignment, role
    committee_member, scope ``committee:<id>``); their number is odd and at least 3."""

    procurement_unit = models.ForeignKey(
        ProcurementUnit, on_delete=models.PROTECT, related_name="committees"
    )
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["procurement_unit", "name"], name="committee_name"),
        ]

    def __str__(self) -> str:
        return self.name


class LocalHoliday(models.Model):
    """A node-defined local day off (RULES.md "Holidays"): a regional holiday such as the
    anniversary of Kabupaten Mimika, or a day the office is closed. National holidays and cuti
    bersama come from the ``holidays`` package and are not stored. Removing a day deletes its
    row; the audit log keeps both the addition and the removal."""

    day = models.DateField(unique=True)
    name = models.CharField(max_length=200)
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"
