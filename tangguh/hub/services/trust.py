"""The trust list: other nodes' public keys, imported from a file (``tangguh hub trust import``)
or pulled from the hub. Credentials are verified against it offline.

File format (also what the hub serves at ``GET /nodes`` and ``tangguh hub trust export``
writes for this node)::

    {"nodes": [{"name": "LPSE Kabupaten Mimika", "jwks": {"keys": [...]},
                "revoked_kids": ["..."],
                "revoked_credentials": [{"jti": "...", "exp": 1719795600}]}]}

``revoked_credentials`` are single vendor credentials the node itself issued and then revoked
(``exp`` is the credential's own expiry, Unix seconds); a node lists only those not yet expired,
and an importer forgets them once expired, since an expired credential is refused anyway.

An entry in a file or in the hub's list is not signed on its own: it is exactly as trustworthy
as the channel it came through (the administrators' file exchange, or the hub), for its
revocations as for its keys. (What this node pushes to the hub is signed with its node key, so
the hub can check it: ``outbox.trust_entry_enqueue``.) A
revocation can only make a node refuse more, never let anyone in.

A revocation is sticky: a later list that omits a revoked kid or credential does not make it
good again, because a stolen key or a leaked credential must stay refused even if an old list
is imported after the news.
"""

from __future__ import annotations

import json

from django.db import transaction

from tangguh import clock
from tangguh.audit.services import audit_append
from tangguh.core.errors import InvalidInput, NotFound
from tangguh.core.keys import Keyring, node_keyring
from tangguh.hub.models import CredentialRecord, TrustedNode
from tangguh.organizations.selectors import node_get

MAX_TRUST_BYTES = 5 * 1024 * 1024


def node_name() -> str:
    from django.conf import settings

    node = node_get()
    return node.name if node is not None else settings.TANGGUH_NODE_NAME


def trust_entry_own(*, keyring: Keyring | None = None, node: str | None = None) -> dict:
    """This node's entry, to hand to other nodes or the hub: its keys and the credentials it
    issued and revoked that have not expired yet. ``keyring`` and ``node`` default to this
    node's (tests play a second node with them)."""
    node = node or node_name()
    revoked = CredentialRecord.objects.filter(
        issuer=node, revoked_at__isnull=False, expires_at__gt=clock.now()
    ).order_by("expires_at", "jti")
    return {
        "name": node,
        "jwks": (keyring or node_keyring()).jwks(),
        "revoked_kids": [],
        "revoked_credentials": [
            {"jti": record.jti, "exp": int(record.expires_at.timestamp())} for record in revoked
        ],
    }


def _refuse(detail_id: str, detail_en: str) -> InvalidInput:
    return InvalidInput(
        "trust.invalid",
        f"Daftar kunci simpul tidak sah: {detail_id}.",
        f"The trust list is invalid: {detail_en}.",
        field="file",
    )


def _entry(raw: object, number: int) -> dict:
    if not isinstance(raw, dict):
        raise _refuse(f"entri {number} bukan objek", f"entry {number} is not an object")
    name = raw.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise _refuse(f"entri {number}: nama wajib", f"entry {number}: name is required")
    jwks = raw.get("jwks")
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise _refuse(f"entri {number}: jwks tanpa kunci", f"entry {number}: jwks has no keys")
    clean = []
    for key in keys:
        if not (
            isinstance(key, dict)
            and key.get("kty") == "OKP"
            and key.get("crv") == "Ed25519"
            and isinstance(key.get("kid"), str)
            and isinstance(key.get("x"), str)
        ):
            raise _refuse(
                f"entri {number}: kunci harus Ed25519 (OKP) dengan kid",
                f"entry {number}: keys must be Ed25519 (OKP) with a kid",
            )
        clean.append(
            {k: key[k] for k in ("kty", "crv", "x", "kid", "alg", "use", "status") if k in key}
        )
    revoked = raw.get("revoked_kids") or []
    if not isinstance(revoked, list) or not all(isinstance(k, str) for k in revoked):
        raise _refuse(
            f"entri {number}: revoked_kids harus daftar",
            f"entry {number}: revoked_kids must be a list",
        )
    revoked = sorted(set(revoked) | {k["kid"] for k in clean if k.get("status") == "revoked"})
    return {
        "name": name.strip(),
        "jwks": {"keys": clean},
        "revoked_kids": revoked,
        "revoked_credentials": _revoked_credentials(raw.get("revoked_credentials"), number),
    }


