"""A structural check of a sealed envelope: is it an age v1 file sealed to one X25519 recipient?

This checks the shape, not the cryptography (that needs the identity, at opening): the header
(age-encryption.org/v1, "Header") is

    age-encryption.org/v1
    -> X25519 <ephemeral share, base64 of 32 bytes>
    <wrapped file key, base64 of 32 bytes>
    -> <other stanza type> …          (unknown types, e.g. rage's "grease", are allowed)
    --- <header MAC, base64 of 32 bytes>

then the binary payload: a 16-byte nonce and STREAM chunks of 64 KiB plaintext plus a 16-byte
tag each, the last one shorter (or full); only an empty file has an empty (tag-only) chunk.
A sealed bid must carry exactly one X25519 stanza and no ``scrypt`` stanza (a passphrase-sealed
bid could be opened by anyone who learns or guesses the passphrase, before the deadline).

``AgeFileChecker`` is fed the bytes as they stream in (an upload hashes and checks in one pass,
never holding the file); ``check_age_stream`` reads a file-like object to its end.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO

VERSION_LINE = b"age-encryption.org/v1\n"
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
MAX_HEADER_BYTES = 16 * 1024
NONCE_BYTES = 16
TAG_BYTES = 16
CHUNK_PLAINTEXT = 64 * 1024
CHUNK_BYTES = CHUNK_PLAINTEXT + TAG_BYTES
MIN_PAYLOAD_BYTES = NONCE_BYTES + TAG_BYTES
_BODY_COLUMNS = 64


class AgeFileReason(StrEnum):
    """Why a file is not an acceptable sealed envelope; the values are stable error codes."""

    NOT_AGE = "not_age"  # does not start with the age v1 version line
    ARMORED = "armored"  # ASCII-armored (age -a); envelopes are uploaded binary
    BAD_HEADER = "bad_header"  # a malformed stanza or MAC line, or an over-long header
    SCRYPT_STANZA = "scrypt_stanza"  # sealed with a passphrase (age -p)
    STANZA_COUNT = "stanza_count"  # not exactly one X25519 stanza
    TRUNCATED = "truncated"  # ends inside the header or before nonce + one chunk
    PAYLOAD_LENGTH = "payload_length"  # a length no age payload can have (cut or padded)


@dataclass(frozen=True)
class AgeFileCheck:
    """The outcome: ``ok`` or a ``reason`` with a human ``detail``; sizes and stanza types as
    far as they were read."""

    reason: AgeFileReason | None
    detail: str
    header_bytes: int
    payload_bytes: int
    stanza_types: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.reason is None


class AgeFileChecker:
    """Incremental check: ``feed`` each block as it arrives, then ``result``.

    Memory stays bounded by ``MAX_HEADER_BYTES``: payload bytes are only counted. ``failed``
    turns true as soon as the header is known to be bad, so a caller may stop early.
    """

    def __init__(self) -> None:
        self._header = bytearray()
        self._header_done = False
        self._payload = 0
        self._failure: tuple[AgeFileReason, str] | None = None
        self._stanzas: tuple[str, ...] = ()
        self._header_length = 0

    @property
    def failed(self) -> bool:
        return self._failure is not None

    def feed(self, block: bytes) -> None:
        """Take the next bytes of the file."""
        if self._failure is not None or not block:
            return
        if self._header_done:
            self._payload += len(block)
            return
        self._header += block
        self._scan_header()

    def _scan_header(self) -> None:
        head = bytes(self._header[: len(VERSION_LINE)])
        if ARMOR_BEGIN.startswith(head):
            if len(head) == len(VERSION_LINE):
                self._failure = (AgeFileReason.ARMORED, "ASCII-armored age file; send it binary")
            return
        if not VERSION_LINE.startswith(head):
            self._failure = (AgeFileReason.NOT_AGE, "does not start with age-encryption.org/v1")
            return
        end = self._mac_line_end()
        if end is None:
            if len(self._header) > MAX_HEADER_BYTES:
                self._failure = (AgeFileReason.BAD_HEADER, "header longer than 16 KiB")
            return
        self._header_done = True
        self._header_length = end
        self._payload = len(self._header) - end
        header = bytes(self._header[:end])
        self._header = bytearray()
        self._failure = self._check_header(header)

    def _mac_line_end(self) -> int | None:
        position = self._header.find(b"\n--- ")
        if position < 0:
            return None
        newline = self._header.find(b"\n", position + 1)
        return None if newline < 0 else newline + 1

    def _check_header(self, header: bytes) -> tuple[AgeFileReason, str] | None:
        try:
            text = header.decode("ascii")
        except UnicodeDecodeError:
            return AgeFileReason.BAD_HEADER, "header is not ASCII"
        lines = text.split("\n")[1:-1]  # drop the version line and the empty tail
        stanzas: list[list[str]] = []
        x25519_ok = True
        i = 0
        while i < len(lines) - 1:
            line = lines[i]
            if not line.startswith("-> "):
                return AgeFileReason.BAD_HEADER, f"header line {i + 2} is not a stanza"
            args = line[3:].split(" ")
            if any(not arg or not all(33 <= ord(c) <= 126 for c in arg) for arg in args):
                return AgeFileReason.BAD_HEADER, f"stanza on line {i + 2} has a bad argument"
            body = []
            i += 1
            while True:
                if i >= len(lines) - 1:
                    return AgeFileReason.BAD_HEADER, "stanza body does not end before the MAC"
                body.append(lines[i])
                i += 1
                if len(body[-1]) > _BODY_COLUMNS:
                    return AgeFileReason.BAD_HEADER, "stanza body line longer than 64 columns"
                if len(body[-1]) < _BODY_COLUMNS:
                    break
            body_bytes = _b64("".join(body))
            if body_bytes is None:
                return AgeFileReason.BAD_HEADER, f"stanza {args[0]} body is not base64"
            stanzas.append(args)
            if args[0] == "X25519":
                share = _b64(args[1]) if len(args) == 2 else None
                x25519_ok &= share is not None and len(share) == 32 and len(body_bytes) == 32
        mac_line = lines[-1] if lines else ""
        self._stanzas = tuple(args[0] for args in stanzas)
        mac = _b64(mac_line[4:]) if mac_line.startswith("--- ") else None
        if mac is None or len(mac) != 32:
            return AgeFileReason.BAD_HEADER, "header MAC line is malformed"
        if "scrypt" in self._stanzas:
            return AgeFileReason.SCRYPT_STANZA, "sealed with a passphrase (scrypt stanza)"
        count = self._stanzas.count("X25519")
        if count != 1:
            return AgeFileReason.STANZA_COUNT, f"{count} X25519 stanzas; exactly one is allowed"
        if not x25519_ok:
            return AgeFileReason.BAD_HEADER, "the X25519 stanza is malformed"
        return None

    def result(self) -> AgeFileCheck:
        """The verdict on everything fed so far, taken as the whole file."""
        failure = self._failure
        if failure is None and not self._header_done:
            if not self._header.startswith(VERSION_LINE):
                failure = (AgeFileReason.NOT_AGE, "not an age v1 file (too short)")
            else:
                failure = (AgeFileReason.TRUNCATED, "file ends inside the age header")
        if failure is None:
            failure = _payload_problem(self._payload)
        reason, detail = failure if failure else (None, "ok")
        return AgeFileCheck(
            reason=reason,
            detail=detail,
            header_bytes=self._header_length,
            payload_bytes=self._payload,
            stanza_types=self._stanzas,
        )


def _b64(text: str) -> bytes | None:
    """Canonical unpadded standard base64 (as age writes it), or None."""
    if "=" in text:
        return None
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(data).decode("ascii").rstrip("=") != text:
        return None
    return data


def _payload_problem(payload: int) -> tuple[AgeFileReason, str] | None:
    if payload < MIN_PAYLOAD_BYTES:
        return AgeFileReason.TRUNCATED, f"payload is {payload} bytes, less than nonce + one chunk"
    full_chunks, last = divmod(payload - NONCE_BYTES, CHUNK_BYTES)
    if 0 < last < TAG_BYTES or (last == TAG_BYTES and full_chunks > 0):
        return AgeFileReason.PAYLOAD_LENGTH, "payload length fits no age STREAM (cut or padded)"
    return None


def check_age_blocks(blocks: Iterable[bytes]) -> AgeFileCheck:
    """Check a file given as an iterable of byte blocks."""
    checker = AgeFileChecker()
    for block in blocks:
        checker.feed(block)
        if checker.failed:
            break
    return checker.result()


def check_age_stream(stream: BinaryIO, *, block_size: int = 1024 * 1024) -> AgeFileCheck:
    """Check a binary file-like object, read from its current position to its end in blocks."""
    return check_age_blocks(iter(lambda: stream.read(block_size), b""))
