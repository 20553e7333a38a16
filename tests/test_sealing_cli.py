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
    _age_on_a_terminal(
        ["-p", "-o", str(target), str(source)], b"enam kata acak untuk uji saja", prompts=2
    )


def _age_on_a_terminal(args: list[str], passphrase: bytes, *, prompts: int) -> bytes:
    """Run the real ``age`` with a pseudo-terminal (it asks a passphrase only there), typing
    ``passphrase`` at each of its first ``prompts`` prompts; what it printed."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes age
        os.execv(AGE, [AGE, *args])  # noqa: S606 (fixed argv)
    seen, answered, deadline = b"", 0, time.monotonic() + 60
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
        if min(seen.count(b": "), prompts) > answered:  # "Enter passphrase (…): ", …
            os.write(fd, passphrase + b"\n")
            answered += 1
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    assert status == 0, seen
    return seen


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


def _v1_source(tmp_path: Path, *, as_tar: bool) -> Path:
    """A package whose penawaran.json is version 1 (free-text guarantee), as a directory or a
    tar built by hand (the way a vendor's own tooling might)."""
    import tarfile

    from tests.domain.test_bid_package import VALID_V1

    directory = tmp_path / "paket"
    directory.mkdir()
    (directory / "penawaran.json").write_text(json.dumps(VALID_V1))
    (directory / "surat-penawaran.pdf").write_bytes(b"%PDF-1.4 surat")
    if not as_tar:
        return directory
    path = tmp_path / "paket.tar"
    with tarfile.open(path, "w") as tar:
        tar.add(directory / "penawaran.json", arcname="penawaran.json")
    return path


@pytest.mark.parametrize("as_tar", [False, True], ids=["directory", "tar"])
def test_both_seal_commands_refuse_a_version_1_penawaran_with_the_same_error(tmp_path, as_tar):
    """``python -m tangguh.sealing seal`` (no node) and ``tangguh seal`` share one check: a
    version 1 document is refused with the same code and problems, and nothing is sealed."""
    _, recipient = _member(tmp_path, "envelope")
    source = _v1_source(tmp_path, as_tar=as_tar)
    standalone = _sealing(
        "seal", source, "--recipient", recipient, "-o", tmp_path / "a.age", check=False
    )
    node = _run(
        TANGGUH, "seal", source, "--recipient", recipient, "-o", tmp_path / "b.age",
        check=False, text=True,
    )  # fmt: skip
    assert standalone.returncode == 1 and node.returncode != 0
    assert "error [package.invalid]: penawaran.json: " in standalone.stderr
    assert "[package.invalid] penawaran.json: " in node.stderr
    problems = standalone.stderr.split("penawaran.json: ", 1)[1].strip()
    assert "schema: must be tangguh.penawaran version 2 [penawaran.schema]" in problems
    assert "bid_guarantee: " in problems and "[penawaran.bid_guarantee]" in problems
    assert node.stderr.split("penawaran.json: ", 1)[1].strip() == problems
    assert not (tmp_path / "a.age").exists() and not (tmp_path / "b.age").exists()


def test_sealing_refuses_version_1_but_opening_still_reads_it(tmp_path):
    """The version rule is the sealing side's: ``read_penawaran`` as opening calls it still
    reads a version 1 package sealed before the upgrade, its guarantee a bare reference."""
    import io

    from tangguh.domain.bid_package import BidPackageInvalid
    from tangguh.sealing.package import build_package, read_penawaran

    source = _v1_source(tmp_path, as_tar=True)
    opened = read_penawaran(io.BytesIO(source.read_bytes()))
    assert opened.version == 1 and opened.bid_guarantee.reference == "JP-2023/0099 Bank Papua"
    assert opened.bid_guarantee.amount is None and opened.total_price == 2389450000
    with pytest.raises(BidPackageInvalid) as refused:
        read_penawaran(io.BytesIO(source.read_bytes()), sealing=True)
    assert "penawaran.schema" in {p.code for p in refused.value.problems}
    target = io.BytesIO()
    with pytest.raises(BidPackageInvalid):
        build_package(tmp_path / "paket", target)
    assert target.getvalue() == b""  # refused before a byte of the tar is written


# --- members' key kits: age scrypt at work factor 2^18 ----------------------------------------


def _enrol(tmp_path: Path, name: str, *extra) -> dict:
    """``keys enrol``: the kit path, recipient and the passphrase it prints once."""
    kit = tmp_path / f"{name}.age"
    result = _sealing("keys", "enrol", "--out", kit, *extra)
    lines = result.stdout.splitlines()
    recipient = next(line.split()[1] for line in lines if line.startswith("recipient "))
    passphrase = next(line.strip() for line in lines if line.startswith("    "))
    return {"kit": kit, "recipient": recipient, "passphrase": passphrase, "stdout": result.stdout}


def test_a_key_kit_is_sealed_at_work_factor_18_and_opens_with_pyrage_and_the_age_cli(tmp_path):
    import pyrage

    from tangguh.domain.sealing.keys import recipient_from_identity
    from tangguh.domain.sealing.kit import dearmor, identity_from_plaintext, scrypt_work_factor
    from tangguh.domain.sealing.passphrase import word_list

    made = _enrol(tmp_path, "kit")
    words = made["passphrase"].split("-")
    assert len(words) == 7 and set(words) <= set(word_list())
    assert oct(made["kit"].stat().st_mode & 0o777) == "0o600"
    armored = made["kit"].read_text()
    assert armored.startswith("-----BEGIN AGE ENCRYPTED FILE-----\n")
    sealed = dearmor(armored)
    header = sealed.split(b"\n")
    assert header[0] == b"age-encryption.org/v1"
    stanza = header[1].decode().split(" ")
    assert stanza[:2] == ["->", "scrypt"] and stanza[3] == "18" and len(stanza) == 4
    assert header[3].startswith(b"--- ") and scrypt_work_factor(sealed) == 18

    plain = pyrage.passphrase.decrypt(sealed, made["passphrase"])
    assert pyrage.passphrase.decrypt(armored.encode(), made["passphrase"]) == plain
    assert f"# public key: {made['recipient']}".encode() in plain
    assert recipient_from_identity(identity_from_plaintext(plain)) == made["recipient"]

    # the reference age CLI opens it too, into an identity file age-keygen reads
    opened = tmp_path / "member.txt"
    _age_on_a_terminal(
        ["-d", "-o", str(opened), str(made["kit"])], made["passphrase"].encode(), prompts=1
    )
    assert opened.read_bytes() == plain
    assert _run(AGE_KEYGEN, "-y", opened, text=True).stdout.strip() == made["recipient"]
    with pytest.raises(pyrage.DecryptError):
        pyrage.passphrase.decrypt(sealed, "salah-" + made["passphrase"])


def test_the_scrypt_header_matches_ages_testkit_byte_for_byte():
    """age's testkit file ``scrypt`` (c2sp.org/CCTV/age): file key "YELLOW SUBMARINE",
    passphrase "password", salt rF0/NwblUHHTpgQgRpe5CQ, work factor 10."""
    import base64

    from tangguh.domain.sealing.kit import scrypt_header

    header = scrypt_header(
        b"YELLOW SUBMARINE",
        "password",
        salt=base64.b64decode("rF0/NwblUHHTpgQgRpe5CQ=="),
        work_factor=10,
    )
    assert header == (
        b"age-encryption.org/v1\n"
        b"-> scrypt rF0/NwblUHHTpgQgRpe5CQ 10\n"
        b"gUjEymFKMVXQEKdMMHL24oYexjE3TIC0O0zGSqJ2aUY\n"
        b"--- IOXiQYStkoT1mvZW2tFOqZdhRVvj58egABx/sWfZQbc\n"
    )


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 200_000])
def test_the_scrypt_payload_streams_in_64_kib_chunks_that_pyrage_opens(size):
    import pyrage

    from tangguh.domain.sealing.kit import armor, dearmor, scrypt_encrypt

    plain = os.urandom(size)
    sealed = scrypt_encrypt(plain, "kata-sandi-uji", work_factor=10)
    header_end = sealed.index(b"\n---") + len(b"\n--- ") + 43 + 1
    chunks = max(1, -(-size // 65536))
    assert len(sealed) - header_end == 16 + size + 16 * chunks
    assert pyrage.passphrase.decrypt(sealed, "kata-sandi-uji") == plain
    assert dearmor(armor(sealed)) == sealed
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(pyrage.DecryptError):
        pyrage.passphrase.decrypt(bytes(tampered), "kata-sandi-uji")


def test_dearmor_is_strict():
    from tangguh.domain.sealing.kit import armor, dearmor

    good = armor(os.urandom(100))
    assert dearmor("\n  " + good.replace("\n", "\r\n") + "\n") == dearmor(good)
    for bad in (
        good.replace("-----END", "-----FIN"),
        good.replace("\n", "\n ", 2),
        "junk\n" + good,
        good[:40] + "!" + good[41:],
    ):
        with pytest.raises(ValueError):
            dearmor(bad)


def test_a_typed_passphrase_is_normalized_as_the_browser_does(tmp_path):
    from tangguh.sealing.members import kit_open, normalize_passphrase

    made = _enrol(tmp_path, "kit")
    words = made["passphrase"].split("-")
    typed = "  " + " ".join(w[:4].upper() if len(w) > 4 else w.upper() for w in words) + " "
    assert normalize_passphrase(typed) == made["passphrase"]
    identity = kit_open(made["kit"], typed)
    from tangguh.domain.sealing.keys import recipient_from_identity

    assert recipient_from_identity(identity) == made["recipient"]
    passphrase_file = tmp_path / "wrong.txt"
    passphrase_file.write_text("abandon " * 7)
    wrong = _sealing(
        "keys", "check", "202400001", "--kit", made["kit"], "--node", "http://127.0.0.1:9",
        "--token", "tgh_x", "--passphrase-file", passphrase_file, check=False,
    )  # fmt: skip
    assert wrong.returncode == 1 and "kit.wrong_passphrase" in wrong.stderr
    remote = _sealing(
        "keys", "check", "202400001", "--kit", made["kit"], "--node", "http://lpse.example.id",
        "--token", "tgh_x", "--passphrase-file", passphrase_file, check=False,
    )  # fmt: skip
    assert remote.returncode == 1 and "node.insecure_url" in remote.stderr


# --- a member's whole path on the command line, against a running node ---------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_members_enrol_check_and_release_with_the_cli_and_the_bids_open(
    live_server, api, org, clock, tmp_path, settings
):
    """Three Pokja members make key kits with ``keys enrol --node``; the Pokja deals; each
    proves their share opens with ``keys check`` (a wrong kit is refused first); the tender is
    announced and a vendor uploads a bid sealed with ``age -r``; after the deadline two members
    ``keys release`` and the node opens the bid."""
    from datetime import timedelta

    from tangguh.accounts.selectors import users_with_role
    from tangguh.bids.models import KeyShare, MemberKey, OpenedEnvelope
    from tangguh.domain.roles import Role
    from tangguh.tenders.models import Tender
    from tests.domain.test_bid_package import VALID
    from tests.test_bids_upload import put, seal
    from tests.test_opening import _package
    from tests.test_participation import approve, declare_size, register
    from tests.test_tender_workflow import _ready

    settings.TANGGUH_DATA_DIR = tmp_path / "node"
    node = live_server.url
    members = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")
    tokens = {m.pk: api.token_for(m) for m in members}
    kits = {}
    for member in members:
        kits[member.pk] = made = _enrol(
            tmp_path, member.username, "--node", node, "--token", tokens[member.pk]
        )
        assert f"enrolled on {node}" in made["stdout"]
        assert MemberKey.objects.get(user=member, retired_at=None).recipient == made["recipient"]
        (tmp_path / f"{member.username}.pass").write_text(made["passphrase"] + "\n")

    def member_cli(action, member, *extra, kit=None, check=True):
        result = _sealing(
            "keys", action, code, "--kit", kit or kits[member.pk]["kit"], "--node", node,
            "--token", tokens[member.pk],
            "--passphrase-file", tmp_path / f"{member.username}.pass", *extra, check=False,
        )  # fmt: skip
        assert result.returncode == 0 or not check, result.stderr
        return result

    pokja_tokens = {Role.COMMITTEE_MEMBER: tokens[members[0].pk], **{
        role: api.token_for(user) for role, user in org.users.items()
        if role is not Role.COMMITTEE_MEMBER
    }}  # fmt: skip
    code = _ready(api, org, pokja_tokens)
    dealt = api.call(
        "POST", f"/tenders/{code}/sealing-keys/deal", token=tokens[members[0].pk]
    ).json()
    recipient = dealt["envelopes"][0]["recipient"]

    # another member's kit (with this member's passphrase file) does not open: refused
    wrong = member_cli("check", members[0], kit=kits[members[1].pk]["kit"], check=False)
    assert wrong.returncode == 1 and "kit.wrong_passphrase" in wrong.stderr
    (tmp_path / f"{members[0].username}.pass").write_text(kits[members[1].pk]["passphrase"])
    wrong = member_cli("check", members[0], kit=kits[members[1].pk]["kit"], check=False)
    assert wrong.returncode == 1 and "kit.wrong_kit" in wrong.stderr
    (tmp_path / f"{members[0].username}.pass").write_text(kits[members[0].pk]["passphrase"])
    assert not KeyShare.objects.filter(checked_at__isnull=False).exists()

    for member in members:
        result = member_cli("check", member)
        assert "opens; sha256" in result.stdout and "check recorded" in result.stdout
    assert not KeyShare.objects.filter(checked_at__isnull=True).exists()
    announced = api.call("POST", f"/tenders/{code}/announce", token=tokens[members[0].pk])
    assert announced.status_code == 200, announced.content

    tender = Tender.objects.get(code=code)
    bid = tender.stages.get(kind="bid_submission")
    approve(org)
    declare_size(org.users[Role.VENDOR], org.company, "small")
    clock.set(bid.start + timedelta(hours=1))
    vendor = api.token_for(org.users[Role.VENDOR])
    assert register(api, vendor, tender).status_code == 201
    document = {**VALID, "tender": code, "company_nib": org.company.nib}
    package = _package(tmp_path / "paket", document)
    uploaded = put(api, vendor, tender, "offer", seal(package, recipient))
    assert uploaded.status_code == 201, uploaded.content

    too_early = member_cli("release", members[0], check=False)
    assert too_early.returncode == 1
    assert "bid.deadline_not_passed" in too_early.stderr, too_early.stderr  # no statement yet
    clock.set(bid.end + timedelta(minutes=5))
    tokens = {m.pk: api.token_for(m) for m in members}  # the earlier ones have expired
    first = member_cli("release", members[0])
    assert "signature verified" in first.stdout and "1 envelope(s)" in first.stdout
    assert "released; 1 of k=2 in" in first.stdout
    second = member_cli("release", members[2])
    assert "the bids are open" in second.stdout
    opened = OpenedEnvelope.objects.get()
    assert opened.ok and opened.total_price == 2389450000


def test_the_node_command_tangguh_keys_enrol_writes_a_kit(tmp_path):
    """`tangguh keys enrol` on a node is the same command as `python -m tangguh.sealing`."""
    import pyrage

    env = {**os.environ, "TANGGUH_ENV": "sandbox", "TANGGUH_DATA_DIR": str(tmp_path / "node")}
    env.pop("DATABASE_URL", None)
    kit = tmp_path / "kunci.age"
    result = _run(
        sys.executable, "-m", "tangguh", "keys", "enrol", "--out", kit, env=env, text=True
    )
    assert result.returncode == 0, result.stderr
    passphrase = next(line.strip() for line in result.stdout.splitlines() if line[:4] == "    ")
    assert b"AGE-SECRET-KEY-1" in pyrage.passphrase.decrypt(kit.read_bytes(), passphrase)
