"""Quorum opening of sealed envelopes.

After the bid deadline, once the closing statement is signed, each Pokja member decrypts their
key share on their own machine and releases it, bound to the SHA-256 of the closing statement
they saw (RFC 8785 canonical JSON of its document) and checked against the share's commitment.
The plain share is kept only until *k* are in. Then the node rebuilds the envelope key's
identity, opens every envelope the closing statement lists (decrypted as it streams from
content storage straight into content storage: never whole in memory, written once), reads each
``penawaran.json``, records the opening list, erases the released shares, and publishes the BA
Pembukaan (PDF).

Transactions: a release is one short transaction under the tender lock. The decryption runs
outside any transaction (its output blobs are content-addressed, so a crash leaves only
unreferenced blobs); the results, the erasure of the shares and the minutes are recorded in a
second transaction under the tender lock, which a concurrent finisher finds already done. If
the node stops between the two, the shares stay stored until any released member sends theirs
again, which runs the opening.

Two-file tenders (*dua file*): the ``technical`` key opens as above. The ``price`` key takes
shares only once the Pokja has recorded a technical result for every opened technical bid
(``tangguh.evaluation``); creating the price opening freezes those results. At *k* price shares
only the price envelopes of bids that passed are decrypted; the others are recorded as not
opened (``opening.failed_technical``) and never decrypted (Perlem LKPP 12/2021).

Bid guarantee: the opening list records the guarantee each ``penawaran.json`` states and, when
the tender requires one (works above the HPS threshold: RULES.md "Bid guarantee"; HPS = the
package's owner estimate), what is wrong with it (missing, below 1% of the HPS, ending before
the bid's stated validity: ``tangguh.domain.evaluation.guarantees``), so the Pokja sees it in
the list and the BA Pembukaan. It is checked on the envelope holding the administrative part
(``offer``, or ``technical`` in a two-file tender), not on a price envelope. These are findings
for the evaluation, not reasons to refuse the envelope: it still opens as valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal

import pyrage
import rfc8785
from django.conf import settings
from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append, audit_record_read
from tangguh.bids.models import (
    ClosingStatement,
    Envelope,
    KeyShare,
    OpenedEnvelope,
    Opening,
    SealingKey,
    ShareRelease,
)
from tangguh.bids.selectors import bid_guarantee_rule, closing_statement_get, node_identity
from tangguh.bids.services.receipts import rfc3339
from tangguh.bids.services.upload import bid_window, lock_tender
from tangguh.clarification.pdf import render_pdf
from tangguh.core.blobs import node_blobs
from tangguh.core.calendar import node_calendar
from tangguh.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tangguh.domain.bid_package import BidPackage, BidPackageInvalid
from tangguh.domain.evaluation.guarantees import bid_guarantee_problems
from tangguh.domain.money import format_rupiah
from tangguh.domain.roles import Permission, Role
from tangguh.domain.sealing.shares import KeyShare as PlainShare
from tangguh.domain.sealing.shares import ShareError, combine_shares, parse_share
from tangguh.evaluation.selectors import (
    technical_passed_company_ids,
    technical_results_complete,
)
from tangguh.outages.selectors import gap_detection_done
from tangguh.sealing.files import SealingFailure
from tangguh.sealing.package import read_penawaran
from tangguh.tenders.models import DocumentKind, Tender
from tangguh.tenders.services.documents import document_record, document_store

MINUTES_TITLE = "Berita Acara Pembukaan Penawaran"
PLAIN_MAX_BYTES = 64 * 1024**3  # an opened package; age adds 16 bytes per 64 KiB chunk
CHUNK = 1024 * 1024
FAILED_TECHNICAL = "opening.failed_technical"  # a price envelope left sealed
ENVELOPE_LABELS = {
    "offer": "offer (penawaran satu file)",
    "technical": "technical (sampul I: administrasi dan teknis)",
    "price": "price (sampul II: harga)",
}


# --- errors -----------------------------------------------------------------------------------


def _not_found(code: str) -> NotFound:
    return NotFound(
        "opening.tender_not_found",
        f"Tender {code} tidak ditemukan atau belum diumumkan.",
        f"Tender {code} does not exist or is not announced.",
    )


def _too_early() -> Conflict:
    return Conflict(
        "opening.too_early",
        "Pembukaan penawaran hanya setelah batas akhir pemasukan penawaran dan setelah berita "
        "penutupan (closing statement) ditandatangani; bagian kunci tidak diterima.",
        "Bids open only after the bid deadline, once the closing statement is signed; the "
        "share is refused.",
    )


def _share_mismatch(detail_id: str, detail_en: str) -> InvalidInput:
    return InvalidInput(
        "opening.share_mismatch",
        f"Bagian kunci ditolak: {detail_id}",
        f"The key share is refused: {detail_en}",
        field="share",
    )


# --- reads ----------------------------------------------------------------------------------


def statement_sha256(statement: ClosingStatement) -> str:
    """The SHA-256 of the closing statement's document as RFC 8785 canonical JSON: what a
    member computes from ``GET /tenders/{code}/closing-statement`` (``document``)."""
    return hashlib.sha256(rfc8785.dumps(statement.document)).hexdigest()


def is_committee_member(user: User | None, tender: Tender) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.role_assignments.filter(
        role=Role.COMMITTEE_MEMBER.value, scope=f"committee:{tender.committee_id}"
    ).exists()


def opening_tender(code: str) -> Tender:
    tender = Tender.objects.filter(code=code).select_related("package").first()
    if tender is None or tender.announced_at is None:
        raise _not_found(code)
    return tender


def require_committee_member(
    actor: User, tender: Tender, action: str, *, permission: Permission = Permission.OPEN_BIDS
) -> None:
    """Refuse (audited) anyone who does not sit on the tender's Pokja."""
    if not is_committee_member(actor, tender):
        permission_require(
            user=actor,
            permission=permission,
            scope=f"committee:{tender.committee_id}",
            action=action,
        )
        if not is_committee_member(actor, tender):  # e.g. a node-wide grant: still not Pokja
            raise PermissionDenied(
                "opening.not_member",
                "Hanya anggota Pokja tender ini yang dapat melakukan ini.",
                "Only this tender's committee members can do this.",
            )


