"""Resumable uploads of sealed envelopes (tus 1.0.0: core, creation, termination, expiration,
checksum) under ``/tenders/{code}/bids/mine/{envelope}``, so a vendor on a weak connection
resumes instead of restarting.

State lives on disk under the node's data directory, not in the database (a partial upload
is not a bid): ``<data>/uploads/<id>.json`` (the state, replaced atomically), ``<id>.part``
(the bytes so far) and ``<id>.lock`` (an exclusive ``flock`` while a request writes). The id
is 128 random bits. An upload is bound to tender, lot, envelope, company and uploader; anyone
else gets 404.

- Creation refuses before a byte is stored what a whole ``PUT`` refuses before reading
  (``upload_target``, ``bid_admit``) and a missing or malformed declared SHA-256.
- Each ``PATCH`` writes at the stored offset and fsyncs before the offset moves; bytes that
  arrived before a dropped connection are kept (unless a per-chunk checksum was sent). A chunk
  starting at offset 0 goes through the age checker, so a file that is not an age file is
  refused at once rather than after a long upload.
- At the last byte: the receive time is taken (the last byte is fsynced: the issue's rule,
  and a vendor whose last byte landed before the deadline is not failed by the seconds the
  re-hash of a large file takes); the partial file is re-hashed and checked streaming (the hash
  state of earlier requests is gone); a declared SHA-256 that does not match, or a file that
  is not a proper envelope, removes the upload and records nothing; otherwise the file is
  renamed into content-addressed storage (no second copy) and the same short transaction as a
  whole ``PUT`` (``bid_accept``) records it. The receipt is kept in the state until expiry,
  so a client that lost the last answer gets it from ``HEAD`` (and ``GET …/bids/mine``).
- Uploads expire 24 hours after creation, or at the bid deadline if sooner; an expired one is
  removed when touched (410) and by ``upload_sweep`` (lazily on creation; operators may run it
  from cron: ``tangguh shell -c "from tangguh.bids.services.resumable import upload_sweep;
  upload_sweep()"``).

Partial uploads are transient files, not records: creating, terminating and expiring them is
not audited; the bid they end in is (``bid.received``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from tangguh import clock
from tangguh.bids.services import errors
from tangguh.bids.services.upload import (
    READ_BLOCK,
    UploadResult,
    UploadTarget,
    bid_accept,
    bid_admit,
    bid_window,
    check_bid_window,
    release_database_connection,
    sealed_file_digest,
)
from tangguh.core.blobs import fsync_directory, node_blobs
from tangguh.core.errors import NotFound, ServiceError
from tangguh.domain.sealing.agefile import AgeFileChecker

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = ("creation", "termination", "expiration", "checksum")
# sha256 is the one to use; sha1 because it is tuspy's default for Upload-Checksum.
CHECKSUM_ALGORITHMS: dict[str, Callable] = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}
UPLOAD_TTL = timedelta(hours=24)
# Open uploads one uploader may hold for one envelope; creating more drops the oldest idle
# ones, so a client that keeps losing its upload URL cannot fill the disk.
MAX_OPEN_UPLOADS = 4
_ID = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class UploadState:
    id: str
    tender: str
    lot: int
    envelope: str
    company_id: int
    uploader_id: int
    length: int
    sha256: str  # declared, hex
    offset: int
    created_at: datetime
    expires_at: datetime  # creation + UPLOAD_TTL; the deadline may come first (upload_expiry)
    receipt: str | None = None  # once complete
    received_at: datetime | None = None

    @property
    def complete(self) -> bool:
        return self.receipt is not None

    def to_json(self) -> bytes:
        data = asdict(self)
        for key in ("created_at", "expires_at", "received_at"):
            data[key] = data[key] and data[key].isoformat()
        return json.dumps(data, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> UploadState:
        data = json.loads(raw)
        for key in ("created_at", "expires_at", "received_at"):
            data[key] = data[key] and datetime.fromisoformat(data[key])
        return cls(**data)


@dataclass(frozen=True)
class AppendOutcome:
    state: UploadState
    result: UploadResult | None  # set by the request that completed the upload


# --- parsing the tus headers -----------------------------------------------------------------


def parse_tus_resumable(value: str | None) -> None:
    if (value or "").strip() != TUS_VERSION:
        raise errors.tus_version()


def parse_upload_length(value: str | None) -> int:
    text = (value or "").strip()
    if not text.isdigit() or not text.isascii():
        raise errors.upload_length_required()
    return int(text)


def parse_upload_offset(value: str | None) -> int:
    text = (value or "").strip()
    if not text.isdigit() or not text.isascii():
        raise errors.upload_offset_required()
    return int(text)


def parse_upload_metadata(header: str | None) -> dict[str, bytes]:
    """``key base64,key base64,key`` (tus 1.0.0 creation) into decoded values."""
    pairs: dict[str, bytes] = {}
    for item in (header or "").split(","):
        item = item.strip()
        if not item:
            continue
        key, _, value = item.partition(" ")
        value = value.strip()
        if not key or not key.isascii() or key in pairs or " " in value:
            raise errors.metadata_malformed()
        try:
            pairs[key] = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise errors.metadata_malformed() from exc
    return pairs


def declared_sha256(metadata: dict[str, bytes]) -> str:
    """The ``sha256`` metadata value: the 64 hex digits (what tus-js-client and tuspy send,
    as every metadata value is a string), or, from other clients, the 32 raw bytes."""
    raw = metadata.get("sha256")
    if raw is None:
        raise errors.sha256_required()
    if len(raw) == 32:
        return raw.hex()
    text = raw.decode("ascii", errors="replace").strip().lower()
    if not _HEX64.fullmatch(text):
        raise errors.sha256_malformed()
    return text


def parse_upload_checksum(header: str | None) -> tuple[str, bytes] | None:
    """``Upload-Checksum: <algorithm> <base64 digest>`` (tus checksum extension), or None."""
    if header is None or not header.strip():
        return None
    algorithm, _, value = header.strip().partition(" ")
    if algorithm.lower() not in CHECKSUM_ALGORITHMS:
        raise errors.checksum_unsupported(algorithm)
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.checksum_malformed() from exc
    if len(digest) != CHECKSUM_ALGORITHMS[algorithm.lower()]().digest_size:
        raise errors.checksum_malformed()
    return algorithm.lower(), digest


# --- on-disk state -----------------------------------------------------------------------------


def uploads_dir() -> Path:
    path = Path(settings.TANGGUH_DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _paths(upload_id: str) -> tuple[Path, Path, Path]:
    base = uploads_dir()
    return base / f"{upload_id}.json", base / f"{upload_id}.part", base / f"{upload_id}.lock"


def _load(upload_id: str) -> UploadState | None:
    if not _ID.fullmatch(upload_id or ""):
        return None
    state_path, _, _ = _paths(upload_id)
    try:
        return UploadState.from_json(state_path.read_bytes())
    except FileNotFoundError:
        return None


def _save(state: UploadState) -> None:
    """Write the state to a temporary file, fsync, rename over the old one, fsync the
    directory: a crash leaves the old state or the new, never half of one."""
    directory = uploads_dir()
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f"{state.id}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(state.to_json())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, directory / f"{state.id}.json")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_directory(directory)


def _remove(upload_id: str) -> None:
    """Forget an upload: the state first (it is gone from then on), then its files."""
    for path in _paths(upload_id):
        path.unlink(missing_ok=True)
    fsync_directory(uploads_dir())


@contextlib.contextmanager
def _locked(upload_id: str, *, wait: bool = False) -> Iterator[None]:
    """An exclusive ``flock`` on the upload's lock file; busy → ``bid.upload_busy`` (423)
    unless ``wait``. Two requests writing one upload would corrupt its offset."""
    _, _, lock_path = _paths(upload_id)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise errors.upload_busy() from None
        try:
            yield
        finally:
            if _load(upload_id) is None:  # removed meanwhile, or O_CREAT made a stray lock
                lock_path.unlink(missing_ok=True)
    finally:
        os.close(fd)


def _bound(state: UploadState | None, *, actor, target: UploadTarget) -> UploadState:
    """The upload, if it belongs to this tender, envelope, company and uploader."""
    if (
        state is None
        or state.tender != target.tender.code
        or state.lot != target.lot
        or state.envelope != target.name
        or state.company_id != target.company.pk
        or state.uploader_id != actor.pk
    ):
        raise errors.upload_not_found()
    return state


def upload_expiry(state: UploadState, target: UploadTarget) -> datetime:
    """When the upload goes: 24 hours after creation, or the bid deadline if sooner; a
    completed upload (which holds the receipt) stays its 24 hours."""
    if state.complete:
        return state.expires_at
    _, deadline = bid_window(target.tender)
    return state.expires_at if deadline is None else min(state.expires_at, deadline)


def _check_alive(state: UploadState, target: UploadTarget) -> None:
    """Refuse (and remove) an upload past its expiry; past the deadline, say so."""
    now = clock.now()
    if now < upload_expiry(state, target):
        return
    with contextlib.suppress(errors.UploadBusy), _locked(state.id):
        _remove(state.id)
    _, deadline = bid_window(target.tender)
    if not state.complete and deadline is not None and now >= deadline:
        raise errors.deadline_passed()
    raise errors.upload_expired()


# --- the use cases ---------------------------------------------------------------------------


def upload_create(*, actor, target: UploadTarget, length: int, sha256: str) -> UploadState:
    """tus creation: refuse before a byte is stored, else a new empty upload."""
    bid_admit(target=target, length=length, field="Upload-Length")
    if length == 0:
        raise errors.not_sealed("truncated", "an empty file is not an age file")
    upload_sweep()
    _drop_surplus(actor=actor, target=target)
    now = clock.now()
    state = UploadState(
        id=secrets.token_hex(16),
        tender=target.tender.code,
        lot=target.lot,
        envelope=target.name,
        company_id=target.company.pk,
        uploader_id=actor.pk,
        length=length,
        sha256=sha256,
        offset=0,
        created_at=now,
        expires_at=now + UPLOAD_TTL,
    )
    _save(state)
    return state


def _drop_surplus(*, actor, target: UploadTarget) -> None:
    mine = []
    for state in _all_states():
        try:
            mine.append(_bound(state, actor=actor, target=target))
        except NotFound:
            continue
    open_uploads = sorted((s for s in mine if not s.complete), key=lambda s: s.created_at)
    for state in open_uploads[: max(0, len(open_uploads) - MAX_OPEN_UPLOADS + 1)]:
        with contextlib.suppress(errors.UploadBusy), _locked(state.id):
            _remove(state.id)


def upload_status(*, actor, target: UploadTarget, upload_id: str) -> UploadState:
    """tus HEAD: the upload's offset and length (and, once complete, its receipt)."""
    state = _bound(_load(upload_id), actor=actor, target=target)
    _check_alive(state, target)
    return state


