"""Demo tenders in every phase this release knows, across Mimika's work units, loaded by
replaying their history on a moving clock: each step happens, through the ordinary services,
at the moment it would have happened, so audit times only move forward and phases derive
from real schedules."""

from __future__ import annotations

import hashlib
import heapq
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyrage
from django.db import transaction

from tangguh.accounts.models import User
from tangguh.bids.models import KeyShare
from tangguh.bids.services.keys import key_share_check, tender_keys_deal
from tangguh.clock import FrozenClock
from tangguh.core.errors import InvalidInput
from tangguh.organizations.models import Committee, ProcurementUnit, WorkUnit
from tangguh.outages.services.outages import outage_declare
from tangguh.planning.services import package_assign, package_create, package_delegate
from tangguh.tenders.models import Tender
from tangguh.tenders.services.documents import tender_document_add
from tangguh.tenders.services.lifecycle import tender_announce, tender_cancel
from tangguh.tenders.services.setup import tender_prepare, tender_propose_schedule


@dataclass(frozen=True)
class DemoTender:
    title: str
    work_unit: str  # code in data.WORK_UNITS
    ppk: str
    category: str
    budget: int
    hps: int
    location: str
    committee: int  # 0 or 1
    delegated_days_ago: float
    announced_days_ago: float | None  # None: stays a draft or in the backlog
    prepare: bool = True
    assign: bool = True
    cancel_reason: str = ""
    clarify: bool = False  # vendors register and ask; answers, minutes, an addendum follow
    outage: bool = False  # the node is out across its bid deadline; the admin declares it


TENDERS = [
    # The oldest tender, the only one announced when the node goes down (issue 7, the June 2024
    # incident in small): its deadline is extended by the outage policy, publicly, with the
    # reason, and /status shows it. Announced before every other tender so no other demo
    # tender is touched, whatever weekday the demo is loaded on.
    DemoTender(
        "Pembangunan Saluran Drainase Primer Jalan Hasanuddin",
        "dinas-pupr",
        "ppk.pupr",
        "works",
        5_400_000_000,
        5_230_000_000,
        "Jl. Hasanuddin, Timika",
        0,
        59.5,
        57,
        outage=True,
    ),
    DemoTender(
        "Peningkatan Jalan SP 2 – SP 5 (Lanjutan)",
        "dinas-pupr",
        "ppk.pupr",
        "works",
        9_800_000_000,
        9_450_000_000,
        "Distrik Kuala Kencana",
        0,
        45,
        40,
    ),
    DemoTender(
        "Pengadaan Alat Kesehatan Ruang ICU RSUD Mimika",
        "dinas-kesehatan",
        "ppk.dinkes",
        "goods",
        4_200_000_000,
        4_050_000_000,
        "RSUD Mimika, Timika",
        1,
        20,
        6,
        clarify=True,
    ),
    # Works above Rp10 miliar HPS, announced and not yet bidding: bidders must attach a bid
    # guarantee (jaminan penawaran) of at least 1% of the HPS and get a bid window of at least 2
    # working days (RULES.md); the sealing page shows the requirement and its minimum.
    DemoTender(
        "Pembangunan Gedung dan Asrama SMA Negeri Kwamki Narama",
        "dinas-pendidikan",
        "ppk.pendidikan",
        "works",
        11_400_000_000,
        10_950_000_000,
        "Kwamki Narama",
        0,
        12,
        2,
    ),
    DemoTender(
        "Pembangunan Jembatan Gantung Kampung Nawaripi",
        "dinas-pupr",
        "ppk.pupr",
        "works",
        3_100_000_000,
        2_980_000_000,
        "Distrik Wania",
        1,
        16,
        10,
    ),
    DemoTender(
        "Jasa Konsultansi Perencanaan Drainase Kota Timika",
        "dinas-pupr",
        "ppk.pupr",
        "consultancy",
        850_000_000,
        820_000_000,
        "Timika",
        0,
        30,
        25,
        cancel_reason="Anggaran dialihkan untuk penanganan banjir Timika (SK Bupati).",
    ),
    DemoTender(
        "Pengadaan Obat dan Bahan Medis Habis Pakai Puskesmas",
        "dinas-kesehatan",
        "ppk.dinkes",
        "goods",
        2_300_000_000,
        2_240_000_000,
        "12 Puskesmas, Mimika",
        1,
        9,
        None,
    ),
    DemoTender(
        "Pengadaan Meubelair Sekolah Dasar Distrik Mimika Baru",
        "dinas-pendidikan",
        "ppk.pendidikan",
        "goods",
        780_000_000,
        760_000_000,
        "Distrik Mimika Baru",
        0,
        8,
        None,
        prepare=False,
    ),
    DemoTender(
        "Pemeliharaan Berkala Jalan Cenderawasih",
        "dinas-pupr",
        "ppk.pupr",
        "works",
        1_200_000_000,
        1_150_000_000,
        "Jl. Cenderawasih, Timika",
        0,
        11,
        None,
        prepare=False,
        assign=False,
    ),
    DemoTender(
        "Jasa Kebersihan Gedung RSUD Mimika",
        "dinas-kesehatan",
        "ppk.dinkes",
        "other_services",
        640_000_000,
        615_000_000,
        "RSUD Mimika",
        1,
        4,
        None,
        prepare=False,
        assign=False,
    ),
]

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
    b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _document(title: str) -> io.BytesIO:
    handle = io.BytesIO(PDF.replace(b"%%EOF", f"% {title}\n%%EOF".encode()))
    handle.name = "dokumen-pemilihan.pdf"
    return handle


