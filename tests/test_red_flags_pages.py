"""Red flags computed from real tenders in the database — bids sealed with the ``age`` CLI and
opened by the quorum, schedule changes made by the Pokja's service, an outage declared on the
command line, an award adopted by the committee — shown on the public pages and the API, each
evidence link answering; flags that need an award stay quiet until it is announced."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
import rfc8785
from django.core.management import call_command
from django.test import Client

from tangguh import clock as clock_module
from tangguh.accounts.selectors import users_with_role
from tangguh.bids.models import SealingKey
from tangguh.bids.services.keys import sealing_keys_deal
from tangguh.domain.roles import Role
from tangguh.tenders.models import Tender, TenderStage
from tangguh.tenders.services.lifecycle import tender_change_schedule
from tangguh.testing import factories
from tests.test_awards import _adopt, _bill, _call, _document, _pass_all
from tests.test_bids_upload import put, seal
from tests.test_opening import _package, _past_deadline, _plain_share, _release
from tests.test_participation import approve, declare_size, make_tender, register
from tests.test_tender_workflow import _announced

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path):
    settings.TANGGUH_DATA_DIR = tmp_path / "data"


def _bid_stage(tender) -> TenderStage:
    return TenderStage.objects.get(tender=tender, kind="bid_submission")


def _reschedule(org, tender, times: int) -> None:
    """The Pokja moves the bid deadline and every later stage a week later, ``times`` times,
    through the schedule-change service (rules checked, audited, published)."""
    for n in range(times):
        deadline = _bid_stage(tender).end
        week = timedelta(days=7)
        stages = [
            (s.kind, s.start, s.end + week)
            if s.kind == "bid_submission"
            else (s.kind, s.start + week, s.end + week)
            for s in TenderStage.objects.filter(tender=tender)
            if s.kind == "bid_submission" or s.start >= deadline
        ]
        tender_change_schedule(
            actor=org.users[Role.COMMITTEE_MEMBER],
            tender_id=tender.pk,
            stages=stages,
            reason=f"Perubahan ke-{n + 1}: permintaan waktu tambahan dari calon peserta.",
        )


def _outage_over_the_deadline(clock, tender) -> None:
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
    assert _bid_stage(tender).end > clock.now()  # the bid window was extended


def _opened(api, org, tmp_path, clock, bidders: list[str], *, changes=0, outage=False):
    """A works tender (lowest price) whose bids — one per name, with test_awards' documents,
    so two "A"s bid identical prices — the quorum opened."""
    approve(org)
    companies = {}
    for n, doc in enumerate(bidders):
        if n == 0:
            company, user = org.company, org.users[Role.VENDOR]
        else:
            company, user = factories.make_vendor()
            approve(org, company)
        companies[f"{doc}{n}" if n else doc] = (company, user, doc)
    if changes:
        # Changing a schedule is checked against the full rules: a tender announced through
        # the API (complete schedule, rule set pinned, keys dealt and checked).
        tokens = {role: api.token_for(user) for role, user in org.users.items()}
        tender = Tender.objects.get(code=_announced(api, org, tokens))
        key = SealingKey.objects.get(tender=tender)
        for company, user, _ in companies.values():  # HPS <= Rp15 miliar: reserved
            declare_size(user, company, "small")
        _reschedule(org, tender, changes)
        bid = _bid_stage(tender)
        if clock.now() < bid.start:
            clock.set(bid.start + timedelta(hours=1))
    else:
        tender = make_tender(org)
        tender.code = f"2024{int(factories.unique('')):05d}"
        tender.save(update_fields=["code"])
        (key,) = sealing_keys_deal(actor="test", tender=tender)
    for name, (company, user, doc) in companies.items():
        token = api.token_for(user)
        assert register(api, token, tender).status_code == 201
        plain = _package(tmp_path / name, _document(tender, company, doc))
        response = put(api, token, tender, "offer", seal(plain, key.recipient))
        assert response.status_code == 201, response.content
    if outage:
        _outage_over_the_deadline(clock, tender)
    members = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")
    state = SimpleNamespace(
        tender=tender,
        members=members,
        tokens={},
        companies={k: (c, u) for k, (c, u, _) in companies.items()},
        api=api,
        org=org,
    )
    if changes:
        opening = TenderStage.objects.get(tender=tender, kind="opening")
        clock.set(max(_bid_stage(tender).end, opening.start) + timedelta(minutes=1))
        state.tokens.clear()
        response = api.call("GET", f"/tenders/{tender.code}/closing-statement")
        assert response.status_code == 200, response.content
        statement = hashlib.sha256(rfc8785.dumps(response.json()["document"])).hexdigest()
    else:
        statement = _past_deadline(api, state)
    for member in members[:2]:
        response = _release(api, state, member, _plain_share(member), statement)
        assert response.status_code == 201, response.content
    state.tokens.clear()
    clock_module.get_clock().move(timedelta(seconds=31))  # the release used this code
    return state


def _awarded_alone(state) -> None:
    """The only bid (A) evaluated, qualified and awarded through the committee's minutes."""
    _bill(state)
    _pass_all(state, names=("A",))
    _adopt(state, "evaluation")
    nib = state.companies["A"][0].nib
    response = _call(
        state,
        "POST",
        "/evaluation/checks",
        json={
            "company_nib": nib,
            "stage": "qualification",
            "items": [{"item": "SBU dan pengalaman (pembuktian)", "passed": True}],
        },
    )
    assert response.status_code == 201, response.content
    _adopt(state, "award", nib)
    award = state.api.call("GET", f"/tenders/{state.tender.code}/award").json()
    assert award["award"]["status"] == "announced", award


