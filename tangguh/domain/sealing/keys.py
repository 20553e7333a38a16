"""Sealing keys: one age X25519 identity per (tender, lot, envelope), derived from a 16-byte seed.

The seed (not the key) is what Shamir splits: pycryptodome's Shamir works on 16-byte secrets, and
a 16-byte seed carries 128 bits, X25519's own security level. The 32-byte X25519 secret is

    HKDF-SHA256(ikm=seed, salt=empty, info=hkdf_info(context), length=32)

and ``hkdf_info`` is the versioned string ``tangguh.sealing/v1 age-x25519 `` followed by the
RFC 8785 canonical JSON of ``{"envelope", "lot", "tender"}``. Binding the context into the
derivation means a seed rebuilt for one envelope can never pass as another's key.

age spells an X25519 secret as the raw 32-byte scalar in Bech32 (BIP 173) with the HRP
``age-secret-key-``, upper-cased, and a recipient as the 32-byte public key with HRP ``age``
(age-encryption.org/v1, "The X25519 recipient type"). Bech32 is small and no installed package
provides it, so it lives here.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

import rfc8785
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEED_BYTES = 16
KEY_DERIVATION_VERSION = 1
HKDF_INFO_PREFIX = b"tangguh.sealing/v1 age-x25519 "
ENVELOPES = ("offer", "technical", "price")
IDENTITY_HRP = "age-secret-key-"
RECIPIENT_HRP = "age"

_TENDER_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


class KeyFormatError(ValueError):
    """A malformed seed, context, identity or recipient. ``code`` is stable for callers."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class KeyContext:
    """What one sealing key is for: a tender's public code, a lot number (1 without lots) and
    an envelope (``offer`` for a one-file tender; ``technical`` and ``price`` for two files)."""

    tender: str
    lot: int
    envelope: str

    def __post_init__(self) -> None:
        if not isinstance(self.tender, str) or not _TENDER_CODE.fullmatch(self.tender):
            raise KeyFormatError("key.bad_tender", f"not a tender code: {self.tender!r}")
        if type(self.lot) is not int or not 1 <= self.lot <= 9999:
            raise KeyFormatError("key.bad_lot", f"lot must be an integer 1..9999: {self.lot!r}")
        if self.envelope not in ENVELOPES:
            raise KeyFormatError(
                "key.bad_envelope", f"envelope must be one of {ENVELOPES}: {self.envelope!r}"
            )

    def as_dict(self) -> dict:
        return {"tender": self.tender, "lot": self.lot, "envelope": self.envelope}

    def label(self) -> str:
        """``tender 202400017 lot 1 envelope offer``, for comments and messages."""
        return f"tender {self.tender} lot {self.lot} envelope {self.envelope}"


@dataclass(frozen=True)
class SealingKey:
    """The age identity and recipient of one context. ``repr`` never shows the identity."""

    context: KeyContext
    recipient: str
    identity: str = field(repr=False)


def new_seed() -> bytes:
    """A fresh random 16-byte seed from the operating system's CSPRNG."""
    return secrets.token_bytes(SEED_BYTES)


def hkdf_info(context: KeyContext) -> bytes:
    """The HKDF ``info`` for ``context`` (version 1), e.g.
    ``tangguh.sealing/v1 age-x25519 {"envelope":"offer","lot":1,"tender":"202400017"}``."""
    return HKDF_INFO_PREFIX + rfc8785.dumps(context.as_dict())


def derive_secret_scalar(seed: bytes, context: KeyContext) -> bytes:
    """The 32-byte X25519 secret of ``context`` derived from ``seed`` (see module docstring)."""
    if not isinstance(seed, bytes | bytearray) or len(seed) != SEED_BYTES:
        raise KeyFormatError("key.bad_seed", f"a seed is exactly {SEED_BYTES} bytes")
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=None, info=hkdf_info(context))
    return hkdf.derive(bytes(seed))


def derive_sealing_key(seed: bytes, context: KeyContext) -> SealingKey:
    """The age identity and recipient that ``seed`` gives for ``context``."""
    scalar = derive_secret_scalar(seed, context)
    return SealingKey(
        context=context,
        recipient=encode_recipient(_public_key(scalar)),
        identity=encode_identity(scalar),
    )


