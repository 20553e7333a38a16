"""Compact JWS (RFC 7515, ``alg: EdDSA``) signed by the node key.

Everything a sandbox node signs carries ``"env": "sandbox"`` in its payload, so a demo receipt
can never pass for a production one.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

from tangguh.core.keys import Keyring, b64url, node_keyring


def sign_payload(payload: dict, *, keyring: Keyring | None = None) -> str:
    keyring = keyring or node_keyring()
    key = keyring.active()
    body = dict(payload)
    if settings.TANGGUH_ENV == "sandbox":
        body["env"] = "sandbox"
    header = {"alg": "EdDSA", "kid": key.kid, "typ": "JWT"}
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
    )
    signature = key.private_key.sign(signing_input.encode("ascii"))
    return signing_input + "." + b64url(signature)


# --- verification (receipts, checkpoints, closing statements) --------------------------------


class JwsError(Exception):
    """Why a compact JWS does not verify. ``kind`` is ``malformed``, ``unknown_key`` or
    ``bad_signature``; callers map it to their own stable error codes."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class VerifiedJws:
    kid: str
    key_retired: bool
    payload: dict


_B64URL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_decode(text: str) -> bytes:
    if not text or any(c not in _B64URL for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_jws(token: str, jwks: dict) -> VerifiedJws:
    """Check a compact EdDSA JWS against a JWKS (current and retired keys); its payload, or
    ``JwsError``. Only what the node signs is accepted: ``alg`` EdDSA, no ``crit``."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise JwsError("malformed", "a compact JWS has three parts separated by dots")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise JwsError("malformed", f"undecodable JWS: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JwsError("malformed", "header and payload must be JSON objects")
    if header.get("alg") != "EdDSA":
        raise JwsError("malformed", f"alg must be EdDSA, not {header.get('alg')!r}")
    if "crit" in header:
        raise JwsError("malformed", "unsupported critical header parameters")
    kid = header.get("kid")
    keys = [k for k in (jwks or {}).get("keys", []) if isinstance(k, dict) and k.get("kid") == kid]
    if not isinstance(kid, str) or not keys:
        raise JwsError("unknown_key", f"no key {kid!r} in the JWKS")
    jwk = keys[0]
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise JwsError("unknown_key", f"key {kid} is not an Ed25519 key")
    try:
        public = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk.get("x", "")))
    except ValueError as exc:
        raise JwsError("unknown_key", f"key {kid} is malformed") from exc
    try:
        public.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature as exc:
        raise JwsError(
            "bad_signature", "the signature does not match the header and payload"
        ) from exc
    return VerifiedJws(kid=kid, key_retired=jwk.get("status") == "retired", payload=payload)
