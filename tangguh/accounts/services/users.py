"""Creating people and granting or revoking their roles."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import RoleAssignment, User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.core.errors import Conflict, InvalidInput
from tangguh.domain.roles import ROLE_SCOPE_KIND, Permission, Role

USERNAME_RULE = "3–150 huruf kecil, angka, titik, garis bawah atau tanda hubung"


def _check_username(username: str) -> str:
    import re

    name = (username or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9._-]{3,150}", name):
        raise InvalidInput(
            "user.username_invalid",
            f"Nama pengguna harus {USERNAME_RULE}.",
            "Username must be 3–150 lowercase letters, digits, dots, underscores or hyphens.",
            field="username",
        )
    if User.objects.filter(username=name).exists():
        raise Conflict(
            "user.username_taken",
            "Nama pengguna sudah dipakai.",
            "That username is already taken.",
            field="username",
        )
    return name


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(
            "user.password_weak",
            "Kata sandi tidak memenuhi syarat: " + " ".join(exc.messages),
            "The password does not meet the rules: " + " ".join(exc.messages),
            field="password",
        ) from exc


def _check_scope(role: Role, scope: str) -> None:
    kind = ROLE_SCOPE_KIND[role]
    ok = scope == "node" if kind == "node" else scope.startswith(kind + ":")
    if not ok:
        raise InvalidInput(
            "role.scope_invalid",
            f"Peran {role.value} harus diberikan pada lingkup '{kind}'.",
            f"Role {role.value} must be granted at a '{kind}' scope.",
            field="scope",
        )


def user_create_unchecked(
    *,
    actor: User | str | None,
    username: str,
    password: str,
    display_name: str,
    email: str = "",
    grants: list[tuple[Role, str]] | None = None,
) -> User:
    """Create a user; the caller has already decided that ``actor`` may do so."""
    name = _check_username(username)
    user = User(username=name, display_name=display_name.strip(), email=email.strip())
    _check_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        audit_append(
            actor=actor,
            action="user.created",
            object_type="user",
            object_id=user.pk,
            payload={"username": name, "display_name": user.display_name},
        )
        for role, scope in grants or []:
            role_grant_unchecked(actor=actor, user=user, role=role, scope=scope)
    return user


def user_create(
    *,
    actor: User,
    username: str,
    password: str,
    display_name: str,
    email: str = "",
    grants: list[tuple[Role, str]] | None = None,
) -> User:
    """An administrator creates an account with its roles."""
    permission_require(user=actor, permission=Permission.MANAGE_USERS, action="user.create")
    return user_create_unchecked(
        actor=actor,
        username=username,
        password=password,
        display_name=display_name,
        email=email,
        grants=grants,
    )


def role_grant_unchecked(*, actor: User | str | None, user: User, role: Role, scope: str) -> None:
    _check_scope(role, scope)
    with transaction.atomic():
        _, created = RoleAssignment.objects.get_or_create(
            user=user, role=role.value, scope=scope, defaults={"created_at": clock.now()}
        )
        if created:
            audit_append(
                actor=actor,
                action="role.granted",
                object_type="user",
                object_id=user.pk,
                payload={"role": role.value, "scope": scope},
            )


def role_grant(*, actor: User, user: User, role: Role, scope: str) -> None:
    permission_require(user=actor, permission=Permission.MANAGE_USERS, action="role.grant")
    role_grant_unchecked(actor=actor, user=user, role=role, scope=scope)


def role_revoke(*, actor: User, user: User, role: Role, scope: str) -> None:
    permission_require(user=actor, permission=Permission.MANAGE_USERS, action="role.revoke")
    with transaction.atomic():
        deleted, _ = RoleAssignment.objects.filter(user=user, role=role.value, scope=scope).delete()
        if deleted:
            audit_append(
                actor=actor,
                action="role.revoked",
                object_type="user",
                object_id=user.pk,
                payload={"role": role.value, "scope": scope},
            )
