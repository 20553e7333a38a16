"""The sealing page tells the vendor, before sealing, whether the tender requires a bid
guarantee: a works tender with an HPS above Rp10 miliar does (at least 1% of the HPS, valid as
long as the bid), with the same rule the opening checks (``bid_guarantee_rule``); a goods
tender, or works at the threshold itself, does not, and the fields may stay empty. The page
only informs: the form takes a bid without a guarantee (the script is unchanged)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tangguh.bids.selectors import bid_guarantee_rule
from tangguh.bids.services.keys import sealing_keys_deal
from tangguh.bids.services.opening import guarantee_check
from tangguh.domain.roles import Role
from tangguh.planning.models import Package
from tangguh.testing import factories
from tests.test_participation import approve, make_tender, register

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]

REQUIRED = "Disyaratkan"
NOT_REQUIRED = "Tidak disyaratkan untuk tender ini"


def _page(client, api, org, *, owner_estimate: str, category: str, envelopes: int = 1):
    """The registered vendor's sealing page (Indonesian) of a tender in its bid window."""
    approve(org)
    tender = make_tender(org)
    tender.code = f"2024{int(factories.unique('')):05d}"
    tender.envelopes = envelopes
    tender.save(update_fields=["code", "envelopes"])
    Package.objects.filter(pk=tender.package_id).update(
        category=category, budget=Decimal(owner_estimate), owner_estimate=Decimal(owner_estimate)
    )
    tender.refresh_from_db()
    sealing_keys_deal(actor="test", tender=tender)
    vendor = org.users[Role.VENDOR]
    assert register(api, api.token_for(vendor), tender).status_code == 201
    client.force_login(vendor)
    response = client.get(f"/tender/{tender.code}/penawaran/")  # Indonesian by default
    assert response.status_code == 200
    return tender, response.text


def _rule_cell(page: str) -> str:
    return page.split('id="guarantee-rule"')[1].split("</td>")[0]


def _section(page: str, envelope: str) -> str:
    return page.split(f'id="envelope-{envelope}"')[1].split("</section>")[0]


def test_a_works_tender_above_ten_billion_shows_the_requirement_and_minimum(client, api, org):
    # Rp12.345.678.901: 1% is Rp123.456.789,01, so the floor rounds up to Rp123.456.790
    tender, page = _page(client, api, org, owner_estimate="12345678901.00", category="works")
    cell = _rule_cell(page)
    assert 'data-required="1"' in cell and f"<strong>{REQUIRED}</strong>" in cell
    assert "HPS Rp12.345.678.901" in cell and "di atas Rp10.000.000.000" in cell
    assert '<strong id="guarantee-minimum">Rp123.456.790</strong> (1% HPS)' in cell
    assert "harus mencakup masa berlaku penawaran" in cell
    offer = _section(page, "offer")
    assert "Disyaratkan untuk tender ini: paling sedikit Rp123.456.790" in offer
    assert NOT_REQUIRED not in page
    # the page and the opening apply one rule
    assert guarantee_check(tender, "offer").required and bid_guarantee_rule(
        tender, "offer"
    ).minimum == Decimal("123456790")
    # informs only: the guarantee inputs stay optional (no required attribute)
    assert 'name="bid_guarantee_reference" maxlength="200" autocomplete="off">' in offer


def test_the_english_page_says_the_same(client, api, org):
    tender, _ = _page(client, api, org, owner_estimate="12000000000.00", category="works")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/tender/{tender.code}/penawaran/").text
    cell = _rule_cell(page)
    assert "<strong>Required</strong>" in cell and "The guarantee must be at least" in cell
    assert "Rp120.000.000" in cell and "its validity must cover the bid's validity" in cell


@pytest.mark.parametrize(
    ("owner_estimate", "category"),
    [("50000000000.00", "goods"), ("10000000000.00", "works")],
    ids=["goods-above", "works-at-ten-billion"],
)
def test_no_requirement_outside_works_above_the_threshold(
    client, api, org, owner_estimate, category
):
    _, page = _page(client, api, org, owner_estimate=owner_estimate, category=category)
    cell = _rule_cell(page)
    assert 'data-required="0"' in cell and NOT_REQUIRED in cell
    assert "Kolom jaminan penawaran boleh dikosongkan" in cell
    assert 'id="guarantee-minimum"' not in page and "paling sedikit" not in page
    assert "Tidak disyaratkan untuk tender ini: kolom ini boleh dikosongkan" in _section(
        page, "offer"
    )


def test_a_two_file_works_tender_asks_it_in_the_technical_envelope_only(client, api, org):
    _, page = _page(
        client, api, org, owner_estimate="20000000000.00", category="works", envelopes=2
    )
    assert '<strong id="guarantee-minimum">Rp200.000.000</strong>' in _rule_cell(page)
    assert "paling sedikit Rp200.000.000" in _section(page, "technical")
    price = _section(page, "price")
    assert "Jaminan penawaran disertakan dalam sampul teknis" in price
    assert "paling sedikit" not in price
