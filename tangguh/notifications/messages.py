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
