"""The words of each notification, in Indonesian and English, by the event that caused it.

Only the events listed here reach people; any other ``tender_published`` event (a search
re-index, an announcement that nobody has registered for yet) is not a notification.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    kind: str
    title_id: str
    title_en: str
    body_id: str
    body_en: str


_EVENTS: dict[str, tuple[str, str, str, str, str]] = {
    # event: (kind, title id, title en, body id, body en); {code}, {title}, {detail} filled in
    "answer": (
        "answer",
        "Pertanyaan Anda pada tender {code} telah dijawab",
        "Your question on tender {code} has been answered",
        "Pokja Pemilihan menjawab pertanyaan perusahaan Anda pada tender {code} {title}:\n\n"
        "{detail}",
        "The selection committee answered your company's question on tender {code} {title}:\n\n"
        "{detail}",
    ),
    "addendum": (
        "addendum",
        "Adendum dokumen pemilihan tender {code}",
        "Addendum to the tender documents of {code}",
        "Pokja Pemilihan menerbitkan adendum untuk tender {code} {title}. Unduh dan pelajari "
        "sebelum menyusun penawaran.\n\n{detail}",
        "The selection committee issued an addendum for tender {code} {title}. Download and "
        "read it before preparing your bid.\n\n{detail}",
    ),
    "minutes": (
        "minutes",
        "Berita Acara Pemberian Penjelasan tender {code}",
        "Clarification minutes of tender {code}",
        "Berita Acara Pemberian Penjelasan tender {code} {title} telah diterbitkan.\n\n{detail}",
        "The clarification minutes of tender {code} {title} have been published.\n\n{detail}",
    ),
    "schedule_changed": (
        "schedule_change",
        "Perubahan jadwal tender {code}",
        "Schedule change for tender {code}",
        "Jadwal tender {code} {title} diubah. Alasan: {detail}",
        "The schedule of tender {code} {title} has changed. Reason: {detail}",
    ),
    "cancelled": (
        "cancelled",
        "Tender {code} dibatalkan",
        "Tender {code} has been cancelled",
        "Tender {code} {title} dibatalkan. Alasan: {detail}",
        "Tender {code} {title} has been cancelled. Reason: {detail}",
    ),
}


def message_for(event: str, *, code: str, title: str, detail: str) -> Message | None:
    """The message for ``event`` on a tender, or None when the event is not told to people."""
    found = _EVENTS.get(event)
    if found is None:
        return None
    kind, *texts = found
    values = {"code": code, "title": title, "detail": detail.strip()}
    title_id, title_en, body_id, body_en = (text.format(**values).strip() for text in texts)
    return Message(kind, title_id[:200], title_en[:200], body_id, body_en)


# Messages sent directly by a service to chosen people (not through ``tender_published``):
# event: (kind, title id, title en, body id, body en). Placeholders are filled from the values
# the caller passes; a value that differs by language comes in two, ``…_id`` and ``…_en``.
_DIRECT: dict[str, tuple[str, str, str, str, str]] = {
    "award_announced": (
        "award",
        "Pengumuman pemenang tender {code}",
        "Award announced for tender {code}",
        "Pemenang tender {code} {title}: {winner}, {price}. Masa sanggah sampai {until}.",
        "Winner of tender {code} {title}: {winner}, {price}. Objections until {until}.",
    ),
    "objection_filed": (
        "objection",
        "Sanggah baru pada tender {code}",
        "New objection on tender {code}",
        "{company} menyampaikan sanggah atas penetapan pemenang tender {code} {title}. "
        "Jawab paling lambat {due}.\n\n{text}",
        "{company} filed an objection against the award of tender {code} {title}. Answer by "
        "{due}.\n\n{text}",
    ),
    "objection_answered": (
        "objection_answer",
        "Sanggah Anda pada tender {code} telah dijawab",
        "Your objection on tender {code} is answered",
        "Pokja Pemilihan menjawab sanggah Anda ({verdict_id}):\n\n{answer}",
        "The selection committee answered your objection ({verdict_en}):\n\n{answer}",
    ),
    "appeal_answered": (
        "appeal_answer",
        "Sanggah banding Anda pada tender {code} telah dijawab",
        "Your appeal on tender {code} is answered",
        "PA/KPA menjawab sanggah banding Anda ({verdict_id}):\n\n{answer}",
        "The PA/KPA answered your appeal ({verdict_en}):\n\n{answer}",
    ),
    "sppbj_issued": (
        "sppbj",
        "SPPBJ tender {code} diterbitkan",
        "Letter of award for tender {code}",
        "PPK menerbitkan SPPBJ nomor {number} untuk perusahaan Anda pada tender {code} {title}.",
        "The PPK issued the letter of award (SPPBJ) number {number} to your company for tender "
        "{code} {title}.",
    ),
    "contract_signed": (
        "contract",
        "Kontrak tender {code} ditandatangani",
        "Contract signed for tender {code}",
        "Kontrak nomor {number} dengan {winner} senilai {value} ditandatangani pada {signed_on}; "
        "proses pemilihan tender {code} {title} selesai.",
        "Contract number {number} with {winner} for {value} was signed on {signed_on}; the "
        "selection of tender {code} {title} is closed.",
    ),
    "tender_failed": (
        "tender_failed",
        "Tender {code} dinyatakan gagal",
        "Tender {code} is declared failed",
        "Tender {code} {title} dinyatakan gagal: {reason_id}.\n\n{note}",
        "Tender {code} {title} is declared failed: {reason_en}.\n\n{note}",
    ),
    "bid_validity_extension": (
        "bid_validity",
        "Mohon perpanjang masa berlaku penawaran tender {code}",
        "Please extend your bid's validity for tender {code}",
        "Jadwal tender {code} {title} berubah: tahap penetapan sampai kontrak kini berakhir "
        "{needed}, sedangkan penawaran Anda berlaku sampai {valid_until}. Perpanjang masa "
        "berlaku penawaran (dan jaminan penawaran, bila ada) sampai paling sedikit {needed} di "
        "halaman Hasil dan Sanggah Saya; penawaran yang lewat masa berlakunya tidak dapat "
        "ditetapkan sebagai pemenang.",
        "The schedule of tender {code} {title} changed: the award-to-contract stages now end "
        "{needed}, while your bid is valid until {valid_until}. Extend your bid's validity (and "
        "its bid guarantee, if any) to at least {needed} on the My results and objections "
        "page; a lapsed bid cannot be awarded.",
    ),
}


def message_compose(event: str, **values: object) -> Message:
    """The message of a directly sent ``event`` with its values filled in (an unknown event is
    a programming error: KeyError)."""
    kind, *texts = _DIRECT[event]
    filled = {k: str(v).strip() for k, v in values.items()}
    title_id, title_en, body_id, body_en = (text.format(**filled).strip() for text in texts)
    return Message(kind, title_id[:200], title_en[:200], body_id, body_en)
