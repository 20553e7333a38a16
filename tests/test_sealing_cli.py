"""Sealing on the command line, interoperating with the real ``age`` CLI (scripts/system-deps.sh
installs it): shares dealt by ``keys deal`` open with ``age -d``, an identity rebuilt by
``keys combine`` opens what ``age -r`` sealed, ``tangguh seal`` output opens with ``age -d -i``,
and the envelope check accepts ``age -r`` output and refuses ``age -p``, cut files and noise."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tangguh.domain.sealing.agefile import AgeFileReason, check_age_stream
from tangguh.domain.sealing.fingerprint import recipient_fingerprint

AGE = shutil.which("age")
AGE_KEYGEN = shutil.which("age-keygen")
TANGGUH = Path(sys.executable).with_name("tangguh")


@pytest.fixture(autouse=True)
def _age_cli_present():
    """Interoperability is the point of these tests: without the real age CLI they fail."""
    if AGE is None or AGE_KEYGEN is None:
        pytest.fail("the age CLI is missing: run scripts/system-deps.sh (apt-get install age)")


def _run(*args, check=True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, check=check, timeout=60, **kwargs
    )


def _sealing(*args, check=True) -> subprocess.CompletedProcess:
    return _run(sys.executable, "-m", "tangguh.sealing", *args, check=check, text=True)


def _member(directory: Path, name: str) -> tuple[Path, str]:
    path = directory / f"{name}.txt"
    _run(AGE_KEYGEN, "-o", path)
    return path, _run(AGE_KEYGEN, "-y", path, text=True).stdout.strip()


def _check(path: Path):
    with open(path, "rb") as stream:
        return check_age_stream(stream)


@pytest.fixture
def committee(tmp_path):
    """Three Pokja members with age keys, and a 2-of-3 key dealt to them with ``keys deal``."""
    members = [_member(tmp_path, f"member{i}") for i in (1, 2, 3)]
    out = tmp_path / "dealt"
    args = ["keys", "deal", "--tender", "202400017", "--envelope", "offer", "--members", "3"]
    for _, recipient in members:
        args += ["--member-recipient", recipient]
    result = _sealing(*args, "--out", out)
    recipient = (out / "recipient.txt").read_text().strip()
    assert f"fingerprint {recipient_fingerprint(recipient)}" in result.stdout
    return {"dir": out, "members": members, "recipient": recipient, "tmp": tmp_path}


def _open_share(committee, index: int) -> Path:
    identity, _ = committee["members"][index - 1]
    target = committee["tmp"] / f"share-{index}.json"
    sealed = committee["dir"] / f"share-{index}.json.age"
    _run(AGE, "-d", "-i", identity, "-o", target, sealed)
    return target


def test_a_bid_sealed_with_age_opens_with_the_identity_rebuilt_from_two_of_three_shares(
    committee,
):
    tmp = committee["tmp"]
    bid = tmp / "bid.tar"
    bid.write_bytes(os.urandom(200_000))
    _run(AGE, "-r", committee["recipient"], "-o", tmp / "bid.age", bid)
    assert _check(tmp / "bid.age").ok

    shares = [_open_share(committee, 1), _open_share(committee, 3)]
    _sealing(
        "keys", "combine", *shares,
        "--commitments", committee["dir"] / "commitments.json",
        "--out", tmp / "identity.txt",
    )  # fmt: skip

    assert (
        _run(AGE_KEYGEN, "-y", tmp / "identity.txt", text=True).stdout.strip()
        == (committee["recipient"])
    )
    _run(AGE, "-d", "-i", tmp / "identity.txt", "-o", tmp / "opened.tar", tmp / "bid.age")
    assert (tmp / "opened.tar").read_bytes() == bid.read_bytes()


def test_combine_opens_sealed_shares_with_the_members_identities(committee):
    tmp = committee["tmp"]
    result = _sealing(
        "keys", "combine",
        committee["dir"] / "share-2.json.age", committee["dir"] / "share-3.json.age",
        "--identity", committee["members"][1][0], "--identity", committee["members"][2][0],
        "--out", "-",
    )  # fmt: skip
    (tmp / "identity.txt").write_text(result.stdout)
    assert (
        _run(AGE_KEYGEN, "-y", tmp / "identity.txt", text=True).stdout.strip()
        == (committee["recipient"])
    )


def test_the_dealt_files_commit_to_each_share_and_the_seed_is_never_written(committee):
    commitments = json.loads((committee["dir"] / "commitments.json").read_text())
    assert commitments["k"] == 2 and commitments["n"] == 3
    assert [entry["member"] for entry in commitments["shares"]] == [
        recipient for _, recipient in committee["members"]
    ]
    assert sorted(p.name for p in committee["dir"].iterdir()) == [
        "commitments.json", "recipient.txt",
        "share-1.json.age", "share-2.json.age", "share-3.json.age",
    ]  # fmt: skip
    share = _open_share(committee, 2)
    assert hashlib.sha256(share.read_bytes()).hexdigest() == commitments["shares"][1]["sha256"]


def test_a_tampered_share_is_refused_by_its_commitment_and_named(committee):
    tmp = committee["tmp"]
    good, bad = _open_share(committee, 1), _open_share(committee, 2)
    document = json.loads(bad.read_text())
    first = "B" if document["share"][0] == "A" else "A"
    document["share"] = first + document["share"][1:]
    bad.write_text(json.dumps(document))
    result = _sealing(
        "keys", "combine", good, bad,
        "--commitments", committee["dir"] / "commitments.json",
        "--out", tmp / "identity.txt",
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "share.commitment_mismatch" in result.stderr
    assert "share 2" in result.stderr and str(bad) in result.stderr
    assert not (tmp / "identity.txt").exists()


def test_one_share_is_not_enough(committee):
    result = _sealing("keys", "combine", _open_share(committee, 1), "--out", "-", check=False)
    assert result.returncode == 1 and "share.not_enough" in result.stderr


def test_tangguh_seal_output_opens_with_age_and_passes_the_envelope_check(tmp_path):
    identity, recipient = _member(tmp_path, "envelope")
    package = tmp_path / "bid.tar"
    package.write_bytes(os.urandom(150_000))
    result = _run(
        TANGGUH, "seal", "--recipient", recipient, package, "-o", tmp_path / "bid.age", text=True
    )
    assert recipient_fingerprint(recipient) in result.stdout
    assert _check(tmp_path / "bid.age").ok
    _run(AGE, "-d", "-i", identity, "-o", tmp_path / "opened.tar", tmp_path / "bid.age")
    assert (tmp_path / "opened.tar").read_bytes() == package.read_bytes()


def test_tangguh_seal_refuses_a_recipient_that_is_not_x25519(tmp_path):
    package = tmp_path / "bid.tar"
    package.write_bytes(b"x")
    result = _sealing(
        "seal", "--recipient", "age1notakey", package, "-o", tmp_path / "bid.age", check=False
    )
    assert result.returncode == 1 and "key.bad_recipient" in result.stderr
    assert not (tmp_path / "bid.age").exists()


def _age_with_passphrase(source: Path, target: Path) -> None:
    """``age -p`` reads the passphrase from a terminal, so give it one."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes age
        os.execv(AGE, [AGE, "-p", "-o", str(target), str(source)])  # noqa: S606 (fixed argv)
    seen, answered, deadline = b"", 0, time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if min(seen.count(b": "), 2) > answered:  # "Enter passphrase (…): ", "Confirm …: "
            os.write(fd, b"enam kata acak untuk uji saja\n")
            answered += 1
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    assert status == 0, seen


