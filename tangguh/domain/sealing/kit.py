"""Members' key kits: a personal age X25519 identity sealed with a generated passphrase.

A key kit is an age v1 file with exactly one ``scrypt`` stanza at work factor **2^18**
(``KIT_WORK_FACTOR``), whose plaintext is an age identity file in the shape ``age-keygen``
writes::

    # Tangguh key kit (kunci pribadi anggota Pokja)
    # created: 2024-06-24T10:00:00+09:00
    # public key: age1…
    AGE-SECRET-KEY-1…

so ``age -d kit.age > member.txt`` gives a file that ``age -d -i member.txt`` uses directly.

Why a pure encryptor here: browsers and phones must open a kit (typage refuses work factors
above 2^20, and 2^18 is what a phone does in a few seconds), while rage/pyrage and the age CLI
pick their own factor by timing the machine (2^19 or more on a fast one) and offer no way to set
it. age-encryption.org/v1, "The scrypt recipient type" and "Payload", spells out everything:

    wrap key   = scrypt(N = 2^18, r = 8, p = 1, dkLen = 32,
                        S = "age-encryption.org/v1/scrypt" || salt(16), P = passphrase)
    stanza     = "-> scrypt " base64(salt) " 18", then the body
                 base64(ChaCha20-Poly1305(key = wrap key, nonce = 0^12, file key))
    MAC        = HMAC-SHA-256(HKDF-SHA-256(file key, salt = "", info = "header"),
                              header up to and including "---")
    payload    = nonce(16) || STREAM chunks of 64 KiB, ChaCha20-Poly1305 under
                 HKDF-SHA-256(file key, salt = nonce, info = "payload"), chunk nonce =
                 11-byte big-endian counter || 0x01 on the last chunk, 0x00 before

Decryption is left to age implementations (pyrage, the age CLI, typage): a kit that only this
module could open would be worthless. ``armor``/``dearmor`` give the ASCII armor (RFC 7468
strict PEM, label ``AGE ENCRYPTED FILE``) used to hand a sealed key share over JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from tangguh.domain.sealing.keys import (
    KeyFormatError,
    encode_identity,
    parse_identity,
    recipient_from_identity,
)

KIT_WORK_FACTOR = 18  # SPEC.md: 2^18, which browsers and phones can open
MAX_WORK_FACTOR = 20  # typage's limit: a kit above it would not open in a browser
SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
VERSION_LINE = b"age-encryption.org/v1\n"
FILE_KEY_BYTES = 16
SALT_BYTES = 16
NONCE_BYTES = 16
CHUNK_PLAINTEXT = 64 * 1024
KIT_TITLE = "# Tangguh key kit (kunci pribadi anggota Pokja)"
ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = "-----END AGE ENCRYPTED FILE-----"
_ARMOR_COLUMNS = 64
_ZERO_NONCE = bytes(12)


@dataclass(frozen=True)
class KeyKit:
    """A fresh personal key: the identity (never shown by ``repr``), its recipient, and the
    sealed kit file's bytes."""

    recipient: str
    sealed: bytes = field(repr=False)
    identity: str = field(repr=False)


def new_identity() -> str:
    """A fresh age X25519 identity (32 CSPRNG bytes, as age-keygen and typage's
    ``generateX25519Identity`` make it)."""
    return encode_identity(secrets.token_bytes(32))


def kit_plaintext(identity: str, *, created: str | None = None) -> bytes:
    """The identity file a kit seals: a title, the creation time if given, the public key, the
    identity (the shape of ``age-keygen`` output, which the age CLI reads as an identity file)."""
    recipient = recipient_from_identity(identity)
    lines = [KIT_TITLE]
    if created:
        lines.append(f"# created: {created}")
    lines += [f"# public key: {recipient}", identity.strip()]
    return ("\n".join(lines) + "\n").encode("ascii")


def identity_from_plaintext(data: bytes | str) -> str:
    """The one ``AGE-SECRET-KEY-1…`` line of an opened kit (comments and blank lines skipped);
    ``KeyFormatError`` (``kit.no_identity``) if there is not exactly one."""
    text = data.decode("ascii", errors="replace") if isinstance(data, bytes) else data
    found = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    if len(found) != 1:
        raise KeyFormatError("kit.no_identity", "a key kit holds exactly one age identity")
    parse_identity(found[0])
    return found[0]


def seal_key_kit(
    identity: str,
    passphrase: str,
    *,
    created: str | None = None,
    work_factor: int = KIT_WORK_FACTOR,
) -> bytes:
    """The kit file for ``identity``, sealed with ``passphrase`` at ``work_factor``."""
    return scrypt_encrypt(
        kit_plaintext(identity, created=created), passphrase, work_factor=work_factor
    )


def new_key_kit(passphrase: str, *, created: str | None = None) -> KeyKit:
    """A fresh identity and its kit sealed with ``passphrase`` at work factor 2^18."""
    identity = new_identity()
    return KeyKit(
        recipient=recipient_from_identity(identity),
        sealed=seal_key_kit(identity, passphrase, created=created),
        identity=identity,
    )


# --- age scrypt encryption ---------------------------------------------------------------


