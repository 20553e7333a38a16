"""Revocable bearer tokens for the API. Only a token's SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import ApiToken, User
from tangguh.accounts.services.login import (
    login_check_password,
    login_check_second_factor,
    login_record_success,
)
from tangguh.audit.services import audit_append
from tangguh.core.errors import InvalidInput, NotAuthenticated
from tangguh.core.writer_turn import writer_turn

TOKEN_PREFIX = "tgh_"  # noqa: S105 - a public prefix that makes leaked tokens greppable
DEFAULT_LIFETIME = timedelta(hours=12)
MAX_LIFETIME = timedelta(days=30)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(
    *,
    username: str,
    password: str,
    otp: str | None,
    address: str,
    label: str = "",
    lifetime_hours: int | None = None,
) -> tuple[str, ApiToken]:
    """Check the credentials (and second factor) and issue a new token, shown only once."""
    lifetime = DEFAULT_LIFETIME if lifetime_hours is None else timedelta(hours=lifetime_hours)
    if lifetime <= timedelta(0) or lifetime > MAX_LIFETIME:
        raise InvalidInput(
            "token.lifetime_invalid",
            "Masa berlaku token harus antara 1 jam dan 720 jam.",
            "Token lifetime must be between 1 and 720 hours.",
            field="lifetime_hours",
        )
    user = login_check_password(username=username, password=password, address=address)
    login_check_second_factor(user=user, otp=otp, address=address)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            key_hash=_digest(raw),
            prefix=raw[:12],
            label=label[:100],
            created_at=now,
            expires_at=now + lifetime,
        )
        login_record_success(user=user, address=address, channel="api")
        audit_append(
            actor=user,
            action="token.issued",
            object_type="api_token",
            object_id=token.pk,
            payload={"prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
        )
    return raw, token


def token_create_unchecked(*, user: User, label: str, lifetime: timedelta) -> tuple[str, ApiToken]:
    """A new token for a user the caller has already authenticated some other way (a vendor
    credential from another node, tangguh.hub); shown only once."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            key_hash=_digest(raw),
            prefix=raw[:12],
            label=label[:100],
            created_at=now,
            expires_at=now + min(lifetime, MAX_LIFETIME),
        )
        audit_append(
            actor=user,
            action="token.issued",
            object_type="api_token",
            object_id=token.pk,
            payload={"prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
        )
    return raw, token


def token_authenticate(*, raw: str) -> tuple[User, ApiToken]:
    """The user and token behind a bearer value, or an error saying why not."""
    token = ApiToken.objects.select_related("user").filter(key_hash=_digest(raw or "")).first()
    if token is None:
        raise NotAuthenticated("auth.token_invalid", "Token tidak dikenal.", "Unknown token.")
    if token.revoked_at is not None:
        raise NotAuthenticated(
            "auth.token_revoked", "Token sudah dicabut.", "The token has been revoked."
        )
    now = clock.now()
    if token.expires_at <= now:
        raise NotAuthenticated(
            "auth.token_expired", "Token sudah kedaluwarsa.", "The token has expired."
        )
    if not token.user.is_active:
        raise NotAuthenticated(
            "auth.user_inactive", "Akun tidak aktif.", "The account is inactive."
        )
    # Throttled bookkeeping: one write a minute per token is enough to show when it was used.
    if token.last_used_at is None or (now - token.last_used_at) > timedelta(minutes=1):
        with writer_turn():  # many uploads authenticate at once before a deadline
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token


def token_revoke(*, token: ApiToken, actor: User) -> None:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
        audit_append(
            actor=actor,
            action="token.revoked",
            object_type="api_token",
            object_id=token.pk,
            payload={"prefix": token.prefix},
        )
