"""Plan items, packages, delegation, assignment and the UKPBJ backlog over the API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from tangguh.accounts.api import Strict, bearer
from tangguh.accounts.services.permissions import permission_require
from tangguh.domain.roles import Permission
from tangguh.planning.selectors import backlog, packages_for
from tangguh.planning.services import (
    package_assign,
    package_create,
    package_delegate,
    plan_item_create,
    plan_items_import_csv,
)

router = Router(tags=["planning"])


class PlanItemIn(Strict):
    work_unit_id: int
    rup_code: str = Field(max_length=30)
    fiscal_year: int
    title: str = Field(max_length=300)
    category: str
    budget: Decimal


class PlanItemOut(Schema):
    id: int
    rup_code: str
    fiscal_year: int
    title: str
    category: str
    budget: Decimal


class ImportOut(Schema):
    applied: bool
    imported: list[PlanItemOut]
    refused: list[dict]


class PackageIn(Strict):
    work_unit_id: int
    title: str = Field(max_length=300)
    category: str
    budget: Decimal
    owner_estimate: Decimal
    location: str = Field(max_length=200)
    fiscal_year: int
    plan_item_id: int | None = None


class PackageOut(Schema):
    id: int
    title: str
    category: str
    fiscal_year: int
    budget: Decimal
    owner_estimate: Decimal
    location: str
    work_unit_id: int
    procurement_unit_id: int | None
    delegated_at: datetime | None
    committee_id: int | None
    assigned_at: datetime | None


class DelegateIn(Strict):
    procurement_unit_id: int


class AssignIn(Strict):
    committee_id: int


class BacklogOut(Schema):
    package: PackageOut
    waiting_days: int
    committee: str
    work_unit: str
    stage: str


@router.post("/plan-items", auth=bearer, response={201: PlanItemOut})
def create_plan_item(request, payload: PlanItemIn):
    return Status(201, plan_item_create(actor=request.auth, **payload.dict()))


@router.post("/plan-items/import", auth=bearer, response={200: ImportOut, 422: ImportOut})
def import_plan_items(
    request, work_unit_id: Form[int], file: File[UploadedFile], partial: Form[bool] = False
):
    content = file.read(5 * 1024 * 1024 + 1)
    report = plan_items_import_csv(
        actor=request.auth,
        work_unit_id=work_unit_id,
        content=content.decode("utf-8-sig", errors="replace"),
        partial=partial,
    )
    body = {"applied": report.applied, "imported": report.imported, "refused": report.refused}
    return Status(200 if report.applied else 422, body)


@router.post("/packages", auth=bearer, response={201: PackageOut})
def create_package(request, payload: PackageIn):
    return Status(201, package_create(actor=request.auth, **payload.dict()))


@router.get("/packages", auth=bearer, response=list[PackageOut])
def my_packages(request):
    return packages_for(request.auth)


@router.post("/packages/{package_id}/delegate", auth=bearer, response=PackageOut)
def delegate(request, package_id: int, payload: DelegateIn):
    return package_delegate(
        actor=request.auth, package_id=package_id, procurement_unit_id=payload.procurement_unit_id
    )


@router.post("/packages/{package_id}/assign", auth=bearer, response=PackageOut)
def assign(request, package_id: int, payload: AssignIn):
    return package_assign(
        actor=request.auth, package_id=package_id, committee_id=payload.committee_id
    )


@router.get("/backlog/{procurement_unit_id}", auth=bearer, response=list[BacklogOut])
def unit_backlog(request, procurement_unit_id: int):
    permission_require(
        user=request.auth,
        permission=Permission.VIEW_BACKLOG,
        scope=f"procurement_unit:{procurement_unit_id}",
        action="backlog.view",
    )
    return backlog(procurement_unit_id=procurement_unit_id)
