"""Reads for participation: the blacklist copy, who may see a tender's documents, a vendor's
tenders with what to do next and by when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q

from tangguh.accounts.models import User
from tangguh.accounts.selectors import user_grants
from tangguh.domain.methods import StageKind
from tangguh.domain.phase import Phase, phase
from tangguh.domain.roles import Permission, is_allowed
from tangguh.domain.schedule import Schedule
from tangguh.organizations.selectors import scope_chain
from tangguh.participation.models import BlacklistEntry, BlacklistSync, Participation
from tangguh.participation.pact import PactText, pact_render
from tangguh.tenders.models import Tender
from tangguh.tenders.selectors import tender_decisions, tender_schedule
from tangguh.vendors.models import VendorCompany
from tangguh.vendors.selectors import vendor_company_ids_of

# --- the blacklist copy -------------------------------------------------------------------


def npwp_forms(npwp: str) -> set[str]:
    """The forms one taxpayer's NPWP takes: a company's 16-digit NPWP is its 15-digit one with
    a leading 0 (PMK 112/2022), and the copy may carry either."""
    if not npwp:
        return set()
    forms = {npwp}
    if len(npwp) == 15:
        forms.add("0" + npwp)
    elif len(npwp) == 16 and npwp.startswith("0"):
        forms.add(npwp[1:])
    return forms


def blacklist_match(*, npwp: str, nib: str, on: date) -> BlacklistEntry | None:
    """The sanction in force on ``on`` naming this NPWP or NIB, if any (Perpres 16/2018 Ps 78)."""
    who = Q()
    if npwp:
        who |= Q(npwp__in=sorted(npwp_forms(npwp)))
    if nib:
        who |= Q(nib=nib)
    if not who:
        return None
    in_force = Q(starts_on__lte=on) & (Q(ends_on__isnull=True) | Q(ends_on__gte=on))
    return BlacklistEntry.objects.filter(who & in_force).order_by("starts_on", "id").first()


def blacklist_last_sync() -> BlacklistSync | None:
    return BlacklistSync.objects.order_by("-at", "-id").first()


def blacklist_entries(
    *, query: str = "", limit: int = 100, offset: int = 0
) -> list[BlacklistEntry]:
    rows = BlacklistEntry.objects.order_by("name", "starts_on", "id")
    text = query.strip()
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(npwp=text) | Q(nib=text))
    return list(rows[offset : offset + limit])


# --- who may see what ---------------------------------------------------------------------


def is_committee_member(user: User, tender: Tender) -> bool:
    """True when ``user`` sits on the tender's Pokja."""
    if not getattr(user, "is_authenticated", False):
        return False
    return is_allowed(
        user_grants(user),
        Permission.PREPARE_TENDER,
        scope_chain(f"committee:{tender.committee_id}"),
    )


def participation_of_user(user: User, tender: Tender) -> Participation | None:
    """The registration of one of ``user``'s companies for ``tender``, if any."""
    # One query for the ids and one for the registration with its company: this runs before
    # every bid upload, whose fixed cost counts when twenty vendors upload at once.
    return (
        Participation.objects.filter(tender=tender, company_id__in=vendor_company_ids_of(user))
        .select_related("company")
        .order_by("registered_at", "id")
        .first()
    )


def participation_get(tender: Tender, company: VendorCompany) -> Participation | None:
    return Participation.objects.filter(tender=tender, company=company).first()


def participants_of(tender: Tender) -> list[Participation]:
    return list(
        Participation.objects.filter(tender=tender)
        .select_related("company")
        .order_by("registered_at", "id")
    )


def pact_for(*, user: User, company: VendorCompany, tender: Tender) -> PactText:
    """The integrity pact ``user`` is asked to accept for ``company`` in ``tender``."""
    return pact_render(
        person=user.display_name or user.username,
        company=company.name,
        nib=company.nib,
        tender_code=tender.code,
        tender_title=tender.title,
    )


# --- a vendor's tenders ("Paket Saya") ----------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    """What the vendor should do next (a stable code, Indonesian and English) and by when."""

    code: str
    text_id: str
    text_en: str
    due: datetime | None


@dataclass(frozen=True)
class MyTender:
    participation: Participation
    tender: Tender
    phase: Phase
    current_stage: StageKind | None
    bid_deadline: datetime | None
    next_step: NextStep


def _stage_end(schedule: Schedule, kind: StageKind) -> datetime | None:
    stage = schedule.get(kind)
    return stage.end if stage else None


def next_step(schedule: Schedule, at: Phase, now: datetime) -> NextStep:
    """The vendor's next step in each phase of a tender with ``schedule``."""
    if at in (Phase.ANNOUNCED, Phase.BIDDING):
        clarification_end = _stage_end(schedule, StageKind.CLARIFICATION)
        if clarification_end and now < clarification_end:
            return NextStep(
                "attend_clarification",
                "Unduh dokumen pemilihan dan ajukan pertanyaan pada pemberian penjelasan",
                "Download the tender documents and ask questions during clarification",
                clarification_end,
            )
        return NextStep(
            "submit_bid",
            "Siapkan, segel dan unggah penawaran",
            "Prepare, seal and upload your bid",
            schedule.bid_deadline,
        )
    if at in (Phase.AWARDED, Phase.OBJECTION_WINDOW):
        return NextStep(
            "review_result",
            "Periksa hasil pemilihan; ajukan sanggah bila ada keberatan",
            "Review the result; file an objection if you disagree",
            _stage_end(schedule, StageKind.OBJECTION),
        )
    if at == Phase.APPEAL_WINDOW:
        return NextStep(
            "consider_appeal",
            "Ajukan sanggah banding bila jawaban sanggah tidak diterima",
            "File an appeal if you do not accept the answer to your objection",
            _stage_end(schedule, StageKind.APPEAL),
        )
    if at in (Phase.CANCELLED, Phase.FAILED, Phase.CONTRACTED):
        return NextStep("none", "Tidak ada tindakan", "Nothing to do", None)
    return NextStep(
        "wait",
        "Menunggu keputusan Pokja Pemilihan",
        "Waiting for the selection committee",
        None,
    )


def my_tenders(user: User, now: datetime) -> list[MyTender]:
    """The tenders ``user``'s companies registered for, soonest due first."""
    rows = Participation.objects.filter(company_id__in=vendor_company_ids_of(user)).select_related(
        "tender", "company"
    )
    result = []
    for participation in rows:
        tender = participation.tender
        schedule = tender_schedule(tender)
        at = phase(schedule, now, tender_decisions(tender))
        current = next((s.kind for s in schedule.stages if s.start <= now < s.end), None)
        result.append(
            MyTender(
                participation,
                tender,
                at.phase,
                current,
                schedule.bid_deadline,
                next_step(schedule, at.phase, now),
            )
        )
    far = datetime.max.replace(tzinfo=now.tzinfo)
    result.sort(key=lambda row: (row.next_step.due or far, row.tender.code))
    return result
