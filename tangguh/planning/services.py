"""Plan items, packages, delegation to the UKPBJ and assignment to a Pokja."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.core.errors import Conflict, InvalidInput, NotFound
from tangguh.domain.money import format_rupiah, parse_rupiah
from tangguh.domain.roles import Permission
from tangguh.hub.selectors import rup_lookup
from tangguh.organizations.models import Committee, ProcurementUnit, WorkUnit
from tangguh.planning.models import Category, Package, PlanItem
from tangguh.planning.selectors import rup_line_belongs_to

MAX_AMOUNT = Decimal("9999999999999999")  # 18 digits with 2 decimals in the database


def _amount(value: object, field: str, label_id: str, label_en: str) -> Decimal:
    """A positive rupiah amount from a Decimal, an int or text such as "Rp1.234.568"."""
    try:
        if isinstance(value, Decimal):
            amount = value
        elif isinstance(value, int) and not isinstance(value, bool):
            amount = Decimal(value)
        elif isinstance(value, str):
            amount = parse_rupiah(value) if "Rp" in value or "." in value else Decimal(value)
        else:
            raise ValueError(value)
    except (ValueError, InvalidOperation) as exc:
        raise InvalidInput(
            "money.invalid",
            f"{label_id} harus berupa nilai rupiah.",
            f"{label_en} must be a rupiah amount.",
            field=field,
        ) from exc
    if amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(Decimal(1)):
        raise InvalidInput(
            "money.out_of_range",
            f"{label_id} harus bilangan rupiah bulat, lebih dari 0.",
            f"{label_en} must be a whole rupiah amount above 0.",
            field=field,
        )
    return amount


def _text(value: str, field: str, label_id: str, label_en: str, max_length: int) -> str:
    text = (value or "").strip()
    if not 3 <= len(text) <= max_length:
        raise InvalidInput(
            "planning.field_required",
            f"{label_id} wajib diisi (3–{max_length} karakter).",
            f"{label_en} is required (3–{max_length} characters).",
            field=field,
        )
    return text


def _category(value: str) -> str:
    if value not in Category.values:
        raise InvalidInput(
            "planning.category_invalid",
            "Kategori harus salah satu dari: " + ", ".join(Category.values) + ".",
            "Category must be one of: " + ", ".join(Category.values) + ".",
            field="category",
        )
    return value


def _year(value: object) -> int:
    try:
        year = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise InvalidInput(
            "planning.fiscal_year_invalid",
            "Tahun anggaran tidak sah.",
            "The fiscal year is not valid.",
            field="fiscal_year",
        )
    return year


def _work_unit(work_unit_id: int) -> WorkUnit:
    unit = WorkUnit.objects.filter(pk=work_unit_id).select_related("agency").first()
    if unit is None:
        raise NotFound(
            "work_unit.not_found",
            "Satuan kerja tidak ditemukan.",
            "Work unit not found.",
            field="work_unit_id",
        )
    return unit


def _plan_item_values(row: dict) -> dict:
    return {
        "rup_code": _text(str(row.get("rup_code", "")), "rup_code", "Kode RUP", "RUP code", 30),
        "fiscal_year": _year(row.get("fiscal_year")),
        "title": _text(str(row.get("title", "")), "title", "Nama paket", "Title", 300),
        "category": _category(str(row.get("category", "")).strip()),
        "budget": _amount(row.get("budget"), "budget", "Pagu", "Budget"),
    }


def plan_item_create(
    *,
    actor: User,
    work_unit_id: int,
    rup_code: str,
    fiscal_year: int,
    title: str,
    category: str,
    budget: Decimal | str,
) -> PlanItem:
    """A PPK enters one RUP line by hand."""
    permission_require(
        user=actor,
        permission=Permission.MANAGE_PLAN,
        scope=f"work_unit:{work_unit_id}",
        action="plan_item.create",
    )
    unit = _work_unit(work_unit_id)
    values = _plan_item_values(
        {
            "rup_code": rup_code,
            "fiscal_year": fiscal_year,
            "title": title,
            "category": category,
            "budget": budget,
        }
    )
    return _plan_item_save(actor=actor, unit=unit, values=values, source="manual")


def _plan_item_save(*, actor: User, unit: WorkUnit, values: dict, source: str) -> PlanItem:
    try:
        with transaction.atomic():
            item = PlanItem.objects.create(
                work_unit=unit, source=source, created_at=clock.now(), **values
            )
            audit_append(
                actor=actor,
                action="plan_item.created",
                object_type="plan_item",
                object_id=item.pk,
                payload={**values, "budget": str(values["budget"]), "source": source},
            )
    except IntegrityError as exc:
        raise Conflict(
            "plan_item.duplicate",
            "Kode RUP ini sudah ada.",
            "This RUP code already exists.",
            field="rup_code",
        ) from exc
    return item


@dataclass
class ImportReport:
    """What a CSV import did: the rows taken and, for each row refused, why."""

    imported: list[PlanItem] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    applied: bool = False


CSV_COLUMNS = ("rup_code", "fiscal_year", "title", "category", "budget")


def plan_items_import_csv(
    *, actor: User, work_unit_id: int, content: str, partial: bool = False
) -> ImportReport:
    """Import RUP lines from CSV, checking every row. With a refused row nothing is imported
    unless ``partial`` asks to keep the good rows; the report lists every refused row."""
    permission_require(
        user=actor,
        permission=Permission.MANAGE_PLAN,
        scope=f"work_unit:{work_unit_id}",
        action="plan_item.import",
    )
    unit = _work_unit(work_unit_id)
    reader = csv.DictReader(io.StringIO(content))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(
            "csv.columns_missing",
            f"Kolom CSV tidak lengkap; kurang: {', '.join(missing)}.",
            f"CSV columns missing: {', '.join(missing)}.",
            field="file",
        )
    report = ImportReport()
    good: list[tuple[int, dict]] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):  # row 1 is the header
        try:
            values = _plan_item_values(row)
            if (
                values["rup_code"] in seen
                or PlanItem.objects.filter(rup_code=values["rup_code"]).exists()
            ):
                raise Conflict(
                    "plan_item.duplicate",
                    "Kode RUP ini sudah ada.",
                    "This RUP code already exists.",
                    field="rup_code",
                )
            seen.add(values["rup_code"])
            good.append((number, values))
        except (InvalidInput, Conflict) as exc:
            report.refused.append(
                {
                    "row": number,
                    "field": exc.field,
                    "code": exc.code,
                    "message_id": exc.message_id,
                    "message_en": exc.message_en,
                }
            )
    if report.refused and not partial:
        return report
    with transaction.atomic():
        for _, values in good:
            report.imported.append(
                _plan_item_save(actor=actor, unit=unit, values=values, source="csv")
            )
    report.applied = True
    return report


MAX_COPY_SELECTION = 500


def _copy_category(value: str) -> str:
    """The copy's category as ours: SiRUP may give our value or its Indonesian label."""
    text = (value or "").strip()
    for choice, label in Category.choices:
        if text == choice or text.casefold() == label.casefold():
            return choice
    return _category(text)


