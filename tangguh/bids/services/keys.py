"""Members' personal keys; dealing a tender's sealing keys; members' key checks.

By default the node deals (SPEC.md): a fresh 16-byte seed per (tender, lot, envelope) becomes
an age X25519 key; Shamir splits the seed into one share per Pokja member (threshold: majority,
at least 2); each share is sealed to that member's personal age recipient; every k-subset is
checked to rebuild the recipient; then the seed is dropped. The node keeps only the recipient,
the sealed shares and their SHA-256 commitments.

Dealing is its own Pokja step on a draft tender (``tender_keys_deal``), before the
announcement: each member then proves their share opens (``key_share_check``: their browser or
CLI decrypts the sealed share with their key kit and sends its SHA-256, which must equal the
share's commitment), and ``tender_announce`` refuses until every member has
(``sealing_keys_require_ready``). ``tender_keys_redeal`` throws the draft's keys away and deals
again — after a member re-enrolled, lost a kit, or the committee changed; no vendor can have
sealed to a draft's keys, so nothing is lost but the checks, which start over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import pyrage
from django.db import connection, transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.selectors import users_with_role
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.bids.models import KeyShare, MemberKey, SealingKey
from tangguh.bids.services.recovery import recovery_recipient
from tangguh.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tangguh.domain.roles import Permission, Role
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.domain.sealing.keys import KeyContext, KeyFormatError, new_seed, parse_recipient
from tangguh.domain.sealing.shares import default_threshold, failing_subsets, split_seed
from tangguh.tenders.models import Tender
from tangguh.tenders.services.common import require_draft, require_live, tender_for_committee

_HEX64 = re.compile(r"[0-9a-f]{64}")


def envelope_names(tender: Tender) -> list[str]:
    """``offer`` for one-file tenders; ``technical`` and ``price`` for two files."""
    return ["technical", "price"] if tender.envelopes == 2 else ["offer"]


# --- members' personal keys ----------------------------------------------------------------


def member_key_enrol(*, actor: User, recipient: str) -> MemberKey:
    """A committee member registers the age recipient of their personal key (made in the
    browser or with ``tangguh keys enrol``; the identity never reaches the node)."""
    if not _is_member(actor):
        # Only committee members hold key shares; this refuses (and audits) anyone else.
        permission_require(
            user=actor, permission=Permission.OPEN_BIDS, scope="node", action="member_key.enrol"
        )
    try:
        parse_recipient(recipient)
    except KeyFormatError as exc:
        raise InvalidInput(
            "member_key.recipient_invalid",
            "Kunci publik harus berupa penerima age X25519 (age1…).",
            "The public key must be an age X25519 recipient (age1…).",
            field="recipient",
        ) from exc
    now = clock.now()
    with transaction.atomic():
        MemberKey.objects.filter(user=actor, retired_at__isnull=True).update(retired_at=now)
        key = MemberKey.objects.create(user=actor, recipient=recipient.strip(), enrolled_at=now)
        audit_append(
            actor=actor,
            action="member_key.enrolled",
            object_type="member_key",
            object_id=key.pk,
            payload={"fingerprint": recipient_fingerprint(key.recipient)},
        )
    return key


def _is_member(user: User) -> bool:
    return user.role_assignments.filter(role=Role.COMMITTEE_MEMBER.value).exists()


def member_key_current(user: User) -> MemberKey | None:
    return MemberKey.objects.filter(user=user, retired_at__isnull=True).first()


def committee_members(tender: Tender) -> list[User]:
    """The tender's Pokja members, by username (the order shares are dealt in)."""
    return users_with_role(Role.COMMITTEE_MEMBER, f"committee:{tender.committee_id}")


def is_tender_member(user: User | None, tender: Tender) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.role_assignments.filter(
        role=Role.COMMITTEE_MEMBER.value, scope=f"committee:{tender.committee_id}"
    ).exists()


def _require_tender_member(actor: User, tender: Tender, action: str) -> None:
    """Only this tender's Pokja members hold its shares; anyone else is refused (audited)."""
    if is_tender_member(actor, tender):
        return
    permission_require(
        user=actor,
        permission=Permission.OPEN_BIDS,
        scope=f"committee:{tender.committee_id}",
        action=action,
    )
    raise PermissionDenied(  # a node-wide grant, say: still not a member holding a share
        "key_check.not_member",
        "Hanya anggota Pokja tender ini yang memegang bagian kunci sampulnya.",
        "Only this tender's committee members hold shares of its sealing keys.",
    )


