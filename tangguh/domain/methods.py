"""Selection methods and the stages their schedules are made of.

Methods: Perpres 16/2018 Ps 38 (goods, works, other services) and Ps 41 (consultancy). Stages:
Perpres 16/2018 Ps 50 (tender/seleksi stages; appeal for construction only, Ps 50(2)) and the
stage names SPSE shows. Which stage ends must fall on a working day within working hours follows
RULES.md "Schedule basis" (SDP text, V).
"""

from __future__ import annotations

from enum import StrEnum


class Method(StrEnum):
    """A selection method (metode pemilihan)."""

    TENDER_ONE_FILE = "tender_one_file"
    TENDER_TWO_FILES = "tender_two_files"
    FAST_TENDER = "fast_tender"
    SELECTION = "selection"
    DIRECT_APPOINTMENT = "direct_appointment"
    DIRECT_PROCUREMENT = "direct_procurement"

    @property
    def label_id(self) -> str:
        """The Indonesian name, as SPSE shows it."""
        return _METHOD_LABELS[self]


_METHOD_LABELS = {
    Method.TENDER_ONE_FILE: "Tender Pascakualifikasi Satu File",
    Method.TENDER_TWO_FILES: "Tender Pascakualifikasi Dua File",
    Method.FAST_TENDER: "Tender Cepat",
    Method.SELECTION: "Seleksi Prakualifikasi Dua File",
    Method.DIRECT_APPOINTMENT: "Penunjukan Langsung",
    Method.DIRECT_PROCUREMENT: "Pengadaan Langsung",
}


