"""Checking a user's permission for an action; a refusal of a privileged action is audited."""

from __future__ import annotations

from tangguh.accounts.models import User
from tangguh.accounts.selectors import user_grants
from tangguh.audit.services import audit_append
from tangguh.core.errors import NotAuthenticated, permission_denied
from tangguh.domain.roles import Permission, is_allowed
from tangguh.organizations.selectors import scope_chain


def permission_require(
    *, user: User | None, permission: Permission, scope: str = "node", action: str
) -> None:
    """Raise unless ``user`` holds ``permission`` over ``scope``; audit the refusal."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated(
            "auth.required", "Silakan masuk terlebih dahulu.", "Please log in first."
        )
    if is_allowed(user_grants(user), permission, scope_chain(scope)):
        return
    audit_append(
        actor=user,
        action="permission.denied",
        object_type="permission",
        object_id=permission.value,
        payload={"attempted": action, "scope": scope},
    )
    raise permission_denied(permission.value)
