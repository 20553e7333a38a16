"""Reads about people: their grants, roles, tokens."""

from __future__ import annotations

from tangguh.accounts.models import RoleAssignment, User
from tangguh.domain.roles import Grant, Role, requires_two_factor

# The session key that records a passed second factor (set by the login pages).
SESSION_FLAG = "tangguh_2fa_ok"


def user_grants(user: User) -> list[Grant]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return [
        Grant(role=Role(a.role), scope=a.scope)
        for a in RoleAssignment.objects.filter(user=user).only("role", "scope")
    ]


def user_roles(user: User) -> set[Role]:
    return {grant.role for grant in user_grants(user)}


def user_requires_two_factor(user: User) -> bool:
    return requires_two_factor(user_roles(user))


def users_with_role(role: Role, scope: str) -> list[User]:
    return list(
        User.objects.filter(role_assignments__role=role, role_assignments__scope=scope).order_by(
            "username"
        )
    )