def test_the_envelope_check_accepts_age_r_and_refuses_age_p_cut_files_and_noise(tmp_path):
    _, recipient = _member(tmp_path, "envelope")
    plain = tmp_path / "bid.tar"
    plain.write_bytes(os.urandom(70_000))
    _run(AGE, "-r", recipient, "-o", tmp_path / "bid.age", plain)
    check = _check(tmp_path / "bid.age")
    assert check.ok and check.stanza_types == ("X25519",)

    _age_with_passphrase(plain, tmp_path / "passphrase.age")
    assert _check(tmp_path / "passphrase.age").reason is AgeFileReason.SCRYPT_STANZA

    sealed = (tmp_path / "bid.age").read_bytes()
    (tmp_path / "cut-header.age").write_bytes(sealed[:60])
    assert _check(tmp_path / "cut-header.age").reason is AgeFileReason.TRUNCATED
    (tmp_path / "cut-payload.age").write_bytes(sealed[: check.header_bytes + 20])
    assert _check(tmp_path / "cut-payload.age").reason is AgeFileReason.TRUNCATED
    (tmp_path / "cut-tag.age").write_bytes(sealed[: check.header_bytes + 16 + 65552 + 7])
    assert _check(tmp_path / "cut-tag.age").reason is AgeFileReason.PAYLOAD_LENGTH

    (tmp_path / "noise.age").write_bytes(os.urandom(4096))
    assert _check(tmp_path / "noise.age").reason is AgeFileReason.NOT_AGE

    _run(AGE, "-a", "-r", recipient, "-o", tmp_path / "armored.age", plain)
    assert _check(tmp_path / "armored.age").reason is AgeFileReason.ARMORED


