"""Questions from participants during the clarification stage, and the Pokja's answers."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Max

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.audit.services import audit_append
from tangguh.clarification.models import Question
from tangguh.clarification.selectors import clarification_stage, participating_company_ids
from tangguh.clarification.services.common import (
    moment_en,
    moment_id,
    require_announced_live,
    tender_announced,
    tender_lock,
)
from tangguh.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tangguh.domain.roles import Permission
from tangguh.notifications.services import notify_company
from tangguh.tenders.models import Tender
from tangguh.tenders.selectors import tender_schedule
from tangguh.tenders.services.common import tender_for_committee

QUESTION_MIN, QUESTION_MAX = 10, 4000
ANSWER_MIN, ANSWER_MAX = 2, 8000


def question_ask(
    *, actor: User, tender_id: int, text: str, section: str = "", company_id: int | None = None
) -> Question:
    """A registered participant's user asks a question while the clarification stage runs.

    The question is public at once, without its asker; the asker's company is kept to tell it
    when the answer comes.
    """
    tender = tender_announced(tender_id)
    require_announced_live(tender)
    company = _asking_company(actor, tender, company_id)
    _require_clarification_open(tender)
    text = (text or "").strip()
    section = (section or "").strip()
    if not QUESTION_MIN <= len(text) <= QUESTION_MAX:
        raise InvalidInput(
            "question.text_required",
            f"Tuliskan pertanyaan ({QUESTION_MIN}–{QUESTION_MAX} karakter).",
            f"Write the question ({QUESTION_MIN}–{QUESTION_MAX} characters).",
            field="text",
        )
    if len(section) > 200:
        raise InvalidInput(
            "question.section_too_long",
            "Rujukan bab/pasal paling banyak 200 karakter.",
            "The section reference is at most 200 characters.",
            field="section",
        )
    with transaction.atomic():
        tender_lock(tender)
        last = Question.objects.filter(tender=tender).aggregate(n=Max("number"))["n"] or 0
        question = Question.objects.create(
            tender=tender,
            number=last + 1,
            company_id=company,
            asked_by=actor,
            asked_at=clock.now(),
            section=section,
            text=text,
        )
        audit_append(
            actor=actor,
            action="question.asked",
            object_type="tender",
            object_id=tender.pk,
            payload={"question": question.pk, "number": question.number, "company": company},
        )
    return question


def question_answer(*, actor: User, tender_id: int, question_id: int, answer: str) -> Question:
    """The Pokja answers a question (once). The asker's company is told; the answer is public.

    Answers are accepted until the bid deadline, so a question asked at the end of the stage
    is still answered before bids close (the Pokja may extend clarification, RULES.md).
    """
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="question.answer")
    require_announced_live(tender)
    deadline = tender_schedule(tender).bid_deadline
    if deadline is not None and clock.now() >= deadline:
        raise Conflict(
            "question.answer_after_deadline",
            f"Batas akhir penawaran ({moment_id(deadline)}) sudah lewat; pertanyaan tidak dapat "
            "dijawab lagi.",
            f"The bid deadline ({moment_en(deadline)}) has passed; questions can no longer be "
            "answered.",
        )
    answer = (answer or "").strip()
    if not ANSWER_MIN <= len(answer) <= ANSWER_MAX:
        raise InvalidInput(
            "answer.text_required",
            f"Tuliskan jawaban ({ANSWER_MIN}–{ANSWER_MAX} karakter).",
            f"Write the answer ({ANSWER_MIN}–{ANSWER_MAX} characters).",
            field="answer",
        )
    with transaction.atomic():
        question = _question_for_update(tender, question_id)
        if question.answered_at is not None:
            raise Conflict(
                "question.already_answered",
                f"Pertanyaan {question.number} sudah dijawab.",
                f"Question {question.number} has already been answered.",
                field="id",
            )
        question.answer = answer
        question.answered_by = actor
        question.answered_at = clock.now()
        question.save(update_fields=["answer", "answered_by", "answered_at"])
        audit_append(
            actor=actor,
            action="question.answered",
            object_type="tender",
            object_id=tender.pk,
            payload={"question": question.pk, "number": question.number},
        )
        notify_company(
            company_id=question.company_id,
            tender=tender,
            event="answer",
            detail=f"[{question.number}] {question.text}\n\n→ {answer}",
        )
    return question


def _asking_company(actor: User, tender: Tender, company_id: int | None) -> int:
    """The participating company the actor asks for; refuse non-vendors and non-participants."""
    # A vendor role at a company's scope gives ASK_QUESTION; that company must be registered.
    companies = participating_company_ids(user=actor, tender=tender)
    if company_id is not None:
        companies = [c for c in companies if c == company_id]
    if companies:
        return companies[0]
    audit_append(
        actor=actor,
        action="permission.denied",
        object_type="permission",
        object_id=Permission.ASK_QUESTION.value,
        payload={"attempted": "question.ask", "scope": f"tender:{tender.pk}"},
    )
    raise PermissionDenied(
        "question.not_participant",
        f"Hanya peserta yang terdaftar pada tender {tender.code} yang dapat bertanya; daftar "
        "sebagai peserta terlebih dahulu.",
        f"Only companies registered for tender {tender.code} can ask questions; register first.",
        field="company_id" if company_id is not None else None,
    )


def _require_clarification_open(tender: Tender) -> None:
    stage = clarification_stage(tender)
    now = clock.now()
    if stage is None:
        raise Conflict(
            "clarification.no_stage",
            "Jadwal tender ini tidak memuat tahap Pemberian Penjelasan.",
            "This tender's schedule has no clarification stage.",
        )
    if stage.start <= now < stage.end:
        return
    when_id = f"{moment_id(stage.start)} s.d. {moment_id(stage.end)}"
    when_en = f"{moment_en(stage.start)} to {moment_en(stage.end)}"
    if now < stage.start:
        raise Conflict(
            "clarification.not_started",
            f"Tahap Pemberian Penjelasan belum dimulai; pertanyaan dapat diajukan {when_id}.",
            f"The clarification stage has not started; questions can be asked {when_en}.",
        )
    raise Conflict(
        "clarification.closed",
        f"Tahap Pemberian Penjelasan sudah berakhir ({when_id}); pertanyaan tidak dapat "
        "diajukan lagi.",
        f"The clarification stage has ended ({when_en}); questions can no longer be asked.",
    )


def _question_for_update(tender: Tender, question_id: int) -> Question:
    query = Question.objects.filter(tender=tender, pk=question_id)
    if connection.features.has_select_for_update:
        query = query.select_for_update()
    question = query.first()
    if question is None:
        raise NotFound(
            "question.not_found",
            "Pertanyaan tidak ditemukan pada tender ini.",
            "No such question on this tender.",
            field="id",
        )
    return question