# --- dealing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Who one share is sealed to: a member (``user``) or, with ``user`` None, an offline
    recipient such as a recovery safe."""

    user: User | None
    recipient: str


def sealing_keys_deal(*, actor: User | str, tender: Tender) -> list[SealingKey]:
    """Deal every envelope's sealing key for ``tender`` on the node (inside the caller's
    transaction; the caller checks the tender may be dealt). Refuses when a member has no
    personal key: their share could not be sealed."""
    if SealingKey.objects.filter(tender=tender).exists():
        raise Conflict(
            "sealing_key.already_dealt",
            "Kunci sampul tender ini sudah dibagikan. Untuk membagikan ulang sebelum "
            "pengumuman, gunakan 'bagikan ulang'.",
            "This tender's sealing keys were already dealt. To deal again before the "
            "announcement, use redeal.",
        )
    members = committee_members(tender)
    keys = {m.pk: member_key_current(m) for m in members}
    missing = sorted(m.username for m in members if keys[m.pk] is None)
    if missing:
        raise InvalidInput(
            "tender.member_keys_missing",
            "Anggota Pokja berikut belum mendaftarkan kunci pribadi, sehingga bagian kunci "
            f"sampul tidak dapat diberikan kepadanya: {', '.join(missing)}.",
            "These committee members have not enrolled a personal key, so no key share can "
            f"be sealed to them: {', '.join(missing)}.",
            field="committee",
        )
    # One share per holder, in this order (share index = position + 1).
    holders = [Holder(user=m, recipient=keys[m.pk].recipient) for m in members]
    # The UKPBJ's optional recovery share comes last; k stays the members' threshold.
    recovery = recovery_recipient(tender, member_recipients=[h.recipient for h in holders])
    if recovery:
        holders.append(Holder(user=None, recipient=recovery))
    dealt = []
    now = clock.now()
    for name in envelope_names(tender):
        context = KeyContext(tender=tender.code, lot=1, envelope=name)
        dealing = split_seed(
            new_seed(), context, members=len(holders), threshold=default_threshold(len(members))
        )
        # The seed is not kept: it existed only inside split_seed's call above.
        if failing_subsets(dealing.shares):
            raise Conflict(
                "sealing_key.subset_failed",
                "Pembagian kunci gagal; coba lagi.",
                "Dealing failed a subset check; try again.",
            )
        key = SealingKey.objects.create(
            tender=tender,
            lot=1,
            envelope=name,
            recipient=dealing.recipient,
            fingerprint=recipient_fingerprint(dealing.recipient),
            k=dealing.k,
            n=dealing.n,
            dealt_on="node",
            dealt_at=now,
        )
        for share, holder in zip(dealing.shares, holders, strict=True):
            KeyShare.objects.create(
                sealing_key=key,
                index=share.index,
                holder=holder.user,
                holder_recipient=holder.recipient,
                sealed_share=pyrage.encrypt(
                    share.canonical_json(), [pyrage.x25519.Recipient.from_str(holder.recipient)]
                ),
                commitment=share.commitment(),
            )
        audit_append(
            actor=actor,
            action="sealing_key.dealt",
            object_type="tender",
            object_id=tender.pk,
            payload={
                "envelope": name,
                "recipient": key.recipient,
                "fingerprint": key.fingerprint,
                "k": key.k,
                "n": key.n,
                "commitments": [s.commitment() for s in dealing.shares],
                "recovery_share": dealing.n if recovery else None,
            },
        )
        dealt.append(key)
    return dealt


def _lock(tender: Tender) -> Tender:
    """The tender row locked for this transaction (dealing, redealing and announcing each
    see the others' results, never a half)."""
    query = Tender.objects
    if connection.features.has_select_for_update:
        query = query.select_for_update()
    return query.get(pk=tender.pk)


def tender_keys_deal(*, actor: User, tender_id: int) -> list[SealingKey]:
    """The Pokja deals the draft tender's sealing keys on the node (one step before the
    announcement; each member then checks their share)."""
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="sealing_key.deal")
    with transaction.atomic():
        tender = _lock(tender)
        require_draft(tender)
        require_live(tender)
        return sealing_keys_deal(actor=actor, tender=tender)