def recipient_from_identity(identity: str) -> str:
    """The ``age1…`` recipient of an ``AGE-SECRET-KEY-1…`` identity (what ``age-keygen -y``
    prints)."""
    return encode_recipient(_public_key(parse_identity(identity)))


def encode_identity(scalar: bytes) -> str:
    """``AGE-SECRET-KEY-1…`` for a 32-byte X25519 secret."""
    if len(scalar) != 32:
        raise KeyFormatError("key.bad_identity", "an X25519 secret is 32 bytes")
    return bech32_encode(IDENTITY_HRP, scalar).upper()


def encode_recipient(public_key: bytes) -> str:
    """``age1…`` for a 32-byte X25519 public key."""
    if len(public_key) != 32:
        raise KeyFormatError("key.bad_recipient", "an X25519 public key is 32 bytes")
    return bech32_encode(RECIPIENT_HRP, public_key)


def parse_identity(text: str) -> bytes:
    """The 32-byte secret of an ``AGE-SECRET-KEY-1…`` string; ``KeyFormatError`` otherwise.
    age writes identities upper case; Bech32 forbids mixed case."""
    text = text.strip() if isinstance(text, str) else ""
    if not text.startswith("AGE-SECRET-KEY-1"):
        raise KeyFormatError("key.bad_identity", "not an age X25519 identity (AGE-SECRET-KEY-1…)")
    hrp, data = _decode_or_raise(text, "key.bad_identity")
    if hrp != IDENTITY_HRP or len(data) != 32:
        raise KeyFormatError("key.bad_identity", "not an age X25519 identity (AGE-SECRET-KEY-1…)")
    return data


def parse_recipient(text: str) -> bytes:
    """The 32-byte public key of an ``age1…`` recipient; ``KeyFormatError`` otherwise."""
    text = text.strip() if isinstance(text, str) else ""
    if not text.startswith("age1"):
        raise KeyFormatError("key.bad_recipient", "not an age X25519 recipient (age1…)")
    hrp, data = _decode_or_raise(text, "key.bad_recipient")
    if hrp != RECIPIENT_HRP or len(data) != 32:
        raise KeyFormatError("key.bad_recipient", "not an age X25519 recipient (age1…)")
    return data


def _public_key(scalar: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(scalar).public_key().public_bytes_raw()


def _decode_or_raise(text: str, code: str) -> tuple[str, bytes]:
    try:
        return bech32_decode(text)
    except ValueError as exc:
        raise KeyFormatError(code, f"bad Bech32 ({exc})") from exc


# --- Bech32 (BIP 173), as age uses it: no 90-character limit -----------------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_GENERATOR):
            if (top >> i) & 1:
                checksum ^= generator
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    accumulator, bits, out = 0, 0, []
    mask = (1 << to_bits) - 1
    for value in data:
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((accumulator >> bits) & mask)
    if pad:
        if bits:
            out.append((accumulator << (to_bits - bits)) & mask)
    elif bits >= from_bits or (accumulator << (to_bits - bits)) & mask:
        raise ValueError("non-zero padding")
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    """Bech32 of ``data`` (8-bit bytes) under the lower-case ``hrp``."""
    words = _convert_bits(data, 8, 5, pad=True)
    polymod = _polymod([*_hrp_expand(hrp), *words, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[w] for w in words + checksum)


def bech32_decode(text: str) -> tuple[str, bytes]:
    """``(hrp, data)`` of a Bech32 string; ``ValueError`` on mixed case or a bad checksum."""
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed case")
    text = text.lower()
    separator = text.rfind("1")
    if separator < 1 or separator + 7 > len(text):
        raise ValueError("no separator or too short")
    hrp, rest = text[:separator], text[separator + 1 :]
    if any(not 33 <= ord(c) <= 126 for c in hrp) or any(c not in _CHARSET for c in rest):
        raise ValueError("character outside the Bech32 alphabet")
    words = [_CHARSET.index(c) for c in rest]
    if _polymod(_hrp_expand(hrp) + words) != 1:
        raise ValueError("bad checksum")
    return hrp, bytes(_convert_bits(words[:-6], 5, 8, pad=False))
