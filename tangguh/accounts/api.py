"""Bearer tokens (``POST /api/v1/auth/token``), who am I, revocation; creating users."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from ninja import Router, Schema, Status
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from pydantic import ConfigDict, Field

from tangguh.accounts.models import User
from tangguh.accounts.selectors import SESSION_FLAG, user_grants, user_requires_two_factor
from tangguh.accounts.services.tokens import token_authenticate, token_issue, token_revoke
from tangguh.accounts.services.users import user_create
from tangguh.core.errors import InvalidInput, PermissionDenied
from tangguh.domain.roles import Role


class BearerAuth(HttpBearer):
    """Resolves ``Authorization: Bearer tgh_…``; unknown, revoked and expired tokens each
    get their own error code."""

    def authenticate(self, request, token: str):
        user, api_token = token_authenticate(raw=token)
        request.user = user
        request.api_token = api_token
        return user


bearer = BearerAuth()


class BrowserSession(APIKeyCookie):
    """The logged-in browser session, for the API calls our own pages make from JavaScript
    (sealing, uploads, key enrolment, share release). CSRF is checked (``X-CSRFToken``) only
    when a session cookie is present, so a caller with neither gets 401, not a CSRF error. The
    page middleware does not guard ``/api/``, so the second factor is checked here."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        key = request.COOKIES.get(self.param_name)
        if key is None:
            return None
        if check_csrf(request) is not None:
            raise PermissionDenied(
                "auth.csrf_failed",
                "Permintaan dari halaman ini tidak membawa token CSRF yang sah; muat ulang "
                "halaman lalu coba lagi.",
                "The request from this page lacks a valid CSRF token; reload the page and "
                "try again.",
            )
        return key

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if key is None or user is None or not user.is_authenticated:
            return None
        if user_requires_two_factor(user) and not request.session.get(SESSION_FLAG):
            return None
        return user


# Endpoints our pages call from the browser accept the session as well as a bearer token.
browser_or_bearer = [bearer, BrowserSession()]
router = Router(tags=["auth"])


def client_address(request) -> str:
    """The peer address. Behind a proxy, configure it to set REMOTE_ADDR (see operations)."""
    return request.META.get("REMOTE_ADDR", "unknown")


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class TokenIn(Strict):
    username: str = Field(max_length=150)
    password: str = Field(max_length=1024)
    otp: str | None = Field(default=None, max_length=10)
    label: str = Field(default="", max_length=100)
    lifetime_hours: int | None = None


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type name, not a secret
    expires_at: datetime


class GrantOut(Schema):
    role: str
    scope: str


class MeOut(Schema):
    username: str
    display_name: str
    grants: list[GrantOut]
    two_factor: bool


@router.post("/token", response={201: TokenOut}, summary="Issue a bearer token")
def issue_token(request, payload: TokenIn):
    raw, token = token_issue(
        username=payload.username,
        password=payload.password,
        otp=payload.otp,
        address=client_address(request),
        label=payload.label,
        lifetime_hours=payload.lifetime_hours,
    )
    return Status(201, {"token": raw, "expires_at": token.expires_at})


@router.delete("/token", auth=bearer, response={204: None}, summary="Revoke this token")
def revoke_token(request):
    token_revoke(token=request.api_token, actor=request.auth)
    return Status(204, None)


@router.get("/me", auth=bearer, response=MeOut, summary="The caller and their roles")
def me(request):
    user: User = request.auth
    return {
        "username": user.username,
        "display_name": user.display_name,
        "grants": [{"role": g.role.value, "scope": g.scope} for g in user_grants(user)],
        "two_factor": user.has_totp,
    }


class GrantIn(Strict):
    role: str
    scope: str = "node"


class UserIn(Strict):
    username: str = Field(max_length=150)
    password: str = Field(max_length=1024)
    display_name: str = Field(max_length=200)
    email: str = Field(default="", max_length=254)
    grants: list[GrantIn] = []


class UserOut(Schema):
    id: int
    username: str
    display_name: str


@router.post("/users", auth=bearer, response={201: UserOut}, summary="Create an account")
def create_user(request, payload: UserIn):
    grants = []
    for grant in payload.grants:
        try:
            grants.append((Role(grant.role), grant.scope))
        except ValueError as exc:
            raise InvalidInput(
                "role.unknown",
                f"Peran tidak dikenal: {grant.role}.",
                f"Unknown role: {grant.role}.",
                field="grants.role",
            ) from exc
    user = user_create(
        actor=request.auth,
        username=payload.username,
        password=payload.password,
        display_name=payload.display_name,
        email=payload.email,
        grants=grants,
    )
    return Status(201, user)