def tender_keys_redeal(*, actor: User, tender_id: int, reason: str = "") -> list[SealingKey]:
    """Discard the draft tender's sealing keys (and every check made on them) and deal fresh
    ones. Only before the announcement: once a tender is public, vendors may have sealed to
    its keys, and a new key would leave their bids unopenable."""
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="sealing_key.redeal")
    with transaction.atomic():
        tender = _lock(tender)
        require_draft(tender)
        require_live(tender)
        old = list(SealingKey.objects.filter(tender=tender).order_by("envelope"))
        if not old:
            raise Conflict(
                "sealing_key.not_dealt",
                "Kunci sampul tender ini belum dibagikan; bagikan dahulu.",
                "This tender's sealing keys have not been dealt; deal them first.",
            )
        discarded = [
            {
                "envelope": key.envelope,
                "recipient": key.recipient,
                "dealt_on": key.dealt_on,
                "checked": key.shares.filter(checked_at__isnull=False).count(),
            }
            for key in old
        ]
        KeyShare.objects.filter(sealing_key__in=old).delete()
        SealingKey.objects.filter(pk__in=[k.pk for k in old]).delete()
        audit_append(
            actor=actor,
            action="sealing_key.discarded",
            object_type="tender",
            object_id=tender.pk,
            payload={"reason": (reason or "").strip()[:500], "keys": discarded},
        )
        return sealing_keys_deal(actor=actor, tender=tender)


# --- members' shares and key checks ------------------------------------------------------


def key_shares_mine(*, actor: User, tender: Tender) -> list[KeyShare]:
    """The shares of ``tender``'s sealing keys that ``actor`` holds (members only)."""
    _require_tender_member(actor, tender, "key_share.read")
    shares = list(
        KeyShare.objects.filter(sealing_key__tender=tender, holder=actor)
        .select_related("sealing_key")
        .order_by("sealing_key__lot", "sealing_key__envelope")
    )
    if not shares and not SealingKey.objects.filter(tender=tender).exists():
        raise NotFound(
            "sealing_key.not_dealt",
            "Kunci sampul tender ini belum dibagikan.",
            "This tender's sealing keys have not been dealt yet.",
        )
    return shares


def key_share_check(
    *, actor: User, tender: Tender, envelope: str, commitment: str, lot: int = 1
) -> KeyShare:
    """Record that ``actor`` opened their share of ``envelope``'s key: they decrypted the
    sealed share on their own machine and its SHA-256 is ``commitment``. The node cannot see
    the decryption; it checks the hash equals the share's commitment and records the time."""
    _require_tender_member(actor, tender, "key_share.check")
    require_live(tender)
    key = SealingKey.objects.filter(tender=tender, lot=lot, envelope=envelope).first()
    if key is None:
        raise NotFound(
            "key_check.envelope_unknown",
            f"Tender ini tidak memiliki kunci sampul '{envelope}' (lot {lot}).",
            f"This tender has no sealing key for envelope '{envelope}' (lot {lot}).",
            field="envelope",
        )
    share = KeyShare.objects.filter(sealing_key=key, holder=actor).first()
    if share is None:
        raise Conflict(
            "key_check.no_share",
            "Anda tidak memegang bagian kunci sampul ini (mungkin Anda bergabung setelah "
            "pembagian; minta Pokja membagikan ulang).",
            "You hold no share of this sealing key (perhaps you joined after the dealing; ask "
            "the committee to redeal).",
            field="envelope",
        )
    given = (commitment or "").strip().lower()
    if not _HEX64.fullmatch(given):
        raise InvalidInput(
            "key_check.commitment_invalid",
            "Komitmen harus berupa SHA-256 heksadesimal (64 karakter).",
            "The commitment must be a hexadecimal SHA-256 (64 characters).",
            field="commitment",
        )
    if given != share.commitment:
        # Recorded: a failed check says a kit is wrong or lost, or the dealing was bad.
        audit_append(
            actor=actor,
            action="key_share.check_failed",
            object_type="key_share",
            object_id=share.pk,
            payload={"envelope": envelope, "lot": lot, "index": share.index, "sent": given},
        )
        raise InvalidInput(
            "key_check.commitment_mismatch",
            f"SHA-256 bagian kunci yang Anda buka ({given[:12]}…) tidak sama dengan komitmen "
            f"bagian nomor {share.index} ({share.commitment[:12]}…): kit kunci salah atau "
            "pembagian kunci rusak. Jangan umumkan tender; periksa kit atau bagikan ulang.",
            f"The SHA-256 of the share you opened ({given[:12]}…) differs from the commitment "
            f"of share {share.index} ({share.commitment[:12]}…): a wrong key kit or a bad "
            "dealing. Do not announce; check the kit or redeal.",
            field="commitment",
        )
    now = clock.now()
    with transaction.atomic():
        share.checked_at = now
        share.save(update_fields=["checked_at"])
        audit_append(
            actor=actor,
            action="key_share.checked",
            object_type="key_share",
            object_id=share.pk,
            payload={
                "tender": tender.code,
                "envelope": envelope,
                "lot": lot,
                "index": share.index,
                "commitment": share.commitment,
            },
        )
    return share


