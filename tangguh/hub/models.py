"""The outbox to national services, the node's local copies of what it reads from them, the
trust list of other nodes' keys and the local accounts made from vendor credentials."""

from django.db import models


class Outbox(models.Model):
    """One message for a national service, written in the transaction of the change it reports,
    so it exists exactly when the change committed. ``key`` is sent as ``Idempotency-Key``: a
    message delivered again after a crash between the POST and our commit is recognised by the
    receiver, so each is taken once."""

    kind = models.CharField(max_length=40)  # ocds.release | audit.checkpoint | trust.entry
    key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField()
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A push run claims a message until this time, so two runs never send it together.
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["delivered_at", "next_attempt_at"], name="hub_outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class HubCursor(models.Model):
    """Where a pull or a feed copy has got to (``ocds.enqueued``, ``registry.since``, …)."""

    name = models.CharField(max_length=60, primary_key=True)
    value = models.CharField(max_length=200)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class AdapterState(models.Model):
    """The last contact with each national service, shown on the hub status."""

    service = models.CharField(max_length=30, primary_key=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.service


class RegistryVendor(models.Model):
    """The local copy of a vendor in the national vendor registry (SIKaP), by NIB."""

    nib = models.CharField(max_length=13, primary_key=True)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict)
    synced_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.nib} {self.name}"


class RupLine(models.Model):
    """The local copy of a published plan line (SiRUP), by RUP code."""

    rup_code = models.CharField(max_length=30, primary_key=True)
    fiscal_year = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    work_unit = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=20, blank=True)
    budget = models.DecimalField(max_digits=18, decimal_places=2)
    data = models.JSONField(default=dict)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-fiscal_year", "rup_code"]

    def __str__(self) -> str:
        return f"{self.rup_code} {self.title}"


class TrustedNode(models.Model):
    """Another node whose signatures this node accepts, with its public keys (a JWKS).
    ``revoked_kids`` lists keys that must no longer be believed (a stolen key);
    ``revoked_credentials`` lists single credentials its issuer withdrew before they expire
    (``[{"jti", "exp"}]``, ``exp`` in Unix seconds), as that node published them."""

    name = models.CharField(max_length=200, unique=True)
    jwks = models.JSONField()
    revoked_kids = models.JSONField(default=list)
    revoked_credentials = models.JSONField(default=list)
    source = models.CharField(max_length=20)  # file | hub
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CredentialRecord(models.Model):
    """A vendor credential this node issued: who holds it, for which company, until when, and
    whether it was revoked. The signed file itself is not kept (it is a bearer secret); the
    revoked, unexpired ``jti`` are published in this node's trust-list entry."""

    jti = models.CharField(max_length=64, unique=True)
    issuer = models.CharField(max_length=200)  # the credential's ``iss``: this node's name
    kid = models.CharField(max_length=100)
    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="issued_credentials"
    )
    company = models.ForeignKey(
        "vendors.VendorCompany", on_delete=models.PROTECT, related_name="issued_credentials"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["issuer", "expires_at"], name="hub_credential_issuer_exp")]

    def __str__(self) -> str:
        return f"{self.jti} ({self.issuer})"


class CredentialLink(models.Model):
    """A local user made from another node's vendor credential: which node, which user there."""

    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="credential_link"
    )
    company = models.ForeignKey(
        "vendors.VendorCompany", on_delete=models.PROTECT, related_name="credential_links"
    )
    home_node = models.CharField(max_length=200)
    home_username = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    last_login_at = models.DateTimeField()
    last_jti = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["home_node", "home_username"], name="hub_one_local_user_per_remote"
            )
        ]

    def __str__(self) -> str:
        return f"{self.home_username}@{self.home_node}"
