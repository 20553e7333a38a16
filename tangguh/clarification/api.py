"""The clarification stage over the API, mounted under ``/api/v1/tenders``.

Public: ``GET /{code}/questions`` (askers never named), ``GET /{code}/addenda``,
``GET /{code}/minutes``. A registered participant: ``POST /{code}/questions``. The tender's
Pokja: ``POST /{code}/questions/{id}/answer``, ``POST /{code}/addenda`` (multipart, with the
schedule change when one is required), ``POST /{code}/minutes``.
"""

from __future__ import annotations

import json
from datetime import datetime

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, TypeAdapter, ValidationError

from tangguh.accounts.api import Strict, bearer
from tangguh.clarification.models import Addendum, ClarificationMinutes
from tangguh.clarification.selectors import (
    question_public,
    tender_addenda,
    tender_minutes,
    tender_questions,
)
from tangguh.clarification.services.addenda import addendum_issue
from tangguh.clarification.services.minutes import minutes_publish
from tangguh.clarification.services.questions import question_answer, question_ask
from tangguh.core.errors import InvalidInput, NotFound
from tangguh.tenders.models import Tender
from tangguh.tenders.selectors import tender_find, tender_get_public

router = Router(tags=["clarification"])


class QuestionIn(Strict):
    text: str = Field(max_length=4000)
    section: str = Field(default="", max_length=200)
    company_id: int | None = None


class AnswerIn(Strict):
    answer: str = Field(max_length=8000)


class QuestionOut(Schema):
    id: int
    number: int
    section: str
    text: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None


class StageIn(Strict):
    kind: str
    start: datetime
    end: datetime


class DocumentOut(Schema):
    id: int
    title: str
    kind: str
    version: int
    filename: str
    sha256: str
    size: int
    uploaded_at: datetime


class ScheduleChangeOut(Schema):
    at: datetime
    reason: str
    cause: str
    diff: list[dict]


class AddendumOut(Schema):
    id: int
    number: int
    description: str
    issued_at: datetime
    document: DocumentOut
    amends_document_id: int | None
    schedule_change: ScheduleChangeOut | None


class MinutesOut(Schema):
    id: int
    published_at: datetime
    questions: int
    answered: int
    document: DocumentOut


def _public(code: str) -> Tender:
    tender = tender_get_public(code)
    if tender is None:
        raise NotFound(
            "tender.not_found", "Tender tidak ditemukan.", "Tender not found.", field="code"
        )
    return tender


def _any(request, code: str) -> Tender:
    """A tender by code, drafts included for those who may know of them (``tender_find``):
    the committee services decide who may act on it."""
    return tender_find(code, viewer=request.auth)


def _addendum(a: Addendum) -> dict:
    return {
        "id": a.pk,
        "number": a.number,
        "description": a.description,
        "issued_at": a.issued_at,
        "document": a.document,
        "amends_document_id": a.amends_id,
        "schedule_change": a.schedule_change,
    }


def _minutes(m: ClarificationMinutes) -> dict:
    return {
        "id": m.pk,
        "published_at": m.published_at,
        "questions": m.questions,
        "answered": m.answered,
        "document": m.document,
    }


_STAGES = TypeAdapter(list[StageIn])


def _stages(raw: str) -> list[tuple[str, datetime, datetime]] | None:
    """The optional schedule change of an addendum, sent as a JSON list in a form field."""
    if not (raw or "").strip():
        return None
    try:
        parsed = _STAGES.validate_python(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise InvalidInput(
            "addendum.stages_invalid",
            'Kolom stages harus JSON: [{"kind", "start", "end"}] dengan zona waktu.',
            'The stages field must be JSON: [{"kind", "start", "end"}] with time zones.',
            field="stages",
        ) from exc
    return [(s.kind, s.start, s.end) for s in parsed]


@router.get("/{code}/questions", response=list[QuestionOut], summary="Questions and answers")
def questions(request, code: str):
    return [question_public(q) for q in tender_questions(_public(code))]


@router.post("/{code}/questions", auth=bearer, response={201: QuestionOut}, summary="Ask")
def ask(request, code: str, payload: QuestionIn):
    question = question_ask(
        actor=request.auth,
        tender_id=_public(code).pk,
        text=payload.text,
        section=payload.section,
        company_id=payload.company_id,
    )
    return Status(201, question_public(question))


@router.post("/{code}/questions/{id}/answer", auth=bearer, response=QuestionOut, summary="Answer")
def answer(request, code: str, id: int, payload: AnswerIn):
    question = question_answer(
        actor=request.auth, tender_id=_any(request, code).pk, question_id=id, answer=payload.answer
    )
    return question_public(question)


@router.get("/{code}/addenda", response=list[AddendumOut], summary="Addenda")
def addenda(request, code: str):
    return [_addendum(a) for a in tender_addenda(_public(code))]


@router.post("/{code}/addenda", auth=bearer, response={201: AddendumOut}, summary="Issue")
def issue_addendum(
    request,
    code: str,
    description: Form[str],
    file: File[UploadedFile],
    amends_document_id: Form[int | None] = None,
    title: Form[str] = "",
    stages: Form[str] = "",
    reason: Form[str] = "",
):
    addendum = addendum_issue(
        actor=request.auth,
        tender_id=_any(request, code).pk,
        description=description,
        filename=file.name or "",
        handle=file,
        amends_document_id=amends_document_id,
        title=title,
        stages=_stages(stages),
        reason=reason,
    )
    return Status(201, _addendum(addendum))


@router.get("/{code}/minutes", response=list[MinutesOut], summary="Clarification minutes")
def minutes(request, code: str):
    return [_minutes(m) for m in tender_minutes(_public(code))]


@router.post("/{code}/minutes", auth=bearer, response={201: MinutesOut}, summary="Publish BA")
def publish_minutes(request, code: str):
    return Status(
        201, _minutes(minutes_publish(actor=request.auth, tender_id=_any(request, code).pk))
    )
