"""Shamir shares of a sealing seed: round trips, thresholds, commitments, a named bad share."""

from __future__ import annotations

import base64
import json

import pytest
import rfc8785
from Crypto.Protocol.SecretSharing import Shamir
from hypothesis import given, settings
from hypothesis import strategies as st

from tangguh.domain.sealing.keys import KeyContext, derive_sealing_key
from tangguh.domain.sealing.shares import (
    KeyShare,
    ShareError,
    combine_shares,
    commitments_document,
    default_threshold,
    failing_subsets,
    parse_commitments,
    parse_share,
    split_seed,
)

OFFER = KeyContext(tender="202400017", lot=1, envelope="offer")
SEED = bytes(range(16))
seeds = st.binary(min_size=16, max_size=16)


@st.composite
def k_and_n(draw):
    n = draw(st.integers(2, 9))
    return draw(st.integers(2, n)), n


def _tampered(share: KeyShare) -> KeyShare:
    value = bytes([share.value[0] ^ 1]) + share.value[1:]
    return KeyShare(share.context, share.recipient, share.index, share.k, share.n, value)


@pytest.mark.parametrize(("members", "k"), [(2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (9, 5)])
def test_default_threshold_is_a_majority_and_at_least_two(members, k):
    assert default_threshold(members) == k


@settings(max_examples=60, deadline=None)
@given(seed=seeds, kn=k_and_n(), data=st.data())
def test_any_k_of_n_shares_rebuild_the_key(seed, kn, data):
    k, n = kn
    dealing = split_seed(seed, OFFER, members=n, threshold=k)
    chosen = data.draw(
        st.lists(st.sampled_from(dealing.shares), min_size=k, max_size=n, unique=True)
    )
    key = combine_shares(chosen, commitments=dealing.commitments())
    assert key == derive_sealing_key(seed, OFFER)
    assert key.recipient == dealing.recipient


@settings(max_examples=60, deadline=None)
@given(seed=seeds, kn=k_and_n(), data=st.data())
def test_k_minus_one_shares_never_rebuild_the_recipient(seed, kn, data):
    k, n = kn
    dealing = split_seed(seed, OFFER, members=n, threshold=k)
    few = data.draw(
        st.lists(st.sampled_from(dealing.shares), min_size=k - 1, max_size=k - 1, unique=True)
    )
    # Interpolating too few points gives some other seed, hence another key.
    guessed_seed = Shamir.combine([(s.index, s.value) for s in few], ssss=False)
    assert derive_sealing_key(guessed_seed, OFFER).recipient != dealing.recipient
    with pytest.raises(ShareError) as caught:
        combine_shares(few)
    assert caught.value.code == "share.not_enough"


@settings(max_examples=15, deadline=None)
@given(seed=seeds, kn=k_and_n())
def test_every_k_subset_of_a_fresh_dealing_rebuilds_the_recipient(seed, kn):
    k, n = kn
    assert failing_subsets(split_seed(seed, OFFER, members=n, threshold=k).shares) == []


def test_failing_subsets_names_every_subset_with_a_bad_share():
    shares = list(split_seed(SEED, OFFER, members=4, threshold=3).shares)
    shares[1] = _tampered(shares[1])
    assert failing_subsets(shares) == [(1, 2, 3), (1, 2, 4), (2, 3, 4)]


@settings(max_examples=30, deadline=None)
@given(seed=seeds, kn=k_and_n(), data=st.data())
def test_a_tampered_share_fails_its_commitment_and_is_named(seed, kn, data):
    k, n = kn
    dealing = split_seed(seed, OFFER, members=n, threshold=k)
    shares = list(dealing.shares[:k])
    victim = data.draw(st.integers(0, k - 1))
    shares[victim] = _tampered(shares[victim])
    with pytest.raises(ShareError) as caught:
        combine_shares(shares, commitments=dealing.commitments())
    assert caught.value.code == "share.commitment_mismatch"
    assert caught.value.index == shares[victim].index
    assert f"share {shares[victim].index}" in str(caught.value)


def test_without_commitments_a_bad_share_among_more_than_k_is_named():
    dealing = split_seed(SEED, OFFER, members=5, threshold=3)
    shares = list(dealing.shares[:4])
    shares[0] = _tampered(shares[0])
    with pytest.raises(ShareError) as caught:
        combine_shares(shares)
    assert (caught.value.code, caught.value.index) == ("share.wrong_recipient", 1)


def test_without_commitments_exactly_k_with_a_bad_share_fails_unnamed():
    dealing = split_seed(SEED, OFFER, members=3, threshold=2)
    with pytest.raises(ShareError) as caught:
        combine_shares([_tampered(dealing.shares[0]), dealing.shares[1]])
    assert (caught.value.code, caught.value.index) == ("share.wrong_recipient", None)


def test_shares_of_two_dealings_do_not_mix():
    one = split_seed(SEED, OFFER, members=3, threshold=2)
    other = split_seed(bytes(16), OFFER, members=3, threshold=2)
    with pytest.raises(ShareError) as caught:
        combine_shares([one.shares[0], other.shares[1]])
    assert (caught.value.code, caught.value.index) == ("share.mixed", 2)


def test_a_share_given_twice_is_refused():
    dealing = split_seed(SEED, OFFER, members=3, threshold=2)
    with pytest.raises(ShareError) as caught:
        combine_shares([dealing.shares[0], dealing.shares[0]])
    assert caught.value.code == "share.duplicate"


@pytest.mark.parametrize(("members", "k"), [(1, None), (3, 1), (3, 4), (256, 2)])
def test_impossible_thresholds_are_refused(members, k):
    with pytest.raises(ShareError) as caught:
        split_seed(SEED, OFFER, members=members, threshold=k)
    assert caught.value.code == "share.bad_threshold"


def test_the_share_document_is_canonical_json_and_its_file_hash_is_the_commitment():
    share = split_seed(SEED, OFFER, members=3, threshold=2).shares[0]
    document = json.loads(share.canonical_json())
    assert document == {
        "format": "tangguh.key-share",
        "version": 1,
        "tender": "202400017",
        "lot": 1,
        "envelope": "offer",
        "recipient": share.recipient,
        "index": 1,
        "k": 2,
        "n": 3,
        "share": base64.b64encode(share.value).decode(),
    }
    assert share.canonical_json() == rfc8785.dumps(document)
    assert parse_share(share.canonical_json()) == share
    # Re-serialised with other spacing, the share is the same and so is its commitment.
    assert parse_share(json.dumps(document, indent=4)).commitment() == share.commitment()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"extra": 1}, "share.invalid"),
        ({"version": 2}, "share.unsupported"),
        ({"format": "other"}, "share.unsupported"),
        ({"share": "not base64!"}, "share.invalid"),
        ({"share": base64.b64encode(bytes(15)).decode()}, "share.invalid"),
        ({"index": 4}, "share.invalid"),
        ({"k": 1}, "share.bad_threshold"),
        ({"envelope": "harga"}, "share.invalid"),
        ({"recipient": "age1xyz"}, "share.invalid"),
    ],
)
def test_a_malformed_share_document_is_refused(change, code):
    document = split_seed(SEED, OFFER, members=3, threshold=2).shares[0].document()
    with pytest.raises(ShareError) as caught:
        parse_share({**document, **change})
    assert caught.value.code == code


def test_not_json_is_not_a_share():
    with pytest.raises(ShareError) as caught:
        parse_share(b"\x00garbage")
    assert caught.value.code == "share.invalid"


def test_commitments_document_lists_every_share_and_parses_back():
    dealing = split_seed(SEED, OFFER, members=3, threshold=2)
    members = ["age1member1", "age1member2", "age1member3"]
    document = commitments_document(dealing, members=members)
    assert document["recipient"] == dealing.recipient
    assert [e["member"] for e in document["shares"]] == members
    assert parse_commitments(json.dumps(document)) == dealing.commitments()


def test_a_share_without_a_commitment_is_refused():
    dealing = split_seed(SEED, OFFER, members=3, threshold=2)
    commitments = dealing.commitments()
    del commitments[2]
    with pytest.raises(ShareError) as caught:
        combine_shares(dealing.shares[:2], commitments=commitments)
    assert (caught.value.code, caught.value.index) == ("share.no_commitment", 2)
