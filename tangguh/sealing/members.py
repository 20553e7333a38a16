"""A committee member's key work on the command line: make a key kit (``keys enrol``), prove
this tender's key shares open before the announcement (``keys check``), and release them after
the deadline (``keys release``).

The identity and the passphrase stay on the member's machine: the node gets the public
recipient, the SHA-256 of each opened share (a check), or the plain share bound to the closing
statement the member saw (a release) — never the kit or the passphrase.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyrage
import rfc8785

from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.domain.sealing.keys import KeyFormatError, recipient_from_identity
from tangguh.domain.sealing.kit import (
    ARMOR_BEGIN,
    armor,
    dearmor,
    identity_from_plaintext,
    new_key_kit,
    scrypt_work_factor,
)
from tangguh.domain.sealing.passphrase import new_passphrase, word_list
from tangguh.domain.sealing.shares import KeyShare, ShareError, parse_share
from tangguh.sealing.files import SealingFailure, _write_new
from tangguh.sealing.node import NodeClient

MAX_KIT_BYTES = 64 * 1024


# --- passphrases -----------------------------------------------------------------------------


def normalize_passphrase(typed: str) -> str:
    """The passphrase as generated (lower-case words joined by hyphens) from what a person
    typed: any case, spaces or other separators, a word cut to its first four letters (BIP-39
    words are unique in those). The browser does the same (``frontend/src/_words.js``)."""
    words = word_list()
    known = set(words)
    by_prefix = {w[:4]: w for w in words}
    tokens = [t for t in re.split(r"[\s,;.\-_]+", typed.lower()) if t]
    return "-".join(
        t if t in known else (by_prefix.get(t[:4], t) if len(t) >= 4 else t) for t in tokens
    )


def read_passphrase(path: Path | None, ask: Callable[[str], str]) -> str:
    """From ``--passphrase-file`` (its first line) or asked at the terminal (``getpass``)."""
    if path is not None:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        return lines[0].strip() if lines else ""
    return ask("Frasa sandi kit kunci / key kit passphrase: ").strip()


# --- key kits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolledKit:
    path: Path
    recipient: str
    fingerprint: str
    passphrase: str


def kit_write(out: Path | None, *, created: str) -> EnrolledKit:
    """Make a fresh personal key and its kit: a generated passphrase (seven words), the identity
    sealed with it (age scrypt, work factor 2^18, ASCII armor), written to a new file readable
    by its owner only. Nothing is overwritten."""
    passphrase = new_passphrase()
    kit = new_key_kit(passphrase, created=created)
    fingerprint = recipient_fingerprint(kit.recipient)
    if out is None:
        out = Path(f"kit-kunci-{fingerprint.replace(' ', '')[:8]}.age")
    out = Path(out)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True)
    _write_new(out, armor(kit.sealed).encode("ascii"), mode=0o600)
    return EnrolledKit(
        path=out, recipient=kit.recipient, fingerprint=fingerprint, passphrase=passphrase
    )


def _kit_bytes(path: Path) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SealingFailure("kit.unreadable", f"{path}: {exc}") from exc
    if len(data) > MAX_KIT_BYTES:
        raise SealingFailure("kit.not_kit", f"{path} is too large to be a key kit")
    if data.lstrip().startswith(ARMOR_BEGIN.encode()):
        try:
            data = dearmor(data.decode("ascii"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise SealingFailure("kit.not_kit", f"{path}: bad ASCII armor ({exc})") from exc
    if scrypt_work_factor(data) is None:
        raise SealingFailure(
            "kit.not_kit", f"{path} is not a key kit (an age file sealed with a passphrase)"
        )
    return data


def kit_open(path: Path, passphrase: str) -> str:
    """The identity in the kit at ``path``; ``kit.wrong_passphrase`` when neither the
    passphrase as typed nor its normalized form opens it."""
    data = _kit_bytes(path)
    candidates = [normalize_passphrase(passphrase)]
    if passphrase.strip() and passphrase.strip() not in candidates:
        candidates.append(passphrase.strip())
    for candidate in candidates:
        if not candidate:
            continue
        try:
            plain = pyrage.passphrase.decrypt(data, candidate)
        except pyrage.DecryptError:
            continue
        try:
            return identity_from_plaintext(plain)
        except KeyFormatError as exc:
            raise SealingFailure("kit.not_kit", f"{path}: {exc}") from exc
    raise SealingFailure(
        "kit.wrong_passphrase",
        f"the passphrase does not open {path} (check the words on your paper)",
    )


# --- opening one's shares ------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedShare:
    entry: dict
    share: KeyShare
    canonical: bytes
    commitment: str


def _sealed_bytes(value: str) -> bytes:
    text = (value or "").strip()
    try:
        if text.startswith(ARMOR_BEGIN):
            return dearmor(text)
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise SealingFailure("share.invalid", f"the node sent an unreadable share ({exc})") from exc


def shares_open(entries: Sequence[dict], *, code: str, identity: str) -> list[OpenedShare]:
    """Decrypt each sealed share the node listed with the member's identity, and check it is
    the share the listing names (tender, envelope, lot, index, the key's recipient)."""
    mine = recipient_from_identity(identity)
    age_identity = pyrage.x25519.Identity.from_str(identity)
    opened = []
    for entry in entries:
        label = f"envelope {entry.get('envelope')} share {entry.get('index')}"
        holder = (entry.get("holder_recipient") or "").strip()
        if holder and holder != mine:
            raise SealingFailure(
                "kit.wrong_kit",
                f"{label} is sealed to key {recipient_fingerprint(holder)}, this kit is "
                f"{recipient_fingerprint(mine)}: use the kit you had when the keys were dealt, "
                "or ask the Pokja to redeal",
            )
        try:
            plain = pyrage.decrypt(_sealed_bytes(entry.get("sealed_share", "")), [age_identity])
        except pyrage.DecryptError as exc:
            raise SealingFailure("kit.wrong_kit", f"{label} does not open with this kit") from exc
        try:
            share = parse_share(plain)
        except ShareError as exc:
            raise SealingFailure(exc.code, f"{label}: {exc}") from exc
        expected = (code, entry.get("envelope"), entry.get("lot", 1), entry.get("index"))
        found = (share.context.tender, share.context.envelope, share.context.lot, share.index)
        if found != expected or share.recipient != entry.get("recipient", share.recipient):
            raise SealingFailure(
                "share.mismatch", f"{label}: the opened share is {found}, not {expected}"
            )
        opened.append(
            OpenedShare(
                entry=entry,
                share=share,
                canonical=share.canonical_json(),
                commitment=share.commitment(),
            )
        )
    return opened


def my_shares(client: NodeClient, code: str) -> list[dict]:
    entries = client.get(f"/tenders/{code}/sealing-key/shares/mine").get("shares") or []
    if not entries:
        raise SealingFailure("share.none", f"you hold no key share of tender {code}")
    return entries


def shares_check(client: NodeClient, code: str, identity: str) -> list[tuple[OpenedShare, dict]]:
    """Open every share and record each check on the node (``POST …/sealing-key/checks``
    with the SHA-256 of the opened share); the node compares it with the commitment."""
    results = []
    for opened in shares_open(my_shares(client, code), code=code, identity=identity):
        answer = client.post(
            f"/tenders/{code}/sealing-key/checks",
            {
                "envelope": opened.share.context.envelope,
                "lot": opened.share.context.lot,
                "commitment": opened.commitment,
            },
        )
        results.append((opened, answer))
    return results


# --- releasing after the deadline ----------------------------------------------------------


@dataclass(frozen=True)
class ClosingStatement:
    document: dict
    sha256: str


def closing_statement_fetch(client: NodeClient, code: str) -> ClosingStatement:
    """The tender's closing statement, its signature checked against the node's JWKS; its
    SHA-256 is that of its RFC 8785 canonical JSON (what a release is bound to)."""
    from joserfc import jws
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    statement = client.get(f"/tenders/{code}/closing-statement", auth=False)
    document = statement.get("document")
    jwks = client.get("/node", auth=False).get("jwks")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc flags the EdDSA name (RFC 9864)
            verified = jws.deserialize_compact(
                statement.get("signature", ""), KeySet.import_key_set(jwks), algorithms=["EdDSA"]
            )
        signed = json.loads(verified.payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise SealingFailure(
            "closing.signature_invalid", f"the closing statement's signature fails ({exc})"
        ) from exc
    # The stored document is exactly what was signed (a sandbox node's "env" mark included).
    if not isinstance(document, dict) or signed != document:
        raise SealingFailure(
            "closing.signature_invalid", "the closing statement differs from what the node signed"
        )
    return ClosingStatement(
        document=document, sha256=hashlib.sha256(rfc8785.dumps(document)).hexdigest()
    )


def shares_release(
    client: NodeClient,
    code: str,
    identity: str,
    *,
    statement: ClosingStatement,
    envelopes: Sequence[str] = (),
) -> list[tuple[OpenedShare, dict]]:
    """Release the member's shares (of ``envelopes``; by default every envelope but
    ``price``, which opens only after the technical evaluation) bound to ``statement``."""
    opened = shares_open(my_shares(client, code), code=code, identity=identity)
    wanted = set(envelopes) or {o.share.context.envelope for o in opened} - {"price"}
    chosen = [o for o in opened if o.share.context.envelope in wanted]
    if not chosen:
        raise SealingFailure("share.none", f"you hold no share of {sorted(wanted)} in {code}")
    results = []
    for share in chosen:
        answer = client.post(
            f"/tenders/{code}/opening/shares",
            {"share": share.canonical.decode("utf-8"), "closing_statement": statement.sha256},
        )
        results.append((share, answer))
    return results


def token_from(options: dict) -> str | None:
    return options.get("token") or os.environ.get("TANGGUH_TOKEN")
