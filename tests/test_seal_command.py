"""``tangguh seal`` (the management command) seals only the current penawaran.json version:
a version 2 package with its bid guarantee seals, a version 1 document (free-text guarantee)
is refused naming the schema, from a directory and from a tar, and nothing is written."""

from __future__ import annotations

import io
import json
import tarfile

import pyrage
import pytest
from django.core.management import CommandError, call_command

from tangguh.sealing.package import read_penawaran
from tests.domain.test_bid_package import GUARANTEE, VALID, VALID_V1


def _directory(tmp_path, document: dict):
    package = tmp_path / "paket"
    package.mkdir()
    (package / "penawaran.json").write_text(json.dumps(document))
    (package / "surat-penawaran.pdf").write_bytes(b"%PDF-1.4 surat")
    return package


def test_a_version_2_package_with_its_guarantee_seals_and_opens(tmp_path):
    identity = pyrage.x25519.Identity.generate()
    package = _directory(tmp_path, {**VALID, "bid_guarantee": GUARANTEE})
    out = io.StringIO()
    call_command(
        "seal", str(package), "--recipient", str(identity.to_public()),
        "-o", str(tmp_path / "bid.age"), stdout=out,
    )  # fmt: skip
    assert "total 2389450000" in out.getvalue()
    plain = pyrage.decrypt((tmp_path / "bid.age").read_bytes(), [identity])
    opened = read_penawaran(io.BytesIO(plain))
    assert opened.version == 2 and opened.bid_guarantee.reference == GUARANTEE["reference"]


@pytest.mark.parametrize("as_tar", [False, True], ids=["directory", "tar"])
def test_a_version_1_penawaran_is_refused_before_sealing(tmp_path, as_tar):
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    source = _directory(tmp_path, VALID_V1)
    if as_tar:
        tar_path = tmp_path / "paket.tar"
        with tarfile.open(tar_path, "w") as tar:
            tar.add(source / "penawaran.json", arcname="penawaran.json")
        source = tar_path
    with pytest.raises(CommandError) as refused:
        call_command("seal", str(source), "--recipient", recipient, "-o", str(tmp_path / "b.age"))
    message = str(refused.value)
    assert "[package.invalid]" in message and "[penawaran.schema]" in message
    assert "bid_guarantee: " in message and "[penawaran.bid_guarantee]" in message
    assert not (tmp_path / "b.age").exists()


def test_a_guarantee_missing_its_amount_is_named(tmp_path):
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    package = _directory(tmp_path, {**VALID, "bid_guarantee": {**GUARANTEE, "amount": None}})
    with pytest.raises(CommandError) as refused:
        call_command("seal", str(package), "--recipient", recipient, "-o", str(tmp_path / "b.age"))
    assert "bid_guarantee.amount: " in str(refused.value)
    assert "[penawaran.amount_type]" in str(refused.value)


def test_a_version_2_tar_seals_and_a_tar_without_penawaran_is_named(tmp_path):
    """The tar branch is checked by the shared sealing path (``read_penawaran(sealing=True)``)
    now that the command has no check of its own."""
    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    source = _directory(tmp_path, {**VALID, "bid_guarantee": GUARANTEE})
    tar_path = tmp_path / "paket.tar"
    with tarfile.open(tar_path, "w") as tar:
        tar.add(source / "penawaran.json", arcname="penawaran.json")
    out = io.StringIO()
    call_command("seal", str(tar_path), "--recipient", recipient, "-o", str(tmp_path / "bid.age"),
                 stdout=out)  # fmt: skip
    assert "envelope offer, total 2389450000" in out.getvalue()
    assert pyrage.decrypt((tmp_path / "bid.age").read_bytes(), [identity]) == tar_path.read_bytes()

    empty = tmp_path / "kosong.tar"
    with tarfile.open(empty, "w") as tar:
        tar.add(source / "surat-penawaran.pdf", arcname="surat-penawaran.pdf")
    with pytest.raises(CommandError) as refused:
        call_command("seal", str(empty), "--recipient", recipient, "-o", str(tmp_path / "b.age"))
    assert "[package.no_penawaran]" in str(refused.value)
    assert not (tmp_path / "b.age").exists()
