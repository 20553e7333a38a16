"""Outages and what they did: the heartbeat, recorded outages, the public extensions applied for
them, decisions left to a Pokja, and the external probes' keys and reports.

No business decision lives here; ``services`` decides, ``selectors`` reads.
"""

from django.db import models

NODE_SCOPE = "node"


class Heartbeat(models.Model):
    """The node's last sign of life: one row (pk 1), updated in place.

    One row and no history on purpose: a beat a minute must not grow a table, add a write
    contender on SQLite beyond one tiny UPDATE, or fill the audit chain. What matters for the
    public record is the gap between two beats, which becomes an audited ``Outage``.
    """

    beat_at = models.DateTimeField()
    started_at = models.DateTimeField()  # when the beating process (serve, cron) started
    host = models.CharField(max_length=200, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"heartbeat {self.beat_at:%Y-%m-%d %H:%M:%S}"


class OutageSource(models.TextChoices):
    DETECTED = "detected", "Terdeteksi (heartbeat)"
    DECLARED = "declared", "Dinyatakan admin"
    PROBE = "probe", "Probe eksternal"


class Outage(models.Model):
    """A span in which the service (this node, or an upstream service it names) was down.

    ``counts`` is fixed when the outage is recorded: whether it extends deadlines under the
    node's policy (node outages always; upstream ones only for services the node lists as
    ones participants depend on — see docs/decisions/0701). ``applied_at`` is set once the
    extensions were computed for it, so a crash in between is finished by the next beat.
    """

    source = models.CharField(max_length=10, choices=OutageSource.choices)
    scope = models.CharField(max_length=60, default=NODE_SCOPE)  # node | upstream:<name>
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.TextField()
    counts = models.BooleanField(default=True)
    recorded_at = models.DateTimeField()
    declared_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    probe = models.ForeignKey(
        "outages.ProbeKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="outage_ends_after_start"
            ),
            # A heartbeat gap (or a probe's unreachable span) is recorded once, whoever sees
            # it first (serve at start, the cron beat, a re-import of the same probe file).
            models.UniqueConstraint(
                fields=["source", "start"],
                condition=models.Q(source="detected"),
                name="one_detected_outage_per_gap",
            ),
            models.UniqueConstraint(
                fields=["probe", "start"],
                condition=models.Q(source="probe"),
                name="one_probe_outage_per_span",
            ),
        ]
        indexes = [models.Index(fields=["applied_at"])]

    def __str__(self) -> str:
        return f"outage #{self.pk} {self.scope} {self.start:%Y-%m-%d %H:%M}"


class TenderOutageState(models.Model):
    """Per tender: the schedule before outages and which outages its current schedule holds.

    Extensions are always recomputed from ``baseline`` and every counting outage not in
    ``baked``, so applying again changes nothing and overlapping outages merge (domain
    ``extend_for_outages``). ``target`` is the schedule this app last set; when the current
    schedule differs (the Pokja changed it since), that change becomes the new baseline and
    the outages applied so far are ``baked`` into it.
    """

    tender = models.OneToOneField(
        "tenders.Tender", on_delete=models.CASCADE, related_name="outage_state"
    )
    baseline = models.JSONField()  # [[kind, start, end], …] ISO 8601 with offset
    target = models.JSONField()
    baked = models.JSONField(default=list)  # outage ids already inside the baseline
    applied = models.JSONField(default=list)  # outage ids the target was computed with
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"outage state {self.tender_id}"


class OutageExtension(models.Model):
    """A public schedule change made because of outages (what the status page lists)."""

    tender = models.ForeignKey(
        "tenders.Tender", on_delete=models.PROTECT, related_name="outage_extensions"
    )
    schedule_change = models.OneToOneField(
        "tenders.ScheduleChange", on_delete=models.PROTECT, related_name="outage_extension"
    )
    outage_ids = models.JSONField(default=list)
    diff = models.JSONField(default=list)  # as ScheduleChange.diff
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"extension {self.tender_id} @ {self.at:%Y-%m-%d}"


class DecisionChoice(models.TextChoices):
    RESUBMISSION = "resubmission", "Pemasukan ulang penawaran dengan kunci baru"
    FAILED = "failed", "Tender gagal"
    CONTINUE = "continue", "Lanjut tanpa perubahan jadwal"


class OutageDecision(models.Model):
    """An outage hit a window that may no longer move automatically (opening has begun, or the
    extension would end in the past): the Pokja decides, publicly, with a reason."""

    tender = models.ForeignKey(
        "tenders.Tender", on_delete=models.PROTECT, related_name="outage_decisions"
    )
    stage = models.CharField(max_length=40)
    code = models.CharField(max_length=60)  # outage.committee_must_decide | …too_late
    outage_key = models.CharField(max_length=200)  # sorted outage ids, "3,7"
    outage_ids = models.JSONField(default=list)
    message_id = models.TextField()
    message_en = models.TextField()
    raised_at = models.DateTimeField()
    choice = models.CharField(max_length=20, choices=DecisionChoice.choices, blank=True)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "stage", "outage_key"], name="one_decision_per_stage_outages"
            ),
        ]

    def __str__(self) -> str:
        return f"decision {self.tender_id}/{self.stage} {self.choice or 'pending'}"


class ProbeKey(models.Model):
    """An external probe's Ed25519 public key, registered by an administrator."""

    name = models.SlugField(max_length=60, unique=True)  # the JWS ``kid`` the probe signs with
    public_key = models.CharField(max_length=60)  # raw 32 bytes, base64url (JWK ``x``)
    registered_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # empty when registered on the command line
    registered_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"probe {self.name}"


class ProbeCheck(models.Model):
    """One reachability check a probe signed (kept whole: the report is the evidence)."""

    probe = models.ForeignKey(ProbeKey, on_delete=models.PROTECT, related_name="checks")
    at = models.DateTimeField()
    ok = models.BooleanField()
    detail = models.JSONField(default=dict)  # per target: url, status, error, ms
    report_sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["probe", "at"]
        constraints = [
            models.UniqueConstraint(fields=["probe", "at"], name="one_check_per_probe_moment"),
        ]

    def __str__(self) -> str:
        return f"{self.probe_id} {self.at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'down'}"