def plan_items_import_from_copy(
    *, actor: User, work_unit_id: int, rup_codes: list[str], partial: bool = False
) -> ImportReport:
    """A PPK turns selected lines of the local SiRUP copy into plan items of their work unit.

    Every code is checked: it must be in the copy (as last pulled; no national service is
    called), belong to this work unit, and not be a plan item already. With a refused code
    nothing is imported unless ``partial`` asks to keep the good ones, as for the CSV import."""
    permission_require(
        user=actor,
        permission=Permission.MANAGE_PLAN,
        scope=f"work_unit:{work_unit_id}",
        action="plan_item.import_copy",
    )
    unit = _work_unit(work_unit_id)
    codes = list(dict.fromkeys(code.strip() for code in rup_codes if code and code.strip()))
    if not codes:
        raise InvalidInput(
            "plan_item.copy_nothing_selected",
            "Pilih setidaknya satu kode RUP.",
            "Select at least one RUP code.",
            field="rup_codes",
        )
    if len(codes) > MAX_COPY_SELECTION:
        raise InvalidInput(
            "plan_item.copy_too_many",
            f"Paling banyak {MAX_COPY_SELECTION} kode RUP sekaligus.",
            f"At most {MAX_COPY_SELECTION} RUP codes at a time.",
            field="rup_codes",
        )
    report = ImportReport()
    good: list[tuple[dict, str]] = []
    for number, code in enumerate(codes, start=1):
        try:
            line = rup_lookup(code)
            if line is None:
                raise NotFound(
                    "plan_item.rup_not_in_copy",
                    f"Kode RUP {code} tidak ada dalam salinan SiRUP (terakhir ditarik).",
                    f"RUP code {code} is not in the local copy of SiRUP (as last pulled).",
                    field="rup_code",
                )
            if not rup_line_belongs_to(line, unit):
                raise InvalidInput(
                    "plan_item.rup_other_work_unit",
                    f"Kode RUP {code} milik satuan kerja lain ({line.work_unit}).",
                    f"RUP code {code} belongs to another work unit ({line.work_unit}).",
                    field="rup_code",
                )
            if PlanItem.objects.filter(rup_code=code).exists():
                raise Conflict(
                    "plan_item.already_imported",
                    f"Kode RUP {code} sudah menjadi item RUP di Tangguh.",
                    f"RUP code {code} is already a plan item here.",
                    field="rup_code",
                )
            values = {
                "rup_code": code,
                "fiscal_year": _year(line.fiscal_year),
                "title": _text(line.title, "title", "Nama paket", "Title", 300),
                "category": _copy_category(line.category),
                "budget": _amount(line.budget, "budget", "Pagu", "Budget"),
            }
            good.append((values, line.synced_at.isoformat()))
        except (InvalidInput, Conflict, NotFound) as exc:
            report.refused.append(
                {
                    "row": number,
                    "rup_code": code,
                    "field": exc.field,
                    "code": exc.code,
                    "message_id": exc.message_id,
                    "message_en": exc.message_en,
                }
            )
    if report.refused and not partial:
        return report
    with transaction.atomic():
        for values, _ in good:
            report.imported.append(
                _plan_item_save(actor=actor, unit=unit, values=values, source="sirup")
            )
        if good:
            audit_append(
                actor=actor,
                action="plan_item.imported_from_copy",
                object_type="work_unit",
                object_id=unit.pk,
                payload={
                    "rup_codes": [values["rup_code"] for values, _ in good],
                    "copy_synced_at": sorted({synced for _, synced in good}),
                    "refused": [row["rup_code"] for row in report.refused],
                },
            )
    report.applied = True
    return report