def load_tenders(
    *,
    frozen: FrozenClock,
    now: datetime,
    procurement_unit: ProcurementUnit,
    committees: list[Committee],
    units: dict[str, WorkUnit],
    member_identities: dict[str, str],
) -> None:
    """Replay each tender's history in time order on ``frozen``, ending at ``now``.
    ``member_identities`` (username → age identity) open the members' key shares for the key
    checks each tender needs before its announcement."""
    head = User.objects.get(username="kepala.ukpbj")
    steps: list[tuple[datetime, int, str, DemoTender]] = []
    for index, demo in enumerate(TENDERS):
        delegated = now - timedelta(days=demo.delegated_days_ago)
        steps.append((delegated - timedelta(hours=2), index, "create", demo))
        steps.append((delegated, index, "delegate", demo))
        if demo.assign:
            steps.append((delegated + timedelta(hours=20), index, "assign", demo))
        if demo.prepare:
            steps.append((delegated + timedelta(days=1), index, "prepare", demo))
        if demo.announced_days_ago is not None:
            steps.append((now - timedelta(days=demo.announced_days_ago), index, "announce", demo))
        if demo.clarify:
            announced = now - timedelta(days=demo.announced_days_ago)
            steps.append((announced + timedelta(hours=1), index, "register", demo))
            # "ask", "answer" and "addendum" follow the clarification stage the announcement's
            # schedule sets (it moves with weekends and holidays), so they are added then.
        if demo.cancel_reason:
            steps.append((now - timedelta(days=demo.announced_days_ago - 3), index, "cancel", demo))
    packages: dict[int, int] = {}
    heapq.heapify(steps)  # (moment, index, …): the clock only ever moves forward
    while steps:
        moment, index, step, demo = heapq.heappop(steps)
        frozen.set(moment)
        ppk = User.objects.get(username=demo.ppk)
        member = User.objects.filter(
            role_assignments__scope=f"committee:{committees[demo.committee].pk}"
        ).first()
        if step == "create":
            packages[index] = package_create(
                actor=ppk,
                work_unit_id=units[demo.work_unit].pk,
                title=demo.title,
                category=demo.category,
                budget=str(demo.budget),
                owner_estimate=str(demo.hps),
                location=demo.location,
                fiscal_year=moment.year,
            ).pk
        elif step == "delegate":
            package_delegate(
                actor=ppk, package_id=packages[index], procurement_unit_id=procurement_unit.pk
            )
        elif step == "assign":
            package_assign(
                actor=head, package_id=packages[index], committee_id=committees[demo.committee].pk
            )
        elif step == "prepare":
            method = "selection" if demo.category == "consultancy" else "tender_one_file"
            tender = tender_prepare(
                actor=member,
                package_id=packages[index],
                method=method,
                envelopes=2 if method == "selection" else 1,
                evaluation_method="quality_and_cost" if method == "selection" else "lowest_price",
                technical_weight=80 if method == "selection" else None,
                price_weight=20 if method == "selection" else None,
                qualification_requirements=_requirements(demo.category),
            )
            tender_document_add(
                actor=member,
                tender_id=tender.pk,
                title="Dokumen Pemilihan",
                filename="dokumen-pemilihan.pdf",
                handle=_document(demo.title),
            )
        elif step == "announce":
            tender = Tender.objects.get(package_id=packages[index])
            tender_propose_schedule(actor=member, tender_id=tender.pk)
            keys_deal_and_check(tender=tender, member=member, identities=member_identities)
            tender_announce(actor=member, tender_id=tender.pk)
            if demo.outage:
                bid_end = tender.stages.get(kind="bid_submission").end
                at = bid_end + OUTAGE_AFTER + OUTAGE_DECLARED_AFTER
                heapq.heappush(steps, (at, index, "outage", demo))
            if demo.clarify:
                start = tender.stages.get(kind="clarification").start
                for hours, later in ((1, "ask"), (3, "answer"), (5, "addendum")):
                    at = max(start + timedelta(hours=hours), moment)
                    if at <= now:
                        heapq.heappush(steps, (at, index, later, demo))
        elif step in {"register", "ask", "answer", "addendum"}:
            clarify(step, tender=Tender.objects.get(package_id=packages[index]), member=member)
        elif step == "cancel":
            tender = Tender.objects.get(package_id=packages[index])
            tender_cancel(actor=member, tender_id=tender.pk, reason=demo.cancel_reason)
        elif step == "outage":
            node_outage(tender=Tender.objects.get(package_id=packages[index]))


