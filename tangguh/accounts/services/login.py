"""Checking a password (and the second factor where the roles require it)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db import transaction

from tangguh.accounts.models import User
from tangguh.accounts.selectors import user_requires_two_factor
from tangguh.accounts.services.throttle import (
    throttle_check,
    throttle_clear,
    throttle_record_failure,
)
from tangguh.accounts.services.totp import totp_verify
from tangguh.audit.services import audit_append
from tangguh.core.errors import InvalidInput, NotAuthenticated, PermissionDenied


def login_check_password(*, username: str, password: str, address: str) -> User:
    """The user whose password this is, or an error. Failures slow the caller down."""
    if not username or not password:
        raise InvalidInput(
            "auth.missing_credentials",
            "Nama pengguna dan kata sandi wajib diisi.",
            "Username and password are required.",
            field="username" if not username else "password",
        )
    throttle_check(username=username, address=address)
    user = authenticate(username=username, password=password)
    if user is None:
        throttle_record_failure(username=username, address=address)
        raise NotAuthenticated(
            "auth.invalid_credentials",
            "Nama pengguna atau kata sandi salah.",
            "Wrong username or password.",
        )
    return user


def login_check_second_factor(*, user: User, otp: str | None, address: str) -> None:
    """Require a valid TOTP code when the user's roles demand two factors."""
    if not user_requires_two_factor(user):
        return
    if not user.has_totp:
        raise PermissionDenied(
            "auth.2fa_enrollment_required",
            "Peran Anda mewajibkan autentikasi dua faktor. Daftarkan aplikasi autentikator "
            "melalui halaman masuk terlebih dahulu.",
            "Your role requires two-factor authentication. Enrol an authenticator app "
            "through the login page first.",
        )
    if not otp:
        raise NotAuthenticated(
            "auth.otp_required",
            "Masukkan kode autentikasi dua faktor.",
            "Enter your two-factor code.",
        )
    try:
        totp_verify(user=user, code=otp)
    except InvalidInput:
        throttle_record_failure(username=user.username, address=address)
        raise


def login_record_success(*, user: User, address: str, channel: str) -> None:
    with transaction.atomic():
        throttle_clear(username=user.username, address=address)
        audit_append(
            actor=user,
            action="auth.login",
            object_type="user",
            object_id=user.pk,
            payload={"channel": channel},
        )
