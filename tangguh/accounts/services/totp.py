"""TOTP second factor (RFC 6238): enrolment, confirmation and verification with replay guard."""

from __future__ import annotations

import pyotp
from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.core.errors import InvalidInput

ISSUER = "Tangguh"


def _invalid_code() -> InvalidInput:
    return InvalidInput(
        "auth.otp_invalid",
        "Kode autentikasi dua faktor salah atau sudah dipakai.",
        "The two-factor code is wrong or was already used.",
        field="otp",
    )


def totp_begin_enrollment(*, user: User) -> str:
    """Give an unconfirmed user a fresh secret to add to their authenticator app."""
    if user.totp_secret:  # enrolled, or shown and awaiting confirmation: keep it
        return user.totp_secret
    with transaction.atomic():
        user.totp_secret = pyotp.random_base32()
        user.totp_confirmed_at = None
        user.save(update_fields=["totp_secret", "totp_confirmed_at"])
        audit_append(
            actor=user, action="auth.totp_enrolment_started", object_type="user", object_id=user.pk
        )
    return user.totp_secret


def totp_uri(*, user: User, node_name: str) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=node_name)


def _accept(user: User, code: str) -> bool:
    """Accept a code for the current step ±1 once; record its step so it cannot be replayed."""
    code = (code or "").strip().replace(" ", "")
    if not user.totp_secret or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = clock.now()
    for drift in (0, -1, 1):
        step = int(now.timestamp()) // totp.interval + drift
        if step <= user.totp_last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            updated = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(
                totp_last_step=step
            )
            if updated:
                user.totp_last_step = step
                return True
    return False


def totp_confirm_enrollment(*, user: User, code: str) -> None:
    with transaction.atomic():
        if not _accept(user, code):
            raise _invalid_code()
        user.totp_confirmed_at = clock.now()
        user.save(update_fields=["totp_confirmed_at"])
        audit_append(actor=user, action="auth.totp_enrolled", object_type="user", object_id=user.pk)


def totp_verify(*, user: User, code: str) -> None:
    if not user.has_totp or not _accept(user, code):
        raise _invalid_code()
