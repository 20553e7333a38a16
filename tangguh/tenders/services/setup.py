"""Preparing a tender: method, envelopes, evaluation, qualification requirements, schedule."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.core.calendar import node_calendar
from tangguh.core.errors import Conflict, InvalidInput, NotFound
from tangguh.domain.methods import Method, StageKind
from tangguh.domain.roles import Permission
from tangguh.domain.rulesets import ruleset_in_force
from tangguh.domain.schedule import Schedule, Stage
from tangguh.domain.schedule_proposal import propose_schedule
from tangguh.domain.schedule_validation import Severity, stage_times_valid, validate
from tangguh.planning.models import Category, Package
from tangguh.tenders.models import EvaluationMethod, Tender, TenderStage
from tangguh.tenders.selectors import tender_bid_guarantee_required
from tangguh.tenders.services.common import require_draft, tender_for_committee

# Small-business reservation: packages up to Rp15 miliar (Perpres 12/2021 Ps 65(4)).
SMALL_BUSINESS_CEILING = 15_000_000_000

# Which evaluation methods fit which category (Perpres 16/2018 Ps 39 and Ps 42(1)).
EVALUATION_BY_CATEGORY = {
    Category.CONSULTANCY: {
        EvaluationMethod.QUALITY_AND_COST,
        EvaluationMethod.QUALITY,
        EvaluationMethod.FIXED_BUDGET,
        EvaluationMethod.LEAST_COST,
    },
}
DEFAULT_EVALUATION = {
    EvaluationMethod.LOWEST_PRICE,
    EvaluationMethod.MERIT_POINT,
    EvaluationMethod.LIFE_CYCLE_COST,
}


def _next_code(year: int) -> str:
    """The public tender code: fiscal year and a running number, e.g. 202400017."""
    last = (
        Tender.objects.filter(code__startswith=str(year))
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    number = int(last[4:]) + 1 if last else 1
    return f"{year}{number:05d}"


def _check_setup(
    *,
    category: str,
    method: Method,
    envelopes: int,
    evaluation_method: str,
    technical_weight: int | None,
    price_weight: int | None,
    requirements: list[dict],
) -> None:
    expected_envelopes = 2 if method in {Method.TENDER_TWO_FILES, Method.SELECTION} else 1
    if envelopes != expected_envelopes:
        raise InvalidInput(
            "tender.envelopes_mismatch",
            f"Metode {method.label_id} memakai {expected_envelopes} sampul.",
            f"Method {method.value} uses {expected_envelopes} envelope(s).",
            field="envelopes",
        )
    allowed = EVALUATION_BY_CATEGORY.get(Category(category), DEFAULT_EVALUATION)
    if evaluation_method not in allowed:
        raise InvalidInput(
            "tender.evaluation_method_invalid",
            "Metode evaluasi tidak sesuai jenis pengadaan (Perpres 16/2018 Ps 39, Ps 42).",
            "The evaluation method does not fit the category (Perpres 16/2018 Ps 39, 42).",
            field="evaluation_method",
        )
    weighted = evaluation_method in {
        EvaluationMethod.MERIT_POINT,
        EvaluationMethod.QUALITY_AND_COST,
    }
    if weighted and (
        technical_weight is None or price_weight is None or technical_weight + price_weight != 100
    ):
        raise InvalidInput(
            "tender.weights_invalid",
            "Bobot teknis dan harga wajib diisi dan berjumlah 100.",
            "Technical and price weights are required and must add up to 100.",
            field="technical_weight",
        )
    for index, item in enumerate(requirements):
        if not isinstance(item, dict) or not str(item.get("text", "")).strip():
            raise InvalidInput(
                "tender.requirement_invalid",
                f"Persyaratan kualifikasi ke-{index + 1} harus berisi teks.",
                f"Qualification requirement {index + 1} needs a text.",
                field=f"qualification_requirements.{index}",
            )


def tender_prepare(
    *,
    actor: User,
    package_id: int,
    method: str,
    envelopes: int,
    evaluation_method: str,
    technical_weight: int | None = None,
    price_weight: int | None = None,
    passing_score: int | None = None,
    qualification_requirements: list[dict] | None = None,
) -> Tender:
    """The assigned Pokja sets up (or updates, while a draft) the tender for its package."""
    package = Package.objects.filter(pk=package_id).select_related("committee").first()
    if package is None:
        raise NotFound(
            "package.not_found", "Paket tidak ditemukan.", "Package not found.", field="package_id"
        )
    if package.committee_id is None:
        raise Conflict(
            "package.not_assigned",
            "Paket belum ditugaskan ke Pokja.",
            "The package is not assigned to a committee.",
        )
    permission_require(
        user=actor,
        permission=Permission.PREPARE_TENDER,
        scope=f"committee:{package.committee_id}",
        action="tender.prepare",
    )
    try:
        chosen = Method(method)
    except ValueError as exc:
        raise InvalidInput(
            "tender.method_invalid",
            "Metode pemilihan tidak dikenal.",
            "Unknown selection method.",
            field="method",
        ) from exc
    requirements = list(qualification_requirements or [])
    _check_setup(
        category=package.category,
        method=chosen,
        envelopes=envelopes,
        evaluation_method=evaluation_method,
        technical_weight=technical_weight,
        price_weight=price_weight,
        requirements=requirements,
    )
    values = {
        "method": chosen.value,
        "envelopes": envelopes,
        "evaluation_method": evaluation_method,
        "technical_weight": technical_weight,
        "price_weight": price_weight,
        "passing_score": passing_score,
        "qualification_requirements": requirements,
        "small_business_reserved": package.owner_estimate <= SMALL_BUSINESS_CEILING,
        "title": package.title,
        "committee": package.committee,
    }
    with transaction.atomic():
        tender = Tender.objects.select_for_update().filter(package=package).first()
        if tender is not None:
            require_draft(tender)
            for name, value in values.items():
                setattr(tender, name, value)
            tender.save()
            action = "tender.updated"
        else:
            for _attempt in range(3):
                try:
                    with transaction.atomic():
                        tender = Tender.objects.create(
                            package=package,
                            code=_next_code(package.fiscal_year),
                            created_at=clock.now(),
                            **values,
                        )
                    break
                except IntegrityError:  # two drafts took the same number; take the next
                    continue
            else:
                raise Conflict("tender.code_busy", "Coba lagi.", "Please try again.")
            action = "tender.prepared"
        audit_append(
            actor=actor,
            action=action,
            object_type="tender",
            object_id=tender.pk,
            payload={k: v for k, v in values.items() if k != "committee"} | {"code": tender.code},
        )
    return tender


def _save_stages(tender: Tender, schedule: Schedule) -> None:
    tender.stages.all().delete()
    TenderStage.objects.bulk_create(
        [
            TenderStage(
                tender=tender, kind=stage.kind.value, position=i, start=stage.start, end=stage.end
            )
            for i, stage in enumerate(schedule.stages)
        ]
    )


def schedule_violations_error(violations) -> InvalidInput:
    """Every violation at once, each with its code, stage and both messages."""
    return InvalidInput(
        "schedule.invalid",
        "Jadwal tidak memenuhi aturan: " + " ".join(v.message_id for v in violations),
        "The schedule breaks the rules: " + " ".join(v.message_en for v in violations),
        field="stages",
        details=[
            {
                "code": v.code,
                "stage": v.stage.value,
                "rule": v.rule,
                "source": v.source,
                "expected": v.expected.isoformat() if v.expected else None,
                "actual": v.actual.isoformat() if v.actual else None,
                "message_id": v.message_id,
                "message_en": v.message_en,
            }
            for v in violations
        ],
    )


def tender_propose_schedule(
    *, actor: User, tender_id: int, announce_at: datetime | None = None
) -> Tender:
    """Fill a draft's schedule with the earliest valid one the rules allow."""
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="tender.schedule")
    require_draft(tender)
    start = announce_at or clock.now()
    calendar = node_calendar()
    ruleset = ruleset_in_force(calendar.local(start))
    schedule = propose_schedule(
        start,
        Method(tender.method),
        calendar,
        ruleset,
        bid_guarantee=tender_bid_guarantee_required(tender=tender, ruleset=ruleset),
    )
    with transaction.atomic():
        _save_stages(tender, schedule)
        audit_append(
            actor=actor,
            action="tender.schedule_proposed",
            object_type="tender",
            object_id=tender.pk,
            payload=_schedule_payload(schedule),
        )
    return tender