def package_create(
    *,
    actor: User,
    work_unit_id: int,
    title: str,
    category: str,
    budget: Decimal | str,
    owner_estimate: Decimal | str,
    location: str,
    fiscal_year: int,
    plan_item_id: int | None = None,
) -> Package:
    """A PPK creates a package with its budget (pagu) and owner estimate (HPS).

    The HPS may not exceed the budget (Perpres 16/2018 Ps 26: the HPS is the ceiling of a
    valid bid; the budget is what the work unit can pay)."""
    permission_require(
        user=actor,
        permission=Permission.MANAGE_PLAN,
        scope=f"work_unit:{work_unit_id}",
        action="package.create",
    )
    unit = _work_unit(work_unit_id)
    pagu = _amount(budget, "budget", "Pagu", "Budget")
    hps = _amount(owner_estimate, "owner_estimate", "HPS", "Owner estimate")
    if hps > pagu:
        raise InvalidInput(
            "package.hps_above_budget",
            f"HPS ({format_rupiah(hps)}) tidak boleh melebihi pagu ({format_rupiah(pagu)}).",
            f"The HPS ({format_rupiah(hps)}) may not exceed the budget ({format_rupiah(pagu)}).",
            field="owner_estimate",
        )
    plan_item = None
    if plan_item_id is not None:
        plan_item = PlanItem.objects.filter(pk=plan_item_id, work_unit=unit).first()
        if plan_item is None:
            raise NotFound(
                "plan_item.not_found",
                "Item RUP tidak ditemukan di satuan kerja ini.",
                "Plan item not found in this work unit.",
                field="plan_item_id",
            )
    with transaction.atomic():
        package = Package.objects.create(
            work_unit=unit,
            plan_item=plan_item,
            fiscal_year=_year(fiscal_year),
            title=_text(title, "title", "Nama paket", "Title", 300),
            category=_category(category),
            budget=pagu,
            owner_estimate=hps,
            location=_text(location, "location", "Lokasi", "Location", 200),
            created_by=actor,
            created_at=clock.now(),
        )
        audit_append(
            actor=actor,
            action="package.created",
            object_type="package",
            object_id=package.pk,
            payload={
                "title": package.title,
                "work_unit": unit.pk,
                "budget": str(pagu),
                "owner_estimate": str(hps),
            },
        )
    return package