def _openable_key(tender: Tender, plain: PlainShare) -> SealingKey:
    key = SealingKey.objects.filter(
        tender=tender, lot=plain.context.lot, envelope=plain.context.envelope
    ).first()
    if plain.context.tender != tender.code or key is None:
        raise _share_mismatch(
            "bagian kunci ini bukan untuk tender ini.", "this share is not for this tender."
        )
    return key


def _require_price_ready(tender: Tender) -> None:
    """A price share is taken only once every opened technical bid has its technical result
    (two-file tenders; Perlem LKPP 12/2021): checked under the tender lock, together with
    creating the price opening, which freezes those results."""
    if not technical_results_complete(tender):
        raise Conflict(
            "opening.price_after_evaluation",
            "Sampul harga dibuka setelah sampul teknis dibuka dan hasil evaluasi teknis dicatat "
            "untuk setiap penawaran; bagian kunci harga belum diterima.",
            "Price envelopes open only after the technical envelopes are open and the technical "
            "result of every bid is recorded; the price share is refused.",
        )


# --- releasing a share ----------------------------------------------------------------------


@dataclass
class ReleaseResult:
    opening: Opening
    released: int
    k: int
    created: bool
    opened_now: bool = False


def share_release(
    *, actor: User, tender: Tender, share: dict | str, closing_statement: str
) -> ReleaseResult:
    """A member releases their plain key share (see the module docstring)."""
    require_committee_member(actor, tender, "opening.share_release")
    if not gap_detection_done():
        # After a restart an unseen outage may still move this tender's deadline (issue 7):
        # nothing opens until the heartbeat has examined the silence.
        raise Conflict(
            "opening.gap_detection_pending",
            "Node baru berjalan kembali; pembukaan menunggu deteksi gangguan (heartbeat). "
            "Coba lagi dalam satu menit.",
            "The node has just restarted; opening waits until outage detection (the heartbeat) "
            "has run. Try again in a minute.",
        )
    statement = closing_statement_get(tender)
    _, deadline = bid_window(tender)
    if statement is None or deadline is None or clock.now() < deadline:
        raise _too_early()
    try:
        plain = parse_share(share)
    except ShareError as exc:
        raise InvalidInput(
            "opening.share_invalid",
            f"Bagian kunci tidak dapat dibaca ({exc.code}).",
            f"The key share cannot be read ({exc.code}: {exc}).",
            field="share",
        ) from exc
    if (closing_statement or "").strip().lower() != statement_sha256(statement):
        raise InvalidInput(
            "opening.statement_mismatch",
            "SHA-256 berita penutupan yang Anda lihat tidak sama dengan yang ditandatangani "
            "node; periksa kembali berita penutupan sebelum melepas bagian kunci.",
            "The closing statement SHA-256 you saw differs from the one the node signed; "
            "check the closing statement again before releasing your share.",
            field="closing_statement",
        )
    key = _openable_key(tender, plain)
    mine = KeyShare.objects.filter(sealing_key=key, index=plain.index, holder=actor).first()
    if mine is None:
        raise _share_mismatch(
            f"bagian nomor {plain.index} bukan milik Anda.",
            f"share {plain.index} is not yours.",
        )
    if plain.commitment() != mine.commitment or plain.recipient != key.recipient:
        audit_append(
            actor=actor,
            action="opening.share_refused",
            object_type="tender",
            object_id=tender.code,
            payload={"envelope": key.envelope, "index": plain.index, "reason": "commitment"},
        )
        raise _share_mismatch(
            f"bagian nomor {plain.index} tidak cocok dengan komitmennya (SHA-256).",
            f"share {plain.index} does not match its commitment (SHA-256).",
        )
    with transaction.atomic():
        locked = lock_tender(tender)
        opening = Opening.objects.filter(sealing_key=key).first()
        if opening is not None and opening.opened_at is not None:
            raise Conflict(
                "opening.already_opened",
                "Sampul ini sudah dibuka.",
                "These envelopes are already open.",
            )
        now = clock.now()
        if opening is None and key.envelope == "price":
            _require_price_ready(locked)
        if opening is None:
            opening = Opening.objects.create(
                tender=locked,
                sealing_key=key,
                closing_statement=statement,
                statement_sha256=statement_sha256(statement),
                started_at=now,
            )
        created = not ShareRelease.objects.filter(key_share=mine).exists()
        if created:
            ShareRelease.objects.create(
                opening=opening,
                key_share=mine,
                released_by=actor,
                released_at=now,
                share=plain.canonical_json(),
            )
            KeyShare.objects.filter(pk=mine.pk).update(released_at=now)
            audit_append(
                actor=actor,
                action="opening.share_released",
                object_type="tender",
                object_id=tender.code,
                payload={
                    "envelope": key.envelope,
                    "index": plain.index,
                    "commitment": mine.commitment,
                    "closing_statement": opening.statement_sha256,
                    "released_at": now.isoformat(),
                },
            )
        released = opening.releases.count()
    result = ReleaseResult(opening=opening, released=released, k=key.k, created=created)
    if released >= key.k:
        result.opened_now = opening_run(opening=opening, actor=actor)
        opening.refresh_from_db()
    return result


