"""Reads of the clarification stage: public questions (askers never named), addenda, minutes,
the stage window, and which participating company a user asks for."""

from __future__ import annotations

from django.apps import apps

from tangguh.accounts.models import User
from tangguh.clarification.models import Addendum, ClarificationMinutes, Question
from tangguh.domain.methods import StageKind
from tangguh.tenders.models import Tender, TenderStage
from tangguh.vendors.selectors import vendor_companies_of


def clarification_stage(tender: Tender) -> TenderStage | None:
    """The tender's clarification stage (pemberian penjelasan), if its schedule has one."""
    return tender.stages.filter(kind=StageKind.CLARIFICATION.value).first()


def bid_submission_stage(tender: Tender) -> TenderStage | None:
    return tender.stages.filter(kind=StageKind.BID_SUBMISSION.value).first()


def tender_questions(tender: Tender) -> list[Question]:
    """Every question on the tender in order. Callers show no asker: use ``question_public``."""
    return list(Question.objects.filter(tender=tender).order_by("number"))


def question_public(question: Question) -> dict:
    """A question as anyone may see it: what was asked and answered, never by whom."""
    return {
        "id": question.pk,
        "number": question.number,
        "section": question.section,
        "text": question.text,
        "asked_at": question.asked_at,
        "answer": question.answer or None,
        "answered_at": question.answered_at,
    }


def public_questions(*, tender: Tender) -> list[dict]:
    """The tender's questions and answers for the public page (Penjelasan tab), askers unnamed."""
    return [question_public(q) for q in tender_questions(tender)]


def tender_addenda(tender: Tender) -> list[Addendum]:
    return list(
        Addendum.objects.filter(tender=tender)
        .select_related("document", "amends", "schedule_change")
        .order_by("number")
    )


def tender_minutes(tender: Tender) -> list[ClarificationMinutes]:
    return list(
        ClarificationMinutes.objects.filter(tender=tender)
        .select_related("document")
        .order_by("published_at", "pk")
    )


def participating_company_ids(*, user: User, tender: Tender) -> list[int]:
    """The user's vendor companies that are registered for the tender."""
    own = [company.pk for company in vendor_companies_of(user)]
    if not own or not apps.is_installed("tangguh.participation"):
        return []
    participation = apps.get_model("participation", "Participation")
    return list(
        participation.objects.filter(tender=tender, company_id__in=own)
        .order_by("company_id")
        .values_list("company_id", flat=True)
    )
