"""Sealing keys: seed → HKDF-SHA256 → X25519, spelled as age spells it (pure, no Django)."""

from __future__ import annotations

import ast
from pathlib import Path

import pyrage
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tangguh.domain.sealing
from tangguh.domain.sealing.fingerprint import (
    fingerprint_matches,
    normalize_fingerprint,
    recipient_fingerprint,
)
from tangguh.domain.sealing.keys import (
    KeyContext,
    KeyFormatError,
    bech32_decode,
    bech32_encode,
    derive_sealing_key,
    hkdf_info,
    parse_identity,
    parse_recipient,
    recipient_from_identity,
)

OFFER = KeyContext(tender="202400017", lot=1, envelope="offer")
SEED = bytes(range(16))

seeds = st.binary(min_size=16, max_size=16)
contexts = st.builds(
    KeyContext,
    tender=st.from_regex(r"[0-9A-Za-z][0-9A-Za-z._-]{0,20}", fullmatch=True),
    lot=st.integers(1, 9999),
    envelope=st.sampled_from(["offer", "technical", "price"]),
)


def test_hkdf_info_is_versioned_and_canonical():
    assert hkdf_info(OFFER) == (
        b'tangguh.sealing/v1 age-x25519 {"envelope":"offer","lot":1,"tender":"202400017"}'
    )


def test_derivation_matches_the_pinned_vector():
    # Changing the derivation would make every dealt share rebuild a different key.
    key = derive_sealing_key(SEED, OFFER)
    assert key.recipient == "age1u9zrn2zrzk7j5mdj9n54wenag7zq87awrt0vgm8aaxyl48af8vrq0vmmka"
    assert key.identity == (
        "AGE-SECRET-KEY-1SRLLP9CF9UCTQ4ZSY84QHSWXV79LQ86KDSHTEUMH76G9AST3KECSMATETZ"
    )


def test_identity_is_never_in_the_repr():
    key = derive_sealing_key(SEED, OFFER)
    assert key.identity not in repr(key)


@settings(max_examples=40, deadline=None)
@given(seed=seeds, context=contexts)
def test_derived_identity_is_one_pyrage_accepts_and_its_recipient_agrees(seed, context):
    key = derive_sealing_key(seed, context)
    identity = pyrage.x25519.Identity.from_str(key.identity)
    assert str(identity.to_public()) == key.recipient
    assert recipient_from_identity(key.identity) == key.recipient


def test_each_context_gets_its_own_key_from_the_same_seed():
    others = [
        KeyContext(tender="202400018", lot=1, envelope="offer"),
        KeyContext(tender="202400017", lot=2, envelope="offer"),
        KeyContext(tender="202400017", lot=1, envelope="technical"),
        KeyContext(tender="202400017", lot=1, envelope="price"),
    ]
    recipients = {derive_sealing_key(SEED, c).recipient for c in [OFFER, *others]}
    assert len(recipients) == 5


def test_recipients_of_generated_age_identities_are_computed_like_age_does():
    for _ in range(5):
        identity = pyrage.x25519.Identity.generate()
        assert recipient_from_identity(str(identity)) == str(identity.to_public())


@pytest.mark.parametrize(
    ("tender", "lot", "envelope", "code"),
    [
        ("", 1, "offer", "key.bad_tender"),
        ("2024 00017", 1, "offer", "key.bad_tender"),
        ("202400017", 0, "offer", "key.bad_lot"),
        ("202400017", True, "offer", "key.bad_lot"),
        ("202400017", 1, "harga", "key.bad_envelope"),
    ],
)
def test_a_bad_context_is_refused_with_a_code(tender, lot, envelope, code):
    with pytest.raises(KeyFormatError) as caught:
        KeyContext(tender=tender, lot=lot, envelope=envelope)
    assert caught.value.code == code


@pytest.mark.parametrize("seed", [b"", bytes(15), bytes(17), bytes(32)])
def test_a_seed_is_exactly_16_bytes(seed):
    with pytest.raises(KeyFormatError) as caught:
        derive_sealing_key(seed, OFFER)
    assert caught.value.code == "key.bad_seed"


def test_bech32_accepts_the_bip173_vectors_and_refuses_a_bad_checksum():
    assert bech32_decode("A12UEL5L") == ("a", b"")
    assert bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")[0] == "abcdef"
    with pytest.raises(ValueError):
        bech32_decode("a12uel5m")
    with pytest.raises(ValueError):
        bech32_decode("A12uEL5L")


@given(data=st.binary(max_size=64))
def test_bech32_round_trips(data):
    assert bech32_decode(bech32_encode("age", data)) == ("age", data)


def test_parse_recipient_and_identity_refuse_each_others_strings_and_typos():
    key = derive_sealing_key(SEED, OFFER)
    assert len(parse_recipient(key.recipient)) == 32
    assert len(parse_identity(key.identity)) == 32
    typo = key.recipient[:-1] + ("q" if key.recipient[-1] != "q" else "p")
    for bad in [key.identity, typo, "age1", "ssh-ed25519 AAAA"]:
        with pytest.raises(KeyFormatError):
            parse_recipient(bad)
    for bad in [key.recipient, key.identity.lower()[:-1] + "x", ""]:
        with pytest.raises(KeyFormatError):
            parse_identity(bad)


def test_fingerprint_is_six_groups_of_four_hex_and_matches_as_typed():
    recipient = derive_sealing_key(SEED, OFFER).recipient
    fingerprint = recipient_fingerprint(recipient)
    groups = fingerprint.split(" ")
    assert len(groups) == 6
    assert all(len(g) == 4 and set(g) <= set("0123456789abcdef") for g in groups)
    assert fingerprint_matches(recipient, fingerprint.upper().replace(" ", "-"))
    assert normalize_fingerprint(fingerprint) == recipient_fingerprint(recipient, separator="")
    other = derive_sealing_key(bytes(16), OFFER).recipient
    assert not fingerprint_matches(other, fingerprint)


def test_fingerprint_refuses_what_is_not_a_recipient():
    with pytest.raises(KeyFormatError):
        recipient_fingerprint("age1notarecipient")


def test_the_sealing_package_imports_no_django_or_io_library():
    forbidden = {"django", "ninja", "psycopg", "requests", "httpx", "socket", "sqlite3", "os"}
    package = Path(tangguh.domain.sealing.__file__).resolve().parent
    offenders = {}
    for path in sorted(package.glob("*.py")):
        roots = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots.add(node.module.split(".")[0])
        if roots & forbidden:
            offenders[path.name] = sorted(roots & forbidden)
    assert offenders == {}
