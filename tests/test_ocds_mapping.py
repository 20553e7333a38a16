"""The pure OCDS mapping (tangguh.domain.ocds): identifiers, the release kinds a change makes,
the luring label, the checks the schema cannot make, personal data, streamed packages, and the
merge rules kept in code. No database."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tangguh.domain.ocds.checks import package_problems, release_problems
from tangguh.domain.ocds.codes import ReleaseKind
from tangguh.domain.ocds.facts import (
    AmendmentFacts,
    AwardFacts,
    BidFacts,
    ContractFacts,
    DocumentFacts,
    FailureFacts,
    NodeFacts,
    OfflineFacts,
    PartyFacts,
    PeriodFacts,
    PlanningFacts,
    ProcessFacts,
    ReleaseMeta,
    ReviewFacts,
    StageMove,
    TenderFacts,
)
from tangguh.domain.ocds.identifiers import (
    START,
    Cursor,
    CursorError,
    cursor_for,
    decode_cursor,
    rfc3339,
    valid_prefix,
)
from tangguh.domain.ocds.mapping import build_release, kinds_to_publish
from tangguh.domain.ocds.merge_rules import MERGE_RULES
from tangguh.domain.ocds.package import package_header, stream_package
from tangguh.domain.ocds.personal_data import REDACTED, findings, redact, scan_text

T0 = datetime(2024, 6, 24, 1, 0, tzinfo=UTC)
NODE = NodeFacts(
    "ocds-tgh001", "LPSE Kabupaten Mimika", "https://lpse.example", "Asia/Jayapura", "WIT"
)


def _process(**tender) -> ProcessFacts:
    base = TenderFacts(
        code="202400017",
        title="Rehabilitasi Puskesmas Timika Jaya",
        method="tender_one_file",
        category="works",
        category_label="Pekerjaan Konstruksi",
        owner_estimate=Decimal("2400000000.40"),
        location="Timika Jaya, Mimika",
        evaluation_method="lowest_price",
        evaluation_label="Harga Terendah",
        announced_at=T0,
        tender_period=PeriodFacts(T0 + timedelta(days=2), T0 + timedelta(days=8)),
        enquiry_period=PeriodFacts(T0 + timedelta(days=1), T0 + timedelta(days=2)),
        documents=(
            DocumentFacts(
                "dokumen-1", "tender_document", "Dokumen Pemilihan", T0, sha256="ab" * 32
            ),
        ),
        amendments=(
            AmendmentFacts(
                "perubahan-jadwal-1",
                T0 + timedelta(hours=5),
                "outage",
                "Gangguan listrik di ruang server",
                moves=(
                    StageMove(
                        "bid_submission",
                        "Upload Dokumen Penawaran",
                        PeriodFacts(T0, T0 + timedelta(days=8)),
                        PeriodFacts(T0, T0 + timedelta(days=9)),
                    ),
                ),
            ),
        ),
    )
    return ProcessFacts(
        node=NODE,
        buyer=PartyFacts("satker-mimika-dinkes", "Dinas Kesehatan, Kabupaten Mimika", ("buyer",)),
        procuring_entity=PartyFacts(
            "ukpbj-mimika-1", "UKPBJ Kabupaten Mimika", ("procuringEntity",)
        ),
        planning=PlanningFacts(2024, Decimal("2500000000"), "27381234", "Rehabilitasi Puskesmas"),
        tender=replace(base, **tender),
    )


def _meta(kind: str, **links) -> ReleaseMeta:
    return ReleaseMeta(f"ocds-tgh001-202400017-{kind}-1", kind, T0, amendment_links=links)


def test_a_tender_release_has_the_required_fields_and_passes_our_checks():
    release = build_release(
        _process(), _meta("tenderAmendment", **{"perubahan-jadwal-1": ("a-1", "b-2")})
    )
    assert release["ocid"] == "ocds-tgh001-202400017"
    assert release["date"] == "2024-06-24T10:00:00+09:00"
    assert release["tag"] == ["tenderAmendment"] and release["initiationType"] == "tender"
    tender = release["tender"]
    assert tender["value"] == {"amount": 2400000000, "currency": "IDR"}  # whole rupiah
    assert (tender["procurementMethod"], tender["mainProcurementCategory"]) == ("open", "works")
    assert tender["procurementMethodDetails"] == "Tender Pascakualifikasi Satu File"
    (amendment,) = tender["amendments"]
    assert amendment["amendsReleaseID"] == "a-1" and amendment["releaseID"] == "b-2"
    assert (
        "Upload Dokumen Penawaran: 24-06-2024 10:00 WIT s.d. 02-07-2024 10:00 WIT"
        in (amendment["description"])
    )
    assert {p["id"] for p in release["parties"]} == {"satker-mimika-dinkes", "ukpbj-mimika-1"}
    assert release_problems(release) == []


def test_a_planning_release_carries_the_budget_and_the_buyer_only():
    release = build_release(_process(), _meta("planning"))
    assert release["planning"]["budget"] == {
        "description": "Pagu anggaran Tahun Anggaran 2024, RUP 27381234: Rehabilitasi Puskesmas",
        "amount": {"amount": 2500000000, "currency": "IDR"},
        "id": "27381234",
    }
    assert "tender" not in release and [p["roles"] for p in release["parties"]] == [["buyer"]]
    assert release_problems(release) == []


def test_every_release_of_a_tender_done_partly_offline_is_labelled_luring():
    offline = (OfflineFacts(T0 + timedelta(days=8), "Berkas penawaran diterima pada flashdisk"),)
    for kind in (ReleaseKind.TENDER, ReleaseKind.TENDER_UPDATE, ReleaseKind.TENDER_CANCELLATION):
        tender = build_release(_process(offline=offline), _meta(kind))["tender"]
        assert tender["procurementMethodDetails"].endswith("(Luring)")
        assert tender["submissionMethod"] == ["electronicSubmission", "inPerson"]
        assert tender["submissionMethodDetails"].startswith("Luring: sebagian proses dilakukan")
        assert "flashdisk" in tender["submissionMethodDetails"]
    online = build_release(_process(), _meta("tender"))["tender"]
    assert "Luring" not in json.dumps(online)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("tender_two_files", "open"),
        ("fast_tender", "open"),
        ("selection", "selective"),
        ("direct_appointment", "limited"),
        ("direct_procurement", "direct"),
    ],
)
def test_methods_map_to_the_closed_method_codelist(method, expected):
    tender = build_release(_process(method=method), _meta("tender"))["tender"]
    assert tender["procurementMethod"] == expected


@pytest.mark.parametrize(
    ("event", "first", "new", "cancelled", "kinds"),
    [
        ("announced", True, False, False, ["planning", "tender"]),
        ("announced", True, True, True, ["planning", "tender", "tenderCancellation"]),
        ("schedule_changed", False, True, False, ["tenderAmendment"]),
        ("addendum", False, True, False, ["tenderAmendment"]),
        ("cancelled", False, False, True, ["tenderCancellation"]),
        ("cancelled", False, True, True, ["tenderCancellation"]),
        ("outage_decided", False, False, False, ["tenderUpdate"]),
        ("outage_decided", False, False, True, ["tenderUpdate"]),
        ("opened", False, False, False, ["tenderUpdate"]),
        ("award", False, False, False, ["award"]),
        ("award", False, True, False, ["award"]),
        ("contract", False, False, False, ["contract"]),
        ("award_update", False, False, False, ["awardUpdate"]),
        ("failed", False, False, False, ["tenderUpdate"]),
        ("award", True, False, False, ["planning", "tender", "award"]),
    ],
)
def test_which_releases_a_change_makes(event, first, new, cancelled, kinds):
    made = kinds_to_publish(event=event, first=first, new_amendments=new, cancelled=cancelled)
    assert made == kinds


def test_a_backfill_of_a_process_that_got_to_its_contract_makes_every_kind():
    made = kinds_to_publish(
        event="announced",
        first=True,
        new_amendments=False,
        cancelled=False,
        awarded=True,
        contracted=True,
    )
    assert made == ["planning", "tender", "award", "contract"]


def _awarded(**changes) -> ProcessFacts:
    """A process with three evaluated bids (one disqualified), an announced award to the
    lowest valid bid with an objection and an appeal, and the contract."""
    bidders = [
        PartyFacts(
            f"nib-91200012345{n}", f"CV Karya {n}", ("tenderer",), "ID-NIB", f"91200012345{n}"
        )
        for n in (61, 62, 63)
    ]
    bids = (
        BidFacts("penawaran-1", bidders[0], Decimal("2100000000.40"), "valid", rank=1),
        BidFacts("penawaran-2", bidders[1], Decimal("2200000000"), "valid", rank=2),
        BidFacts(
            "penawaran-3", bidders[2], Decimal("1900000000"), "disqualified", reason="SBU mati"
        ),
    )
    review_body = PartyFacts("pa-kpa-1", "PA/KPA Dinas PUPR, Kabupaten Mimika", ("reviewBody",))
    award = AwardFacts(
        id="penetapan-1",
        status="active",
        date=T0 + timedelta(days=20),
        supplier=bidders[0],
        price=Decimal("2100000000.40"),
        evaluated_price=Decimal("1785000000.34"),
        reserves=((1, bidders[1], Decimal("2200000000")),),
        reviews=(
            ReviewFacts(
                "sanggah-1", "objection", T0 + timedelta(days=21), bidders[1], "Harga tidak wajar."
            ),
            ReviewFacts(
                "sanggah-banding-1",
                "appeal",
                T0 + timedelta(days=25),
                bidders[1],
                "Banding.",
                answered=T0 + timedelta(days=30),
                upheld=False,
                answer="Ditolak.",
            ),
        ),
        review_body=review_body,
    )
    contract = ContractFacts(
        id="kontrak-1",
        award_id="penetapan-1",
        number="600/1/KONTRAK/2024",
        value=Decimal("2100000000"),
        signed_on=date(2024, 7, 25),
        start_on=date(2024, 7, 26),
        end_on=date(2024, 12, 20),
        recorded_at=T0 + timedelta(days=40),
    )
    process = _process(tenderers=tuple(bidders), bids=bids, **changes)
    return replace(process, awards=(award,), contracts=(contract,))


def test_an_award_release_maps_the_winner_bids_and_reviews():
    release = build_release(_awarded(), _meta("award"))
    assert release_problems(release) == []
    (award,) = release["awards"]
    # The bid's own price, whole rupiah; the HEA only in words (it only ranks).
    assert award["value"] == {"amount": 2100000000, "currency": "IDR"}
    assert "harga evaluasi Rp1.785.000.000" in award["description"]
    assert "Pemenang cadangan 1: CV Karya 62" in award["description"]
    assert [d["documentType"] for d in award["documents"]] == [
        "evaluationReports",
        "complaints",
        "complaints",
    ]
    assert "Belum dijawab" in award["documents"][1]["description"]
    assert "gugur — SBU mati" in award["documents"][0]["description"]
    statuses = [d["status"] for d in release["bids"]["details"]]
    assert statuses == ["valid", "valid", "disqualified"]
    roles = {p["id"]: p["roles"] for p in release["parties"]}
    assert roles["nib-9120001234561"] == ["tenderer", "supplier"]
    assert roles["pa-kpa-1"] == ["reviewBody"]
    assert release["tender"]["status"] == "complete"
    (contract,) = release["contracts"]
    assert contract["awardID"] == "penetapan-1"
    assert contract["dateSigned"] == "2024-07-25T00:00:00+09:00"


def test_an_award_to_someone_who_did_not_bid_is_caught():
    process = _awarded()
    outsider = PartyFacts("nib-9999999999999", "PT Lain", ("supplier",))
    award = replace(process.awards[0], supplier=outsider)
    release = build_release(replace(process, awards=(award,)), _meta("award"))
    assert any("'nib-9999999999999' is not a tenderer" in p for p in release_problems(release))


def test_a_failed_or_cancelled_award_changes_the_tender_status():
    failure = FailureFacts(T0 + timedelta(days=22), "collusion", "Persekongkolan", "Bukti KPPU.")
    process = _awarded(failure=failure)
    cancelled = replace(process.awards[0], status="cancelled")
    release = build_release(
        replace(process, awards=(cancelled,), contracts=()), _meta("tenderUpdate")
    )
    assert release["tender"]["status"] == "unsuccessful"
    assert release["awards"][0]["status"] == "cancelled"
    assert release_problems(release) == []


def test_tenderers_are_parties_and_an_award_to_a_non_tenderer_is_caught():
    bidder = PartyFacts(
        "nib-9120001234567", "CV Karya Timika", ("tenderer",), "ID-NIB", "9120001234567"
    )
    release = build_release(_process(tenderers=(bidder,)), _meta("tenderUpdate"))
    assert release["tender"]["tenderers"] == [{"id": bidder.id, "name": bidder.name}]
    party = next(p for p in release["parties"] if p["id"] == bidder.id)
    assert party["identifier"] == {
        "scheme": "ID-NIB",
        "id": "9120001234567",
        "legalName": bidder.name,
    }
    assert release_problems(release) == []

    awarded = json.loads(json.dumps(release))
    awarded["parties"][-1]["roles"].append("supplier")
    awarded["awards"] = [{"id": "1", "suppliers": [{"id": bidder.id, "name": bidder.name}]}]
    assert release_problems(awarded) == []
    awarded["parties"].append({"id": "nib-1", "name": "PT Lain", "roles": ["supplier"]})
    awarded["awards"][0]["suppliers"].append({"id": "nib-1", "name": "PT Lain"})
    assert release_problems(awarded) == [
        "ocds-tgh001-202400017/ocds-tgh001-202400017-tenderUpdate-1/awards/0/suppliers/1: "
        "'nib-1' is not a tenderer"
    ]


def test_checks_name_each_broken_rule():
    release = build_release(_process(), _meta("tender"))
    release["ocid"] = "ocds-tangguh-202400017"  # 7 characters: not a registered prefix form
    release["id"] += "#2"
    release["buyer"]["name"] = "Dinas lain"
    release["parties"][1]["roles"] = ["buyer"]
    release["tender"]["value"]["amount"] = 12.5
    release["tender"]["tenderPeriod"]["endDate"] = "2024-07-02T10:00:00"
    problems = "\n".join(package_problems([release, release]))
    for expected in (
        "is not ocds-<6 letters or digits>-<id>",
        "contains '#'",
        "/buyer: name differs",
        "/tender/procuringEntity: party 'ukpbj-mimika-1' lacks the role procuringEntity",
        "/tender/value: amount 12.5 is not whole",
        "/tender/tenderPeriod/endDate: '2024-07-02T10:00:00' is not an RFC 3339",
        "release id repeated within the ocid",
    ):
        assert expected in problems


def test_free_text_is_published_without_personal_data():
    process = _process(
        title="Rehabilitasi Puskesmas (kontak 0813 4455 6677)",
        cancelled_at=T0 + timedelta(days=1),
        cancel_reason="Atas permintaan Bapak X, NIK 9171014506900001, NPWP 09.254.294.3-407.000",
    )
    release = build_release(process, _meta("tenderCancellation"))
    text = json.dumps(release, ensure_ascii=False)
    assert findings(release) == [] and text.count(REDACTED) == 3
    assert "ab" * 32 in text  # a document hash is not mistaken for a number to hide


@pytest.mark.parametrize(
    "text",
    [
        "hubungi 0812-3456-7890",
        "+62 812 3456 7890",
        "telp. (0901) 321234",
        "NIK: 9171014506900001.",
        "NPWP 09.254.294.3-407.000",
        "npwp 092542943407000",
    ],
)
def test_personal_data_is_found_and_redacted(text):
    assert list(scan_text(text))
    assert not list(scan_text(redact(text))) and REDACTED in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Rp2.400.000.000",
        "Rp1.062.500.000",
        "tender 202400017, RUP 27381234",
        "2024-07-02T10:00:00+09:00",
        "01-07-2024 16:00 WIT",
        "NPWP badan 01.254.294.3-407.000",
        "NIB 9120001234567",
    ],
)
def test_public_numbers_are_not_mistaken_for_personal_data(text):
    assert list(scan_text(text)) == [] and redact(text) == text


# The fingerprint that made an export test fail at random (CI, 2026-11-28): its first groups
# were all digits and read as a Jakarta-style phone number.
DIGIT_FINGERPRINT = "0700 8473 0028 5c1e 9a4b 77d0"


def test_a_key_fingerprint_is_not_a_phone_number():
    text = f"Sidik jari kunci sampul: offer {DIGIT_FINGERPRINT}."
    assert list(scan_text(text)) == [] and redact(text) == text
    # a phone number written next to a fingerprint is still found
    found = list(scan_text(f"{text} Hubungi 0812 3456 7890."))
    assert [(kind, match) for kind, match, _, _ in found] == [("phone", "0812 3456 7890")]


@given(st.binary(min_size=1, max_size=64))
def test_a_recipient_fingerprint_is_never_personal_data(data):
    digest = hashlib.sha256(data).hexdigest()[:24]
    fingerprint = " ".join(digest[i : i + 4] for i in range(0, 24, 4))
    assert list(scan_text(f"offer {fingerprint}; price {fingerprint.upper()}.")) == []


@given(st.binary(min_size=1, max_size=64))
def test_a_sha256_is_never_redacted(data):
    digest = hashlib.sha256(data).hexdigest()
    assert redact(f"SHA-256 {digest}") == f"SHA-256 {digest}"


@given(st.text(alphabet="abc XYZ.,-0123456789", max_size=60))
def test_redacted_text_holds_no_personal_data(text):
    assert list(scan_text(redact(text))) == []


@given(st.integers(min_value=1, max_value=10**15), st.binary(min_size=1))
def test_a_cursor_round_trips(position, data):
    cursor = cursor_for(position, hashlib.sha256(data).hexdigest())
    assert decode_cursor(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "token", ["???", "MQ", "MToxOg", "MTp4OmFi", "MTowOmFiY2RlZjAxMjM0NTY3ODk", "a" * 121]
)
def test_a_cursor_that_is_not_ours_is_refused(token):
    with pytest.raises(CursorError):
        decode_cursor(token)


def test_the_start_of_the_feed_is_the_empty_cursor():
    assert decode_cursor("") == START == Cursor(0, "")
    assert decode_cursor(START.encode()) == START


def test_identifiers():
    assert valid_prefix("ocds-tgh001") and not valid_prefix("ocds-tangguh")
    assert rfc3339(T0, "Asia/Jakarta") == "2024-06-24T08:00:00+07:00"
    with pytest.raises(ValueError):
        rfc3339(datetime(2024, 6, 24), "Asia/Jayapura")


@given(st.lists(st.text(max_size=50), max_size=40), st.integers(min_value=1, max_value=200))
def test_a_streamed_package_is_the_package(texts, size):
    items = [json.dumps({"t": t}, ensure_ascii=False) for t in texts]
    header = package_header(
        uri="https://x.example/p",
        published_date="2024",
        publisher="n",
        publisher_uri="https://x.example",
    )
    chunks = list(
        stream_package(header, "releases", iter(items), {"links": {"next": "n"}}, size=size)
    )
    assert json.loads("".join(chunks)) == {
        **header,
        "releases": [{"t": t} for t in texts],
        "links": {"next": "n"},
    }
    # Bounded: a chunk is at most the size asked for plus one item (and header or trailer).
    bound = size + max((len(i) for i in items), default=0) + len(json.dumps(header)) + 60
    assert all(len(c) <= bound for c in chunks)


def test_the_merge_rules_are_those_of_the_official_schema(settings):
    folder = settings.TANGGUH_OCDS_SCHEMA_DIR
    if not folder:
        pytest.skip("set TANGGUH_OCDS_SCHEMA_DIR to a copy of ../shared/ocds to compare")
    from ocdsmerge.rules import get_merge_rules

    schema = json.loads(
        (Path(folder) / "release-schema-1__1__5+bids+lots.json").read_text(encoding="utf-8")
    )
    assert get_merge_rules(schema) == MERGE_RULES
