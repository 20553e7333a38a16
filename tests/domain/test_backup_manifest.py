"""Backup manifests, pure: names, recipient sets, and a strict reading that never lets a
manifest point a restore outside the places the layout names."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tangguh.domain.backup_manifest import (
    Item,
    Manifest,
    ManifestError,
    backup_id,
    object_name,
    parse_manifest,
    recipient_set_id,
    safe_relative_name,
)

R1 = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
R2 = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _manifest(**changes) -> dict:
    rset = recipient_set_id([R1, R2])
    items = [
        Item("database", "database.sqlite3", _sha("db"), 10, _sha("c-db"), 200,
             object_name(rset, _sha("db"))),
        Item("blob", _sha("b"), _sha("b"), 5, _sha("c-b"), 195, object_name(rset, _sha("b"))),
        Item("key", "active", _sha("k"), 43, _sha("c-k"), 233, object_name(rset, _sha("k")),
             mode=0o644),
        Item("file", "mail/1.eml", _sha("m"), 3, _sha("c-m"), 193, object_name(rset, _sha("m")),
             mode=0o600),
    ]  # fmt: skip
    payload = Manifest(
        id=backup_id(datetime(2024, 6, 24, 1, tzinfo=UTC), "000000"),
        node="LPSE Kabupaten Mimika",
        ocds_prefix="ocds-tangguh",
        created_at="2024-06-24T10:00:00+09:00",
        version="0.1.0",
        database_engine="sqlite",
        audit_size=7,
        audit_head=_sha("head"),
        recipients=(R1, R2),
        items=tuple(items),
    ).payload()
    payload.update(changes)
    return payload


def test_a_manifest_reads_back_as_written():
    payload = _manifest()
    manifest = parse_manifest(payload)
    assert manifest.payload() == payload
    assert manifest.database.name == "database.sqlite3"
    assert [i.role for i in manifest.items] == ["database", "blob", "key", "file"]
    assert payload["totals"] == {"items": 4, "size": 61, "cipher_size": 821}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"typ": "something/1"}, "backup.not_a_manifest"),
        ({"id": "../../etc"}, "backup.manifest_malformed"),
        ({"recipients": ["ssh-ed25519 AAAA"]}, "backup.manifest_malformed"),
        ({"recipient_set": "0" * 16}, "backup.manifest_malformed"),
        ({"audit_head": {"size": -1, "hash": "0" * 64}}, "backup.manifest_malformed"),
        ({"database": {"engine": "mysql"}}, "backup.manifest_malformed"),
    ],
)
def test_a_malformed_manifest_is_refused_with_its_reason(change, code):
    with pytest.raises(ManifestError) as refused:
        parse_manifest(_manifest(**change))
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("index", "field", "value"),
    [
        (1, "object", "objects/../../../../root/.ssh/authorized_keys"),
        (1, "name", _sha("another")),  # a blob is named by its own digest
        (2, "name", "../keys/x.pem"),
        (3, "name", "/etc/passwd"),
        (3, "name", "mail/../../x"),
        (0, "size", -5),
        (0, "sha256", "not-a-digest"),
    ],
)
def test_no_item_can_point_outside_its_place(index, field, value):
    payload = _manifest()
    payload["items"][index][field] = value
    with pytest.raises(ManifestError):
        parse_manifest(payload)


def test_one_database_and_no_item_twice():
    payload = _manifest()
    payload["items"].append(dict(payload["items"][1]))
    with pytest.raises(ManifestError, match="twice"):
        parse_manifest(payload)
    payload = _manifest()
    del payload["items"][0]
    with pytest.raises(ManifestError, match="exactly one database"):
        parse_manifest(payload)


@given(st.permutations([R1, R2, R1]))
def test_a_recipient_set_does_not_depend_on_order_or_repetition(recipients):
    assert recipient_set_id(recipients) == recipient_set_id([R2, R1])
    assert recipient_set_id([R1]) != recipient_set_id([R1, R2])


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)),
       st.integers(min_value=0, max_value=3600 * 24 * 400),
       st.integers(min_value=-12, max_value=14))  # fmt: skip
def test_backup_ids_sort_by_time_whatever_the_zone(moment, seconds, offset):
    zone = timezone(timedelta(hours=offset))
    first = moment.replace(tzinfo=UTC)
    later = first + timedelta(seconds=seconds)
    assert backup_id(first.astimezone(zone), "000000") <= backup_id(later, "000000")
    assert backup_id(first, "000000") < backup_id(first, "000001")


@pytest.mark.parametrize("name", ["", ".", "a/./b", "a//b", "a\\b", "x\x00y", "/abs", ".."])
def test_unsafe_relative_names_are_refused(name):
    with pytest.raises(ManifestError):
        safe_relative_name(name)
    assert safe_relative_name("mail/2024/06/1.eml") == "mail/2024/06/1.eml"