class StageKind(StrEnum):
    """One stage (tahapan) of a selection schedule."""

    ANNOUNCEMENT = "announcement"
    QUALIFICATION_SUBMISSION = "qualification_submission"
    QUALIFICATION_EVALUATION = "qualification_evaluation"
    SHORTLIST_ANNOUNCEMENT = "shortlist_announcement"
    QUALIFICATION_OBJECTION = "qualification_objection"
    INVITATION = "invitation"
    CLARIFICATION = "clarification"
    BID_SUBMISSION = "bid_submission"
    OPENING = "opening"
    OPENING_TECHNICAL = "opening_technical"
    TECHNICAL_EVALUATION = "technical_evaluation"
    TECHNICAL_RESULT = "technical_result"
    OPENING_PRICE = "opening_price"
    PRICE_EVALUATION = "price_evaluation"
    EVALUATION = "evaluation"
    EVALUATION_NEGOTIATION = "evaluation_negotiation"
    PROOF_OF_QUALIFICATION = "proof_of_qualification"
    AWARD = "award"
    WINNER_ANNOUNCEMENT = "winner_announcement"
    OBJECTION = "objection"
    OBJECTION_ANSWER = "objection_answer"
    APPEAL = "appeal"
    APPEAL_ANSWER = "appeal_answer"
    SPPBJ = "sppbj"
    CONTRACT = "contract"

    @property
    def label_id(self) -> str:
        """The Indonesian stage name."""
        return _STAGE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The English stage name."""
        return _STAGE_LABELS[self][1]

    @property
    def ends_on_working_moment(self) -> bool:
        """True when the stage closes a right or a duty and must end within working hours."""
        return self in ENDS_ON_WORKING_MOMENT

    @property
    def closes_right(self) -> bool:
        """True when participants lose a right at its end (extended after an outage)."""
        return self in CLOSES_PARTICIPANT_RIGHT


_STAGE_LABELS = {
    StageKind.ANNOUNCEMENT: ("Pengumuman", "Announcement"),
    StageKind.QUALIFICATION_SUBMISSION: (
        "Kirim Persyaratan Kualifikasi",
        "Qualification submission",
    ),
    StageKind.QUALIFICATION_EVALUATION: (
        "Evaluasi Dokumen Kualifikasi",
        "Qualification evaluation",
    ),
    StageKind.SHORTLIST_ANNOUNCEMENT: ("Pengumuman Hasil Prakualifikasi", "Shortlist announcement"),
    StageKind.QUALIFICATION_OBJECTION: ("Masa Sanggah Prakualifikasi", "Qualification objection"),
    StageKind.INVITATION: ("Undangan", "Invitation"),
    StageKind.CLARIFICATION: ("Pemberian Penjelasan", "Clarification"),
    StageKind.BID_SUBMISSION: ("Upload Dokumen Penawaran", "Bid submission"),
    StageKind.OPENING: ("Pembukaan Dokumen Penawaran", "Bid opening"),
    StageKind.OPENING_TECHNICAL: ("Pembukaan Dokumen Penawaran File I", "Opening of file I"),
    StageKind.TECHNICAL_EVALUATION: (
        "Evaluasi Administrasi, Kualifikasi, dan Teknis",
        "Administrative, qualification and technical evaluation",
    ),
    StageKind.TECHNICAL_RESULT: ("Pengumuman Hasil Evaluasi Teknis", "Technical result"),
    StageKind.OPENING_PRICE: ("Pembukaan Dokumen Penawaran File II", "Opening of file II"),
    StageKind.PRICE_EVALUATION: ("Evaluasi Penawaran Harga", "Price evaluation"),
    StageKind.EVALUATION: (
        "Evaluasi Administrasi, Kualifikasi, Teknis, dan Harga",
        "Administrative, qualification, technical and price evaluation",
    ),
    StageKind.EVALUATION_NEGOTIATION: (
        "Evaluasi, Klarifikasi, dan Negosiasi",
        "Evaluation, clarification and negotiation",
    ),
    StageKind.PROOF_OF_QUALIFICATION: ("Pembuktian Kualifikasi", "Proof of qualification"),
    StageKind.AWARD: ("Penetapan Pemenang", "Award decision"),
    StageKind.WINNER_ANNOUNCEMENT: ("Pengumuman Pemenang", "Winner announcement"),
    StageKind.OBJECTION: ("Masa Sanggah", "Objection window"),
    StageKind.OBJECTION_ANSWER: ("Jawaban Sanggah", "Answer to objections"),
    StageKind.APPEAL: ("Masa Sanggah Banding", "Appeal window"),
    StageKind.APPEAL_ANSWER: ("Jawaban Sanggah Banding", "Answer to appeals"),
    StageKind.SPPBJ: ("Surat Penunjukan Penyedia Barang/Jasa", "Letter of award (SPPBJ)"),
    StageKind.CONTRACT: ("Penandatanganan Kontrak", "Contract signing"),
}

CLOSES_PARTICIPANT_RIGHT: frozenset[StageKind] = frozenset(
    {
        StageKind.QUALIFICATION_SUBMISSION,
        StageKind.QUALIFICATION_OBJECTION,
        StageKind.CLARIFICATION,
        StageKind.BID_SUBMISSION,
        StageKind.OBJECTION,
        StageKind.APPEAL,
    }
)
"""Windows in which participants act; an outage inside them is given back (RULES.md policy)."""

ENDS_ON_WORKING_MOMENT: frozenset[StageKind] = CLOSES_PARTICIPANT_RIGHT | frozenset(
    {
        StageKind.OPENING,
        StageKind.OPENING_TECHNICAL,
        StageKind.OPENING_PRICE,
        StageKind.PROOF_OF_QUALIFICATION,
        StageKind.OBJECTION_ANSWER,
        StageKind.APPEAL_ANSWER,
    }
)
"""Stages whose end must be a working moment (RULES.md "Schedule basis", SDP, V)."""

BID_WINDOW: frozenset[StageKind] = frozenset({StageKind.CLARIFICATION, StageKind.BID_SUBMISSION})
"""Stages never extended automatically once opening has begun (SPEC "Outage resilience")."""
