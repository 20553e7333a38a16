"""Compact JWS (RFC 7515, ``alg: EdDSA``) signed by the node key.

Everything a sandbox node signs carries ``"env": "sandbox"`` in its payload, so a demo receipt
can never pass for a production one.
"""

from __future__ import annotations

import json

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
