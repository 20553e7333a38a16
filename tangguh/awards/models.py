"""From opened bids to a contract: what the Pokja records in the evaluation workspace, the
committee's minutes and each member's vote, the award, a failed tender, objections and appeals,
the SPPBJ and the contract (Perpres 16/2018 Ps 26, 32, 33, 39, 42, 50, 51, 67; RULES.md "Money
and evaluation", "Failure"). Figures the rules decide are computed from the opened
``penawaran.json`` each time (``services.workspace``); these rows hold what people decide."""

from django.db import models


class BillItem(models.Model):
    """A line of the tender's bill of quantities (works): items and volumes are the tender
    document's; the arithmetic correction recomputes each bid against them."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    item = models.CharField(max_length=300)
    unit = models.CharField(max_length=30)
    volume = models.DecimalField(max_digits=20, decimal_places=4)
    source = models.CharField(max_length=10, default="csv")  # csv | api
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "position"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "item"], name="awards_one_bill_line_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.tender_id} {self.item}"


class CheckStage(models.TextChoices):
    ADMINISTRATIVE = "administrative", "Administrasi"
    TECHNICAL = "technical", "Teknis"
    QUALIFICATION = "qualification", "Kualifikasi / pembuktian"


class BidCheck(models.Model):
    """One checklist item of one bid: passed, or failed with the Pokja's reason."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=20, choices=CheckStage.choices)
    item = models.CharField(max_length=200)
    passed = models.BooleanField()
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "company", "stage", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "company", "stage", "item"], name="awards_one_check_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.stage} {self.item} {self.passed}"


class BidScore(models.Model):
    """A technical score per criterion (merit point, consultancy), 0-100, with its weight."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    criterion = models.CharField(max_length=200)
    weight = models.DecimalField(max_digits=5, decimal_places=2)
    score = models.DecimalField(max_digits=5, decimal_places=2)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "company", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "company", "criterion"], name="awards_one_score_per_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.criterion} {self.score}"


class PriceClarification(models.Model):
    """The price-reasonableness clarification of a bid below 80% of the HPS (Perpres 16/2018
    Ps 33): required before such a bid can win; an unreasonable price fails the bid."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    reasonable = models.BooleanField()
    note = models.TextField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tender", "company"], name="awards_one_clarification")
        ]

    def __str__(self) -> str:
        return f"{self.company_id} reasonable={self.reasonable}"


class ValidityExtension(models.Model):
    """The vendor's written extension of its bid's validity (standard tender documents)."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    valid_until = models.DateField()
    # The bid guarantee's new end, when the tender requires one: a guarantee must not end
    # before the bid it secures (RULES.md "Bid validity").
    guarantee_valid_until = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "company", "-valid_until"]

    def __str__(self) -> str:
        return f"{self.company_id} until {self.valid_until}"


class ValidityRequest(models.Model):
    """The system asked the vendor to extend its bid's validity because a schedule change moved
    the award-to-contract stages past it (issue 6, "Bid validity"): one request per bid and
    needed date, so the same change never asks twice."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    valid_until = models.DateField()  # the bid's validity when asked
    needed_until = models.DateField()  # the end of the contract stage, local date
    requested_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "company", "-needed_until"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "company", "needed_until"], name="awards_one_validity_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_id} until {self.needed_until}"


class MinuteKind(models.TextChoices):
    EVALUATION = "evaluation", "Berita Acara Evaluasi Penawaran"
    AWARD = "award", "Berita Acara Hasil Pemilihan"


class MinuteStatus(models.TextChoices):
    OPEN = "open", "Menunggu keputusan"
    ADOPTED = "adopted", "Disetujui mayoritas"
    WITHDRAWN = "withdrawn", "Ditarik"


class Minute(models.Model):
    """A minute the committee decides by majority: the content is a snapshot of what the system
    computed when it was proposed (and its SHA-256); each member confirms it with their second
    factor."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=MinuteKind.choices)
    content = models.JSONField()
    content_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=MinuteStatus.choices, default="open")
    proposed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    members = models.JSONField(default=list)  # at decision: [{user, name, vote|absent}]
    document = models.ForeignKey(
        "tenders.TenderDocument", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["tender", "proposed_at", "id"]

    def __str__(self) -> str:
        return f"{self.tender_id} {self.kind} {self.status}"


class MinuteVote(models.Model):
    minute = models.ForeignKey(Minute, on_delete=models.PROTECT, related_name="votes")
    member = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    approve = models.BooleanField()
    reason = models.TextField(blank=True)
    at = models.DateTimeField()
    content_sha256 = models.CharField(max_length=64)  # what the member confirmed

    class Meta:
        ordering = ["minute", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["minute", "member"], name="awards_one_vote_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {'yes' if self.approve else 'no'}"


class AwardStatus(models.TextChoices):
    AWAITING_PA = "awaiting_pa", "Menunggu keputusan PA/KPA"
    ANNOUNCED = "announced", "Diumumkan"
    REFUSED_BY_PA = "refused_by_pa", "Ditolak PA/KPA"
    CANCELLED = "cancelled", "Dibatalkan"


class Award(models.Model):
    """The award (penetapan pemenang) and its public announcement."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    minute = models.OneToOneField(Minute, on_delete=models.PROTECT, related_name="award")
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(max_digits=20, decimal_places=2)  # the contract price
    evaluated_price = models.DecimalField(max_digits=24, decimal_places=6)
    reserves = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=AwardStatus.choices)
    pa_decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    pa_decided_at = models.DateTimeField(null=True, blank=True)
    pa_note = models.TextField(blank=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    objection_end = models.DateTimeField(null=True, blank=True)
    answer_due = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.tender_id} {self.company_id} {self.status}"


