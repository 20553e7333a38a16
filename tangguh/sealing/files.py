"""Sealing on files: seal a package, deal a key's shares into a directory, combine shares into
an age identity file. Django-free, so recovery works with no node, settings or database.

The pure rules (derivation, shares, commitments, age file shape) are in
``tangguh.domain.sealing``; this module adds paths, pyrage and careful writing (temporary file,
fsync, rename; identities readable by their owner only; nothing overwritten).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyrage

from tangguh.domain.sealing.agefile import ARMOR_BEGIN, VERSION_LINE, check_age_stream
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.domain.sealing.keys import (
    KeyContext,
    KeyFormatError,
    SealingKey,
    new_seed,
    parse_identity,
    parse_recipient,
)
from tangguh.domain.sealing.shares import (
    COMMITMENTS_FORMAT,
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


class SealingFailure(Exception):
    """A command-line sealing step that cannot go on; ``code`` is stable, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SealedFile:
    path: Path
    size: int
    sha256: str
    recipient: str
    fingerprint: str


@dataclass(frozen=True)
class DealtKey:
    directory: Path
    recipient: str
    fingerprint: str
    k: int
    n: int
    files: tuple[Path, ...]
    recovery_index: int | None = None  # the share sealed to the recovery recipient, if any


def _recipient(text: str) -> pyrage.x25519.Recipient:
    try:
        parse_recipient(text)
        return pyrage.x25519.Recipient.from_str(text.strip())
    except (KeyFormatError, pyrage.RecipientError) as exc:
        raise SealingFailure("key.bad_recipient", f"not an age X25519 recipient: {text!r}") from exc


def _write_new(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to a new file ``path`` durably; refuse to replace an existing file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError as exc:
        raise SealingFailure("file.exists", f"{path} exists; not overwriting it") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def seal_file(source: Path, target: Path, *, recipient: str) -> SealedFile:
    """Seal ``source`` to ``recipient`` into ``target`` with pyrage, streaming; the result is
    checked as an envelope (age v1, one X25519 stanza) before it replaces ``target``."""
    age_recipient = _recipient(recipient)
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise SealingFailure("file.missing", f"{source} is not a file")
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".sealing-")
    try:
        with open(source, "rb") as reader, os.fdopen(fd, "wb") as writer:
            pyrage.encrypt_io(reader, writer, [age_recipient])
            writer.flush()
            os.fsync(writer.fileno())
        digest = hashlib.sha256()
        with open(temporary, "rb") as sealed:
            check = check_age_stream(_Hashing(sealed, digest))
        if not check.ok:
            raise SealingFailure(f"age.{check.reason}", f"sealed file failed: {check.detail}")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return SealedFile(
        path=target,
        size=target.stat().st_size,
        sha256=digest.hexdigest(),
        recipient=recipient.strip(),
        fingerprint=recipient_fingerprint(recipient),
    )


class _Hashing:
    """A reader that hashes what passes through it."""

    def __init__(self, stream, digest) -> None:
        self._stream, self._digest = stream, digest

    def read(self, size: int = -1) -> bytes:
        block = self._stream.read(size)
        self._digest.update(block)
        return block


def deal_keys(
    *,
    context: KeyContext,
    member_recipients: Sequence[str],
    threshold: int | None,
    directory: Path,
    recovery_recipient: str | None = None,
) -> DealtKey:
    """Deal a fresh sealing key for ``context`` off the node: write ``recipient.txt``, one
    ``share-<i>.json.age`` per member (sealed to that member's recipient, in order) and
    ``commitments.json`` into ``directory``. The seed is never written or returned.

    With ``recovery_recipient`` one more share, the last, is sealed to it (the UKPBJ's
    offline recovery key); *k* stays the members' threshold and may not exceed the members."""
    members = [m.strip() for m in member_recipients]
    age_members = [_recipient(m) for m in members]
    if len(set(members)) != len(members):
        raise SealingFailure("key.duplicate_member", "a member recipient is given twice")
    recovery = (recovery_recipient or "").strip() or None
    if recovery is not None:
        age_members.append(_recipient(recovery))
        if recovery in members:
            raise SealingFailure(
                "key.recovery_is_member", "the recovery recipient is also a member's recipient"
            )
    k = default_threshold(len(members)) if threshold is None else threshold
    if recovery is not None and type(k) is int and k > len(members):
        raise SealingFailure(
            "share.bad_threshold", f"k must be at most the {len(members)} members, not {k}"
        )
    try:
        dealing = split_seed(new_seed(), context, members=len(age_members), threshold=k)
    except ShareError as exc:
        raise SealingFailure(exc.code, str(exc)) from exc
    bad = failing_subsets(dealing.shares)
    if bad:
        raise SealingFailure("share.subset_failed", f"subsets {bad} do not rebuild the key")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = ["recipient.txt", "commitments.json"] + [
        f"share-{s.index}.json.age" for s in dealing.shares
    ]
    existing = [name for name in names if (directory / name).exists()]
    if existing:
        raise SealingFailure("file.exists", f"{directory} already holds {existing}")
    _write_new(directory / "recipient.txt", f"{dealing.recipient}\n".encode())
    for share in dealing.shares:
        sealed = pyrage.encrypt(share.canonical_json(), [age_members[share.index - 1]])
        _write_new(directory / f"share-{share.index}.json.age", sealed)
    document = commitments_document(dealing, members=[*members, *([recovery] if recovery else [])])
    if recovery is not None:  # marked as what it is, not as a member's
        last = document["shares"][-1]
        last["recovery"] = last.pop("member")
    _write_new(
        directory / "commitments.json",
        (json.dumps(document, indent=2, sort_keys=True) + "\n").encode(),
    )
    return DealtKey(
        directory=directory,
        recipient=dealing.recipient,
        fingerprint=recipient_fingerprint(dealing.recipient),
        k=dealing.k,
        n=dealing.n,
        files=tuple(directory / name for name in names),
        recovery_index=dealing.n if recovery else None,
    )