def test_the_node_command_tangguh_keys_combine_does_the_same(committee):
    """`tangguh keys deal|combine` (the node's command) and `python -m tangguh.sealing` (no
    node needed, for recovery) are one implementation."""
    tmp = committee["tmp"]
    env = {**os.environ, "TANGGUH_ENV": "sandbox", "TANGGUH_DATA_DIR": str(tmp / "node")}
    env.pop("DATABASE_URL", None)
    shares = [_open_share(committee, 2), _open_share(committee, 3)]
    result = _run(
        sys.executable, "-m", "tangguh", "keys", "combine", *shares,
        "--commitments", committee["dir"] / "commitments.json",
        "--out", tmp / "identity-node.txt", env=env, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        _run(AGE_KEYGEN, "-y", tmp / "identity-node.txt", text=True).stdout.strip()
        == committee["recipient"]
    )


def test_tangguh_seal_builds_checks_and_seals_a_bid_package(tmp_path):
    from tangguh.sealing.package import read_penawaran
    from tests.domain.test_bid_package import VALID

    identity, recipient = _member(tmp_path, "envelope")
    package = tmp_path / "paket"
    (package / "teknis").mkdir(parents=True)
    (package / "penawaran.json").write_text(json.dumps(VALID))
    (package / "teknis" / "metode-pelaksanaan.pdf").write_bytes(b"%PDF-1.4 metode")
    result = _sealing("seal", package, "--recipient", recipient, "-o", tmp_path / "bid.age")
    assert "total 2389450000" in result.stdout
    _run(AGE, "-d", "-i", identity, "-o", tmp_path / "bid.tar", tmp_path / "bid.age")
    with open(tmp_path / "bid.tar", "rb") as stream:
        assert read_penawaran(stream).total_price == 2389450000
    import tarfile

    with tarfile.open(tmp_path / "bid.tar") as tar:
        assert tar.getnames() == ["penawaran.json", "lampiran/teknis/metode-pelaksanaan.pdf"]


def test_tangguh_seal_refuses_an_invalid_penawaran_naming_the_fields(tmp_path):
    from tests.domain.test_bid_package import VALID

    _, recipient = _member(tmp_path, "envelope")
    package = tmp_path / "paket"
    package.mkdir()
    (package / "penawaran.json").write_text(json.dumps({**VALID, "total_price": 12.5}))
    result = _sealing(
        "seal", package, "--recipient", recipient, "-o", tmp_path / "bid.age", check=False
    )
    assert result.returncode != 0
    assert "total_price" in result.stderr and "penawaran.amount_type" in result.stderr
    assert not (tmp_path / "bid.age").exists()
