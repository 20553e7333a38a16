"""Agencies, work units and committees over the API."""

from __future__ import annotations

from ninja import Router, Schema, Status
from pydantic import Field

from tangguh.accounts.api import Strict, bearer
from tangguh.organizations.models import Agency, WorkUnit
from tangguh.organizations.services import agency_create, committee_form, work_unit_create

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