def _flag_codes(api, code) -> dict[str, dict]:
    response = api.call("GET", f"/tenders/{code}/red-flags")
    assert response.status_code == 200, response.content
    return {flag["code"]: flag for flag in response.json()["flags"]}


def _assert_evidence_answers(flag: dict) -> None:
    assert flag["evidence"], flag
    anonymous = Client()
    for link in flag["evidence"]:
        response = anonymous.get(link["url"].split("#")[0])
        assert response.status_code == 200, (link, response.status_code)
        fragment = link["url"].partition("#")[2]
        if fragment:
            assert f'id="{fragment}"'.encode() in response.content, link


def test_identical_prices_and_repeated_changes_show_with_working_evidence(
    api, org, tmp_path, clock
):
    state = _opened(api, org, tmp_path, clock, ["A", "A"], changes=3)
    code = state.tender.code
    flags = _flag_codes(api, code)
    assert set(flags) == {"identical_bid_prices", "repeated_schedule_changes"}
    identical = flags["identical_bid_prices"]
    assert identical["cardinal"].startswith("R028")
    assert "2389450000" in identical["detail_en"]
    assert {e["key"] for e in identical["evidence"]} == {"opening"}
    assert "3" in flags["repeated_schedule_changes"]["detail_en"]
    for flag in flags.values():
        _assert_evidence_answers(flag)

    page = Client().get(f"/tender/{code}/tanda-bahaya/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "Harga penawaran identik",
        "Identical bid prices",
        "R028 Identical bid prices",
        "Perubahan jadwal berulang",
        "Repeated schedule changes",
        f'href="/api/v1/tenders/{code}/opening"',
        f'href="/tender/{code}/tanda-bahaya/#perubahan"',
        "Perubahan ke-3",
    ):
        assert text in html, text
    # the opening list on the page shows both bidders' identical price
    opening_list = html[html.index('id="pembukaan"') : html.index('id="perubahan"')]
    assert opening_list.count("Rp2.389.450.000") == 2
    # the tender page links here
    tender_page = Client().get(f"/tender/{code}/").content.decode()
    assert f'href="/tender/{code}/tanda-bahaya/"' in tender_page
    # never personal data: no vendor's user name, e-mail or phone
    for _, user in state.companies.values():
        for value in (user.username, user.email, getattr(user, "phone", "")):
            if value:
                assert value not in html


def test_single_bid_and_outage_extension_fire_only_once_the_award_is_announced(
    api, org, tmp_path, clock
):
    state = _opened(api, org, tmp_path, clock, ["A"], outage=True)
    code = state.tender.code
    assert _flag_codes(api, code) == {}  # one bid and an outage, but no award yet
    _awarded_alone(state)
    flags = _flag_codes(api, code)
    assert set(flags) == {"single_bid", "award_after_outage_extension"}
    assert flags["single_bid"]["cardinal"].startswith("R018")
    outage_links = {e["url"] for e in flags["award_after_outage_extension"]["evidence"]}
    assert {"/status", "/api/v1/outages", f"/tender/{code}/pemenang/"} <= outage_links
    for flag in flags.values():
        _assert_evidence_answers(flag)
    html = Client().get(f"/tender/{code}/tanda-bahaya/").content.decode()
    assert "Hanya satu penawaran" in html and "Single bid" in html
    assert "Award after an outage extension" in html
    assert "Listrik padam di ruang server LPSE" in html  # the outage extension's reason

    agency = state.tender.package.work_unit.agency
    listing = api.call("GET", f"/red-flags?agency={agency.pk}").json()["tenders"]
    row = next(r for r in listing if r["code"] == code)
    assert row["count"] == 2 and set(row["flags"]) == set(flags)
    agency_page = Client().get(f"/instansi/{agency.pk}/tanda-bahaya/")
    assert agency_page.status_code == 200
    assert f'href="/tender/{code}/tanda-bahaya/"' in agency_page.content.decode()
    node_page = Client().get("/tanda-bahaya/").content.decode()
    assert code in node_page and agency.name in node_page


def test_unknown_tender_and_agency_are_404(api, org):
    assert api.call("GET", "/tenders/NOPE/red-flags").status_code == 404
    assert Client().get("/tender/NOPE/tanda-bahaya/").status_code == 404
    assert Client().get("/instansi/999999/tanda-bahaya/").status_code == 404