def _b64(data: bytes) -> str:
    """Canonical unpadded standard base64, as age writes it."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=salt or None, info=info).derive(ikm)


def scrypt_wrap_key(passphrase: str, salt: bytes, work_factor: int) -> bytes:
    """The 32-byte key that wraps the file key in a scrypt stanza."""
    if type(work_factor) is not int or not 1 <= work_factor <= MAX_WORK_FACTOR:
        raise ValueError(f"work factor must be 1..{MAX_WORK_FACTOR}, not {work_factor!r}")
    if len(salt) != SALT_BYTES:
        raise ValueError("an scrypt stanza salt is 16 bytes")
    kdf = Scrypt(salt=SCRYPT_LABEL + salt, length=32, n=2**work_factor, r=8, p=1)
    return kdf.derive(passphrase.encode("utf-8"))


def scrypt_header(file_key: bytes, passphrase: str, *, salt: bytes, work_factor: int) -> bytes:
    """The whole age header (version line, the one scrypt stanza, the MAC line) wrapping
    ``file_key``; deterministic given the salt, so it can be checked against age's testkit."""
    if len(file_key) != FILE_KEY_BYTES:
        raise ValueError("an age file key is 16 bytes")
    wrapped = ChaCha20Poly1305(scrypt_wrap_key(passphrase, salt, work_factor)).encrypt(
        _ZERO_NONCE, file_key, None
    )
    body = _b64(wrapped)  # 43 characters: one final line shorter than 64 columns
    header = VERSION_LINE + f"-> scrypt {_b64(salt)} {work_factor}\n{body}\n---".encode("ascii")
    mac = hmac.new(_hkdf(file_key, b"", b"header"), header, hashlib.sha256).digest()
    return header + b" " + _b64(mac).encode("ascii") + b"\n"


def stream_encrypt(plaintext: bytes, file_key: bytes, nonce: bytes) -> bytes:
    """The age payload: ``nonce`` and the STREAM chunks of ``plaintext`` under ``file_key``."""
    if len(nonce) != NONCE_BYTES:
        raise ValueError("an age payload nonce is 16 bytes")
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    chunks = [plaintext[i : i + CHUNK_PLAINTEXT] for i in range(0, len(plaintext), CHUNK_PLAINTEXT)]
    chunks = chunks or [b""]  # an empty file is one empty final chunk
    out = [nonce]
    for counter, chunk in enumerate(chunks):
        last = counter == len(chunks) - 1
        chunk_nonce = counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        out.append(aead.encrypt(chunk_nonce, chunk, None))
    return b"".join(out)


def scrypt_encrypt(
    plaintext: bytes,
    passphrase: str,
    *,
    work_factor: int = KIT_WORK_FACTOR,
    file_key: bytes | None = None,
    salt: bytes | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """An age v1 file of ``plaintext`` sealed with ``passphrase`` (one scrypt stanza at
    ``work_factor``). ``file_key``, ``salt`` and ``nonce`` are drawn from the CSPRNG unless
    given (only tests reproducing age's testkit give them; age forbids reusing them)."""
    if not passphrase:
        raise ValueError("an empty passphrase seals nothing")
    file_key = file_key if file_key is not None else secrets.token_bytes(FILE_KEY_BYTES)
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    nonce = nonce if nonce is not None else secrets.token_bytes(NONCE_BYTES)
    header = scrypt_header(file_key, passphrase, salt=salt, work_factor=work_factor)
    return header + stream_encrypt(plaintext, file_key, nonce)


def scrypt_work_factor(data: bytes) -> int | None:
    """The work factor named by the scrypt stanza of an age file's header, or None when the
    file does not start with a single scrypt stanza."""
    if not data.startswith(VERSION_LINE):
        return None
    line = data[len(VERSION_LINE) :].split(b"\n", 1)[0].decode("ascii", errors="replace")
    parts = line.split(" ")
    if len(parts) != 4 or parts[:2] != ["->", "scrypt"] or not parts[3].isdigit():
        return None
    return int(parts[3])


# --- ASCII armor ---------------------------------------------------------------------------


def armor(data: bytes) -> str:
    """``data`` (an age file) in age's ASCII armor: strict PEM, padded base64 in 64 columns."""
    text = base64.b64encode(data).decode("ascii")
    lines = [text[i : i + _ARMOR_COLUMNS] for i in range(0, len(text), _ARMOR_COLUMNS)]
    return "\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + "\n"


def dearmor(text: str) -> bytes:
    """The binary age file inside armored ``text``; ``ValueError`` for anything that is not
    strict PEM (whitespace around the block and CRLF line ends are tolerated)."""
    lines = text.strip().replace("\r\n", "\n").split("\n")
    if len(lines) < 3 or lines[0] != ARMOR_BEGIN or lines[-1] != ARMOR_END:
        raise ValueError("not an ASCII-armored age file")
    body = lines[1:-1]
    if any(len(line) != _ARMOR_COLUMNS for line in body[:-1]) or len(body[-1]) > _ARMOR_COLUMNS:
        raise ValueError("armored lines must be 64 columns, the last one at most")
    joined = "".join(body)
    try:
        data = base64.b64decode(joined, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"armored body is not base64 ({exc})") from exc
    if base64.b64encode(data).decode("ascii") != joined:
        raise ValueError("armored body is not canonical base64")
    return data
