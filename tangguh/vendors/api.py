"""Vendor registration and verification over the API."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from tangguh.accounts.api import Strict, bearer
from tangguh.accounts.services.permissions import permission_require
from tangguh.domain.roles import Permission
from tangguh.vendors.selectors import vendor_pending
from tangguh.vendors.services import (
    vendor_approve,
    vendor_register,
    vendor_reject,
    vendor_user_add,
)

router = Router(tags=["vendors"])


class RegistrationIn(Strict):
    company_name: str = Field(max_length=200)
    nib: str = Field(max_length=30)
    npwp: str = Field(max_length=30)
    address: str = Field(max_length=300)
    city: str = Field(max_length=100)
    email: str = Field(max_length=254)
    username: str = Field(max_length=150)
    password: str = Field(max_length=1024)
    display_name: str = Field(max_length=200)


class CompanyOut(Schema):
    id: int
    name: str
    nib: str
    status: str
    rejection_reason: str
    registered_at: datetime


class RejectIn(Strict):
    reason: str = Field(max_length=2000)


class ColleagueIn(Strict):
    username: str = Field(max_length=150)
    password: str = Field(max_length=1024)
    display_name: str = Field(max_length=200)
    email: str = Field(max_length=254)


class UserOut(Schema):
    id: int
    username: str


@router.post("/registrations", response={201: CompanyOut}, summary="Register a company")
def register(request, payload: RegistrationIn):
    return Status(201, vendor_register(**payload.dict()))


@router.get("/registrations/pending", auth=bearer, response=list[CompanyOut])
def pending(request):
    permission_require(
        user=request.auth, permission=Permission.VERIFY_VENDORS, action="vendor.list_pending"
    )
    return vendor_pending()


@router.post("/{company_id}/approve", auth=bearer, response=CompanyOut)
def approve(request, company_id: int):
    return vendor_approve(actor=request.auth, company_id=company_id)


@router.post("/{company_id}/reject", auth=bearer, response=CompanyOut)
def reject(request, company_id: int, payload: RejectIn):
    return vendor_reject(actor=request.auth, company_id=company_id, reason=payload.reason)


@router.post("/{company_id}/users", auth=bearer, response={201: UserOut})
def add_colleague(request, company_id: int, payload: ColleagueIn):
    user = vendor_user_add(actor=request.auth, company_id=company_id, **payload.dict())
    return Status(201, user)
