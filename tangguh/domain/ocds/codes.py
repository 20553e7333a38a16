"""How our vocabulary maps to OCDS 1.1.5 codelists (closed ones are checked by the validator:
a wrong code here fails ``tangguh ocds validate``).

- procurementMethod (method.csv, closed): a tender open to every registered vendor is
  ``open``; Seleksi with prequalification invites only the shortlist, ``selective``;
  Penunjukan Langsung negotiates with a chosen vendor, ``limited``; Pengadaan Langsung buys
  directly from one, ``direct`` (Perpres 16/2018 Ps 38, 41).
- mainProcurementCategory (procurementCategory.csv, closed): Pekerjaan Konstruksi → works;
  Pengadaan Barang → goods; Jasa Konsultansi and Jasa Lainnya → services.
- awardCriteria (awardCriteria.csv, open): by evaluation method (Perpres 16/2018 Ps 39, 42).
"""

from __future__ import annotations

from enum import StrEnum

from tangguh.domain.methods import Method


class ReleaseKind(StrEnum):
    """The kind of a release, which is also its ``tag`` (releaseTag.csv)."""

    PLANNING = "planning"
    TENDER = "tender"
    TENDER_AMENDMENT = "tenderAmendment"
    TENDER_UPDATE = "tenderUpdate"
    TENDER_CANCELLATION = "tenderCancellation"
    AWARD = "award"
    AWARD_UPDATE = "awardUpdate"
    CONTRACT = "contract"


PROCUREMENT_METHOD = {
    Method.TENDER_ONE_FILE: "open",
    Method.TENDER_TWO_FILES: "open",
    Method.FAST_TENDER: "open",
    Method.SELECTION: "selective",
    Method.DIRECT_APPOINTMENT: "limited",
    Method.DIRECT_PROCUREMENT: "direct",
}

MAIN_CATEGORY = {
    "goods": "goods",
    "works": "works",
    "consultancy": "services",
    "other_services": "services",
}

AWARD_CRITERIA = {
    "lowest_price": "priceOnly",
    "least_cost": "priceOnly",
    "life_cycle_cost": "costOnly",
    "merit_point": "ratedCriteria",
    "quality_and_cost": "ratedCriteria",
    "quality": "qualityOnly",
    "fixed_budget": "qualityOnly",
}

# documentType.csv (open codelist; every code used here is in it).
DOCUMENT_TYPE = {
    "tender_document": "biddingDocuments",
    "addendum": "biddingDocuments",
    "clarification_minutes": "clarifications",
    "opening_minutes": "bidders",
    "cancellation": "cancellationDetails",
    "evaluation_minutes": "evaluationReports",
    "evaluation_result": "evaluationReports",
    "complaint": "complaints",
}

CAUSE_LABEL = {
    "committee": "Perubahan jadwal oleh Pokja Pemilihan",
    "addendum": "Perubahan jadwal bersama adendum dokumen pemilihan",
    "outage": "Perpanjangan jadwal otomatis karena gangguan layanan",
    "addendum_document": "Adendum dokumen pemilihan",
}

LURING = "Luring"
"""The label every release of a tender that used the offline procedure carries (SPEC "Offline
procedure": marked *luring* everywhere, including open data)."""


def document_type(kind: str, title: str) -> str | None:
    """The OCDS documentType of one of our documents; minutes by what they record."""
    if kind == "minutes":
        lowered = title.lower()
        if "penjelasan" in lowered:
            return DOCUMENT_TYPE["clarification_minutes"]
        if "pembukaan" in lowered:
            return DOCUMENT_TYPE["opening_minutes"]
        if "evaluasi" in lowered or "hasil pemilihan" in lowered:
            return DOCUMENT_TYPE["evaluation_minutes"]
        return None
    return DOCUMENT_TYPE.get(kind)
