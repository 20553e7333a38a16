"""Members' personal keys, and the node dealing a tender's sealing keys at announcement.

By default the node deals (SPEC.md): a fresh 16-byte seed per (tender, lot, envelope) becomes
an age X25519 key; Shamir splits the seed into one share per Pokja member (threshold: majority,
at least 2); each share is sealed to that member's personal age recipient; every k-subset is
checked to rebuild the recipient; then the seed is dropped. The node keeps only the recipient,
the sealed shares and their SHA-256 commitments.
"""

from __future__ import annotations

import pyrage
from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.selectors import users_with_role
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.bids.models import KeyShare, MemberKey, SealingKey
from tangguh.core.errors import Conflict, InvalidInput
from tangguh.domain.roles import Permission, Role
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.domain.sealing.keys import KeyContext, KeyFormatError, new_seed, parse_recipient
from tangguh.domain.sealing.shares import failing_subsets, split_seed
from tangguh.tenders.models import Tender


def envelope_names(tender: Tender) -> list[str]:
    """``offer`` for one-file tenders; ``technical`` and ``price`` for two files."""
    return ["technical", "price"] if tender.envelopes == 2 else ["offer"]


def member_key_enrol(*, actor: User, recipient: str) -> MemberKey:
    """A committee member registers the age recipient of their personal key (made in the
    browser or with ``age-keygen``; the identity never reaches the node)."""
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


def sealing_keys_deal(*, actor: User | str, tender: Tender) -> list[SealingKey]:
    """Deal every envelope's sealing key for ``tender`` on the node (inside the caller's
    transaction). Refuses when a member has no personal key: their share could not be sealed.
    """
    if SealingKey.objects.filter(tender=tender).exists():
        raise Conflict(
            "sealing_key.already_dealt",
            "Kunci sampul tender ini sudah dibagikan.",
            "This tender's sealing keys were already dealt.",
        )
    members = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{tender.committee_id}")
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
    dealt = []
    now = clock.now()
    for name in envelope_names(tender):
        context = KeyContext(tender=tender.code, lot=1, envelope=name)
        dealing = split_seed(new_seed(), context, members=len(members))
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
        for share, member in zip(dealing.shares, members, strict=True):
            recipient = keys[member.pk].recipient
            KeyShare.objects.create(
                sealing_key=key,
                index=share.index,
                holder=member,
                holder_recipient=recipient,
                sealed_share=pyrage.encrypt(
                    share.canonical_json(), [pyrage.x25519.Recipient.from_str(recipient)]
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
            },
        )
        dealt.append(key)
    return dealt