def _package(package_id: int) -> Package:
    package = Package.objects.filter(pk=package_id).select_related("work_unit").first()
    if package is None:
        raise NotFound(
            "package.not_found", "Paket tidak ditemukan.", "Package not found.", field="package_id"
        )
    return package


def package_delegate(*, actor: User, package_id: int, procurement_unit_id: int) -> Package:
    """The PPK hands the package to the agency's procurement unit (UKPBJ)."""
    package = _package(package_id)
    permission_require(
        user=actor,
        permission=Permission.MANAGE_PLAN,
        scope=f"work_unit:{package.work_unit_id}",
        action="package.delegate",
    )
    unit = ProcurementUnit.objects.filter(
        pk=procurement_unit_id, agency_id=package.work_unit.agency_id
    ).first()
    if unit is None:
        raise NotFound(
            "procurement_unit.not_found",
            "UKPBJ tidak ditemukan pada instansi paket ini.",
            "No such procurement unit in this package's agency.",
            field="procurement_unit_id",
        )
    if package.delegated_at is not None:
        raise Conflict(
            "package.already_delegated",
            "Paket ini sudah didelegasikan.",
            "This package was already delegated.",
        )
    with transaction.atomic():
        package.procurement_unit = unit
        package.delegated_at = clock.now()
        package.save(update_fields=["procurement_unit", "delegated_at"])
        audit_append(
            actor=actor,
            action="package.delegated",
            object_type="package",
            object_id=package.pk,
            payload={"procurement_unit": unit.pk},
        )
    return package


def package_assign(*, actor: User, package_id: int, committee_id: int) -> Package:
    """The UKPBJ head assigns a delegated package to one of the unit's Pokja."""
    package = _package(package_id)
    if package.procurement_unit_id is None:
        raise Conflict(
            "package.not_delegated",
            "Paket ini belum didelegasikan ke UKPBJ.",
            "This package has not been delegated to the procurement unit.",
        )
    permission_require(
        user=actor,
        permission=Permission.ASSIGN_PACKAGE,
        scope=f"procurement_unit:{package.procurement_unit_id}",
        action="package.assign",
    )
    committee = Committee.objects.filter(
        pk=committee_id, procurement_unit_id=package.procurement_unit_id
    ).first()
    if committee is None:
        raise NotFound(
            "committee.not_found",
            "Pokja tidak ditemukan di UKPBJ ini.",
            "No such committee in this procurement unit.",
            field="committee_id",
        )
    if getattr(package, "tender", None) is not None and package.tender.announced_at:
        raise Conflict(
            "package.already_announced",
            "Tender paket ini sudah diumumkan; Pokja tidak dapat diganti.",
            "This package's tender is announced; its committee cannot change.",
        )
    with transaction.atomic():
        previous = package.committee_id
        package.committee = committee
        package.assigned_at = clock.now()
        package.save(update_fields=["committee", "assigned_at"])
        audit_append(
            actor=actor,
            action="package.assigned",
            object_type="package",
            object_id=package.pk,
            payload={"committee": committee.pk, "previous": previous},
        )
    return package