# --- opening --------------------------------------------------------------------------------


@dataclass
class EnvelopeOutcome:
    envelope: Envelope
    ok: bool
    reason: str = ""
    detail: list = field(default_factory=list)
    total_price: Decimal | None = None
    tkdn_percent: Decimal | None = None
    bid_guarantee: dict | None = None
    guarantee_problems: list = field(default_factory=list)
    plain_sha256: str = ""
    plain_size: int | None = None


@dataclass(frozen=True)
class GuaranteeCheck:
    """What the tender asks of the bid guarantee in the envelopes of one opening."""

    required: bool
    hps: Decimal
    deadline_day: dt.date | None  # the bid deadline's local date: validity counts from it


def guarantee_check(tender: Tender, envelope: str) -> GuaranteeCheck:
    """Whether this envelope's bids must carry a bid guarantee (HPS = the package's owner
    estimate, its category; never on a price envelope: the guarantee goes with the
    administrative part) and what it is measured against. The rule is the one the sealing page
    shows the vendor (``bid_guarantee_rule``)."""
    rule = bid_guarantee_rule(tender, envelope)
    _, deadline = bid_window(tender)
    day = node_calendar().local(deadline).date() if deadline is not None else None
    return GuaranteeCheck(required=rule.required, hps=rule.hps, deadline_day=day)