class FailureReason(models.TextChoices):
    """Perpres 16/2018 Ps 51."""

    EVALUATION_ERROR = "evaluation_error", "Kesalahan dalam proses evaluasi"
    NO_BIDS = "no_bids", "Tidak ada peserta yang menyampaikan penawaran"
    NONE_PASSED = "none_passed", "Tidak ada peserta yang lulus evaluasi"
    DEFECTIVE_DOCUMENTS = "defective_documents", "Dokumen pemilihan tidak sesuai ketentuan"
    COLLUSION = "collusion", "Seluruh peserta terlibat persekongkolan"
    ALL_ABOVE_HPS = "all_above_hps", "Seluruh penawaran di atas HPS"
    NEGOTIATION_FAILED = "negotiation_failed", "Negosiasi biaya (konsultansi) tidak tercapai"
    KKN = "kkn", "KKN melibatkan Pokja/PPK (dinyatakan PA/KPA)"


class FollowUp(models.TextChoices):
    RE_EVALUATION = "re_evaluation", "Evaluasi ulang"
    RE_SUBMISSION = "re_submission", "Penyampaian ulang penawaran"
    RE_TENDER = "re_tender", "Tender ulang"


class Failure(models.Model):
    """A failed tender (tender gagal, Ps 51) and what follows it."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=30, choices=FailureReason.choices)
    note = models.TextField()
    detected = models.BooleanField(default=False)  # the system found it (all above HPS)
    declared_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField()
    follow_up = models.CharField(max_length=20, choices=FollowUp.choices, blank=True)
    follow_up_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    follow_up_at = models.DateTimeField(null=True, blank=True)
    new_tender = models.OneToOneField(
        "tenders.Tender",
        on_delete=models.PROTECT,
        related_name="retender_of",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["tender", "declared_at", "id"]

    def __str__(self) -> str:
        return f"{self.tender_id} failed {self.reason}"


class Objection(models.Model):
    """A participant's objection (sanggah) against the award, and the Pokja's answer."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="objections")
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    filed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    text = models.TextField()
    document_filename = models.CharField(max_length=200, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_size = models.PositiveBigIntegerField(null=True, blank=True)
    document_content_type = models.CharField(max_length=100, blank=True)
    answer = models.TextField(blank=True)
    upheld = models.BooleanField(null=True, blank=True)
    answered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_late = models.BooleanField(default=False)
    # Received outside the system (by letter) because of a recorded outage, recorded by the
    # Pokja (SDP: allowed under force majeure or a technical outage); filed_by is the recorder.
    received_outside = models.BooleanField(default=False)
    outage = models.ForeignKey(
        "outages.Outage", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["tender", "filed_at", "id"]

    def __str__(self) -> str:
        return f"objection {self.pk} {self.company_id}"


class Appeal(models.Model):
    """An appeal (sanggah banding, construction only) to the PA/KPA, with its guarantee of 1% of
    the HPS (Perpres 16/2018 Ps 32)."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    objection = models.OneToOneField(Objection, on_delete=models.PROTECT, related_name="appeal")
    company = models.ForeignKey("vendors.VendorCompany", on_delete=models.PROTECT, related_name="+")
    filed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    text = models.TextField()
    guarantee_amount = models.DecimalField(max_digits=20, decimal_places=2)
    guarantee_reference = models.CharField(max_length=200)
    guarantee_confirmed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    guarantee_confirmed_at = models.DateTimeField(null=True, blank=True)
    answer_due = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)
    upheld = models.BooleanField(null=True, blank=True)
    answered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "filed_at", "id"]

    def __str__(self) -> str:
        return f"appeal {self.pk}"


class Sppbj(models.Model):
    """The letter of award (Surat Penunjukan Penyedia Barang/Jasa) the PPK issues."""

    tender = models.OneToOneField("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    award = models.OneToOneField(Award, on_delete=models.PROTECT, related_name="sppbj")
    number = models.CharField(max_length=100)
    issued_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    late = models.BooleanField(default=False)  # after sppbj_max_working_days (D)

    def __str__(self) -> str:
        return self.number


class Contract(models.Model):
    """The signed contract; recording it closes the procedure."""

    tender = models.OneToOneField("tenders.Tender", on_delete=models.PROTECT, related_name="+")
    sppbj = models.OneToOneField(Sppbj, on_delete=models.PROTECT, related_name="contract")
    number = models.CharField(max_length=100)
    value = models.DecimalField(max_digits=20, decimal_places=2)
    signed_on = models.DateField()
    start_on = models.DateField()
    end_on = models.DateField()
    ppk_signatory = models.CharField(max_length=200)
    vendor_signatory = models.CharField(max_length=200)
    performance_guarantee = models.DecimalField(
        max_digits=20, decimal_places=2, null=True, blank=True
    )
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.number
