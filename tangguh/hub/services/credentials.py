"""Vendor credentials: a vendor's home node vouches, in a JWS signed with its node key, for the
vendor's company (NIB, NPWP, name, verified) and user. Another node checks it offline against
its trust list and lets the vendor in, so a vendor registered elsewhere can register and bid
while the national vendor registry and identity services are down (SPEC "Outage resilience").

The credential is a bearer secret for its lifetime (7 days by default): whoever holds the file
can log in as that vendor on another node, as with a password. It is downloaded only by the
vendor's own logged-in user, every issue is recorded and audited, and a leaked or stolen node
key is withdrawn through the trust list (``revoked_kids``). A single leaked credential is
revoked at home (``credential_revoke``) and published in the home node's trust-list entry
(``revoked_credentials``), which is queued for the hub in the same transaction; another node
refuses it once it has pulled or imported that list.
See the ADR docs/decisions/0704-adapters-outbox-credentials.md.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.selectors import user_grants
from tangguh.accounts.services.login import login_record_success
from tangguh.accounts.services.throttle import throttle_check, throttle_record_failure
from tangguh.accounts.services.users import role_grant_unchecked
from tangguh.audit.services import audit_append
from tangguh.core.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from tangguh.core.keys import Keyring, node_keyring
from tangguh.core.signing import JwsError, b64url_decode, sign_payload, verify_jws
from tangguh.domain.identifiers import IdentifierError, normalize_nib, normalize_npwp
from tangguh.domain.roles import Permission, Role, is_allowed
from tangguh.hub.models import CredentialLink, CredentialRecord, TrustedNode
from tangguh.hub.services.outbox import trust_entry_enqueue
from tangguh.hub.services.trust import node_name
from tangguh.organizations.selectors import scope_chain
from tangguh.vendors.models import VendorCompany, VendorStatus
from tangguh.vendors.selectors import vendor_companies_of, vendor_company_ids_of

CREDENTIAL_TYPE = "tangguh.vendor_credential"
MAX_CREDENTIAL_CHARS = 16_000
# Clocks of two nodes may differ a little; a credential "issued in the future" by more than
# this is refused.
CLOCK_SKEW = dt.timedelta(minutes=5)
# The API token a credential login gives lasts at most this long (and never past the
# credential's expiry).
LOGIN_TOKEN_LIFETIME = dt.timedelta(hours=12)


def credential_lifetime() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "TANGGUH_CREDENTIAL_DAYS", 7)))


@dataclass(frozen=True)
class IssuedCredential:
    token: str
    jti: str
    node: str
    company: VendorCompany
    issued_at: dt.datetime
    expires_at: dt.datetime


def credential_issue(
    *,
    actor: User,
    company_id: int | None = None,
    keyring: Keyring | None = None,
    node: str | None = None,
) -> IssuedCredential:
    """The vendor's own user downloads a credential for a company this node verified.
    ``keyring`` and ``node`` default to this node's (tests sign as a second node with them)."""
    companies = vendor_companies_of(actor)
    if not companies:
        raise PermissionDenied(
            "credential.not_vendor",
            "Kredensial hanya untuk pengguna penyedia.",
            "Credentials are for vendor users only.",
        )
    if company_id is not None:
        companies = [c for c in companies if c.pk == company_id]
        if not companies:
            raise PermissionDenied(
                "credential.not_your_company",
                "Anda bukan pengguna perusahaan ini.",
                "You are not a user of this company.",
                field="company_id",
            )
    if len(companies) > 1:
        raise InvalidInput(
            "credential.company_required",
            "Anda terdaftar pada beberapa perusahaan; pilih satu (company_id).",
            "You belong to several companies; choose one (company_id).",
            field="company_id",
        )
    company = companies[0]
    if CredentialLink.objects.filter(user=actor).exists():
        # Only the node that verified a company vouches for it; a copy vouching again would
        # launder a credential from a node that may since have been removed from trust.
        raise Conflict(
            "credential.not_home_node",
            "Akun ini masuk dengan kredensial simpul lain; unduh kredensial dari simpul asal.",
            "This account logged in with another node's credential; download a credential "
            "from the home node.",
        )
    if company.status != VendorStatus.APPROVED or company.verified_at is None:
        raise Conflict(
            "credential.company_not_verified",
            "Perusahaan belum terverifikasi di simpul ini; kredensial belum dapat diterbitkan.",
            "The company is not verified on this node yet; no credential can be issued.",
        )
    now = clock.now()
    expires = now + credential_lifetime()
    keyring = keyring or node_keyring()
    jti = uuid.uuid4().hex
    node = node or node_name()
    payload = {
        "typ": CREDENTIAL_TYPE,
        "v": 1,
        "iss": node,
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "user": {
            "username": actor.username,
            "display_name": actor.display_name or actor.username,
            "email": actor.email,
        },
        "company": {
            "nib": company.nib,
            "npwp": company.npwp,
            "name": company.name,
            "address": company.address,
            "city": company.city,
            "email": company.email,
            "status": "verified",
            "verified_at": company.verified_at.isoformat(),
        },
    }
    token = sign_payload(payload, keyring=keyring)
    kid = keyring.active().kid
    with transaction.atomic():
        # Recorded so that the holder can revoke it before it expires (the token is not kept).
        CredentialRecord.objects.create(
            jti=jti,
            issuer=node,
            kid=kid,
            user=actor,
            company=company,
            issued_at=now,
            expires_at=expires,
        )
        audit_append(
            actor=actor,
            action="vendor.credential_issued",
            object_type="vendor_company",
            object_id=company.pk,
            payload={"jti": jti, "kid": kid, "expires_at": expires.isoformat()},
        )
    return IssuedCredential(token, jti, node, company, now, expires)


