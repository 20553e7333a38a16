"""Shamir shares of a sealing seed, their JSON documents and SHA-256 commitments.

Splitting uses pycryptodome's ``Crypto.Protocol.SecretSharing.Shamir`` (GF(2^128), the AES-GCM
polynomial, share indices 1..n, 16-byte shares) with ``ssss=False``, the library's default and
plain Shamir: the ``ssss=True`` variant adds an ``x^k`` term only to interoperate with the
``ssss`` tool, which nothing here uses. The library's ``combine`` wants exactly *k* shares, so a
share document carries *k*.

A share document (format ``tangguh.key-share``, version 1)::

    {"format": "tangguh.key-share", "version": 1, "tender": "202400017", "lot": 1,
     "envelope": "offer", "recipient": "age1…", "index": 1, "k": 2, "n": 3,
     "share": "<16 bytes, standard base64>"}

Its commitment is the lower-case hex SHA-256 of its RFC 8785 canonical JSON. The recipient in
every share lets a combiner check the rebuilt key without any server.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import rfc8785
from Crypto.Protocol.SecretSharing import Shamir

from tangguh.domain.sealing.keys import (
    SEED_BYTES,
    KeyContext,
    KeyFormatError,
    SealingKey,
    derive_sealing_key,
    parse_recipient,
)

SHARE_FORMAT = "tangguh.key-share"
SHARE_VERSION = 1
COMMITMENTS_FORMAT = "tangguh.key-commitments"
COMMITMENTS_VERSION = 1
MAX_SHARES = 255  # share indices are GF(2^128) elements; keep them one byte for the documents


class ShareError(ValueError):
    """A share or a set of shares that cannot be used. ``code`` is stable; ``index`` names the
    share at fault when one is (1-based, as in the share document)."""

    def __init__(self, code: str, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.index = index


@dataclass(frozen=True)
class KeyShare:
    """One member's share of the seed of ``context``'s sealing key."""

    context: KeyContext
    recipient: str
    index: int
    k: int
    n: int
    value: bytes

    def document(self) -> dict:
        """The share as its JSON document (a plain dictionary)."""
        return {
            "format": SHARE_FORMAT,
            "version": SHARE_VERSION,
            **self.context.as_dict(),
            "recipient": self.recipient,
            "index": self.index,
            "k": self.k,
            "n": self.n,
            "share": base64.b64encode(self.value).decode("ascii"),
        }

    def canonical_json(self) -> bytes:
        """RFC 8785 canonical JSON of the document: the bytes that are committed to and
        written out, so a file's SHA-256 is its commitment."""
        return rfc8785.dumps(self.document())

    def commitment(self) -> str:
        """Lower-case hex SHA-256 of the canonical JSON."""
        return hashlib.sha256(self.canonical_json()).hexdigest()


@dataclass(frozen=True)
class Dealing:
    """The outcome of dealing one sealing key: its public recipient, the shares (one per
    member, in index order) and their commitments. The seed is deliberately not kept."""

    context: KeyContext
    recipient: str
    k: int
    n: int
    shares: tuple[KeyShare, ...]

    def commitments(self) -> dict[int, str]:
        return {share.index: share.commitment() for share in self.shares}