def _guarantee_findings(package: BidPackage, check: GuaranteeCheck) -> tuple[dict | None, list]:
    """The stated guarantee (JSON) and its problems as {code, field, message_id, message_en}.
    The bid is valid until the deadline's local date plus its stated validity days (standard
    tender documents; the same count the award's validity uses)."""
    stated = package.bid_guarantee
    valid_until = (
        check.deadline_day + dt.timedelta(days=package.validity_days)
        if check.deadline_day is not None
        else None
    )
    problems = bid_guarantee_problems(
        required=check.required, guarantee=stated, hps=check.hps, bid_valid_until=valid_until
    )
    return (
        None if stated is None else stated.to_json(),
        [
            {
                "code": p.code,
                "field": p.field,
                "message_id": p.message_id,
                "message_en": p.message_en,
            }
            for p in problems
        ],
    )


def _decrypt_to_blob(envelope: Envelope, identity: pyrage.x25519.Identity):
    """Decrypt the envelope's blob straight into content storage, streaming: the plaintext is
    hashed and written once, nothing is stored if decryption fails midway. 1 MiB buffers on
    both sides, because pyrage reads and writes in 8 KiB calls."""
    blobs = node_blobs()
    with blobs.open(envelope.sha256, buffering=CHUNK) as sealed:
        return blobs.put_written(
            lambda plain: pyrage.decrypt_io(sealed, plain, [identity]), max_size=PLAIN_MAX_BYTES
        )


def _open_one(
    envelope: Envelope, identity, tender: Tender, guarantee: GuaranteeCheck
) -> EnvelopeOutcome:
    try:
        blob = _decrypt_to_blob(envelope, identity)
    except FileNotFoundError:
        return EnvelopeOutcome(envelope, ok=False, reason="opening.file_missing")
    except pyrage.DecryptError as exc:
        return EnvelopeOutcome(
            envelope, ok=False, reason="opening.decrypt_failed", detail=[str(exc)[:300]]
        )
    except OSError as exc:
        # pyrage reports a payload that fails its MAC midway (altered or truncated after
        # sealing) as an OSError without errno while streaming; a real I/O error (disk full,
        # unreadable store) has an errno and must stop the opening, not blame the vendor.
        if exc.errno is not None:
            raise
        return EnvelopeOutcome(
            envelope, ok=False, reason="opening.decrypt_failed", detail=[str(exc)[:300]]
        )
    outcome = EnvelopeOutcome(envelope, ok=False, plain_sha256=blob.sha256, plain_size=blob.size)
    try:
        with node_blobs().open(blob.sha256) as handle:
            package = read_penawaran(handle)
    except SealingFailure as exc:
        outcome.reason, outcome.detail = "opening.invalid_package", [exc.code]
        return outcome
    except BidPackageInvalid as exc:
        outcome.reason = "opening.invalid_package"
        outcome.detail = [p.code for p in exc.problems]
        return outcome
    mismatched = []
    if package.tender != tender.code:
        mismatched.append("penawaran.tender_mismatch")
    if package.lot != envelope.lot or package.envelope != envelope.name:
        mismatched.append("penawaran.envelope_mismatch")
    if package.company_nib != envelope.company.nib:
        mismatched.append("penawaran.company_mismatch")
    outcome.total_price, outcome.tkdn_percent = package.total_price, package.tkdn_percent
    outcome.bid_guarantee, outcome.guarantee_problems = _guarantee_findings(package, guarantee)
    if mismatched:
        outcome.reason, outcome.detail = "opening.invalid_package", mismatched
        return outcome
    outcome.ok = True
    return outcome