def upload_terminate(*, actor, target: UploadTarget, upload_id: str) -> None:
    """tus termination: the upload and its bytes are removed (a recorded bid stays)."""
    state = _bound(_load(upload_id), actor=actor, target=target)
    with _locked(state.id):
        _remove(state.id)


def upload_append(
    *,
    actor,
    target: UploadTarget,
    upload_id: str,
    offset: int,
    stream: BinaryIO,
    content_length: int,
    checksum: tuple[str, bytes] | None,
) -> AppendOutcome:
    """tus PATCH: append ``content_length`` bytes at ``offset``; at the last byte, check,
    store and record the envelope (see the module docstring)."""
    state = _bound(_load(upload_id), actor=actor, target=target)
    _check_alive(state, target)
    if state.complete:
        if offset == state.length and content_length == 0:
            return AppendOutcome(state=state, result=None)
        raise errors.offset_mismatch(state.length, offset)
    check_bid_window(target.tender, clock.now())
    release_database_connection()
    with _locked(state.id):
        state = _bound(_load(upload_id), actor=actor, target=target)  # as it is now we hold it
        if offset != state.offset:
            raise errors.offset_mismatch(state.offset, offset)
        if content_length > state.length - offset:
            raise errors.upload_overrun(state.length)
        _, part_path, _ = _paths(state.id)
        fd = os.open(part_path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+b") as part:
            if os.fstat(part.fileno()).st_size < offset:
                _remove(state.id)
                raise errors.upload_lost()
            received = _receive(state, part, stream, content_length, checksum)
            new_offset = offset + received
            if new_offset < state.length:
                state = replace(state, offset=new_offset)
                _save(state)
                return AppendOutcome(state=state, result=None)
            received_at = clock.now()  # the last byte is fsynced in the partial file
            result = _complete(actor=actor, target=target, state=state, part=part, at=received_at)
        state = replace(
            state,
            offset=state.length,
            receipt=result.envelope.receipt,
            received_at=result.envelope.received_at,
        )
        _save(state)
        return AppendOutcome(state=state, result=result)


def _receive(
    state: UploadState,
    part: BinaryIO,
    stream: BinaryIO,
    content_length: int,
    checksum: tuple[str, bytes] | None,
) -> int:
    """Copy the body into the partial file at the state's offset, fsync, and return how many
    bytes are kept. A failed checksum discards the chunk (460); a body that ends early keeps
    what came (the client resumes from there) unless a checksum was sent for the whole."""
    offset = state.offset
    part.truncate(offset)  # anything past the offset was never acknowledged
    part.seek(offset)
    hasher = CHECKSUM_ALGORITHMS[checksum[0]]() if checksum else None
    early = AgeFileChecker() if offset == 0 else None
    received = 0
    short = False
    while received < content_length:
        try:
            block = stream.read(min(READ_BLOCK, content_length - received))
        except Exception:  # the client went away mid-body (servers raise their own types)
            block = b""
        if not block:
            short = True
            break
        if early is not None:
            early.feed(block)
            if early.failed:
                _remove(state.id)
                result = early.result()
                raise errors.not_sealed(str(result.reason), result.detail)
            if early.result().header_bytes:
                early = None  # the header passed; the rest is only counted at the end
        if hasher is not None:
            hasher.update(block)
        part.write(block)
        received += len(block)
    mismatch = hasher is not None and checksum is not None and hasher.digest() != checksum[1]
    if (short and checksum is not None) or mismatch:
        part.truncate(offset)
        part.flush()
        os.fsync(part.fileno())
        if short:
            raise errors.length_mismatch(content_length, received)
        raise errors.checksum_mismatch()
    part.flush()
    os.fsync(part.fileno())
    if short:
        _save(replace(state, offset=offset + received))
        raise errors.length_mismatch(content_length, received)
    return received


def _complete(
    *, actor, target: UploadTarget, state: UploadState, part: BinaryIO, at: datetime
) -> UploadResult:
    _, part_path, _ = _paths(state.id)
    part.seek(0)
    try:
        sha256 = sealed_file_digest(part, state.length)
        if sha256 != state.sha256:
            raise errors.digest_mismatch(state.sha256, sha256)
    except ServiceError:
        _remove(state.id)  # nothing half: no blob, no envelope, no upload
        raise
    node_blobs().adopt(part_path, sha256=sha256)
    try:
        return bid_accept(
            actor=actor,
            target=target,
            sha256=sha256,
            size=state.length,
            declared_sha256=state.sha256,
            declared_length=state.length,
            received_at=at,
        )
    except ServiceError:
        # Late or closed: the bytes are durable but unreferenced, as after a whole PUT.
        _remove(state.id)
        raise


# --- expiry --------------------------------------------------------------------------------------


def _all_states() -> Iterator[UploadState]:
    for path in uploads_dir().glob("*.json"):
        state = _load(path.stem)
        if state is not None:
            yield state


def upload_sweep() -> int:
    """Remove expired uploads (by the stored 24 hours; past the deadline they are refused when
    touched) and files a crash left without a state; busy ones wait for the next sweep.
    Returns how many uploads were removed."""
    now = clock.now()
    removed = 0
    directory = uploads_dir()
    for path in directory.glob("*.json"):
        try:
            state = _load(path.stem)
        except (ValueError, TypeError, KeyError):
            state = None  # unreadable: remove below once it is old
        if state is not None and now < state.expires_at:
            continue
        if state is None and not _stale(path):
            continue
        with contextlib.suppress(errors.UploadBusy), _locked(path.stem):
            _remove(path.stem)
            removed += 1
    for path in directory.iterdir():
        if path.suffix in {".part", ".lock", ".tmp"} and _stale(path):
            upload_id = path.name.split(".", 1)[0]
            if not (directory / f"{upload_id}.json").exists():
                path.unlink(missing_ok=True)
    return removed


def _stale(path: Path) -> bool:
    """Left by a crash long ago, by the file system's own time (not the business clock)."""
    try:
        return time.time() - path.stat().st_mtime > UPLOAD_TTL.total_seconds()
    except FileNotFoundError:
        return False
