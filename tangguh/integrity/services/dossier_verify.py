"""Checking an auditor dossier (a directory, or the tar the API streams), naming each problem.

What is checked, in order:

1. ``manifest.jws`` verifies against the dossier's ``jwks.json`` and, when a node's JWKS is
   given (the CLI on the node), against the node's own keys: a dossier re-signed with another
   key is "not signed by this node".
2. Every file the manifest lists is present with that SHA-256 and size; a file not listed is
   named too (only ``manifest.jws`` and ``manifest.json`` stand outside the manifest).
3. Every receipt and the closing statement verify (same keys), name this tender, and every
   envelope the closing statement lists has a receipt with its SHA-256.
4. ``checkpoint.jws`` verifies and states the size and head hash the manifest cites.
5. The audit events: each event's own hash recomputed; where two included events are
   consecutive (seq n, n+1) the second links to the first; none is past the checkpoint, and an
   event at the checkpoint's size has its head hash. Offline that is all a subset can prove.
   On the node (``node_events`` given) each event is compared with the node's log, and the
   caller proves the log extends the checkpoint (``checkpoint_verify``): together, every event
   in the dossier is in the one chain the checkpoint pins.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path, PurePosixPath

from tangguh.audit.models import AuditEvent
from tangguh.audit.services.checkpoints import checkpoint_verify
from tangguh.bids.services.receipts import CLOSING_TYPE, RECEIPT_TYPE
from tangguh.core.keys import node_keyring
from tangguh.core.signing import JwsError, verify_jws
from tangguh.domain.audit_chain import ChainEvent, event_hash
from tangguh.domain.checkpoint import CheckpointError, parse_checkpoint_payload
from tangguh.integrity.services.dossier import DOSSIER_TYPE, MANIFEST_JSON, MANIFEST_JWS

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Problem:
    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.code}: {self.message}"


@dataclass
class DossierReport:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifest: dict | None = None
    checkpoint_token: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, path: str, code: str, message: str) -> None:
        self.problems.append(Problem(path, code, message))


# --- reading a directory or a tar the same way -------------------------------------------------


class _Source:
    def __init__(self, names: list[str], opener: Callable[[str], Iterator[bytes]]) -> None:
        self.names = names
        self._open = opener

    def read(self, name: str) -> bytes:
        return b"".join(self._open(name))

    def digest(self, name: str) -> tuple[str, int]:
        sha = hashlib.sha256()
        size = 0
        for chunk in self._open(name):
            sha.update(chunk)
            size += len(chunk)
        return sha.hexdigest(), size


def _from_directory(root: Path) -> _Source:
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    def opener(name: str) -> Iterator[bytes]:
        with open(root / name, "rb") as handle:
            yield from iter(lambda: handle.read(CHUNK), b"")

    return _Source(names, opener)


def _from_tar(path: Path) -> _Source:
    archive = tarfile.open(path, "r:*")  # noqa: SIM115 - kept open while the report is made
    members = {}
    for member in archive.getmembers():
        if not member.isfile():
            continue
        parts = PurePosixPath(member.name).parts
        # The API's tar has one top folder (dossier-<code>/); strip it.
        name = "/".join(parts[1:]) if len(parts) > 1 else member.name
        members[name] = member

    def opener(name: str) -> Iterator[bytes]:
        handle = archive.extractfile(members[name])
        yield from iter(lambda: handle.read(CHUNK), b"")

    return _Source(sorted(members), opener)


def _source(path: Path) -> _Source:
    if path.is_dir():
        # A dossier unpacked from the tar keeps its top folder: look inside it.
        if not (path / MANIFEST_JWS).exists():
            inner = [p for p in path.iterdir() if p.is_dir() and (p / MANIFEST_JWS).exists()]
            if len(inner) == 1:
                path = inner[0]
        return _from_directory(path)
    return _from_tar(path)


# --- the checks ----------------------------------------------------------------------------------


def _jws(
    report: DossierReport, path: str, token: str, jwks: dict, node_jwks: dict | None
) -> dict | None:
    """The payload if ``token`` verifies against the dossier's keys (and the node's)."""
    try:
        verified = verify_jws(token, jwks)
    except JwsError as exc:
        report.problem(path, f"signature.{exc.kind}", f"does not verify with jwks.json: {exc}")
        return None
    if node_jwks is not None:
        try:
            verify_jws(token, node_jwks)
        except JwsError as exc:
            report.problem(
                path, "signature.not_this_node", f"not signed by this node's keys: {exc}"
            )
            return None
    return verified.payload


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _check_events(
    report: DossierReport,
    lines: bytes,
    checkpoint: dict | None,
    node_events: Callable[[list[int]], dict[int, str]] | None,
) -> None:
    path = "audit-events.jsonl"
    events: list[tuple[ChainEvent, str]] = []
    for number, raw in enumerate(lines.decode().splitlines(), start=1):
        try:
            row = json.loads(raw)
            event = ChainEvent(
                seq=int(row["seq"]),
                at=_parse_time(row["at"]),
                actor=row["actor"],
                action=row["action"],
                object_type=row["object"]["type"],
                object_id=row["object"]["id"],
                payload=row["payload"],
                prev_hash=row["prev"],
            )
            stored = str(row["hash"])
        except (ValueError, KeyError, TypeError) as exc:
            report.problem(path, "event.malformed", f"line {number}: {exc}")
            continue
        if event_hash(event) != stored:
            report.problem(
                path, "event.altered", f"event #{event.seq}: content does not match its hash"
            )
        events.append((event, stored))
    events.sort(key=lambda pair: pair[0].seq)
    linked = 0
    for (before, before_hash), (after, _) in pairwise(events):
        if after.seq == before.seq:
            report.problem(path, "event.duplicate", f"event #{after.seq} appears twice")
        elif after.seq == before.seq + 1:
            linked += 1
            if after.prev_hash != before_hash:
                report.problem(
                    path,
                    "event.link_broken",
                    f"event #{after.seq} does not link to event #{before.seq}",
                )
    if checkpoint is not None:
        for event, stored in events:
            if event.seq > checkpoint["size"]:
                report.problem(
                    path,
                    "event.after_checkpoint",
                    f"event #{event.seq} is past the checkpoint ({checkpoint['size']} events)",
                )
            elif event.seq == checkpoint["size"] and stored != checkpoint["head_hash"]:
                report.problem(
                    path,
                    "event.checkpoint_differs",
                    f"event #{event.seq} is the checkpoint's last but its hash differs",
                )
    report.notes.append(
        f"{len(events)} audit events: each hash recomputed, {linked} consecutive links checked"
    )
    if node_events is not None and events:
        stored_on_node = node_events([e.seq for e, _ in events])
        # Both the stated and the recomputed hash must be the node's: an altered event whose
        # stated hash was left alone is not in the log either.
        missing = [e.seq for e, h in events if stored_on_node.get(e.seq) != h or event_hash(e) != h]
        if missing:
            report.problem(
                path,
                "event.not_in_log",
                f"events {missing[:10]} are not in this node's log as the dossier states them",
            )
        else:
            report.notes.append("every included event is in this node's log with that hash")


def dossier_verify(
    path: Path,
    *,
    node_jwks: dict | None = None,
    node_events: Callable[[list[int]], dict[int, str]] | None = None,
) -> DossierReport:
    """Check the dossier at ``path`` (directory or tar). ``node_jwks`` / ``node_events``: the
    node's keys and a lookup of its stored event hashes, when run on the node."""
    report = DossierReport()
    try:
        source = _source(Path(path))
    except (OSError, tarfile.TarError) as exc:
        report.problem(str(path), "dossier.unreadable", str(exc))
        return report
    names = set(source.names)
    for required in (MANIFEST_JWS, "jwks.json"):
        if required not in names:
            report.problem(required, "file.missing", "not in the dossier; nothing can be checked")
    if not report.ok:
        return report
    try:
        jwks = json.loads(source.read("jwks.json"))
    except ValueError as exc:
        report.problem("jwks.json", "file.malformed", str(exc))
        return report
    manifest = _jws(
        report, MANIFEST_JWS, source.read(MANIFEST_JWS).decode().strip(), jwks, node_jwks
    )
    if manifest is None:
        report.problem(MANIFEST_JWS, "manifest.forged", "the manifest cannot be trusted")
        return report
    if manifest.get("typ") != DOSSIER_TYPE or not isinstance(manifest.get("files"), list):
        report.problem(MANIFEST_JWS, "manifest.malformed", "not a Tangguh dossier manifest")
        return report
    report.manifest = manifest
    if MANIFEST_JSON in names:
        try:
            copy = json.loads(source.read(MANIFEST_JSON))
        except ValueError:
            copy = None
        if copy != manifest:
            report.problem(
                MANIFEST_JSON, "manifest.copy_differs", "differs from the signed manifest.jws"
            )
    listed = {}
    for entry in manifest["files"]:
        listed[entry["path"]] = entry
        if entry["path"] not in names:
            report.problem(entry["path"], "file.missing", "listed in the manifest, not present")
            continue
        digest, size = source.digest(entry["path"])
        if digest != entry["sha256"] or size != entry["size"]:
            report.problem(
                entry["path"],
                "file.altered",
                f"SHA-256 {digest} ({size} bytes), the manifest says {entry['sha256']} "
                f"({entry['size']} bytes)",
            )
    for name in sorted(names - set(listed) - {MANIFEST_JWS, MANIFEST_JSON}):
        report.problem(name, "file.unlisted", "present but not in the signed manifest")
    report.notes.append(f"{len(listed)} files listed in the signed manifest")

    def present(name: str) -> bool:
        return name in names and name in listed

    code = manifest.get("tender")
    receipts: dict[str, dict] = {}
    for name in sorted(n for n in listed if n.startswith("receipts/") and present(n)):
        payload = _jws(report, name, source.read(name).decode().strip(), jwks, node_jwks)
        if payload is None:
            continue
        if payload.get("typ") != RECEIPT_TYPE or payload.get("tender") != code:
            report.problem(name, "receipt.other", f"not a receipt of tender {code}")
            continue
        receipts[str(payload.get("sha256"))] = payload
    if receipts:
        report.notes.append(f"{len(receipts)} receipts verify")
    if present("closing-statement.jws"):
        name = "closing-statement.jws"
        payload = _jws(report, name, source.read(name).decode().strip(), jwks, node_jwks)
        if payload is not None:
            if payload.get("typ") != CLOSING_TYPE or payload.get("tender") != code:
                report.problem(name, "closing.other", f"not the closing statement of {code}")
            else:
                for envelope in payload.get("envelopes", []):
                    if envelope.get("sha256") not in receipts:
                        report.problem(
                            name,
                            "closing.receipt_missing",
                            f"lists envelope {envelope.get('sha256')} with no receipt in "
                            "the dossier",
                        )
                report.notes.append(
                    f"the closing statement verifies ({payload.get('count')} envelopes)"
                )
    checkpoint = None
    if present("checkpoint.jws"):
        token = source.read("checkpoint.jws").decode().strip()
        payload = _jws(report, "checkpoint.jws", token, jwks, node_jwks)
        if payload is not None:
            try:
                claim = parse_checkpoint_payload(payload)
            except CheckpointError as exc:
                report.problem("checkpoint.jws", exc.code, exc.message)
            else:
                checkpoint = {"size": claim.size, "head_hash": claim.head_hash}
                report.checkpoint_token = token
                if manifest.get("checkpoint") != checkpoint:
                    report.problem(
                        "checkpoint.jws",
                        "checkpoint.differs",
                        "not the checkpoint the manifest cites",
                    )
    else:
        report.problem("checkpoint.jws", "file.missing", "the dossier has no checkpoint")
    if present("audit-events.jsonl"):
        _check_events(report, source.read("audit-events.jsonl"), checkpoint, node_events)
    return report


def dossier_verify_on_node(path: Path) -> DossierReport:
    """``dossier_verify`` with this node's keys and log, then the full proof: the current log
    extends the dossier's checkpoint (``checkpoint_verify``: the whole chain verifies and its
    event at the checkpoint's size has the checkpoint's hash), and every included event is in
    that log with the hash the dossier states."""

    def node_events(seqs: list[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for start in range(0, len(seqs), 500):
            batch = seqs[start : start + 500]
            found.update(AuditEvent.objects.filter(seq__in=batch).values_list("seq", "hash"))
        return found

    report = dossier_verify(path, node_jwks=node_keyring().jwks(), node_events=node_events)
    if report.checkpoint_token is not None and report.ok:
        verdict = checkpoint_verify(report.checkpoint_token)
        if verdict.ok:
            report.notes.append(verdict.message)
        else:
            report.problem("checkpoint.jws", verdict.code, verdict.message)
    return report
