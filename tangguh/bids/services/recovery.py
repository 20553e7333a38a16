"""The optional recovery share: one extra share of every sealing key, sealed to the UKPBJ's
offline recovery recipient (e.g. a key kept in the UKPBJ head's safe), ``holder`` NULL.

It covers losses beyond the threshold (SPEC "Sealed bids and opening"): the recovery share
plus *k* - 1 members' shares rebuild the key with ``tangguh keys combine``. *k* stays the
members' threshold, so the safe alone never opens anything, and the node never releases the
recovery share itself (it has no holder who could).
"""

from __future__ import annotations

from collections.abc import Iterable

from tangguh.core.errors import InvalidInput
from tangguh.organizations.selectors import recovery_recipient_for_committee
from tangguh.tenders.models import Tender


def recovery_recipient(tender: Tender, *, member_recipients: Iterable[str]) -> str | None:
    """The recovery recipient to deal ``tender``'s keys to, or None. Refused when it is a
    member's own key: that member would hold two shares."""
    recipient = recovery_recipient_for_committee(tender.committee_id)
    if recipient and recipient in {r.strip() for r in member_recipients}:
        raise InvalidInput(
            "sealing_key.recovery_is_member",
            "Kunci pemulihan UKPBJ sama dengan kunci pribadi seorang anggota Pokja; anggota "
            "itu akan memegang dua bagian. Kepala UKPBJ perlu mendaftarkan kunci pemulihan lain.",
            "The UKPBJ recovery key is a committee member's personal key; that member would "
            "hold two shares. The UKPBJ head must register another recovery key.",
            field="recovery_recipient",
        )
    return recipient
