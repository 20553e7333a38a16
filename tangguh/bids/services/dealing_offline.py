"""Sealing keys dealt off the node and uploaded by a Pokja member.

SPEC "Sealed bids and opening": instead of the node dealing, a Pokja chair may deal with
``tangguh keys deal`` on their own machine and upload only the recipients, the sealed shares and
their commitments (``POST /api/v1/tenders/{code}/sealing-keys``, the ``tangguh.dealt-keys``
document that ``keys deal`` writes; see ``tangguh.sealing.dealing``). The committee model has
no chair, so any member of the tender's Pokja may upload; the audit log names who did.

The node cannot open a share, so it checks everything it can see: the tender is a draft without
keys; one envelope per envelope name of the tender, each with a valid and distinct recipient;
one share per current Pokja member, sealed (as the uploader declares) to that member's current
personal key, plus the UKPBJ's recovery share exactly when the UKPBJ registered a recovery
recipient; *n* = the holders; *k* at least the default threshold (a majority, at least 2) and at
most the members; every share index once; every sealed share a well-formed age file with
exactly one X25519 stanza and no passphrase stanza; every commitment a hex SHA-256. That the
shares really open and match their commitments, each member proves with the key check before
the announcement (``tangguh.bids.services.keys.key_share_check``); that every *k*-subset
rebuilds the key, the dealer's ``keys deal`` checked before writing anything.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.bids.models import KeyShare, SealingKey
from tangguh.bids.services.keys import committee_members, envelope_names, member_key_current
from tangguh.bids.services.recovery import recovery_recipient
from tangguh.bids.services.upload import lock_tender
from tangguh.core.errors import Conflict, InvalidInput
from tangguh.domain.sealing.agefile import AgeFileChecker
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.domain.sealing.keys import KeyFormatError, parse_recipient
from tangguh.domain.sealing.shares import default_threshold
from tangguh.tenders.models import Tender
from tangguh.tenders.services.common import require_draft, require_live, tender_for_committee

UPLOAD_FORMAT = "tangguh.dealt-keys"
UPLOAD_VERSION = 1
SEALED_SHARE_MAX = 4096  # a sealed share is ~0.5 KB: a header, a nonce, one short chunk
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _invalid(code: str, message_id: str, message_en: str, field: str) -> InvalidInput:
    return InvalidInput(code, message_id, message_en, field=field)


def _recipient(text, field: str) -> str:
    try:
        parse_recipient(text)
    except KeyFormatError as exc:
        raise _invalid(
            "sealing_key.recipient_invalid",
            f"{field}: bukan penerima age X25519 (age1…).",
            f"{field}: not an age X25519 recipient (age1…).",
            field,
        ) from exc
    return text.strip()


def _sealed_share(text, field: str) -> bytes:
    """The sealed share's bytes, if they are a well-formed age file sealed to exactly one
    X25519 recipient (the same structural check as a bid envelope's)."""
    try:
        data = base64.b64decode(text or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid(
            "sealing_key.share_not_age",
            f"{field}: bukan base64.",
            f"{field}: not base64.",
            field,
        ) from exc
    if len(data) > SEALED_SHARE_MAX:
        raise _invalid(
            "sealing_key.share_not_age",
            f"{field}: terlalu besar untuk sebuah bagian kunci.",
            f"{field}: too large for a key share.",
            field,
        )
    checker = AgeFileChecker()
    checker.feed(data)
    check = checker.result()
    if not check.ok:
        raise _invalid(
            "sealing_key.share_not_age",
            f"{field}: bukan berkas age dengan tepat satu penerima X25519 ({check.reason}).",
            f"{field}: not an age file with exactly one X25519 recipient ({check.reason}: "
            f"{check.detail}).",
            field,
        )
    return data


def _commitment(text, field: str) -> str:
    value = text.strip().lower() if isinstance(text, str) else ""
    if not _HEX64.fullmatch(value):
        raise _invalid(
            "sealing_key.commitment_invalid",
            f"{field}: komitmen harus SHA-256 heksadesimal (64 karakter).",
            f"{field}: a commitment is a hexadecimal SHA-256 (64 characters).",
            field,
        )
    return value


def _check_envelope(
    envelope: Mapping,
    where: str,
    *,
    members: dict[str, tuple[User, str]],
    recovery: str | None,
) -> dict:
    """One envelope's key, checked; its shares as ``(index, user or None, recipient, sealed,
    commitment)``."""
    recipient = _recipient(envelope.get("recipient"), f"{where}.recipient")
    shares = list(envelope.get("shares") or [])
    if recovery and not any(share.get("holder") is None for share in shares):
        raise _invalid(
            "sealing_key.recovery_share_missing",
            f"{where}: UKPBJ mendaftarkan kunci pemulihan; pembagian harus menyertakan satu "
            "bagian pemulihan yang disegel kepadanya (keys deal --recovery-recipient).",
            f"{where}: the UKPBJ registered a recovery key; the dealing must include one "
            "recovery share sealed to it (keys deal --recovery-recipient).",
            f"{where}.shares",
        )
    if not recovery and any(share.get("holder") is None for share in shares):
        raise _invalid(
            "sealing_key.recovery_share_unexpected",
            f"{where}: ada bagian tanpa pemegang (bagian pemulihan), padahal UKPBJ tidak "
            "mendaftarkan kunci pemulihan.",
            f"{where}: a share without a holder (a recovery share), but the UKPBJ has no "
            "recovery key registered.",
            f"{where}.shares",
        )
    expected_n = len(members) + (1 if recovery else 0)
    k, n = envelope.get("k"), envelope.get("n")
    if n != expected_n or len(shares) != expected_n:
        raise _invalid(
            "sealing_key.share_count",
            f"{where}: harus ada {expected_n} bagian (satu per anggota Pokja"
            + (" dan satu bagian pemulihan UKPBJ" if recovery else "")
            + f"); n = {n}, bagian = {len(shares)}.",
            f"{where}: {expected_n} shares expected (one per committee member"
            + (" and the UKPBJ recovery share" if recovery else "")
            + f"); n = {n}, shares = {len(shares)}.",
            f"{where}.shares",
        )
    least = default_threshold(len(members))
    if type(k) is not int or not least <= k <= len(members):
        raise _invalid(
            "sealing_key.threshold",
            f"{where}: ambang k harus antara {least} (mayoritas, paling sedikit 2) dan "
            f"{len(members)} (jumlah anggota), bukan {k}.",
            f"{where}: the threshold k must be between {least} (a majority, at least 2) and "
            f"{len(members)} (the members), not {k}.",
            f"{where}.k",
        )
    indices = sorted(s.get("index") for s in shares if type(s.get("index")) is int)
    if indices != list(range(1, expected_n + 1)):
        raise _invalid(
            "sealing_key.share_index",
            f"{where}: nomor bagian harus 1 sampai {expected_n}, masing-masing sekali.",
            f"{where}: share indices must be 1 to {expected_n}, each once.",
            f"{where}.shares",
        )
    named = [s.get("holder") for s in shares if s.get("holder") is not None]
    unknown = sorted({str(h) for h in named if h not in members})
    twice = sorted({h for h in named if named.count(h) > 1})
    missing = sorted(set(members) - set(named))
    if unknown or twice or missing:
        problems_id, problems_en = [], []
        for names, what_id, what_en in (
            (missing, "tanpa bagian", "without a share"),
            (unknown, "bukan anggota Pokja tender ini", "not on this tender's committee"),
            (twice, "disebut dua kali", "listed twice"),
        ):
            if names:
                problems_id.append(f"{what_id}: {', '.join(names)}")
                problems_en.append(f"{what_en}: {', '.join(names)}")
        raise _invalid(
            "sealing_key.holders_mismatch",
            f"{where}: satu bagian untuk setiap anggota Pokja saat ini ({'; '.join(problems_id)}).",
            f"{where}: one share per current committee member ({'; '.join(problems_en)}).",
            f"{where}.shares",
        )
    rows, commitments = [], set()
    for position, share in enumerate(shares):
        field = f"{where}.shares[{position}]"
        holder = share.get("holder")
        declared = _recipient(share.get("holder_recipient"), f"{field}.holder_recipient")
        if holder is None:
            if declared != recovery:
                raise _invalid(
                    "sealing_key.recovery_recipient_mismatch",
                    f"{field}: bagian pemulihan harus disegel ke kunci pemulihan UKPBJ "
                    f"(sidik jari {recipient_fingerprint(recovery)}).",
                    f"{field}: the recovery share must be sealed to the UKPBJ recovery key "
                    f"(fingerprint {recipient_fingerprint(recovery)}).",
                    f"{field}.holder_recipient",
                )
            user = None
        else:
            user, current = members[holder]
            if declared != current:
                raise _invalid(
                    "sealing_key.holder_key_mismatch",
                    f"{field}: bagian {holder} disegel ke kunci yang bukan kunci pribadinya "
                    f"saat ini (sidik jari {recipient_fingerprint(current)}); minta kunci "
                    "terbaru anggota itu dan bagikan ulang.",
                    f"{field}: {holder}'s share is sealed to a key that is not their current "
                    f"personal key (fingerprint {recipient_fingerprint(current)}); get the "
                    "member's current key and deal again.",
                    f"{field}.holder_recipient",
                )
        commitment = _commitment(share.get("commitment"), f"{field}.commitment")
        if commitment in commitments:
            raise _invalid(
                "sealing_key.commitment_invalid",
                f"{field}: komitmen yang sama muncul dua kali.",
                f"{field}: the same commitment appears twice.",
                f"{field}.commitment",
            )
        commitments.add(commitment)
        sealed = _sealed_share(share.get("sealed_share"), f"{field}.sealed_share")
        rows.append((share["index"], user, declared, sealed, commitment))
    return {"recipient": recipient, "k": k, "n": n, "shares": sorted(rows, key=lambda r: r[0])}


def _check_document(tender: Tender, document: Mapping) -> None:
    if document.get("format") != UPLOAD_FORMAT or document.get("version") != UPLOAD_VERSION:
        raise _invalid(
            "sealing_key.upload_invalid",
            f"Dokumen bukan {UPLOAD_FORMAT} versi {UPLOAD_VERSION} (berkas sealing-keys.json "
            "dari `tangguh keys deal`).",
            f"Not a {UPLOAD_FORMAT} version {UPLOAD_VERSION} document (the sealing-keys.json "
            "that `tangguh keys deal` writes).",
            "format",
        )
    if document.get("tender") != tender.code:
        raise _invalid(
            "sealing_key.upload_invalid",
            f"Dokumen ini untuk tender {document.get('tender')}, bukan {tender.code}.",
            f"This document is for tender {document.get('tender')}, not {tender.code}.",
            "tender",
        )
    names = [(e.get("name"), e.get("lot", 1)) for e in document.get("envelopes") or []]
    expected = [(name, 1) for name in envelope_names(tender)]
    if sorted(names, key=str) != sorted(expected, key=str):
        raise _invalid(
            "sealing_key.envelopes_mismatch",
            f"Tender ini memerlukan kunci untuk sampul {', '.join(envelope_names(tender))} "
            "(lot 1), masing-masing sekali.",
            f"This tender needs a key for envelopes {', '.join(envelope_names(tender))} "
            "(lot 1), each once.",
            "envelopes",
        )


def sealing_keys_upload(*, actor: User, tender_id: int, document: Mapping) -> list[SealingKey]:
    """Record sealing keys dealt off the node (see the module docstring); ``dealt_on`` is
    ``offline``. Audited per envelope as ``sealing_key.dealt``."""
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="sealing_key.upload")
    with transaction.atomic():
        tender = lock_tender(tender)
        require_draft(tender)
        require_live(tender)
        if SealingKey.objects.filter(tender=tender).exists():
            raise Conflict(
                "sealing_key.already_dealt",
                "Kunci sampul tender ini sudah dibagikan. Untuk membagikan ulang sebelum "
                "pengumuman, buang dahulu kunci yang ada.",
                "This tender's sealing keys were already dealt; discard them before dealing again.",
            )
        _check_document(tender, document)
        users = committee_members(tender)
        keys = {user.pk: member_key_current(user) for user in users}
        missing = sorted(u.username for u in users if keys[u.pk] is None)
        if missing:
            raise InvalidInput(
                "tender.member_keys_missing",
                "Anggota Pokja berikut belum mendaftarkan kunci pribadi, sehingga bagian kunci "
                f"sampul tidak dapat diberikan kepadanya: {', '.join(missing)}.",
                "These committee members have not enrolled a personal key, so no key share "
                f"can be sealed to them: {', '.join(missing)}.",
                field="committee",
            )
        members = {u.username: (u, keys[u.pk].recipient) for u in users}
        recovery = recovery_recipient(tender, member_recipients=[r for _, r in members.values()])
        checked = []
        for position, envelope in enumerate(document["envelopes"]):
            where = f"envelopes[{position}]"
            checked.append(
                (
                    envelope["name"],
                    _check_envelope(envelope, where, members=members, recovery=recovery),
                )
            )
        recipients = [entry["recipient"] for _, entry in checked]
        if len(set(recipients)) != len(recipients):
            raise _invalid(
                "sealing_key.recipient_reused",
                "Setiap sampul harus memiliki kuncinya sendiri; penerima yang sama dipakai dua "
                "kali.",
                "Each envelope needs its own key; the same recipient is used twice.",
                "envelopes",
            )
        now = clock.now()
        dealt = []
        for name, entry in checked:
            key = SealingKey.objects.create(
                tender=tender,
                lot=1,
                envelope=name,
                recipient=entry["recipient"],
                fingerprint=recipient_fingerprint(entry["recipient"]),
                k=entry["k"],
                n=entry["n"],
                dealt_on="offline",
                dealt_at=now,
            )
            for index, user, holder_recipient, sealed, commitment in entry["shares"]:
                KeyShare.objects.create(
                    sealing_key=key,
                    index=index,
                    holder=user,
                    holder_recipient=holder_recipient,
                    sealed_share=sealed,
                    commitment=commitment,
                )
            audit_append(
                actor=actor,
                action="sealing_key.dealt",
                object_type="tender",
                object_id=tender.pk,
                payload={
                    "envelope": name,
                    "dealt_on": "offline",
                    "recipient": key.recipient,
                    "fingerprint": key.fingerprint,
                    "k": key.k,
                    "n": key.n,
                    "commitments": [row[4] for row in entry["shares"]],
                    "holders": [row[1].username if row[1] else None for row in entry["shares"]],
                    "recovery_share": next(
                        (row[0] for row in entry["shares"] if row[1] is None), None
                    ),
                },
            )
            dealt.append(key)
    return dealt