def _listed_envelopes(opening: Opening) -> list[Envelope]:
    """The envelopes of this key that the closing statement lists, in its order."""
    key = opening.sealing_key
    rows = {
        e.sha256: e
        for e in Envelope.objects.filter(
            tender=opening.tender, lot=key.lot, name=key.envelope
        ).select_related("company")
    }
    listed = []
    for entry in opening.closing_statement.document.get("envelopes", []):
        if entry.get("lot") == key.lot and entry.get("name") == key.envelope:
            envelope = rows.get(entry.get("sha256"))
            if envelope is not None:
                listed.append(envelope)
    return listed


def opening_run(*, opening: Opening, actor: User | str) -> bool:
    """Open every listed envelope once *k* shares are in; ``True`` if this call recorded it."""
    releases = list(opening.releases.filter(share__isnull=False))
    key = opening.sealing_key
    if opening.opened_at is not None or len(releases) < key.k:
        return False
    try:
        rebuilt = combine_shares(
            [parse_share(bytes(r.share)) for r in releases],
            commitments={r.key_share.index: r.key_share.commitment for r in releases},
        )
    except ShareError as exc:  # commitments were checked one by one; this means a bad dealing
        raise Conflict(
            "opening.combine_failed",
            f"Bagian kunci tidak membentuk kunci sampul ({exc.code}).",
            f"The released shares do not rebuild the sealing key ({exc.code}).",
        ) from exc
    if rebuilt.recipient != key.recipient:
        raise Conflict(
            "opening.combine_failed",
            "Bagian kunci tidak membentuk kunci sampul.",
            "The released shares do not rebuild the sealing key.",
        )
    identity = pyrage.x25519.Identity.from_str(rebuilt.identity)
    tender = opening.tender
    # A price envelope is decrypted only for a bid that passed the technical evaluation; the
    # others are listed as not opened and their bytes are never touched.
    passed = technical_passed_company_ids(tender) if key.envelope == "price" else None
    guarantee = guarantee_check(tender, key.envelope)
    outcomes = [
        _open_one(e, identity, tender, guarantee)
        if passed is None or e.company_id in passed
        else EnvelopeOutcome(e, ok=False, reason=FAILED_TECHNICAL)
        for e in _listed_envelopes(opening)
    ]
    del identity, rebuilt
    now = clock.now()
    pdf = render_pdf(
        template="bids/opening_minutes.html", context=minutes_context(opening, outcomes, now)
    )
    filename = f"ba-pembukaan-{tender.code}-{key.envelope}.pdf"
    stored = document_store(filename=filename, handle=io.BytesIO(pdf))
    with transaction.atomic():
        lock_tender(tender)
        current = Opening.objects.get(pk=opening.pk)
        if current.opened_at is not None:
            return False
        for outcome in outcomes:
            OpenedEnvelope.objects.create(
                opening=current,
                envelope=outcome.envelope,
                opened_at=now,
                ok=outcome.ok,
                reason=outcome.reason,
                detail=outcome.detail,
                total_price=outcome.total_price,
                tkdn_percent=outcome.tkdn_percent,
                bid_guarantee=outcome.bid_guarantee,
                guarantee_problems=outcome.guarantee_problems,
                plain_sha256=outcome.plain_sha256,
                plain_size=outcome.plain_size,
            )
        erased = current.releases.filter(share__isnull=False).update(share=None, erased_at=now)
        document = document_record(
            actor=actor if isinstance(actor, User) else None,
            tender=tender,
            title=f"{MINUTES_TITLE} ({key.envelope})",
            filename=filename,
            stored=stored,
            kind=DocumentKind.MINUTES,
        )
        current.opened_at = now
        current.minutes = document
        current.minutes_sha256 = document.sha256
        current.save(update_fields=["opened_at", "minutes", "minutes_sha256"])
        audit_append(
            actor=actor,
            action="opening.opened",
            object_type="tender",
            object_id=tender.code,
            payload={
                "envelope": key.envelope,
                "closing_statement": current.statement_sha256,
                "shares": sorted(r.key_share.index for r in releases),
                "shares_erased": erased,
                "minutes_sha256": document.sha256,
                "envelopes": [
                    {
                        "sha256": o.envelope.sha256,
                        "ok": o.ok,
                        "reason": o.reason,
                        "detail": o.detail,
                        "total_price": None if o.total_price is None else str(o.total_price),
                        "bid_guarantee": o.bid_guarantee,
                        "guarantee_problems": [p["code"] for p in o.guarantee_problems],
                        "plain_sha256": o.plain_sha256,
                    }
                    for o in outcomes
                ],
            },
        )
        # The opening list is public now: the OCDS feed gets a release with the bid
        # statistics (docs/opendata.md). Imported here because tangguh.tenders.publication
        # reaches tangguh.awards, which imports this module.
        from tangguh.tenders.publication import tender_published

        tender_published(tender=tender, event="opened")
    return True


