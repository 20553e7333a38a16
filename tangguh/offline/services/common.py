"""Errors and guards shared by the offline services."""

from __future__ import annotations

from tangguh.accounts.models import User
from tangguh.bids.models import ClosingStatement
from tangguh.bids.services.opening import opening_tender, require_committee_member
from tangguh.core.errors import Conflict, InvalidInput
from tangguh.domain.roles import Permission
from tangguh.offline.selectors import opening_has_begun
from tangguh.tenders.models import Tender


def offline_tender(code: str) -> Tender:
    """An announced tender, or ``opening.tender_not_found``."""
    return opening_tender(code)


def require_member(actor: User, tender: Tender, action: str) -> None:
    """Only a member of the tender's own Pokja records the offline procedure (refusals are
    audited by the permission check)."""
    require_committee_member(actor, tender, action, permission=Permission.PREPARE_TENDER)


def opening_begun_error() -> Conflict:
    return Conflict(
        "offline.opening_begun",
        "Pembukaan penawaran tender ini sudah dimulai (bagian kunci sudah dilepas atau "
        "pembukaan luring dicatat): kunci sampul mungkin sudah diketahui, jadi berita acara "
        "penerimaan luring dan impor berkas tidak lagi diterima.",
        "Opening has begun for this tender (a key share was released or an offline opening "
        "was recorded): the key may be known, so no media-receipt minute or import is "
        "accepted any more.",
    )


def refuse_after_opening(tender: Tender) -> None:
    """After opening the key is known: a late, lower bid must never slip in as an offline one
    (SPEC "Outage resilience"). Call under the tender lock."""
    if opening_has_begun(tender):
        raise opening_begun_error()


def refuse_after_closing(tender: Tender) -> None:
    """The closing statement lists what opening reads and members bind their shares to it; a
    file it does not list cannot be added afterwards (ADR 0703)."""
    if ClosingStatement.objects.filter(tender=tender).exists():
        raise Conflict(
            "offline.after_closing",
            "Berita penutupan (closing statement) sudah ditandatangani tanpa berkas ini; impor "
            "ditolak. Pokja memutuskan secara terbuka (pemasukan ulang atau tender gagal).",
            "The closing statement is already signed without this file; the import is "
            "refused. The Pokja decides publicly (re-submission or a failed tender).",
        )


def invalid(code: str, message_id: str, message_en: str, field: str) -> InvalidInput:
    return InvalidInput(f"offline.{code}", message_id, message_en, field=field)
