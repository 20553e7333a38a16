"""Which keys a backup's signature is checked against, read without ever creating a key (a
restore runs on a machine that has none yet), and the checkpoint a restore is held to."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tangguh.core.keys import jwk_of, thumbprint


def jwks_of_directory(directory: Path) -> dict:
    """The JWKS of the public keys in a key directory (``<kid>.pub.pem``; ``active`` names the
    current one, the others are retired). A file whose name is not its key's thumbprint is
    ignored: a key cannot pass for another."""
    directory = Path(directory)
    active_file = directory / "active"
    active = active_file.read_text().strip() if active_file.is_file() else None
    entries = []
    for path in sorted(directory.glob("*.pub.pem")) if directory.is_dir() else []:
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except ValueError:
            continue
        kid = path.name.removesuffix(".pub.pem")
        if not isinstance(key, Ed25519PublicKey) or thumbprint(key) != kid:
            continue
        entry = {**jwk_of(key), "kid": kid, "alg": "EdDSA", "use": "sig"}
        if kid != active:
            entry["status"] = "retired"
        entries.append(entry)
    entries.sort(key=lambda e: e["kid"] != active)
    return {"keys": entries}


def merge_jwks(*sets: dict) -> dict:
    seen: dict[str, dict] = {}
    for jwks in sets:
        for key in (jwks or {}).get("keys", []):
            if isinstance(key, dict) and isinstance(key.get("kid"), str):
                seen.setdefault(key["kid"], key)
    return {"keys": list(seen.values())}


def _read_source(source: str, limit: int = 10_000_000) -> str:
    if source.startswith(("https://", "http://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 - http(s) only
            return response.read(limit).decode("utf-8")
    return Path(source).read_text(encoding="utf-8")


def load_jwks(source: str) -> dict:
    """A JWKS from a file or URL: a JWKS itself, or the node document of ``GET /api/v1/node``."""
    data = json.loads(_read_source(source))
    if isinstance(data, dict) and isinstance(data.get("jwks"), dict):
        data = data["jwks"]
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError("not a JWKS (expected an object with a 'keys' list)")
    return data


def load_checkpoint_token(source: str) -> str:
    """A checkpoint kept outside the node: a file or URL holding the compact JWS, or the JSON
    of ``GET /api/v1/audit/checkpoint`` (``{"checkpoint": "…"}``) — the same forms
    ``tangguh audit verify --checkpoint`` reads."""
    text = _read_source(source, 1_000_000).strip()
    if text.startswith("{"):
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("checkpoint"), str):
            raise ValueError("JSON without a 'checkpoint' member")
        text = data["checkpoint"]
    return text
