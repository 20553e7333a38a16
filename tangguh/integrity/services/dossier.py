"""The auditor dossier of one tender: every public document and minute, every envelope's
receipt, the signed closing statement, the opening list, the schedule changes, the award, a
checkpoint signed at export time and every audit event about the tender and its objects, with
a manifest of SHA-256 per file signed by the node key (``manifest.jws``) and the node's JWKS.

Sealed bid contents are never included, opened or not: the opened packages hold vendors'
commercial and personal data (UU 27/2022) and the dossier is a proof bundle that travels. Their
SHA-256 are in it (receipts, closing statement, the ``opening.opened`` event), so packages
obtained through an audited read can be checked against it.

Layout (also a tar, streamed with bounded memory)::

    README.txt  tender.json  jwks.json  checkpoint.jws
    documents/<id>-<filename>            every TenderDocument (tender documents, addenda, BA)
    receipts/<received>-<lot>-<envelope>-<nib>.jws   every envelope, superseded and withdrawn too
    envelopes.json  closing-statement.jws  closing-statement.json  opening-list.json
    schedule-changes.json  award.json  audit-events.jsonl
    manifest.jws  manifest.json          (not listed in the manifest: they are the manifest)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import Q

from tangguh import clock
from tangguh.audit.models import AuditEvent
from tangguh.audit.services import audit_record_read
from tangguh.audit.services.checkpoints import checkpoint_make
from tangguh.awards.selectors import current_award
from tangguh.bids.models import Envelope, OpenedEnvelope, Opening
from tangguh.bids.selectors import closing_statement_get, envelope_status, node_identity
from tangguh.bids.services.receipts import rfc3339
from tangguh.core.blobs import node_blobs
from tangguh.core.errors import Conflict
from tangguh.core.keys import node_keyring
from tangguh.core.signing import b64url_decode, sign_payload
from tangguh.domain.audit_chain import format_time
from tangguh.tenders.models import ScheduleChange, Tender

DOSSIER_TYPE = "tangguh.dossier/1"
MANIFEST_JWS = "manifest.jws"
MANIFEST_JSON = "manifest.json"

README = """Berkas audit tender {code} / Auditor dossier of tender {code}

Periksa dengan / verify with:  tangguh audit verify --dossier <folder atau .tar>

manifest.jws   daftar SHA-256 setiap berkas, ditandatangani kunci node (JWS, EdDSA)
               the SHA-256 of every file, signed by the node key (JWS, EdDSA)
jwks.json      kunci publik node / the node's public keys
checkpoint.jws titik periksa log audit saat ekspor / audit log checkpoint at export
audit-events.jsonl  peristiwa audit tentang tender ini (bagian dari log) / the tender's events

Isi penawaran yang disegel tidak disertakan. / Sealed bid contents are not included.
"""


@dataclass(frozen=True)
class DossierFile:
    path: str
    size: int
    sha256: str
    chunks: Callable[[], Iterable[bytes]]


def _data(path: str, content: bytes) -> DossierFile:
    return DossierFile(path, len(content), hashlib.sha256(content).hexdigest(), lambda: [content])


def _json(path: str, value: Any) -> DossierFile:
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    return _data(path, text.encode())


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    return cleaned[:120]


def _blob(path: str, sha256: str, size: int) -> DossierFile:
    return DossierFile(path, size, sha256, lambda: node_blobs().iter_chunks(sha256))


# --- what goes in ------------------------------------------------------------------------------


def _events_query(tender: Tender, up_to: int):
    """Every event about the tender (by id or code), its package, its envelopes and its
    documents, and reads of its opened packages — up to the checkpoint's size."""
    document_ids = [str(i) for i in tender.documents.values_list("pk", flat=True)]
    opened_ids = [
        str(i)
        for i in OpenedEnvelope.objects.filter(opening__tender=tender).values_list("pk", flat=True)
    ]
    about = (
        Q(object_type="tender", object_id__in=[str(tender.pk), tender.code])
        | Q(object_type="package", object_id=str(tender.package_id))
        | Q(object_type="bid.envelope", object_id__startswith=f"{tender.code}/")
        | Q(object_type="tender_document", object_id__in=document_ids)
    )
    if opened_ids:
        about |= Q(object_type="bid.opened_package", object_id__in=opened_ids)
    return AuditEvent.objects.filter(about, seq__lte=up_to).order_by("seq")