def _schedule_payload(schedule: Schedule) -> dict:
    return {
        "stages": [
            {"kind": s.kind.value, "start": s.start.isoformat(), "end": s.end.isoformat()}
            for s in schedule.stages
        ]
    }


def tender_set_schedule(
    *, actor: User, tender_id: int, stages: list[tuple[str, datetime, datetime]]
) -> Tender:
    """The Pokja sets a draft's schedule; every broken rule is reported at once."""
    tender = tender_for_committee(actor=actor, tender_id=tender_id, action="tender.schedule")
    require_draft(tender)
    built = []
    for index, (kind, start, end) in enumerate(stages):
        try:
            stage_kind = StageKind(kind)
        except ValueError as exc:
            raise InvalidInput(
                "schedule.stage_unknown",
                f"Tahap tidak dikenal: {kind}.",
                f"Unknown stage: {kind}.",
                field=f"stages.{index}.kind",
            ) from exc
        if not stage_times_valid(start, end):
            raise InvalidInput(
                "schedule.stage_times_invalid",
                f"Tahap {kind}: waktu harus lengkap dengan zona dan selesai setelah mulai.",
                f"Stage {kind}: times need a zone and must end after they start.",
                field=f"stages.{index}",
            )
        built.append(Stage(stage_kind, start, end))
    schedule = Schedule(tuple(built))
    calendar = node_calendar()
    ruleset = ruleset_in_force(calendar.local(clock.now()))
    guarantee = tender_bid_guarantee_required(tender=tender, ruleset=ruleset)
    problems = [
        v
        for v in validate(
            schedule, calendar, ruleset, Method(tender.method), bid_guarantee=guarantee
        )
        if v.severity == Severity.ERROR
    ]
    if problems:
        raise schedule_violations_error(problems)
    with transaction.atomic():
        _save_stages(tender, schedule)
        audit_append(
            actor=actor,
            action="tender.schedule_set",
            object_type="tender",
            object_id=tender.pk,
            payload=_schedule_payload(schedule),
        )
    return tender