# The demo's outage: the node cannot be reached from the day before a bid deadline to the day
# after; the administrator declares it once service is back, and the outage policy (RULES.md
# "Outage extension policy") extends the deadline through the real outage services.
OUTAGE_BEFORE = timedelta(hours=20)
OUTAGE_AFTER = timedelta(hours=22)
OUTAGE_DECLARED_AFTER = timedelta(hours=2)
OUTAGE_REASON = (
    "Node tidak dapat dijangkau: jaringan ke pusat data terputus (kabel serat optik "
    "Timika–Jayapura) / The node could not be reached: the fibre link to the data centre "
    "was cut"
)


def node_outage(*, tender: Tender) -> None:
    """The administrator declares the outage across ``tender``'s bid deadline (the schedule
    before any outage), which extends it: a public schedule change citing the outage."""
    deadline = tender.stages.get(kind="bid_submission").end
    outage_declare(
        actor=User.objects.get(username="admin"),
        start=deadline - OUTAGE_BEFORE,
        end=deadline + OUTAGE_AFTER,
        reason=OUTAGE_REASON,
    )


def keys_deal_and_check(*, tender: Tender, member: User, identities: dict[str, str]) -> None:
    """The Pokja deals the tender's sealing keys; then each member opens their shares with
    their identity (as their browser or ``tangguh keys check`` does) and the node records each
    check: the real path a tender takes to its announcement."""
    tender_keys_deal(actor=member, tender_id=tender.pk)
    for share in KeyShare.objects.filter(
        sealing_key__tender=tender, holder__isnull=False
    ).select_related("sealing_key", "holder"):
        identity = pyrage.x25519.Identity.from_str(identities[share.holder.username])
        plain = pyrage.decrypt(bytes(share.sealed_share), [identity])
        key_share_check(
            actor=share.holder,
            tender=tender,
            envelope=share.sealing_key.envelope,
            lot=share.sealing_key.lot,
            commitment=hashlib.sha256(plain).hexdigest(),
        )