# --- revoking, at home ----------------------------------------------------------------------


def credential_status(record: CredentialRecord) -> str:
    """``revoked``, ``expired`` or ``active``."""
    if record.revoked_at is not None:
        return "revoked"
    return "expired" if record.expires_at <= clock.now() else "active"


def credentials_of(user: User, *, limit: int = 100) -> list[CredentialRecord]:
    """The credentials this node issued for the companies ``user`` acts for, newest first:
    any user of a company sees (and may revoke) its colleagues' credentials too."""
    return list(
        CredentialRecord.objects.select_related("user", "company")
        .filter(company_id__in=vendor_company_ids_of(user))
        .order_by("-issued_at", "-id")[:limit]
    )


def credential_revoke(*, actor: User, jti: str) -> CredentialRecord:
    """Withdraw one credential before it expires (its file leaked or was lost). A user of the
    credential's company or a node administrator may; revoking twice changes nothing. Other
    nodes learn it from this node's trust-list entry when they next pull or import it; with the
    hub connected, the new entry is queued for it with the revocation (one transaction)."""
    jti = (jti or "").strip()
    record = CredentialRecord.objects.filter(jti=jti).first() if jti else None
    if record is None:
        raise NotFound(
            "credential.unknown",
            "Kredensial dengan jti ini tidak pernah diterbitkan simpul ini.",
            "No credential with this jti was issued by this node.",
            field="jti",
        )
    holder = record.company_id in vendor_company_ids_of(actor)
    if not holder and not is_allowed(
        user_grants(actor), Permission.MANAGE_NODE, scope_chain("node")
    ):
        audit_append(
            actor=actor,
            action="permission.denied",
            object_type="permission",
            object_id=Permission.MANAGE_NODE.value,
            payload={"attempted": "credential.revoke", "scope": "node", "jti": jti},
        )
        raise PermissionDenied(
            "credential.not_yours",
            "Kredensial ini milik perusahaan lain; hanya penggunanya atau admin simpul yang "
            "dapat mencabutnya.",
            "This credential belongs to another company; only its users or a node "
            "administrator can revoke it.",
            field="jti",
        )
    with transaction.atomic():
        record = CredentialRecord.objects.select_for_update().get(pk=record.pk)
        if record.revoked_at is not None:
            return record  # already revoked: nothing more to do, nothing more to audit
        now = clock.now()
        if record.expires_at <= now:
            raise Conflict(
                "credential.already_expired",
                "Kredensial ini sudah kedaluwarsa; tidak perlu dicabut.",
                "This credential has already expired; there is nothing to revoke.",
                field="jti",
            )
        record.revoked_at = now
        record.revoked_by = actor
        record.save(update_fields=["revoked_at", "revoked_by"])
        audit_append(
            actor=actor,
            action="vendor.credential_revoked",
            object_type="vendor_company",
            object_id=record.company_id,
            payload={
                "jti": record.jti,
                "holder": record.user.username,
                "by": "holder" if holder else "admin",
                "expires_at": record.expires_at.isoformat(),
            },
        )
        # Queued with the revocation: it reaches the hub exactly when the revocation committed.
        trust_entry_enqueue()
    return record