def read_identities(paths: Sequence[Path]) -> list[pyrage.x25519.Identity]:
    """The X25519 identities in age identity files (``AGE-SECRET-KEY-1…`` lines; comments and
    blank lines skipped)."""
    identities = []
    for path in paths:
        for line in Path(path).read_text(encoding="ascii").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                parse_identity(line)
                identities.append(pyrage.x25519.Identity.from_str(line))
            except (KeyFormatError, pyrage.IdentityError) as exc:
                raise SealingFailure("key.bad_identity", f"{path}: not an age identity") from exc
    return identities


def read_share(path: Path, identities: Sequence[pyrage.x25519.Identity]) -> KeyShare:
    """A share from a plain ``share-<i>.json`` or, given the member's identities, a sealed
    ``share-<i>.json.age``."""
    data = Path(path).read_bytes()
    if data.startswith(VERSION_LINE) or data.startswith(ARMOR_BEGIN):
        if not identities:
            raise SealingFailure(
                "share.sealed", f"{path} is sealed; pass the member's --identity or decrypt it"
            )
        try:
            data = pyrage.decrypt(data, list(identities))
        except pyrage.DecryptError as exc:
            raise SealingFailure(
                "share.undecryptable", f"{path} does not open with the given identities"
            ) from exc
    try:
        return parse_share(data)
    except ShareError as exc:
        raise SealingFailure(exc.code, f"{path}: {exc}") from exc


def combine_share_files(
    paths: Sequence[Path],
    *,
    identities: Sequence[Path] = (),
    commitments: Path | None = None,
) -> SealingKey:
    """Rebuild a sealing key from share files, checked against ``commitments.json`` if given;
    a failing share is named by its file."""
    age_identities = read_identities(identities)
    shares = [read_share(path, age_identities) for path in paths]
    files = {share.index: path for share, path in zip(shares, paths, strict=True)}
    expected = None
    if commitments is not None:
        document = _read_json(Path(commitments))
        try:
            expected = parse_commitments(document)
        except ShareError as exc:
            raise SealingFailure(exc.code, f"{commitments}: {exc}") from exc
        if shares and (
            document.get("recipient") != shares[0].recipient
            or {k: document.get(k) for k in ("tender", "lot", "envelope")}
            != shares[0].context.as_dict()
        ):
            raise SealingFailure("share.mixed", f"{commitments} is for another key than the shares")
    try:
        return combine_shares(shares, commitments=expected)
    except ShareError as exc:
        where = f" ({files[exc.index]})" if exc.index in files else ""
        raise SealingFailure(exc.code, f"{exc}{where}") from exc


def _read_json(path: Path) -> dict:
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SealingFailure("share.invalid_commitments", f"{path}: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != COMMITMENTS_FORMAT:
        raise SealingFailure("share.invalid_commitments", f"{path} is not {COMMITMENTS_FORMAT}")
    return document


def identity_file_text(key: SealingKey) -> str:
    """An age identity file for ``key``, in the shape ``age-keygen`` writes."""
    return (
        f"# tangguh sealing key: {key.context.label()}\n"
        f"# public key: {key.recipient}\n"
        f"{key.identity}\n"
    )


def write_identity(key: SealingKey, target: Path) -> None:
    """Write the identity file to a new file readable by its owner only."""
    _write_new(Path(target), identity_file_text(key).encode("ascii"), mode=0o600)