def _requirements(category: str) -> list[dict]:
    common = [
        {"text": "Memiliki NIB dengan KBLI yang sesuai", "kind": "licence"},
        {"text": "Status wajib pajak valid (KSWP)", "kind": "tax"},
    ]
    if category == "works":
        return [
            *common,
            {"text": "SBU sub-klasifikasi BG004 atau SI1001, kualifikasi kecil", "kind": "sbu"},
            {
                "text": "Pengalaman paling sedikit 1 pekerjaan konstruksi dalam 4 tahun terakhir",
                "kind": "experience",
            },
        ]
    if category == "consultancy":
        return [*common, {"text": "Tenaga ahli teknik sipil bersertifikat SKK", "kind": "staff"}]
    return [*common, {"text": "Pengalaman penyediaan barang sejenis", "kind": "experience"}]


QUESTIONS = [
    (
        "papua.bangun",
        "Bab V Spesifikasi, butir 3",
        "Apakah ventilator boleh merek dalam negeri dengan TKDN di atas 40%?",
        "Boleh, sepanjang memenuhi spesifikasi teknis pada Bab V; TKDN dinilai sesuai Perpres "
        "16/2018 Ps 66–67.",
    ),
    (
        "timika.mandiri",
        "Bab III LDP angka 8",
        "Apakah pengiriman dan instalasi ke RSUD termasuk dalam harga penawaran?",
        "Ya. Harga penawaran sudah termasuk pengiriman sampai RSUD Mimika, instalasi, uji fungsi "
        "dan pelatihan operator.",
    ),
]
# Small businesses only: the package is reserved for them (HPS ≤ Rp15 miliar).
REGISTERED = ["timika.mandiri", "papua.bangun", "mimika.karya"]
ADDENDUM_REASON = (
    "Adendum 1: spesifikasi ventilator disesuaikan hasil penjelasan; waktu "
    "penyusunan penawaran ditambah {days} hari."
)


def clarify(step: str, *, tender: Tender, member: User) -> None:
    """The clarification of the demo's ICU tender: registrations, questions, answers, the
    minutes, and an addendum with its schedule change."""
    from tangguh.clarification.models import Question
    from tangguh.clarification.services.addenda import addendum_issue
    from tangguh.clarification.services.minutes import minutes_publish
    from tangguh.clarification.services.questions import question_answer, question_ask
    from tangguh.participation.selectors import pact_for
    from tangguh.participation.services.registration import participation_register
    from tangguh.vendors.selectors import vendor_companies_of

    if step == "register":
        for username in REGISTERED:
            user = User.objects.get(username=username)
            pact = pact_for(user=user, company=vendor_companies_of(user)[0], tender=tender)
            participation_register(
                actor=user,
                tender_code=tender.code,
                company_id=None,
                accept_integrity_pact=True,
                pact_sha256=pact.sha256,
            )
    elif step == "ask":
        for username, section, text, _ in QUESTIONS:
            question_ask(
                actor=User.objects.get(username=username),
                tender_id=tender.pk,
                text=text,
                section=section,
            )
    elif step == "answer":
        for question, (_, _, _, answer) in zip(
            Question.objects.filter(tender=tender).order_by("number"), QUESTIONS, strict=True
        ):
            question_answer(
                actor=member, tender_id=tender.pk, question_id=question.pk, answer=answer
            )
        minutes_publish(actor=member, tender_id=tender.pk)
    elif step == "addendum":
        bid = tender.stages.get(kind="bid_submission")
        later = [s for s in tender.stages.filter(position__gt=bid.position) if s.start >= bid.end]
        # A week more for the bids; a day more each time a shifted stage would end on a
        # holiday or outside working hours (the rules refuse that), as a Pokja would do.
        for days in range(7, 15):
            shift = timedelta(days=days)
            stages = [(bid.kind, bid.start, bid.end + shift)] + [
                (s.kind, s.start + shift, s.end + shift) for s in later
            ]
            try:
                with transaction.atomic():
                    addendum_issue(
                        actor=member,
                        tender_id=tender.pk,
                        description="Spesifikasi ventilator (Bab V butir 3) disesuaikan.",
                        filename="adendum-1.pdf",
                        handle=_document("Adendum 1"),
                        title="Adendum 1 Dokumen Pemilihan",
                        stages=stages,
                        reason=ADDENDUM_REASON.format(days=days),
                    )
                return
            except InvalidInput:
                continue