def default_threshold(members: int) -> int:
    """A majority of ``members``, and at least 2 (SPEC "Sealed bids and opening")."""
    return max(2, members // 2 + 1)


def _check_k_n(k: int, n: int) -> None:
    if type(n) is not int or type(k) is not int:
        raise ShareError("share.bad_threshold", "k and n are integers")
    if not 2 <= n <= MAX_SHARES:
        raise ShareError("share.bad_threshold", f"n must be 2..{MAX_SHARES}, not {n}")
    if not 2 <= k <= n:
        raise ShareError("share.bad_threshold", f"k must be 2..n ({n}), not {k}")


def split_seed(
    seed: bytes, context: KeyContext, *, members: int, threshold: int | None = None
) -> Dealing:
    """Split ``seed`` into ``members`` shares, any ``threshold`` of which (default: majority,
    at least 2) rebuild the sealing key of ``context``."""
    k = default_threshold(members) if threshold is None else threshold
    _check_k_n(k, members)
    key = derive_sealing_key(seed, context)
    pieces = Shamir.split(k, members, bytes(seed), ssss=False)
    shares = tuple(
        KeyShare(context=context, recipient=key.recipient, index=i, k=k, n=members, value=v)
        for i, v in pieces
    )
    return Dealing(context=context, recipient=key.recipient, k=k, n=members, shares=shares)


def parse_share(data: bytes | str | Mapping) -> KeyShare:
    """A ``KeyShare`` from its JSON text or decoded dictionary; ``ShareError`` with code
    ``share.invalid`` when anything is missing, extra or out of range."""
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ShareError("share.invalid", f"a share is a JSON document ({exc})") from exc
    if not isinstance(data, Mapping):
        raise ShareError("share.invalid", "a share is a JSON object")
    expected = {"format", "version", "tender", "lot", "envelope", "recipient", "index", "k", "n"}
    keys = set(data)
    if keys != expected | {"share"}:
        missing = sorted(expected | {"share"} - keys)
        extra = sorted(keys - expected - {"share"})
        raise ShareError("share.invalid", f"share fields: missing {missing}, unexpected {extra}")
    if data["format"] != SHARE_FORMAT or data["version"] != SHARE_VERSION:
        raise ShareError(
            "share.unsupported",
            f"not a {SHARE_FORMAT} version {SHARE_VERSION} document "
            f"({data['format']!r} version {data['version']!r})",
        )
    try:
        context = KeyContext(tender=data["tender"], lot=data["lot"], envelope=data["envelope"])
        parse_recipient(data["recipient"])
    except KeyFormatError as exc:
        raise ShareError("share.invalid", str(exc)) from exc
    index, k, n = data["index"], data["k"], data["n"]
    _check_k_n(k, n)
    if type(index) is not int or not 1 <= index <= n:
        raise ShareError("share.invalid", f"share index must be 1..{n}, not {index!r}")
    try:
        value = base64.b64decode(data["share"], validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise ShareError("share.invalid", "share bytes are not base64", index=index) from exc
    if len(value) != SEED_BYTES:
        raise ShareError("share.invalid", f"share bytes must be {SEED_BYTES}", index=index)
    return KeyShare(
        context=context, recipient=data["recipient"], index=index, k=k, n=n, value=value
    )


def commitments_document(dealing: Dealing, *, members: Sequence[str] | None = None) -> dict:
    """The public ``tangguh.key-commitments`` document of a dealing: context, recipient, k, n
    and per share its index, SHA-256 commitment and, when given, the holder's age recipient."""
    if members is not None and len(members) != dealing.n:
        raise ShareError("share.bad_threshold", f"{dealing.n} member recipients expected")
    entries = []
    for share in dealing.shares:
        entry = {"index": share.index, "sha256": share.commitment()}
        if members is not None:
            entry["member"] = members[share.index - 1]
        entries.append(entry)
    return {
        "format": COMMITMENTS_FORMAT,
        "version": COMMITMENTS_VERSION,
        **dealing.context.as_dict(),
        "recipient": dealing.recipient,
        "k": dealing.k,
        "n": dealing.n,
        "shares": entries,
    }


def parse_commitments(data: bytes | str | Mapping) -> dict[int, str]:
    """``{index: sha256 hex}`` from a commitments document (its JSON text or dictionary)."""
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ShareError("share.invalid_commitments", f"not JSON ({exc})") from exc
    if not isinstance(data, Mapping) or data.get("format") != COMMITMENTS_FORMAT:
        raise ShareError("share.invalid_commitments", f"not a {COMMITMENTS_FORMAT} document")
    result: dict[int, str] = {}
    for entry in data.get("shares") or []:
        index, digest = entry.get("index"), entry.get("sha256")
        if type(index) is not int or not isinstance(digest, str) or len(digest) != 64:
            raise ShareError("share.invalid_commitments", f"bad commitment entry {entry!r}")
        result[index] = digest.lower()
    return result


def verify_commitments(shares: Iterable[KeyShare], commitments: Mapping[int, str]) -> None:
    """Raise ``ShareError`` (``share.commitment_mismatch``, naming the share) unless every
    share's SHA-256 matches the commitment of its index."""
    for share in shares:
        expected = commitments.get(share.index)
        if expected is None:
            raise ShareError(
                "share.no_commitment",
                f"share {share.index} has no commitment",
                index=share.index,
            )
        if share.commitment() != expected.lower():
            raise ShareError(
                "share.commitment_mismatch",
                f"share {share.index} does not match its commitment",
                index=share.index,
            )


def _check_consistent(shares: Sequence[KeyShare]) -> None:
    if not shares:
        raise ShareError("share.not_enough", "no shares given")
    first = shares[0]
    seen: set[int] = set()
    for share in shares:
        same = (share.context, share.recipient, share.k, share.n) == (
            first.context,
            first.recipient,
            first.k,
            first.n,
        )
        if not same:
            raise ShareError(
                "share.mixed",
                f"share {share.index} belongs to another key than share {first.index}",
                index=share.index,
            )
        if share.index in seen:
            raise ShareError(
                "share.duplicate", f"share {share.index} given twice", index=share.index
            )
        seen.add(share.index)
    if len(shares) < first.k:
        raise ShareError(
            "share.not_enough", f"{len(shares)} shares given, {first.k} needed (k of {first.n})"
        )


def _rebuild(shares: Sequence[KeyShare]) -> SealingKey:
    seed = Shamir.combine([(s.index, s.value) for s in shares], ssss=False)
    return derive_sealing_key(seed, shares[0].context)


def combine_shares(
    shares: Iterable[KeyShare], *, commitments: Mapping[int, str] | None = None
) -> SealingKey:
    """Rebuild the sealing key from at least *k* shares of one dealing.

    With ``commitments`` every share is checked against its commitment first. The rebuilt
    recipient must equal the one the shares name. Given more than *k* shares, every share must
    agree with a rebuilding subset, and one that does not is named (``ShareError.index``);
    with exactly *k* a wrong share can be detected but not named without commitments.
    """
    shares = sorted(shares, key=lambda s: s.index)
    _check_consistent(shares)
    if commitments is not None:
        verify_commitments(shares, commitments)
    k, recipient = shares[0].k, shares[0].recipient
    first = _rebuild(shares[:k])
    found = (first, shares[:k]) if first.recipient == recipient else None
    if found is None and len(shares) > k:
        found = _first_good_subset(shares, k, recipient)
    if found is None:
        raise ShareError(
            "share.wrong_recipient",
            f"these shares do not rebuild {recipient} (a share is wrong or from another dealing)",
        )
    key, good = found
    for suspect in shares:
        # each share outside the good subset must also rebuild the key with k - 1 good ones
        if suspect not in good and _rebuild([*good[: k - 1], suspect]).recipient != recipient:
            raise ShareError(
                "share.wrong_recipient",
                f"share {suspect.index} does not rebuild the key the other shares do",
                index=suspect.index,
            )
    return key


def _first_good_subset(
    shares: Sequence[KeyShare], k: int, recipient: str
) -> tuple[SealingKey, list[KeyShare]] | None:
    for subset in itertools.combinations(shares, k):
        key = _rebuild(subset)
        if key.recipient == recipient:
            return key, list(subset)
    return None


def failing_subsets(shares: Iterable[KeyShare]) -> list[tuple[int, ...]]:
    """Every k-subset (by share indices) that does not rebuild the shares' recipient. The dealer
    checks this is empty before the tender is published (SPEC "Sealed bids and opening")."""
    shares = sorted(shares, key=lambda s: s.index)
    _check_consistent(shares)
    k, recipient = shares[0].k, shares[0].recipient
    return [
        tuple(s.index for s in subset)
        for subset in itertools.combinations(shares, k)
        if _rebuild(subset).recipient != recipient
    ]