def minutes_context(opening: Opening, outcomes: list[EnvelopeOutcome], now) -> dict:
    tender = opening.tender
    node, _ = node_identity()
    statement = opening.closing_statement
    return {
        "sandbox": settings.TANGGUH_ENV == "sandbox",
        "node": node,
        "tender": tender,
        "envelope": ENVELOPE_LABELS.get(opening.sealing_key.envelope, opening.sealing_key.envelope),
        "fingerprint": opening.sealing_key.fingerprint,
        "statement_sha256": opening.statement_sha256,
        "statement_count": statement.document.get("count"),
        "statement_signed_at": statement.document.get("signed_at"),
        "deadline": statement.document.get("deadline"),
        "opened_at": rfc3339(now),
        "releases": [
            {
                "index": r.key_share.index,
                "name": r.released_by.get_full_name() or r.released_by,
                "at": rfc3339(r.released_at),
            }
            for r in opening.releases.select_related("key_share", "released_by")
        ],
        "k": opening.sealing_key.k,
        "n": opening.sealing_key.n,
        "guarantee_required": guarantee_check(tender, opening.sealing_key.envelope).required,
        "hps": format_rupiah(Decimal(tender.package.owner_estimate)),
        "rows": [
            {
                "number": i,
                "company": o.envelope.company.name,
                "nib": o.envelope.company.nib,
                "sha256": o.envelope.sha256,
                "size": o.envelope.size,
                "received_at": rfc3339(o.envelope.received_at),
                "total_price": o.total_price,
                "guarantee": _minutes_guarantee(o.bid_guarantee),
                "guarantee_problems": o.guarantee_problems,
                "status": _minutes_status(o),
                "reason": " ".join([o.reason, *map(str, o.detail)]).strip(),
            }
            for i, o in enumerate(outcomes, start=1)
        ],
    }


def _minutes_guarantee(stated: dict | None) -> dict | None:
    """The stated guarantee with its amount as "Rp…" and "—" for what is unknown."""
    if stated is None:
        return None
    amount = stated.get("amount")
    return {
        "reference": stated.get("reference") or "—",
        "issuer": stated.get("issuer") or "—",
        "amount": format_rupiah(Decimal(amount)) if amount else "—",
        "valid_until": stated.get("valid_until") or "—",
    }


def _minutes_status(outcome: EnvelopeOutcome) -> str:
    if outcome.ok:
        return "Dapat dibuka"
    if outcome.reason == FAILED_TECHNICAL:
        return "Tidak dibuka: tidak lulus evaluasi teknis"
    return "Tidak dapat dibuka / tidak sah"


# --- reading the opened packages ------------------------------------------------------------


def opened_package_read(*, actor: User, tender: Tender, opened_id: int) -> OpenedEnvelope:
    """An opened package for a Pokja member, the read audited."""
    require_committee_member(actor, tender, "opening.package_read")
    opened = (
        OpenedEnvelope.objects.filter(pk=opened_id, opening__tender=tender)
        .select_related("envelope__company")
        .first()
    )
    if opened is None or not opened.plain_sha256:
        raise NotFound(
            "opening.package_not_found",
            "Dokumen penawaran yang dibuka tidak ditemukan.",
            "No such opened bid package.",
        )
    audit_record_read(
        actor=actor,
        object_type="bid.opened_package",
        object_ids=[opened.pk],
        purpose=f"opening {tender.code} {opened.envelope.company.nib}",
    )
    return opened
