"""Two-file opening (metode dua file): the technical envelopes open at k shares; the Pokja records
every bid's technical result; only then are price shares taken, and at k of them only the price
envelopes of bids that passed are decrypted — the others are listed as not opened and their
bytes never reach a decryption. Envelopes are sealed with the reference ``age`` CLI."""

from __future__ import annotations

import hashlib
import io
import json
from decimal import Decimal

import pyrage
import pytest
from pypdf import PdfReader

from tangguh.accounts.selectors import users_with_role
from tangguh.audit.models import AuditEvent
from tangguh.bids.models import Envelope, KeyShare, OpenedEnvelope, Opening, SealingKey
from tangguh.bids.services.keys import sealing_keys_deal
from tangguh.core.blobs import node_blobs
from tangguh.domain.roles import Role
from tangguh.evaluation.models import TechnicalResult
from tangguh.tenders.models import DocumentKind, TenderDocument
from tangguh.testing import factories
from tests.domain.test_bid_package import VALID
from tests.test_bids_upload import put, seal
from tests.test_opening import _invalid_package, _package, _past_deadline, _refused, _token
from tests.test_participation import approve, make_tender, register

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]

TECHNICAL = {k: v for k, v in VALID.items() if k not in ("total_price", "boq")} | {
    "envelope": "technical"
}


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


@pytest.fixture
def two(api, org, tmp_path):
    """An announced two-file tender with node-dealt technical and price keys, and three
    registered vendors who sealed both envelopes with ``age -r``: A and B valid, C's technical
    package invalid."""
    approve(org)
    companies = {"A": (org.company, org.users[Role.VENDOR])}
    for name in ("B", "C"):
        company, user = factories.make_vendor()
        approve(org, company)
        companies[name] = (company, user)
    tender = make_tender(org)
    tender.code = f"2024{int(factories.unique('')):05d}"
    tender.envelopes, tender.method = 2, "tender_two_files"
    tender.save(update_fields=["code", "envelopes", "method"])
    keys = {key.envelope: key for key in sealing_keys_deal(actor="test", tender=tender)}
    prices = {"A": "2389450000", "B": "2100000000", "C": "2000000000"}
    plain = {}
    for name, (company, user) in companies.items():
        token = api.token_for(user)
        assert register(api, token, tender).status_code == 201
        base = {"tender": tender.code, "company_nib": company.nib}
        if name == "C":
            technical = _invalid_package({**TECHNICAL, **base, "total_price": "1"})
        else:
            technical = _package(tmp_path / name / "technical", {**TECHNICAL, **base})
        price = _package(
            tmp_path / name / "price",
            {**VALID, **base, "envelope": "price", "total_price": prices[name]},
        )
        plain[name] = {"technical": technical, "price": price}
        for envelope, data in plain[name].items():
            response = put(api, token, tender, envelope, seal(data, keys[envelope].recipient))
            assert response.status_code == 201, response.content
    members = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")
    return type(
        "TwoFile",
        (),
        {
            "tender": tender,
            "keys": keys,
            "companies": companies,
            "nib": {name: company.nib for name, (company, _) in companies.items()},
            "plain": plain,
            "members": members,
            "tokens": {},
        },
    )


def _share(member, envelope: str) -> dict:
    share = KeyShare.objects.get(holder=member, sealing_key__envelope=envelope)
    identity = pyrage.x25519.Identity.from_str(factories.MEMBER_IDENTITIES[member.pk])
    return json.loads(pyrage.decrypt(bytes(share.sealed_share), [identity]))


def _release(api, two, member, envelope, statement):
    return api.call(
        "POST",
        f"/tenders/{two.tender.code}/opening/shares",
        json={"share": _share(member, envelope), "closing_statement": statement},
        token=_token(api, two, member),
    )


def _record(api, two, token, results, *, revise=False):
    return api.call(
        "POST",
        f"/tenders/{two.tender.code}/evaluation/technical",
        json={"results": results, "revise": revise},
        token=token,
    )


def _verdicts(two, **outcomes) -> list[dict]:
    """``A=True, B="reason"``: True passes, a string fails with that reason."""
    return [
        {"company_nib": two.nib[name], "passed": outcome is True}
        | ({} if outcome is True else {"reason": outcome})
        for name, outcome in outcomes.items()
    ]


def _listing(api, two, envelope: str, token=None) -> dict:
    body = api.call("GET", f"/tenders/{two.tender.code}/opening", token=token).json()
    return next(o for o in body["openings"] if o["envelope"] == envelope)


