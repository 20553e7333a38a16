"""The node's Ed25519 signing keys: created on first start, loaded from a configured directory.

Layout of the key directory (``TANGGUH_SIGNING_KEY_DIR``, default ``<data>/keys``):
``<kid>.pem`` private keys (mode 0600), ``<kid>.pub.pem`` public keys, and ``active`` naming the
current kid. Rotation writes a new key and points ``active`` at it; retired keys stay, so
receipts signed with them still verify (they remain in the JWKS). Several app servers share one
directory; the directory is part of every backup.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_of(public_key: Ed25519PublicKey) -> dict:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}


def thumbprint(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256), used as the key id."""
    jwk = jwk_of(public_key)
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class Keyring:
    """The keys in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _create_key(self) -> str:
        private = Ed25519PrivateKey.generate()
        kid = thumbprint(private.public_key())
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, stat.S_IRWXU)
        _write_private(
            self.directory / f"{kid}.pem",
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        _write_atomic(
            self.directory / f"{kid}.pub.pem",
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )
        return kid

    def ensure(self) -> str:
        """The active kid, creating the first key if the directory has none."""
        active = self.directory / "active"
        if active.exists():
            return active.read_text().strip()
        kid = self._create_key()
        _write_atomic(active, kid.encode())
        return kid

    def rotate(self) -> str:
        """Create a new active key; the old one is retired but kept for verification."""
        self.ensure()
        kid = self._create_key()
        _write_atomic(self.directory / "active", kid.encode())
        return kid

    def active(self) -> SigningKey:
        kid = self.ensure()
        data = (self.directory / f"{kid}.pem").read_bytes()
        private = serialization.load_pem_private_key(data, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"signing key {kid} is not Ed25519")
        return SigningKey(kid=kid, private_key=private)

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        self.ensure()
        keys: dict[str, Ed25519PublicKey] = {}
        for path in sorted(self.directory.glob("*.pub.pem")):
            key = serialization.load_pem_public_key(path.read_bytes())
            if isinstance(key, Ed25519PublicKey):
                keys[path.name.removesuffix(".pub.pem")] = key
        return keys

    def jwks(self) -> dict:
        """Current and retired public keys, current first."""
        active = self.ensure()
        entries = []
        for kid, key in self.public_keys().items():
            entry = {**jwk_of(key), "kid": kid, "alg": "EdDSA", "use": "sig"}
            if kid != active:
                entry["status"] = "retired"
            entries.append(entry)
        entries.sort(key=lambda e: e["kid"] != active)
        return {"keys": entries}


def node_keyring() -> Keyring:
    from django.conf import settings

    return Keyring(settings.TANGGUH_SIGNING_KEY_DIR)
