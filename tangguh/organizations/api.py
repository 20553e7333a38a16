"""Agencies, work units, committees, a UKPBJ's offline recovery recipient and the node's local
holidays over the API."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tangguh import clock
from tangguh.accounts.api import Strict, bearer
from tangguh.core.errors import InvalidInput, NotFound
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.organizations.models import Agency, ProcurementUnit, WorkUnit
from tangguh.organizations.selectors import holidays_of_year
from tangguh.organizations.services import (
    agency_create,
    committee_form,
    holiday_add,
    holiday_remove,
    procurement_unit_recovery_set,
    work_unit_create,
)

router = Router(tags=["organizations"])


class AgencyIn(Strict):
    name: str = Field(max_length=200)
    code: str = Field(default="", max_length=50)


class OrgOut(Schema):
    id: int
    name: str


class WorkUnitIn(Strict):
    agency_id: int
    name: str = Field(max_length=200)
    code: str = Field(default="", max_length=50)


class CommitteeIn(Strict):
    procurement_unit_id: int
    name: str = Field(max_length=200)
    members: list[str]


@router.get("/agencies", response=list[OrgOut], summary="Agencies (public)")
def list_agencies(request):
    return list(Agency.objects.all())


@router.get("/work-units", response=list[OrgOut], summary="Work units (public)")
def list_work_units(request):
    return list(WorkUnit.objects.all())


@router.post("/agencies", auth=bearer, response={201: OrgOut})
def create_agency(request, payload: AgencyIn):
    return Status(201, agency_create(actor=request.auth, name=payload.name, code=payload.code))


@router.post("/work-units", auth=bearer, response={201: OrgOut})
def create_work_unit(request, payload: WorkUnitIn):
    unit = work_unit_create(
        actor=request.auth, agency_id=payload.agency_id, name=payload.name, code=payload.code
    )
    return Status(201, unit)


@router.post("/committees", auth=bearer, response={201: OrgOut})
def create_committee(request, payload: CommitteeIn):
    committee = committee_form(
        actor=request.auth,
        procurement_unit_id=payload.procurement_unit_id,
        name=payload.name,
        member_usernames=payload.members,
    )
    return Status(201, committee)


class RecoveryIn(Strict):
    recipient: str | None = Field(default=None, max_length=100)


def _recovery_out(unit: ProcurementUnit) -> dict:
    recipient = unit.recovery_recipient or None
    return {
        "procurement_unit_id": unit.pk,
        "name": unit.name,
        "recipient": recipient,
        "fingerprint": recipient_fingerprint(recipient) if recipient else None,
        "set_at": unit.recovery_recipient_set_at,
    }


@router.get(
    "/procurement-units/{unit_id}/recovery-recipient",
    response={200: dict},
    summary="The UKPBJ's offline recovery recipient (public: a public key and its fingerprint)",
)
def recovery_recipient(request, unit_id: int):
    unit = ProcurementUnit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(
            "procurement_unit.not_found",
            "UKPBJ tidak ditemukan.",
            "Procurement unit not found.",
            field="unit_id",
        )
    return _recovery_out(unit)


@router.put(
    "/procurement-units/{unit_id}/recovery-recipient",
    auth=bearer,
    response={200: dict},
    summary="The UKPBJ head sets (or clears, with null) the offline recovery recipient",
)
def set_recovery_recipient(request, unit_id: int, payload: RecoveryIn):
    unit = procurement_unit_recovery_set(
        actor=request.auth, procurement_unit_id=unit_id, recipient=payload.recipient
    )
    return _recovery_out(unit)


holidays_router = Router(tags=["holidays"])


class HolidayOut(Schema):
    date: dt.date
    name: str
    kind: str  # national | local
    reason: str


class HolidayIn(Strict):
    date: str = Field(max_length=10)
    name: str = Field(max_length=200)
    reason: str = Field(default="", max_length=2000)


class HolidayRemoveIn(Strict):
    reason: str = Field(max_length=2000)


class HolidayYear(Schema):
    year: int | None = None


@holidays_router.get(
    "",
    response=list[HolidayOut],
    summary="Days off of a year: national holidays, cuti bersama and local days (public)",
)
def list_holidays(request, filters: Query[HolidayYear]):
    today = clock.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    year = filters.year if filters.year is not None else today.year
    if not 2000 <= year <= 2100:
        raise InvalidInput(
            "holiday.year_invalid",
            "Tahun harus antara 2000 dan 2100.",
            "The year must be between 2000 and 2100.",
            field="year",
        )
    return holidays_of_year(year)


@holidays_router.post(
    "", auth=bearer, response={201: HolidayOut}, summary="The admin adds a local day off"
)
def add_holiday(request, payload: HolidayIn):
    holiday = holiday_add(
        actor=request.auth, day=payload.date, name=payload.name, reason=payload.reason
    )
    return Status(
        201,
        {"date": holiday.day, "name": holiday.name, "kind": "local", "reason": holiday.reason},
    )


@holidays_router.delete(
    "/{day}", auth=bearer, response={204: None}, summary="The admin removes a local day off"
)
def remove_holiday(request, day: str, payload: HolidayRemoveIn):
    holiday_remove(actor=request.auth, day=day, reason=payload.reason)
    return Status(204, None)
