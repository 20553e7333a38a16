"""OCDS open data from the real tender workflow: every release kind it produces passes
libcoveocds offline (no schema errors, no closed-codelist values, no extension failures) and
our own checks; records compile with ocdsmerge; the feed and records refuse bad input with
stable codes; no personal data is ever published (UU 27/2022)."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from tangguh.audit.models import AuditEvent
from tangguh.bids.models import SealingKey
from tangguh.domain.ocds.personal_data import findings
from tangguh.domain.roles import Role
from tangguh.opendata.models import Release
from tangguh.opendata.services.validation import SchemaUnavailable, validate_package
from tangguh.tenders.models import Tender, TenderStage
from tests.test_clarification import _addendum, _shifted
from tests.test_offline import _published_minute, outage  # noqa: F401
from tests.test_opening import _past_deadline, _plain_share, _release, _token, sealed  # noqa: F401
from tests.test_tender_workflow import _announced

pytestmark = pytest.mark.django_db

PREFIX = "ocds-tgh001"
ENABLE = (
    "OCDS validation needs the official schema: set TANGGUH_OCDS_SCHEMA_DIR to a copy of "
    "../shared/ocds (as .ci/run does), or give the machine network access"
)


@pytest.fixture
def tokens(api, org):
    return {role: api.token_for(user) for role, user in org.users.items()}


@pytest.fixture(autouse=True)
def _registered_prefix(settings):
    """A prefix of the registered form (ocds- + 6 characters); the node default is not one."""
    settings.TANGGUH_OCDS_PREFIX = PREFIX
    settings.TANGGUH_PUBLIC_URL = "https://lpse.mimikakab.go.id"


def validated(package: dict):
    """libcoveocds' verdict on ``package``, offline when the schema folder is configured.
    Skips (saying how to enable it) only where the schema can be had neither way; .ci/run
    sets the folder from ../shared/ocds."""
    try:
        return validate_package(package)
    except SchemaUnavailable:
        pytest.skip(ENABLE)


def feed(api, limit: int = 1000) -> dict:
    """Every release, following links.next to the end of the feed."""
    releases, cursor, package = [], "", None
    while True:
        response = api.call("GET", f"/ocds/releases?cursor={cursor}&limit={limit}")
        assert response.status_code == 200, response.content
        package = json.loads(b"".join(response.streaming_content))
        releases.extend(package["releases"])
        cursor = package["links"]["next"].split("cursor=")[1].split("&")[0]
        if not package["releases"]:
            break
    return {**package, "releases": releases}


def _bid_stage(tender: Tender) -> TenderStage:
    return TenderStage.objects.get(tender=tender, kind="bid_submission")


def _workflow(api, org, tokens, clock) -> Tender:
    """Announce; an addendum with its schedule change; a Pokja schedule change; an outage that
    extends the bid window by rule; a cancellation whose reason carries a phone number."""
    tender = Tender.objects.get(code=_announced(api, org, tokens))
    pokja = tokens[Role.COMMITTEE_MEMBER]
    addendum = _addendum(
        api,
        pokja,
        tender.code,
        stages=_shifted(tender, 7),
        reason="Adendum spesifikasi atap; waktu penyusunan penawaran ditambah tujuh hari.",
    )
    assert addendum.status_code == 201, addendum.content
    moved = api.call(
        "POST",
        f"/tenders/{tender.code}/schedule-changes",
        token=pokja,
        json={"stages": _shifted(tender, 7), "reason": "Lokasi survei lapangan berubah."},
    )
    assert moved.status_code == 201, moved.content
    deadline = _bid_stage(tender).end
    clock.set(deadline + timedelta(hours=1))
    call_command(
        "outage",
        "declare",
        "--start",
        (deadline - timedelta(hours=30)).isoformat(),
        "--end",
        (deadline - timedelta(hours=2)).isoformat(),
        "--reason",
        "Listrik padam di ruang server LPSE",
        stdout=StringIO(),
    )
    assert _bid_stage(tender).end > clock.now()
    pokja = api.token_for(org.users[Role.COMMITTEE_MEMBER])
    cancelled = api.call(
        "POST",
        f"/tenders/{tender.code}/cancel",
        token=pokja,
        json={
            "reason": "Anggaran dialihkan untuk banjir; PPK (NIK 9171014506900001): 0812-3456-7890."
        },
    )
    assert cancelled.status_code == 200, cancelled.content
    return tender


def test_every_release_kind_of_the_workflow_passes_libcoveocds_offline(api, org, tokens, clock):
    tender = _workflow(api, org, tokens, clock)
    package = feed(api, limit=2)
    ocid = f"{PREFIX}-{tender.code}"
    ids = [r["id"] for r in package["releases"]]
    assert ids == [
        f"{ocid}-planning-1",
        f"{ocid}-tender-1",
        f"{ocid}-tenderAmendment-1",
        f"{ocid}-tenderAmendment-2",
        f"{ocid}-tenderAmendment-3",
        f"{ocid}-tenderCancellation-1",
    ]
    report = validated(package)
    assert report.errors == [] and report.count == 6

    last = package["releases"][-1]
    assert last["tender"]["status"] == "cancelled"
    assert last["tender"]["value"] == {"amount": 2400000000, "currency": "IDR"}
    # The sealing key's fingerprint, to compare with the tender page and the receipts.
    fingerprint = SealingKey.objects.get(tender=tender, envelope="offer").fingerprint
    assert f"offer {fingerprint}" in package["releases"][1]["tender"]["submissionMethodDetails"]
    assert last["planning"]["budget"]["amount"] == {"amount": 2500000000, "currency": "IDR"}
    assert last["date"].endswith("+09:00")  # WIT, the node's zone
    amendments = {a["id"]: a for a in last["tender"]["amendments"]}
    causes = [a["description"].split(":")[0] for a in amendments.values()]
    assert any(c.startswith("Perpanjangan jadwal otomatis karena gangguan") for c in causes)
    assert any(c.startswith("Perubahan jadwal bersama adendum") for c in causes)
    assert any(c.startswith("Adendum dokumen pemilihan") for c in causes)
    assert all(a["rationale"] for a in amendments.values())
    extension = next(a for a in amendments.values() if "gangguan" in a["description"])
    assert extension["releaseID"] == f"{ocid}-tenderAmendment-3"
    assert extension["amendsReleaseID"] == f"{ocid}-tenderAmendment-2"
    # Each release carries the amendments known then, linked to the release that made them.
    first_amendment = package["releases"][2]["tender"]["amendments"]
    assert {a["releaseID"] for a in first_amendment} == {f"{ocid}-tenderAmendment-1"}
    cancellation = next(
        d for d in last["tender"]["documents"] if d["documentType"] == "cancellationDetails"
    )
    assert "Anggaran dialihkan untuk banjir" in cancellation["description"]
    assert "0812" not in json.dumps(package) and findings(package) == []
    # Each release is in the audit chain with the SHA-256 of its text.
    published = AuditEvent.objects.filter(action="ocds.release_published")
    assert {e.payload["id"] for e in published} == set(ids)
    for row in Release.objects.all():
        event = published.get(object_id=row.release_id[:100])
        assert event.payload["sha256"] == row.sha256


def test_the_validator_catches_planted_errors(api, org, tokens, clock):
    _announced(api, org, tokens)
    package = feed(api)
    assert validated(package).errors == []

    broken = copy.deepcopy(package)
    broken["releases"][1]["tender"]["status"] = "open"  # not in the closed tenderStatus list
    broken["releases"][1]["tender"]["value"]["amount"] = "dua miliar"  # a string, not a number
    broken["releases"][1]["tender"]["procuringEntity"]["id"] = "ukpbj-lain"  # not a party
    broken["releases"][1]["planning"]["budget"]["amount"]["currency"] = "USD"
    broken["releases"][1]["tender"]["title"] += " (hubungi 0812-3456-7890)"
    broken["releases"][0]["date"] = "2024-06-24 10:00"  # no T, no zone
    errors = "\n".join(validated(broken).errors)
    assert "closed codelist tenderStatus.csv" in errors and "open" in errors
    assert "schema: releases/1/tender/value/amount" in errors
    assert "'ukpbj-lain' is not among the parties" in errors
    assert "currency 'USD' is not IDR" in errors
    assert "personal data (phone)" in errors
    assert "releases/0/date" in errors

    foreign = copy.deepcopy(package)
    foreign["extensions"].append("https://example.invalid/ocds_unknown_extension/extension.json")
    assert any(e.startswith("extension https://example.invalid") for e in validated(foreign).errors)


def test_a_record_compiles_every_release_of_the_process(api, org, tokens, clock):
    tender = _workflow(api, org, tokens, clock)
    ocid = f"{PREFIX}-{tender.code}"
    response = api.call("GET", f"/ocds/records/{ocid}")
    assert response.status_code == 200, response.content
    package = response.json()
    assert validated(package).errors == []
    (record,) = package["records"]
    assert record["ocid"] == ocid and len(record["releases"]) == 6
    compiled = record["compiledRelease"]
    assert compiled["tag"] == ["compiled"]
    assert compiled["tender"]["status"] == "cancelled"
    assert len(compiled["tender"]["amendments"]) == 4  # 2 by addendum, 1 by Pokja, 1 outage
    assert compiled["planning"]["budget"]["amount"]["amount"] == 2500000000


def test_unknown_ocid_is_a_404_with_a_stable_code(api, org, tokens, clock):
    response = api.call("GET", f"/ocds/records/{PREFIX}-209900001")
    assert response.status_code == 404
    assert response.json()["code"] == "ocds.ocid_not_found"


def test_opening_statistics_and_an_outage_decision_publish_a_tender_update(
    api,
    org,
    sealed,  # noqa: F811
):
    """A tender announced before open data existed is backfilled; the quorum opening publishes
    a tenderUpdate with the bids extension statistics, and a Pokja decision on an outage
    another one carrying the decision."""
    tender = sealed.tender
    out = StringIO()
    call_command("ocds", "backfill", stdout=out)
    assert "2 releases published" in out.getvalue()
    bid = _bid_stage(tender)
    statement = _past_deadline(api, sealed)
    for member in sealed.members[:2]:
        assert _release(api, sealed, member, _plain_share(member), statement).status_code == 201
    opened = feed(api)["releases"]
    assert [r["tag"][0] for r in opened] == ["planning", "tender", "tenderUpdate"]
    assert {s["measure"]: s["value"] for s in opened[-1]["bids"]["statistics"]} == {
        "bids": 2,
        "bidders": 2,
    }
    assert "details" not in opened[-1]["bids"]  # bid details wait for the award
    admin = api.token_for(org.users[Role.ADMIN])
    body = {
        "start": (bid.end - timedelta(days=3)).isoformat(),
        "end": (bid.end - timedelta(days=2)).isoformat(),
        "reason": "Node tidak dapat dijangkau dari Timika",
    }
    assert api.call("POST", "/outages", json=body, token=admin).status_code == 201
    decision = api.call("GET", f"/outages/decisions?tender={tender.code}").json()[0]
    member = _token(api, sealed, sealed.members[1])
    decided = api.call(
        "POST",
        f"/outages/decisions/{decision['id']}",
        token=member,
        json={"choice": "failed", "reason": "Gangguan terlalu lama; tender dinyatakan gagal."},
    )
    assert decided.status_code == 200, decided.content
    package = feed(api)
    kinds = [r["tag"][0] for r in package["releases"]]
    assert kinds == ["planning", "tender", "tenderUpdate", "tenderUpdate"]
    update = package["releases"][-1]
    statistics = {s["measure"]: s["value"] for s in update["bids"]["statistics"]}
    assert statistics == {"bids": 2, "bidders": 2}
    assert update["tender"]["numberOfTenderers"] == 2
    titles = [d["title"] for d in update["tender"]["documents"]]
    assert any(t.startswith("Keputusan Pokja Pemilihan setelah gangguan") for t in titles)
    assert any(d.get("documentType") == "bidders" for d in update["tender"]["documents"])
    assert validated(package).errors == []


def test_no_exported_release_carries_personal_data(api, org, tokens, clock, tmp_path):
    """The export scanned whole: vendors' NPWP and NIB-holders' contacts never appear, and text
    typed with a phone number or NIK is published without it."""
    _workflow(api, org, tokens, clock)
    target = tmp_path / "ocds.json"
    call_command("ocds", "export", str(target), stderr=StringIO())
    text = target.read_text(encoding="utf-8")
    package = json.loads(text)
    assert len(package["releases"]) == 6
    assert findings(package) == []
    assert org.company.npwp not in text
    assert "0812-3456-7890" not in text and "9171014506900001" not in text
    assert text.count("[disamarkan]") == 2  # the NIK and the phone, in the cancellation
    for personal in (org.company.email, org.company.address, org.company.npwp):
        assert personal not in text
    for user in org.users.values():
        assert user.username not in text
        assert not user.display_name or user.display_name not in text


def test_the_demo_node_publishes_only_valid_releases(settings):
    """`tangguh demo`'s Mimika data, made through the real services: every release it
    publishes passes libcoveocds offline and our checks."""
    from tangguh.demo.services import demo_ensure
    from tangguh.opendata.selectors import release_bodies

    demo_ensure()
    releases = [json.loads(body) for body in release_bodies(0, 10**9)]
    kinds = {r["tag"][0] for r in releases}
    assert {"planning", "tender", "tenderAmendment", "tenderCancellation"} <= kinds
    package = {
        "uri": "https://lpse.mimikakab.go.id/api/v1/ocds/export/demo",
        "version": "1.1",
        "publishedDate": "2024-06-24T10:00:00+09:00",
        "publisher": {"name": "LPSE Kabupaten Mimika"},
        "extensions": [],
        "releases": releases,
    }
    assert validated(package).errors == []


def test_luring_and_tenderers_pass_libcoveocds():
    """What the mapping makes of facts the workflow does not record yet (the offline
    procedure; tenderers, with award): still valid OCDS."""
    from tangguh.domain.ocds.facts import OfflineFacts, PartyFacts
    from tangguh.domain.ocds.mapping import build_release
    from tests.test_ocds_mapping import T0, _meta, _process

    bidder = PartyFacts(
        "nib-9120001234567", "CV Karya Timika", ("tenderer",), "ID-NIB", "9120001234567"
    )
    process = _process(
        offline=(OfflineFacts(T0 + timedelta(days=8), "Berkas diterima pada flashdisk"),),
        tenderers=(bidder,),
        number_of_tenderers=1,
    )
    releases = [
        build_release(process, _meta(kind)) for kind in ("planning", "tender", "tenderUpdate")
    ]
    package = {
        "uri": "https://lpse.example/p",
        "version": "1.1",
        "publishedDate": "2024-06-24T10:00:00+09:00",
        "publisher": {"name": "LPSE"},
        "releases": releases,
    }
    assert validated(package).errors == []


def test_a_tender_with_an_offline_step_is_labelled_luring_in_every_release(
    api,
    org,
    outage,  # noqa: F811
):
    """A sealed file received on media, in a published minute: every release of the tender
    from then on says luring, and stays valid OCDS."""
    _published_minute(api, outage)
    package = feed(api)
    assert [r["tag"][0] for r in package["releases"]] == ["planning", "tender"]
    tender = package["releases"][-1]["tender"]
    assert tender["procurementMethodDetails"].endswith("(Luring)")
    assert tender["submissionMethod"] == ["electronicSubmission", "inPerson"]
    assert "berita acara penerimaan luring 1" in tender["submissionMethodDetails"]
    assert validated(package).errors == []


def test_an_addendum_alone_publishes_its_own_amendment(api, org, tokens, clock):
    """An addendum without a schedule change goes through ``tender_published`` like every
    public change: a tenderAmendment carrying it, at once; an addendum whose schedule change
    already published it makes no second, identical release."""
    tender = Tender.objects.get(code=_announced(api, org, tokens))
    pokja = tokens[Role.COMMITTEE_MEMBER]
    response = _addendum(
        api, pokja, tender.code, description="Perubahan spesifikasi atap galvalum."
    )
    assert response.status_code == 201, response.content
    package = feed(api)
    ocid = f"{PREFIX}-{tender.code}"
    assert [r["id"] for r in package["releases"]] == [
        f"{ocid}-planning-1",
        f"{ocid}-tender-1",
        f"{ocid}-tenderAmendment-1",
    ]
    (amendment,) = package["releases"][-1]["tender"]["amendments"]
    assert amendment["rationale"] == "Perubahan spesifikasi atap galvalum."
    assert amendment["releaseID"] == f"{ocid}-tenderAmendment-1"
    assert amendment["amendsReleaseID"] == f"{ocid}-tender-1"
    assert validated(package).errors == []

    with_schedule = _addendum(
        api,
        pokja,
        tender.code,
        stages=_shifted(tender, 7),
        reason="Adendum kedua; waktu penyusunan penawaran ditambah tujuh hari.",
        description="Perubahan volume pekerjaan pondasi.",
    )
    assert with_schedule.status_code == 201, with_schedule.content
    kinds = [r["tag"][0] for r in feed(api)["releases"]]
    assert kinds == ["planning", "tender", "tenderAmendment", "tenderAmendment"]


def test_award_contract_and_failure_mappings_pass_libcoveocds():
    """What the mapping makes of award facts the workflow tests reach less often: a
    disqualified bid, an unanswered objection, a cancelled award of a tender that then failed."""
    from dataclasses import replace

    from tangguh.domain.ocds.facts import FailureFacts
    from tangguh.domain.ocds.mapping import build_release
    from tests.test_ocds_mapping import T0, _awarded, _meta

    process = _awarded()
    failure = FailureFacts(T0 + timedelta(days=45), "collusion", "Persekongkolan", "Bukti KPPU.")
    failed = replace(
        _awarded(failure=failure),
        awards=(replace(process.awards[0], status="cancelled"),),
        contracts=(),
    )
    releases = [
        build_release(process, _meta("award")),
        build_release(process, _meta("contract")),
        build_release(failed, _meta("tenderUpdate")),
    ]
    package = {
        "uri": "https://lpse.example/p",
        "version": "1.1",
        "publishedDate": "2024-06-24T10:00:00+09:00",
        "publisher": {"name": "LPSE"},
        "extensions": [
            "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
            "v1.1.5/extension.json"
        ],
        "releases": releases,
    }
    assert validated(package).errors == []
    broken = json.loads(json.dumps(package))
    broken["releases"][0]["bids"]["details"][0]["status"] = "winning"  # not in bidStatus.csv
    assert any("bidStatus" in e for e in validated(broken).errors)


def test_an_extension_that_cannot_be_read_is_named_not_ignored():
    """libcoveocds passes a package whose extension it cannot fetch; our check names it: a URL
    the offline mirror does not hold, one whose scheme the extension registry refuses, and one
    that does not name an ``extension.json`` (the registry raises NotImplementedError)."""
    package = {
        "uri": "https://lpse.example/p",
        "version": "1.1",
        "publishedDate": "2024-06-24T10:00:00+09:00",
        "publisher": {"name": "LPSE"},
        "extensions": [
            "https://extensions.example.invalid/ocds_nothing/v1/extension.json",
            "not a url",
            "https://extensions.example.invalid/ocds_nothing/v1/schema.json",
        ],
        "releases": [],
    }
    errors = validated(package).errors
    assert sum("cannot be read" in e for e in errors) == 3, errors
