"""People, the roles they hold and where, their second factor, API tokens and login throttles."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from tangguh.domain.roles import Role


class User(AbstractUser):
    """A person. Passwords are hashed with Argon2 (settings.PASSWORD_HASHERS)."""

    display_name = models.CharField(max_length=200, blank=True)
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last accepted TOTP time step: a code is accepted once (RFC 6238 s5.2).
    totp_last_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret) and self.totp_confirmed_at is not None


class RoleAssignment(models.Model):
    """A role held by a user at a scope: ``node``, ``agency:<id>``, ``work_unit:<id>``,
    ``procurement_unit:<id>``, ``committee:<id>`` or ``company:<id>``."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=40, choices=[(r.value, r.value) for r in Role])
    scope = models.CharField(max_length=60)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "scope"], name="one_role_per_scope"),
        ]
        indexes = [models.Index(fields=["role", "scope"])]

    def __str__(self) -> str:
        return f"{self.user} {self.role}@{self.scope}"


class ApiToken(models.Model):
    """A revocable bearer token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class LoginThrottle(models.Model):
    """Failed-login counter for one key (``pair:<user>|<addr>``, ``addr:<addr>``,
    ``account:<user>``). It delays the next attempt; it never locks an account."""

    key = models.CharField(max_length=300, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    blocked_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