# --- verifying, offline -------------------------------------------------------------------


@dataclass(frozen=True)
class VendorCredential:
    node: str
    kid: str
    jti: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    username: str
    display_name: str
    email: str
    company: dict


def _refused(code: str, message_id: str, message_en: str) -> NotAuthenticated:
    return NotAuthenticated(f"credential.{code}", message_id, message_en, field="credential")


def _malformed(detail: str) -> NotAuthenticated:
    return _refused(
        "malformed",
        f"Ini bukan kredensial penyedia yang sah ({detail}).",
        f"This is not a valid vendor credential ({detail}).",
    )


def _unverified_parts(token: str) -> tuple[dict, dict]:
    parts = token.split(".")
    if len(parts) != 3:
        raise _malformed("a compact JWS has three parts")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _malformed("undecodable") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise _malformed("header and payload must be objects")
    return header, payload


def _text(value: object, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise _malformed("a field is missing or too long")
    return value.strip()


def _claims(payload: dict, node: str, kid: str) -> VendorCredential:
    user, company = payload.get("user"), payload.get("company")
    iat, exp = payload.get("iat"), payload.get("exp")
    if not isinstance(user, dict) or not isinstance(company, dict):
        raise _malformed("user and company are required")
    if not isinstance(iat, int) or not isinstance(exp, int) or exp <= iat:
        raise _malformed("iat and exp must be whole seconds, exp after iat")
    try:
        nib = normalize_nib(_text(company.get("nib"), 20))
        npwp = normalize_npwp(_text(company.get("npwp"), 25))
        verified_at = dt.datetime.fromisoformat(_text(company.get("verified_at"), 40))
    except (IdentifierError, ValueError) as exc:
        raise _malformed("company NIB, NPWP or verification time") from exc
    username = _text(user.get("username"), 150)
    if not username:
        raise _malformed("user.username is required")
    return VendorCredential(
        node=node,
        kid=kid,
        jti=_text(payload.get("jti"), 64),
        issued_at=dt.datetime.fromtimestamp(iat, tz=dt.UTC),
        expires_at=dt.datetime.fromtimestamp(exp, tz=dt.UTC),
        username=username,
        display_name=_text(user.get("display_name") or username, 200),
        email=_text(user.get("email") or "", 254),
        company={
            "nib": nib,
            "npwp": npwp,
            "name": _text(company.get("name"), 200),
            "address": _text(company.get("address") or "-", 300) or "-",
            "city": _text(company.get("city") or "-", 100) or "-",
            "email": _text(company.get("email") or "", 254),
            "status": company.get("status"),
            "verified_at": verified_at,
        },
    )


def credential_verify(token: str) -> VendorCredential:
    """Check a credential offline against the trust list; its claims, or ``NotAuthenticated``
    with a code naming what is wrong."""
    token = (token or "").strip()
    if not token or len(token) > MAX_CREDENTIAL_CHARS:
        raise _malformed("empty or too long")
    header, unverified = _unverified_parts(token)
    if unverified.get("typ") != CREDENTIAL_TYPE:
        raise _malformed("not a vendor credential")
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise _malformed("no issuing node")
    if issuer == node_name():
        raise _refused(
            "own_node",
            "Kredensial ini dari simpul ini sendiri; masuklah dengan kata sandi Anda.",
            "This credential is from this very node; log in with your password.",
        )
    trusted = TrustedNode.objects.filter(name=issuer).first()
    if trusted is None:
        raise _refused(
            "unknown_node",
            f"Simpul penerbit {issuer!r} tidak ada dalam daftar kunci simpul ini.",
            f"The issuing node {issuer!r} is not on this node's trust list.",
        )
    kid = header.get("kid")
    if isinstance(kid, str) and kid in trusted.revoked_kids:
        raise _refused(
            "key_revoked",
            "Kunci yang menandatangani kredensial ini telah dicabut; unduh kredensial baru.",
            "The key that signed this credential has been revoked; download a new one.",
        )
    try:
        verified = verify_jws(token, trusted.jwks)
    except JwsError as exc:
        if exc.kind == "unknown_key":
            raise _refused(
                "unknown_key",
                "Kredensial ditandatangani kunci yang tidak dikenal untuk simpul itu; "
                "perbarui daftar kunci (tangguh hub pull).",
                "The credential is signed by a key not known for that node; refresh the trust "
                "list (tangguh hub pull).",
            ) from exc
        if exc.kind == "bad_signature":
            raise _refused(
                "tampered",
                "Tanda tangan kredensial tidak cocok: isinya telah diubah.",
                "The credential's signature does not match: its content was altered.",
            ) from exc
        raise _malformed(exc.detail) from exc
    payload = verified.payload
    if payload.get("env") == "sandbox" and settings.TANGGUH_ENV != "sandbox":
        raise _refused(
            "sandbox",
            "Kredensial dari simpul sandbox tidak berlaku di sini.",
            "A credential from a sandbox node is not valid here.",
        )
    claims = _claims(payload, issuer, verified.kid)
    if any(entry.get("jti") == claims.jti for entry in trusted.revoked_credentials):
        raise _refused(
            "revoked",
            "Kredensial ini telah dicabut oleh simpul asalnya; unduh yang baru dari sana.",
            "This credential has been revoked by its home node; download a new one there.",
        )
    now = clock.now()
    if claims.expires_at <= now:
        raise _refused(
            "expired",
            "Kredensial sudah kedaluwarsa; unduh yang baru dari simpul asal Anda.",
            "The credential has expired; download a new one from your home node.",
        )
    if claims.issued_at > now + CLOCK_SKEW:
        raise _refused(
            "not_yet_valid",
            "Kredensial bertanggal di masa depan; periksa jam simpul.",
            "The credential is dated in the future; check the nodes' clocks.",
        )
    if claims.company["status"] != "verified":
        raise _refused(
            "not_verified",
            "Perusahaan dalam kredensial belum terverifikasi.",
            "The company in the credential is not verified.",
        )
    return claims


# --- logging in with a credential ---------------------------------------------------------


def _local_username(claims: VendorCredential) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", claims.node.lower()).strip("-")[:60] or "node"
    local = re.sub(r"[^a-z0-9._-]+", "-", claims.username.lower())[:80]
    base = f"{local}--{slug}"
    name, number = base, 1
    while User.objects.filter(username=name).exists():
        number += 1
        name = f"{base}-{number}"
    return name


def _local_company(claims: VendorCredential, actor: str) -> VendorCompany:
    data = claims.company
    existing = VendorCompany.objects.filter(nib=data["nib"]).first()
    if existing is not None:
        if existing.npwp != data["npwp"]:
            raise Conflict(
                "credential.company_mismatch",
                "NIB dalam kredensial terdaftar di sini dengan NPWP lain; hubungi admin.",
                "The credential's NIB is registered here with another NPWP; contact the "
                "administrator.",
            )
        if existing.status == VendorStatus.REJECTED:
            raise Conflict(
                "credential.company_rejected_here",
                "Pendaftaran perusahaan ini ditolak di simpul ini; hubungi verifikator.",
                "This company's registration was rejected on this node; contact the verifier.",
            )
        return existing
    if VendorCompany.objects.filter(npwp=data["npwp"]).exists():
        raise Conflict(
            "credential.company_mismatch",
            "NPWP dalam kredensial terdaftar di sini dengan NIB lain; hubungi admin.",
            "The credential's NPWP is registered here with another NIB; contact the administrator.",
        )
    company = VendorCompany.objects.create(
        name=data["name"],
        nib=data["nib"],
        npwp=data["npwp"],
        address=data["address"],
        city=data["city"],
        email=data["email"] or claims.email or "tidak-ada@invalid",
        status=VendorStatus.APPROVED,
        registered_at=clock.now(),
        verified_at=data["verified_at"],
    )
    # NPWP stays out of the audit payload (it may be a person's tax number, UU 27/2022).
    audit_append(
        actor=actor,
        action="vendor.registered_by_credential",
        object_type="vendor_company",
        object_id=company.pk,
        payload={"name": company.name, "nib": company.nib, "home_node": claims.node},
    )
    return company


def _throttle_name(token: str) -> str:
    try:
        _, payload = _unverified_parts((token or "").strip()[:MAX_CREDENTIAL_CHARS])
        user = payload.get("user") or {}
        return f"credential:{str(user.get('username'))[:60]}@{str(payload.get('iss'))[:80]}"
    except (NotAuthenticated, AttributeError):
        return "credential:malformed"


def credential_login(*, token: str, address: str, channel: str) -> tuple[User, VendorCredential]:
    """Verify the credential and log its vendor in on this node: the local company and user
    linked to it are made on first use, and the login is audited with the credential's id."""
    # Failures slow down the claimed user (and the address), as wrong passwords do; keyed on
    # one shared name, a flood of bad credentials would slow every vendor from other nodes.
    name = _throttle_name(token)
    throttle_check(username=name, address=address)
    try:
        claims = credential_verify(token)
    except NotAuthenticated as exc:
        throttle_record_failure(username=name, address=address)
        if exc.code == "credential.revoked":
            # A genuine but withdrawn credential is being used: its file leaked, or the vendor
            # forgot. Recorded so that an administrator sees the attempt (the address stays
            # out of the append-only log, as for every login; the throttle keeps it briefly).
            _, unverified = _unverified_parts(token.strip())
            user = unverified.get("user") or {}
            audit_append(
                actor=f"credential:{unverified.get('iss')}",
                action="auth.credential_revoked_refused",
                object_type="vendor_credential",
                object_id=str(unverified.get("jti")),
                payload={
                    "home_node": unverified.get("iss"),
                    "home_username": user.get("username"),
                    "channel": channel,
                },
            )
        raise
    actor = f"credential:{claims.node}"
    now = clock.now()
    with transaction.atomic():
        company = _local_company(claims, actor)
        link = (
            CredentialLink.objects.select_related("user")
            .filter(home_node=claims.node, home_username=claims.username)
            .first()
        )
        if link is None:
            user = User(
                username=_local_username(claims),
                display_name=claims.display_name,
                email=claims.email,
            )
            # No password here: this account is entered only with a credential from home.
            user.set_unusable_password()
            user.save()
            audit_append(
                actor=actor,
                action="user.created",
                object_type="user",
                object_id=user.pk,
                payload={"username": user.username, "display_name": user.display_name},
            )
            link = CredentialLink.objects.create(
                user=user,
                company=company,
                home_node=claims.node,
                home_username=claims.username,
                created_at=now,
                last_login_at=now,
                last_jti=claims.jti,
            )
        else:
            user = link.user
            if not user.is_active:
                raise NotAuthenticated(
                    "auth.user_inactive", "Akun tidak aktif.", "The account is inactive."
                )
            link.company = company
            link.last_login_at = now
            link.last_jti = claims.jti
            link.save(update_fields=["company", "last_login_at", "last_jti"])
        role_grant_unchecked(
            actor=actor, user=user, role=Role.VENDOR, scope=f"company:{company.pk}"
        )
        audit_append(
            actor=user,
            action="auth.credential_login",
            object_type="user",
            object_id=user.pk,
            payload={
                "home_node": claims.node,
                "kid": claims.kid,
                "jti": claims.jti,
                "nib": company.nib,
                "expires_at": claims.expires_at.isoformat(),
            },
        )
        login_record_success(user=user, address=address, channel=f"credential-{channel}")
    return user, claims


def credential_token_lifetime(claims: VendorCredential) -> dt.timedelta:
    return min(LOGIN_TOKEN_LIFETIME, claims.expires_at - clock.now())
