"""The hub over the API: a vendor's credential (``GET /me/credential``), the credentials issued
to the vendor's companies and revoking one (``/hub/credentials/…``), logging in with one from
another node (``POST /auth/credential``), the trust list and the adapters' status."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from tangguh.accounts.api import Strict, bearer, browser_or_bearer, client_address
from tangguh.accounts.services.permissions import permission_require
from tangguh.accounts.services.tokens import token_create_unchecked
from tangguh.core.errors import NotFound
from tangguh.domain.roles import Permission
from tangguh.hub.models import CredentialRecord
from tangguh.hub.selectors import hub_status, registry_lookup, rup_lookup, trusted_nodes
from tangguh.hub.services.credentials import (
    credential_issue,
    credential_login,
    credential_revoke,
    credential_status,
    credential_token_lifetime,
    credentials_of,
)

router = Router(tags=["hub"])
me_router = Router(tags=["hub"])
auth_router = Router(tags=["auth"])


class CredentialOut(Schema):
    credential: str
    node: str
    company_id: int
    company_nib: str
    issued_at: datetime
    expires_at: datetime


@me_router.get(
    "/credential",
    auth=browser_or_bearer,
    response=CredentialOut,
    summary="A vendor credential signed by this node, for logging in on other nodes",
)
def my_credential(request, company_id: int | None = None):
    issued = credential_issue(actor=request.auth, company_id=company_id)
    return {
        "credential": issued.token,
        "node": issued.node,
        "company_id": issued.company.pk,
        "company_nib": issued.company.nib,
        "issued_at": issued.issued_at,
        "expires_at": issued.expires_at,
    }


class CredentialRecordOut(Schema):
    jti: str
    node: str
    holder: str
    company_id: int
    company_nib: str
    issued_at: datetime
    expires_at: datetime
    status: str  # active | expired | revoked
    revoked_at: datetime | None


def _record(record: CredentialRecord) -> dict:
    return {
        "jti": record.jti,
        "node": record.issuer,
        "holder": record.user.username,
        "company_id": record.company_id,
        "company_nib": record.company.nib,
        "issued_at": record.issued_at,
        "expires_at": record.expires_at,
        "status": credential_status(record),
        "revoked_at": record.revoked_at,
    }


@router.get(
    "/credentials/mine",
    auth=browser_or_bearer,
    response=list[CredentialRecordOut],
    summary="The credentials this node issued for your companies, newest first, with status",
)
def my_credentials(request):
    return [_record(record) for record in credentials_of(request.auth)]


@router.post(
    "/credentials/{jti}/revoke",
    auth=browser_or_bearer,
    response=CredentialRecordOut,
    summary="Revoke one credential before it expires (a user of its company or an admin)",
)
def revoke_credential(request, jti: str):
    return _record(credential_revoke(actor=request.auth, jti=jti))


class CredentialIn(Strict):
    credential: str = Field(max_length=16000)
    label: str = Field(default="", max_length=100)


class CredentialTokenOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type name, not a secret
    expires_at: datetime
    username: str
    home_node: str
    company_id: int


@auth_router.post(
    "/credential",
    response={201: CredentialTokenOut},
    summary="Log in with a vendor credential from another node (verified offline)",
)
def login_with_credential(request, payload: CredentialIn):
    user, claims = credential_login(
        token=payload.credential, address=client_address(request), channel="api"
    )
    raw, token = token_create_unchecked(
        user=user,
        label=payload.label or f"credential {claims.node}",
        lifetime=credential_token_lifetime(claims),
    )
    return Status(
        201,
        {
            "token": raw,
            "expires_at": token.expires_at,
            "username": user.username,
            "home_node": claims.node,
            "company_id": user.credential_link.company_id,
        },
    )


class TrustedNodeOut(Schema):
    name: str
    kids: list[str]
    revoked_kids: list[str]
    revoked_credentials: list[str]
    source: str
    imported_at: datetime


@router.get(
    "/trust", response=list[TrustedNodeOut], summary="The nodes whose keys this node trusts"
)
def trust_list(request):
    return [
        {
            "name": node.name,
            "kids": [key["kid"] for key in node.jwks.get("keys", [])],
            "revoked_kids": node.revoked_kids,
            "revoked_credentials": [entry["jti"] for entry in node.revoked_credentials],
            "source": node.source,
            "imported_at": node.imported_at,
        }
        for node in trusted_nodes()
    ]


class ServiceOut(Schema):
    service: str
    name_id: str
    name_en: str
    connected: bool
    last_attempt_at: datetime | None
    last_ok_at: datetime | None
    last_error: str


class OutboxOut(Schema):
    kind: str
    waiting: int
    delivered: int
    oldest_waiting_at: datetime | None


class HubStatusOut(Schema):
    services: list[ServiceOut]
    outbox: list[OutboxOut]


@router.get(
    "/status", auth=bearer, response=HubStatusOut, summary="National services and the outbox"
)
def status(request):
    permission_require(user=request.auth, permission=Permission.MANAGE_NODE, action="hub.status")
    return hub_status()


class RegistryOut(Schema):
    nib: str
    name: str
    status: str
    data: dict
    synced_at: datetime


@router.get(
    "/registry/{nib}",
    auth=bearer,
    response=RegistryOut,
    summary="A vendor in the local copy of the national registry (SIKaP)",
)
def registry_vendor(request, nib: str):
    permission_require(
        user=request.auth, permission=Permission.VERIFY_VENDORS, action="hub.registry_lookup"
    )
    found = registry_lookup(nib)
    if found is None:
        raise NotFound(
            "hub.registry_not_found",
            "NIB ini tidak ada dalam salinan registri penyedia nasional (terakhir ditarik).",
            "This NIB is not in the local copy of the national vendor registry (as last pulled).",
            field="nib",
        )
    return found


class RupOut(Schema):
    rup_code: str
    fiscal_year: int
    title: str
    work_unit: str
    category: str
    budget: str
    synced_at: datetime


@router.get("/rup/{rup_code}", response=RupOut, summary="A plan line in the local copy of SiRUP")
def rup_line(request, rup_code: str):
    found = rup_lookup(rup_code)
    if found is None:
        raise NotFound(
            "hub.rup_not_found",
            "Kode RUP ini tidak ada dalam salinan SiRUP (terakhir ditarik).",
            "This RUP code is not in the local copy of SiRUP (as last pulled).",
            field="rup_code",
        )
    return {
        "rup_code": found.rup_code,
        "fiscal_year": found.fiscal_year,
        "title": found.title,
        "work_unit": found.work_unit,
        "category": found.category,
        "budget": str(found.budget),
        "synced_at": found.synced_at,
    }
