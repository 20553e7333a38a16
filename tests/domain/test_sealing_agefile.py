"""The structural check of a sealed envelope (age v1, one X25519 stanza, no scrypt)."""

from __future__ import annotations

import base64
import io

import pyrage
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tangguh.domain.sealing.agefile import (
    CHUNK_BYTES,
    AgeFileChecker,
    AgeFileReason,
    check_age_blocks,
    check_age_stream,
)

IDENTITY = pyrage.x25519.Identity.generate()
OTHER = pyrage.x25519.Identity.generate()
VERSION = b"age-encryption.org/v1\n"


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


MAC_LINE = b"--- " + _b64(bytes(32)) + b"\n"
X25519_STANZA = b"-> X25519 " + _b64(bytes(range(32))) + b"\n" + _b64(bytes(32)) + b"\n"


def _sealed(size: int, recipients=None) -> bytes:
    return pyrage.encrypt(b"p" * size, recipients or [IDENTITY.to_public()])


def _header(*stanzas: bytes, mac: bytes = MAC_LINE) -> bytes:
    return VERSION + b"".join(stanzas) + mac


def _check(data: bytes):
    return check_age_stream(io.BytesIO(data))


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 200_000])
def test_files_pyrage_seals_to_one_recipient_pass(size):
    data = _sealed(size)
    result = _check(data)
    assert result.ok, result.detail
    assert result.stanza_types.count("X25519") == 1
    assert result.header_bytes + result.payload_bytes == len(data)


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(0, 400), max_size=12))
def test_feeding_in_any_blocks_gives_the_same_verdict(cuts):
    data = _sealed(300)
    points = sorted({min(c, len(data)) for c in cuts})
    blocks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert check_age_blocks(blocks) == _check(data)


def test_two_x25519_stanzas_are_refused():
    data = _sealed(10, [IDENTITY.to_public(), OTHER.to_public()])
    assert _check(data).reason is AgeFileReason.STANZA_COUNT


def test_no_x25519_stanza_is_refused():
    data = _header(b"-> some-grease a b\n\n") + bytes(32)
    assert _check(data).reason is AgeFileReason.STANZA_COUNT


def test_unknown_stanzas_beside_one_x25519_are_allowed():
    data = _header(X25519_STANZA, b"-> x-grease Zm9v\n" + _b64(bytes(48)) + b"\n\n") + bytes(32)
    result = _check(data)
    assert result.ok, result.detail
    assert result.stanza_types == ("X25519", "x-grease")


def test_a_scrypt_stanza_is_refused():
    scrypt = b"-> scrypt " + _b64(bytes(16)) + b" 18\n" + _b64(bytes(32)) + b"\n"
    assert _check(_header(scrypt) + bytes(32)).reason is AgeFileReason.SCRYPT_STANZA


def test_an_armored_file_is_refused_as_armored():
    data = pyrage.encrypt(b"bid", [IDENTITY.to_public()], armored=True)
    assert _check(data).reason is AgeFileReason.ARMORED


@pytest.mark.parametrize(
    "data",
    [b"", b"age", b"PK\x03\x04zip file", b"age-encryption.org/v2\n-> X25519 a\n", b"\x00" * 64],
)
def test_what_is_not_an_age_file_is_refused_as_not_age(data):
    assert _check(data).reason is AgeFileReason.NOT_AGE


@settings(max_examples=50)
@given(data=st.binary(max_size=2048))
def test_random_bytes_are_never_accepted(data):
    assert not _check(data).ok


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (0, AgeFileReason.TRUNCATED),
        (16, AgeFileReason.TRUNCATED),  # the nonce, no chunk
        (31, AgeFileReason.TRUNCATED),
        (32, None),  # an empty plaintext: nonce + tag
        (16 + CHUNK_BYTES, None),  # exactly one full chunk
        (16 + CHUNK_BYTES + 5, AgeFileReason.PAYLOAD_LENGTH),  # a cut tag
        (16 + CHUNK_BYTES + 16, AgeFileReason.PAYLOAD_LENGTH),  # an empty chunk after a full one
        (16 + CHUNK_BYTES + 17, None),
    ],
)
def test_payload_length_must_be_a_possible_age_stream(payload, reason):
    assert _check(_header(X25519_STANZA) + bytes(payload)).reason is reason


def test_a_file_cut_inside_the_header_is_truncated():
    data = _sealed(10)
    for end in (len(VERSION), len(VERSION) + 20, data.index(b"\n---") + 5):
        assert _check(data[:end]).reason is AgeFileReason.TRUNCATED


def test_a_sealed_file_cut_in_its_payload_is_refused_when_the_length_shows_it():
    data = _sealed(100_000)
    header = _check(data).header_bytes
    assert _check(data[: header + 20]).reason is AgeFileReason.TRUNCATED
    assert _check(data[: header + 16 + CHUNK_BYTES + 3]).reason is AgeFileReason.PAYLOAD_LENGTH


@pytest.mark.parametrize(
    "header",
    [
        _header(X25519_STANZA, mac=b"--- tooshort\n"),
        _header(b"-> X25519 notbase64!\n" + _b64(bytes(32)) + b"\n"),
        _header(b"-> X25519 " + _b64(bytes(32)) + b"\n" + _b64(bytes(31)) + b"\n"),
        _header(b"-> X25519 " + _b64(bytes(32)) + b" extra\n" + _b64(bytes(32)) + b"\n"),
        _header(b"->  X25519\n\n"),
        _header(b"garbage line\n"),
        _header(b"-> X25519 " + _b64(bytes(32)) + b"\n" + b"A" * 65 + b"\n"),
    ],
)
def test_a_malformed_header_is_refused(header):
    assert _check(header + bytes(32)).reason is AgeFileReason.BAD_HEADER


def test_an_endless_header_is_refused_early_without_holding_the_file():
    checker = AgeFileChecker()
    checker.feed(VERSION)
    stanza_line = b"-> x " + b"a" * 100 + b"\n"
    while not checker.failed:
        checker.feed(stanza_line)
    assert checker.result().reason is AgeFileReason.BAD_HEADER


def test_the_checker_stops_reading_at_the_first_sign_of_a_bad_file():
    reads = []

    class Stream:
        def read(self, size):
            reads.append(size)
            return b"not an age file" if len(reads) < 100 else b""

    assert check_age_stream(Stream()).reason is AgeFileReason.NOT_AGE
    assert len(reads) == 1