# --- readiness for the announcement ------------------------------------------------------


@dataclass(frozen=True)
class MemberCheck:
    """One member's standing for the announcement."""

    user: User
    has_key: bool  # has a current personal key
    shares: int  # shares held (one per envelope when dealt to them)
    checked: int  # of which checked
    last_checked_at: datetime | None
    key_changed: bool  # re-enrolled after the dealing: their shares are sealed to an old key

    @property
    def done(self) -> bool:
        return self.shares > 0 and self.checked == self.shares


@dataclass(frozen=True)
class KeysReadiness:
    """Where a tender's sealing keys stand: dealt, and checked by whom."""

    keys: list[SealingKey]
    members: list[MemberCheck]
    stale: list[str]  # why the dealt keys no longer fit the tender (empty when they do)

    @property
    def dealt(self) -> bool:
        return bool(self.keys)

    @property
    def unchecked(self) -> list[str]:
        return [m.user.username for m in self.members if not m.done]

    @property
    def ready(self) -> bool:
        return self.dealt and not self.stale and not self.unchecked


def sealing_keys_readiness(tender: Tender) -> KeysReadiness:
    keys = list(SealingKey.objects.filter(tender=tender).order_by("lot", "envelope"))
    members = committee_members(tender)
    shares = list(KeyShare.objects.filter(sealing_key__in=keys, holder__isnull=False))
    stale: list[str] = []
    if keys:
        if sorted(k.envelope for k in keys) != sorted(envelope_names(tender)):
            stale.append("envelopes")
        if {s.holder_id for s in shares} != {m.pk for m in members}:
            stale.append("committee")
    checks = []
    for member in members:
        mine = [s for s in shares if s.holder_id == member.pk]
        current = member_key_current(member)
        done = [s.checked_at for s in mine if s.checked_at is not None]
        checks.append(
            MemberCheck(
                user=member,
                has_key=current is not None,
                shares=len(mine),
                checked=len(done),
                last_checked_at=max(done) if done else None,
                key_changed=bool(mine)
                and (current is None or any(s.holder_recipient != current.recipient for s in mine)),
            )
        )
    if any(c.key_changed for c in checks):
        # A member who re-enrolled most likely lost the kit their shares are sealed to: the
        # check they made before says nothing about today. Deal again to their new key.
        stale.append("member_keys")
    return KeysReadiness(keys=keys, members=checks, stale=stale)


def sealing_keys_require_ready(tender: Tender) -> KeysReadiness:
    """Refuse (``tender.sealing_keys_missing``, ``tender.sealing_keys_stale``,
    ``tender.key_checks_missing``) unless every envelope's key is dealt for the current
    committee and every member has checked their share (SPEC: "Before the tender is published
    each member proves their share opens")."""
    readiness = sealing_keys_readiness(tender)
    if not readiness.dealt:
        raise InvalidInput(
            "tender.sealing_keys_missing",
            "Kunci sampul belum dibagikan. Bagikan kunci sampul, lalu setiap anggota Pokja "
            "memeriksa bagian kuncinya, sebelum tender diumumkan.",
            "The sealing keys have not been dealt. Deal them, and have every committee member "
            "check their share, before announcing.",
            field="sealing_keys",
        )
    if readiness.stale:
        changed = ", ".join(m.user.username for m in readiness.members if m.key_changed)
        what_id = {
            "envelopes": "jumlah sampul",
            "committee": "susunan anggota Pokja",
            "member_keys": f"kunci pribadi {changed}",
        }
        what_en = {
            "envelopes": "the number of envelopes",
            "committee": "the committee",
            "member_keys": f"the personal key of {changed}",
        }
        raise InvalidInput(
            "tender.sealing_keys_stale",
            f"Kunci sampul dibagikan sebelum {', '.join(what_id[s] for s in readiness.stale)} "
            "berubah; bagikan ulang.",
            f"The sealing keys were dealt before {', '.join(what_en[s] for s in readiness.stale)}"
            " changed; redeal them.",
            field="sealing_keys",
        )
    if readiness.unchecked:
        names = ", ".join(readiness.unchecked)
        raise InvalidInput(
            "tender.key_checks_missing",
            f"Anggota Pokja berikut belum memeriksa bagian kuncinya: {names}. Setiap anggota "
            "membuka bagian kuncinya dengan kit kunci (di peramban atau `tangguh keys check`) "
            "sebelum tender diumumkan.",
            f"These committee members have not checked their key share: {names}. Each member "
            "opens their share with their key kit (in the browser or with `tangguh keys "
            "check`) before the tender is announced.",
            field="sealing_keys",
        )
    return readiness