def _revoked_credentials(raw: object, number: int) -> dict[str, int]:
    """``[{"jti", "exp"}]`` as ``{jti: exp}``."""
    if raw is None:
        return {}
    bad = _refuse(
        f"entri {number}: revoked_credentials harus daftar {{jti, exp}}",
        f"entry {number}: revoked_credentials must be a list of {{jti, exp}}",
    )
    if not isinstance(raw, list):
        raise bad
    found: dict[str, int] = {}
    for item in raw:
        if not isinstance(item, dict):
            raise bad
        jti, exp = item.get("jti"), item.get("exp")
        if not isinstance(jti, str) or not 1 <= len(jti) <= 64:
            raise bad
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise bad
        found[jti] = max(exp, found.get(jti, exp))
    return found


def _merge_revoked_credentials(stored: list, listed: dict[str, int]) -> list[dict]:
    """What was revoked before stays revoked (sticky); the expired are forgotten."""
    now = int(clock.now().timestamp())
    merged = {entry["jti"]: entry["exp"] for entry in stored}
    for jti, exp in listed.items():
        merged[jti] = max(exp, merged.get(jti, exp))
    return [
        {"jti": jti, "exp": exp}
        for jti, exp in sorted(merged.items(), key=lambda item: (item[1], item[0]))
        if exp > now
    ]


def trust_parse(data: bytes) -> list[dict]:
    if len(data) > MAX_TRUST_BYTES:
        raise _refuse("lebih dari 5 MB", "larger than 5 MB")
    try:
        parsed = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _refuse("bukan JSON", "not JSON") from exc
    if isinstance(parsed, dict) and "nodes" not in parsed and "name" in parsed:
        parsed = {"nodes": [parsed]}  # one node's own export
    nodes = parsed.get("nodes") if isinstance(parsed, dict) else None
    if not isinstance(nodes, list):
        raise _refuse('harus {"nodes": [...]}', 'must be {"nodes": [...]}')
    return [_entry(raw, number) for number, raw in enumerate(nodes, start=1)]


def trust_import_unchecked(*, actor: object, entries: list[dict], source: str) -> dict:
    """Add or update the listed nodes (not this node itself). From the hub, a node the hub no
    longer lists is dropped; entries imported from a file stay until replaced."""
    own = node_name()
    now = clock.now()
    added, updated, dropped = [], [], []
    with transaction.atomic():
        for entry in entries:
            if entry["name"] == own:
                continue
            existing = TrustedNode.objects.filter(name=entry["name"]).first()
            if existing is None:
                TrustedNode.objects.create(
                    name=entry["name"],
                    jwks=entry["jwks"],
                    revoked_kids=entry["revoked_kids"],
                    revoked_credentials=_merge_revoked_credentials(
                        [], entry["revoked_credentials"]
                    ),
                    source=source,
                    imported_at=now,
                )
                added.append(entry["name"])
                continue
            existing.revoked_kids = sorted(set(existing.revoked_kids) | set(entry["revoked_kids"]))
            existing.revoked_credentials = _merge_revoked_credentials(
                existing.revoked_credentials, entry["revoked_credentials"]
            )
            existing.jwks = entry["jwks"]
            existing.source = source
            existing.imported_at = now
            existing.save()
            updated.append(entry["name"])
        if source == "hub":
            listed = {entry["name"] for entry in entries}
            stale = TrustedNode.objects.filter(source="hub").exclude(name__in=listed)
            dropped = list(stale.values_list("name", flat=True))
            stale.delete()
        result = {"added": added, "updated": updated, "dropped": dropped}
        if added or updated or dropped:
            audit_append(
                actor=actor,
                action="hub.trust_imported",
                object_type="trust_list",
                object_id=source,
                payload=result,
            )
    return result


def trust_revoke_unchecked(*, actor: object, name: str, kid: str) -> TrustedNode:
    """Stop believing one key of a node (it was stolen or lost)."""
    with transaction.atomic():
        trusted = TrustedNode.objects.filter(name=name).first()
        if trusted is None:
            raise NotFound(
                "trust.node_unknown",
                "Simpul ini tidak ada dalam daftar kunci.",
                "This node is not on the trust list.",
                field="name",
            )
        trusted.revoked_kids = sorted(set(trusted.revoked_kids) | {kid})
        trusted.save(update_fields=["revoked_kids"])
        audit_append(
            actor=actor,
            action="hub.trust_key_revoked",
            object_type="trusted_node",
            object_id=trusted.pk,
            payload={"name": name, "kid": kid},
        )
    return trusted