def test_price_envelopes_open_only_for_bids_that_passed_the_technical_evaluation(api, org, two):
    first, second, third = two.members
    statement = _past_deadline(api, two)

    # a price share before anything is refused, and nothing is recorded
    _refused(_release(api, two, first, "price", statement), 409, "opening.price_after_evaluation")
    assert not Opening.objects.exists()

    # the technical envelopes open as in a one-file tender
    assert _release(api, two, first, "technical", statement).status_code == 201
    opened = _release(api, two, second, "technical", statement)
    assert opened.status_code == 201 and opened.json()["opened"] is True
    rows = {r["company_nib"]: r for r in _listing(api, two, "technical")["envelopes"]}
    assert rows[two.nib["A"]]["ok"] and rows[two.nib["B"]]["ok"]
    assert rows[two.nib["C"]]["reason"] == "opening.invalid_package"
    assert rows[two.nib["A"]]["total_price"] is None  # a technical envelope holds no price

    # still no price share: the technical results are not recorded
    _refused(_release(api, two, first, "price", statement), 409, "opening.price_after_evaluation")
    assert _listing(api, two, "price")["technical_results_complete"] is False

    # recording the results: Pokja only, every bid at once, reasons for failures
    vendor = api.token_for(org.users[Role.VENDOR])
    good = _verdicts(
        two, A=True, B="Metode pelaksanaan tidak memenuhi", C="Sampul teknis tidak sah"
    )
    _refused(_record(api, two, vendor, good), 403, "permission.denied")
    pokja = _token(api, two, first)
    _refused(_record(api, two, pokja, good[:2]), 422, "evaluation.results_incomplete")
    _refused(
        _record(api, two, pokja, _verdicts(two, A=True, B="", C="Sampul teknis tidak sah")),
        422,
        "evaluation.reason_required",
    )
    _refused(
        _record(api, two, pokja, _verdicts(two, A=True, B="Tidak memenuhi", C=True)),
        422,
        "evaluation.unopened_cannot_pass",
    )
    _refused(_record(api, two, pokja, [*good, good[0]]), 422, "evaluation.duplicate_bid")
    assert not TechnicalResult.objects.exists()

    recorded = _record(api, two, pokja, good)
    assert recorded.status_code == 201, recorded.content
    body = recorded.json()
    assert body["complete"] is True and body["final"] is False
    assert {b["company_nib"]: b["passed"] for b in body["bids"]} == {
        two.nib["A"]: True,
        two.nib["B"]: False,
        two.nib["C"]: False,
    }
    _refused(_record(api, two, pokja, good), 409, "evaluation.technical_already_recorded")

    # an explicit revision before the price opening
    revised = _verdicts(
        two, A=True, B="Jadwal pelaksanaan melebihi waktu", C="Sampul teknis tidak sah"
    )
    again = _record(api, two, _token(api, two, second), revised, revise=True)
    assert again.status_code == 200, again.content
    b_result = TechnicalResult.objects.get(company=two.companies["B"][0])
    assert b_result.revision == 2 and b_result.reason == "Jadwal pelaksanaan melebihi waktu"
    assert TechnicalResult.objects.get(company=two.companies["A"][0]).revision == 1
    read = api.call("GET", f"/tenders/{two.tender.code}/evaluation/technical", token=pokja)
    assert read.status_code == 200 and read.json()["complete"] is True
    assert _listing(api, two, "price")["technical_results_complete"] is True

    # the first price share freezes the results
    one = _release(api, two, third, "price", statement)
    assert one.status_code == 201 and one.json()["opened"] is False
    _refused(_record(api, two, pokja, good, revise=True), 409, "evaluation.technical_frozen")
    done = _release(api, two, first, "price", statement)
    assert done.status_code == 201 and done.json()["opened"] is True

    # only A's price envelope was decrypted
    rows = {r["company_nib"]: r for r in _listing(api, two, "price")["envelopes"]}
    assert rows[two.nib["A"]]["ok"] is True
    assert Decimal(rows[two.nib["A"]]["total_price"]) == Decimal("2389450000")
    for name in ("B", "C"):
        row = rows[two.nib[name]]
        assert row["ok"] is False and row["reason"] == "opening.failed_technical"
        assert row["total_price"] is None
        envelope = Envelope.objects.get(
            tender=two.tender, name="price", company=two.companies[name][0]
        )
        record = OpenedEnvelope.objects.get(envelope=envelope)
        assert (record.ok, record.plain_sha256, record.plain_size) == (False, "", None)
        # the plain package never reached storage: it was never decrypted
        assert not node_blobs().exists(hashlib.sha256(two.plain[name]["price"]).hexdigest())
    assert node_blobs().exists(hashlib.sha256(two.plain["A"]["price"]).hexdigest())

    # the Pokja downloads A's price package; B's has none to download
    token = _token(api, two, first)
    pokja_rows = {r["company_nib"]: r for r in _listing(api, two, "price", token)["envelopes"]}
    base = f"/api/v1/tenders/{two.tender.code}/opening/envelopes"
    a_package = api.client.get(
        f"{base}/{pokja_rows[two.nib['A']]['id']}/package", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert b"".join(a_package.streaming_content) == two.plain["A"]["price"]
    b_package = api.client.get(
        f"{base}/{pokja_rows[two.nib['B']]['id']}/package", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert b_package.status_code == 404

    # a BA Pembukaan per opening; the price one lists who was not opened and why
    price_opening = Opening.objects.get(sealing_key=two.keys["price"])
    minutes = TenderDocument.objects.filter(tender=two.tender, kind=DocumentKind.MINUTES)
    assert minutes.count() == 2
    with node_blobs().open(price_opening.minutes_sha256) as handle:
        pages = PdfReader(io.BytesIO(handle.read())).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())  # cells wrap
    assert "sampul II: harga" in text and "2389450000" in text
    assert "tidak lulus evaluasi teknis" in text and "2100000000" not in text

    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("opening.opened") == 2
    assert {"evaluation.technical_recorded", "evaluation.technical_revised"} <= set(actions)
    opened_event = AuditEvent.objects.filter(action="opening.opened").last()
    reasons = {e["reason"] for e in opened_event.payload["envelopes"]}
    assert reasons == {"", "opening.failed_technical"}


def test_technical_results_wait_for_the_technical_opening_and_need_two_files(api, org, two):
    _past_deadline(api, two)
    pokja = _token(api, two, two.members[0])
    good = _verdicts(two, A=True, B="Tidak memenuhi", C="Tidak sah")
    _refused(_record(api, two, pokja, good), 409, "evaluation.technical_not_opened")
    _refused(_record(api, two, pokja, good, revise=True), 409, "evaluation.technical_not_opened")

    two.tender.envelopes = 1
    two.tender.save(update_fields=["envelopes"])
    _refused(_record(api, two, pokja, good), 409, "evaluation.not_two_file")
    assert not TechnicalResult.objects.exists()
    assert SealingKey.objects.filter(tender=two.tender).count() == 2
