"""``GET /api/v1/tenders``: public tender search (no token needed)."""

from __future__ import annotations

from typing import Literal

from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from tangguh.core.errors import InvalidInput
from tangguh.search import text
from tangguh.search.selectors import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_VALUE,
    SearchHit,
    search_tenders,
)

router = Router(tags=["tenders"])


class SearchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(default="", max_length=200, description="Words, all of which must match")
    category: Literal["goods", "works", "consultancy", "other_services"] | None = None
    agency: int | None = Field(default=None, ge=1, le=2**62, description="Agency id")
    work_unit: int | None = Field(default=None, ge=1, le=2**62, description="Work unit id")
    year: int | None = Field(default=None, ge=1900, le=2999, description="Fiscal year")
    min: int | None = Field(default=None, ge=0, le=MAX_VALUE, description="HPS from (Rp)")
    max: int | None = Field(default=None, ge=0, le=MAX_VALUE, description="HPS up to (Rp)")
    status: Literal["announced", "bidding", "closed", "cancelled"] | None = None
    sort: Literal["deadline", "relevance", "newest"] = "deadline"
    page: int = Field(default=1, ge=1, le=1000)
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class TenderHitOut(Schema):
    code: str
    title: str
    agency: str
    agency_id: int
    work_unit: str
    work_unit_id: int
    location: str
    category: str
    fiscal_year: int
    owner_estimate: str  # HPS in rupiah, as a decimal string
    phase: str
    phase_label: str
    bid_deadline: str  # RFC 3339 in the node's zone


class SearchOut(Schema):
    items: list[TenderHitOut]
    count: int
    count_capped: bool
    count_label: str
    page: int
    page_size: int
    has_next: bool


def _hit(hit: SearchHit) -> dict:
    entry = hit.entry
    return {
        "code": entry.code,
        "title": entry.title,
        "agency": entry.agency_name,
        "agency_id": entry.agency_id,
        "work_unit": entry.work_unit_name,
        "work_unit_id": entry.work_unit_id,
        "location": entry.location,
        "category": entry.category,
        "fiscal_year": entry.fiscal_year,
        "owner_estimate": text.money(entry.owner_estimate),
        "phase": hit.phase.value,
        "phase_label": hit.phase.label_id,
        "bid_deadline": timezone.localtime(entry.bid_end).isoformat(timespec="seconds"),
    }


@router.get("", response=SearchOut, summary="Search announced tenders (public)")
def search(request, params: Query[SearchIn]):
    """Every word must match (title, code, agency, work unit, location, category; case and
    diacritics ignored, no stemming). Counts above 1,000 are capped (`count_capped`);
    pages reach the first 1,000 results. Unknown parameters are refused, so a misspelt
    filter never silently widens the search."""
    unknown = sorted(set(request.GET) - set(SearchIn.model_fields))
    if unknown:
        raise InvalidInput(
            "request.unknown_field",
            f"{unknown[0]}: parameter tidak dikenal",
            f"{unknown[0]}: unknown parameter",
            field=unknown[0],
        )
    result = search_tenders(
        q=params.q,
        category=params.category,
        agency_id=params.agency,
        work_unit_id=params.work_unit,
        fiscal_year=params.year,
        value_min=params.min,
        value_max=params.max,
        phase=params.status,
        sort=params.sort,
        page=params.page,
        page_size=params.page_size,
    )
    return {
        "items": [_hit(hit) for hit in result.items],
        "count": result.count,
        "count_capped": result.count_capped,
        "count_label": result.count_label,
        "page": result.page,
        "page_size": result.page_size,
        "has_next": result.has_next,
    }