def _event_line(row: AuditEvent) -> bytes:
    """One event as its hash covers it (the chain's canonical fields) plus its stored hash."""
    line = {
        "seq": row.seq,
        "at": format_time(row.at),
        "actor": row.actor,
        "action": row.action,
        "object": {"type": row.object_type, "id": row.object_id},
        "payload": row.payload,
        "prev": row.prev_hash,
        "hash": row.hash,
    }
    return (json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _events_file(tender: Tender, up_to: int) -> DossierFile:
    digest = hashlib.sha256()
    size = 0
    for row in _events_query(tender, up_to).iterator(chunk_size=500):
        line = _event_line(row)
        digest.update(line)
        size += len(line)

    def chunks() -> Iterator[bytes]:
        for row in _events_query(tender, up_to).iterator(chunk_size=500):
            yield _event_line(row)

    return DossierFile("audit-events.jsonl", size, digest.hexdigest(), chunks)


def _money(value) -> str | None:
    return None if value is None else str(value)


def _opening_list(tender: Tender) -> dict:
    openings = []
    for opening in Opening.objects.filter(tender=tender).select_related("sealing_key"):
        openings.append(
            {
                "envelope": opening.sealing_key.envelope,
                "lot": opening.sealing_key.lot,
                "closing_statement_sha256": opening.statement_sha256,
                "opened_at": opening.opened_at and rfc3339(opening.opened_at),
                "minutes_sha256": opening.minutes_sha256 or None,
                "envelopes": [
                    {
                        "company": row.envelope.company.name,
                        "company_nib": row.envelope.company.nib,
                        "sha256": row.envelope.sha256,
                        "size": row.envelope.size,
                        "ok": row.ok,
                        "reason": row.reason or None,
                        "total_price": _money(row.total_price),
                        "tkdn_percent": _money(row.tkdn_percent),
                        "package_sha256": row.plain_sha256 or None,
                    }
                    for row in OpenedEnvelope.objects.filter(opening=opening).select_related(
                        "envelope__company"
                    )
                ],
            }
        )
    return {"tender": tender.code, "openings": openings}


def _award(tender: Tender) -> dict:
    award = current_award(tender)
    if award is None:
        return {"tender": tender.code, "award": None}
    return {
        "tender": tender.code,
        "award": {
            "status": award.status,
            "company": award.company.name,
            "company_nib": award.company.nib,
            "price": str(award.price),
            "evaluated_price": str(award.evaluated_price),
            "reserves": award.reserves,
            "announced_at": award.announced_at and rfc3339(award.announced_at),
            "minute_sha256": award.minute.content_sha256,
        },
    }


def dossier_files(*, tender: Tender, actor: Any) -> tuple[list[DossierFile], dict]:
    """The dossier's files and its manifest payload (not yet signed). The export is recorded
    as a read before the checkpoint is made, so the dossier's own events include it."""
    blobs = node_blobs()
    for d in tender.documents.all():
        if not blobs.exists(d.sha256):
            # Refused before anything is recorded, written or sent, rather than a dossier cut
            # short.
            raise Conflict(
                "dossier.document_missing",
                f"Berkas {d.filename} (SHA-256 {d.sha256}) tidak ada di penyimpanan node.",
                f"File {d.filename} (SHA-256 {d.sha256}) is missing from the node's storage.",
            )
    audit_record_read(
        actor=actor, object_type="tender", object_ids=[tender.code], purpose="audit dossier export"
    )
    checkpoint = checkpoint_make()
    node, prefix = node_identity()
    files: list[DossierFile] = [
        _data("README.txt", README.format(code=tender.code).encode()),
        _json("jwks.json", node_keyring().jwks()),
        _data("checkpoint.jws", (checkpoint.token + "\n").encode()),
        _json(
            "tender.json",
            {
                "code": tender.code,
                "title": tender.title,
                "agency": tender.package.work_unit.agency.name,
                "work_unit": tender.package.work_unit.name,
                "method": tender.method,
                "evaluation_method": tender.evaluation_method,
                "owner_estimate": str(tender.package.owner_estimate),
                "announced_at": tender.announced_at and rfc3339(tender.announced_at),
                "cancelled_at": tender.cancelled_at and rfc3339(tender.cancelled_at),
                "schedule": [
                    {"kind": s.kind, "start": rfc3339(s.start), "end": rfc3339(s.end)}
                    for s in tender.stages.order_by("position")
                ],
            },
        ),
    ]
    documents = []
    for d in tender.documents.order_by("uploaded_at", "pk"):
        path = f"documents/{d.pk}-{_safe(d.filename)}"
        files.append(_blob(path, d.sha256, d.size))
        documents.append({"path": path, "title": d.title, "kind": d.kind, "version": d.version})
    files.append(_json("documents.json", documents))
    envelopes = []
    for e in (
        Envelope.objects.filter(tender=tender).select_related("company").order_by("received_at")
    ):
        stamp = e.received_at.strftime("%Y%m%dT%H%M%S%f")
        path = f"receipts/{stamp}-{e.lot}-{e.name}-{_safe(e.company.nib)}.jws"
        files.append(_data(path, (e.receipt + "\n").encode()))
        envelopes.append(
            {
                "receipt": path,
                "company": e.company.name,
                "company_nib": e.company.nib,
                "lot": e.lot,
                "envelope": e.name,
                "sha256": e.sha256,
                "size": e.size,
                "received_at": rfc3339(e.received_at),
                "status": envelope_status(e),
                "audit_seq": e.audit_seq,
            }
        )
    files.append(_json("envelopes.json", envelopes))
    statement = closing_statement_get(tender)
    if statement is not None:
        files.append(_data("closing-statement.jws", (statement.signature + "\n").encode()))
        files.append(_json("closing-statement.json", statement.document))
    files.append(_json("opening-list.json", _opening_list(tender)))
    files.append(
        _json(
            "schedule-changes.json",
            [
                {"at": rfc3339(c.at), "cause": c.cause, "reason": c.reason, "diff": c.diff}
                for c in ScheduleChange.objects.filter(tender=tender).order_by("at", "pk")
            ],
        )
    )
    files.append(_json("award.json", _award(tender)))
    files.append(_events_file(tender, checkpoint.size))
    files.sort(key=lambda f: f.path)
    manifest = {
        "typ": DOSSIER_TYPE,
        "node": node,
        "ocds_prefix": prefix,
        "tender": tender.code,
        "made_at": rfc3339(clock.now()),
        "checkpoint": {"size": checkpoint.size, "head_hash": checkpoint.head_hash},
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in files],
    }
    return files, manifest


