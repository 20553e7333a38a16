"""Sealing keys, members' personal keys, key shares, sealed envelopes, closing statements.

Nothing here can read a bid: the node keeps only recipients, shares sealed to members, their
commitments, and the sealed files' hashes (the bytes live in content-addressed storage).
"""

from django.db import models


class EnvelopeName(models.TextChoices):
    OFFER = "offer", "Penawaran (satu file)"
    TECHNICAL = "technical", "Penawaran teknis"
    PRICE = "price", "Penawaran harga"


class MemberKey(models.Model):
    """A committee member's personal age recipient (the identity stays with the member, sealed
    with a passphrase only the member knows). A member may re-enrol; the newest is current."""

    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="member_keys")
    recipient = models.CharField(max_length=100)
    enrolled_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "-enrolled_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.recipient[:16]}…"


class SealingKey(models.Model):
    """The public half of one (tender, lot, envelope) key and the signed sealing-key document."""

    tender = models.ForeignKey(
        "tenders.Tender", on_delete=models.PROTECT, related_name="sealing_keys"
    )
    lot = models.PositiveSmallIntegerField(default=1)
    envelope = models.CharField(max_length=10, choices=EnvelopeName.choices)
    recipient = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=40)
    k = models.PositiveSmallIntegerField()
    n = models.PositiveSmallIntegerField()
    dealt_on = models.CharField(max_length=10, default="node")  # node | offline
    dealt_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "lot", "envelope"], name="one_sealing_key_per_envelope"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tender_id}/{self.lot}/{self.envelope}"


class KeyShare(models.Model):
    """One member's share of a sealing key: the share document sealed (age) to the member's
    recipient, and the SHA-256 commitment to the plain share published in the sealing-key
    document."""

    sealing_key = models.ForeignKey(SealingKey, on_delete=models.PROTECT, related_name="shares")
    index = models.PositiveSmallIntegerField()
    # NULL for the optional recovery share, sealed to an offline recipient (a safe), not a member.
    holder = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    holder_recipient = models.CharField(max_length=100)
    sealed_share = models.BinaryField()
    commitment = models.CharField(max_length=64)
    checked_at = models.DateTimeField(null=True, blank=True)  # the holder proved it opens
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sealing_key", "index"]
        constraints = [
            models.UniqueConstraint(fields=["sealing_key", "index"], name="one_share_per_index"),
        ]

    def __str__(self) -> str:
        return f"{self.sealing_key_id}#{self.index}"


class Envelope(models.Model):
    """A sealed envelope a vendor uploaded. Never overwritten: a replacement is a new row and
    the old one is marked superseded; a withdrawal marks it withdrawn."""

    tender = models.ForeignKey(
        "tenders.Tender", on_delete=models.PROTECT, related_name="sealed_envelopes"
    )
    lot = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(max_length=10, choices=EnvelopeName.choices)
    company = models.ForeignKey(
        "vendors.VendorCompany", on_delete=models.PROTECT, related_name="envelopes"
    )
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    received_at = models.DateTimeField()  # when its last byte was durable (fsync)
    receipt = models.TextField()  # compact JWS signed by the node key
    audit_seq = models.PositiveBigIntegerField()
    superseded_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "received_at"]
        indexes = [models.Index(fields=["tender", "lot", "name", "company"])]

    def __str__(self) -> str:
        return f"{self.tender_id}/{self.name}/{self.company_id} {self.sha256[:12]}"


class ClosingStatement(models.Model):
    """Signed at the bid deadline: every current envelope's SHA-256, their count, the audit
    head. Opening reads only what it lists."""

    tender = models.OneToOneField(
        "tenders.Tender", on_delete=models.PROTECT, related_name="closing_statement"
    )
    signed_at = models.DateTimeField()
    document = models.JSONField()
    signature = models.TextField()  # compact JWS over the document

    def __str__(self) -> str:
        return f"closing {self.tender_id}"


class Opening(models.Model):
    """The quorum opening of one sealing key's envelopes (``offer``, or the ``technical`` then
    the ``price`` envelopes of a two-file tender), bound to the tender's closing statement.
    ``opened_at`` is set once *k* members have released their shares and every listed envelope
    was tried."""

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="openings")
    sealing_key = models.OneToOneField(SealingKey, on_delete=models.PROTECT, related_name="opening")
    closing_statement = models.ForeignKey(
        ClosingStatement, on_delete=models.PROTECT, related_name="openings"
    )
    statement_sha256 = models.CharField(max_length=64)  # SHA-256 of the statement's JCS
    started_at = models.DateTimeField()  # the first released share
    opened_at = models.DateTimeField(null=True, blank=True)
    minutes = models.ForeignKey(
        "tenders.TenderDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    minutes_sha256 = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"opening {self.sealing_key_id}"


class ShareRelease(models.Model):
    """A member released their key share for an opening. The plain share (its canonical JSON)
    is kept only until the opening runs, then erased (``share`` NULL, ``erased_at`` set)."""

    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="releases")
    key_share = models.OneToOneField(KeyShare, on_delete=models.PROTECT, related_name="release")
    released_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField()
    share = models.BinaryField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opening", "released_at"]

    def __str__(self) -> str:
        return f"release {self.key_share_id}"


class OpenedEnvelope(models.Model):
    """What opening one envelope the closing statement lists gave: opened or not and why, the
    prices from ``penawaran.json``, and the opened package (a tar) in content storage."""

    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="envelopes")
    envelope = models.OneToOneField(Envelope, on_delete=models.PROTECT, related_name="opened")
    opened_at = models.DateTimeField()
    ok = models.BooleanField()
    reason = models.CharField(max_length=60, blank=True)  # opening.decrypt_failed, …
    detail = models.JSONField(default=list, blank=True)  # problem codes / the decrypt error
    total_price = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    tkdn_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # The bid guarantee as penawaran.json states it ({reference, issuer, amount, valid_until};
    # a version 1 package gives only the reference), and, when the tender requires one, what
    # is wrong with it (bid_guarantee.* codes, tangguh.domain.evaluation.guarantees).
    bid_guarantee = models.JSONField(null=True, blank=True)
    guarantee_problems = models.JSONField(default=list, blank=True)
    plain_sha256 = models.CharField(max_length=64, blank=True)
    plain_size = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["opening", "envelope__received_at", "envelope_id"]

    def __str__(self) -> str:
        return f"opened {self.envelope_id} {'ok' if self.ok else self.reason}"