def _manifest_files(manifest: dict) -> list[DossierFile]:
    token = sign_payload(manifest)
    signed = json.loads(b64url_decode(token.split(".")[1]))
    return [
        _data(MANIFEST_JWS, (token + "\n").encode()),
        _json(MANIFEST_JSON, signed),  # a readable copy of exactly what was signed
    ]


# --- where it goes -------------------------------------------------------------------------------


def dossier_write_directory(*, tender: Tender, actor: Any, dest: Path) -> dict:
    """Write the dossier into ``dest`` (a new or empty directory); the manifest payload."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    files, manifest = dossier_files(tender=tender, actor=actor)
    for item in [*files, *_manifest_files(manifest)]:
        target = dest / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            for chunk in item.chunks():
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    return manifest


def _tar_member(item: DossierFile, mtime: float, root: str) -> Iterator[bytes]:
    info = tarfile.TarInfo(f"{root}/{item.path}")
    info.size = item.size
    info.mtime = int(mtime)
    info.mode = 0o644
    yield info.tobuf(format=tarfile.PAX_FORMAT)
    written = 0
    for chunk in item.chunks():
        written += len(chunk)
        yield chunk
    if written != item.size:  # a stored blob changed under us: a truncated tar says so
        raise OSError(f"{item.path}: {written} bytes, expected {item.size}")
    if item.size % tarfile.BLOCKSIZE:
        yield b"\0" * (tarfile.BLOCKSIZE - item.size % tarfile.BLOCKSIZE)


def dossier_tar_stream(*, tender: Tender, actor: Any) -> tuple[dict, Iterator[bytes]]:
    """The dossier as an uncompressed tar, produced chunk by chunk (files stream from
    storage), the signed manifest last. Everything is read before the first byte is sent, so
    errors surface before the response starts."""
    files, manifest = dossier_files(tender=tender, actor=actor)
    tail = _manifest_files(manifest)
    mtime = clock.now().timestamp()
    root = f"dossier-{_safe(tender.code)}"

    def stream() -> Iterator[bytes]:
        for item in [*files, *tail]:
            yield from _tar_member(item, mtime, root)
        yield b"\0" * (tarfile.BLOCKSIZE * 2)

    return manifest, stream()


def dossier_write_tar(*, tender: Tender, actor: Any, dest: Path) -> dict:
    dest = Path(dest)
    if dest.exists():
        raise FileExistsError(f"{dest} exists")
    manifest, stream = dossier_tar_stream(tender=tender, actor=actor)
    with open(dest, "wb") as out:
        for chunk in stream:
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return manifest
