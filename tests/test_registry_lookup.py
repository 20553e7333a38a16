"""The verifier's queue shows what the local copy of the national vendor registry (SIKaP) says
about each company's NIB next to what the vendor declared: match, mismatch or not in the copy,
with the copy's date. The copy is filled by a real ``tangguh hub pull`` from a local HTTP server
playing SIKaP; loading the page sends that server nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from tangguh.domain.roles import Role
from tangguh.hub.selectors import registry_compare
from tangguh.testing import factories
from tangguh.web.timefmt import format_moment
from tests.test_hub import SERVICE_SETTINGS, connect, running_national
from tests.test_status_page import _client

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]


@pytest.fixture(autouse=True)
def _own_keys(settings, tmp_path):
    settings.TANGGUH_SIGNING_KEY_DIR = tmp_path / "keys"
    for name in SERVICE_SETTINGS:
        setattr(settings, name, "")


@pytest.fixture
def companies(org):
    same, _ = factories.make_vendor()
    other, _ = factories.make_vendor()
    absent, _ = factories.make_vendor()
    return {"same": same, "other": other, "absent": absent}


def _article(page: str, name: str) -> str:
    start = page.index(f"<h2>{name}</h2>")
    return page[start : page.index("</article>", start)]


def test_the_queue_compares_each_nib_with_the_registry_copy(org, companies, settings, clock):
    same, other = companies["same"], companies["other"]
    with running_national() as national:
        connect(settings, national.url)
        national.vendors = [
            # the same company, written as the registry writes it
            {
                "nib": same.nib,
                "name": same.name.upper().replace("CV ", "CV. "),
                "status": "aktif",
                "npwp": same.npwp,
                "city": "TIMIKA",
            },
            # the NIB exists but belongs to a differently named company with another NPWP
            {
                "nib": other.nib,
                "name": "PT Bukan Yang Ini",
                "status": "aktif",
                "npwp": "019999999999000",
            },
        ]
        call_command("hub", "pull")
        pulled_at = clock.now()
        clock.move(timedelta(hours=5))
        seen = len(national.requests)

        verifier = _client(org.users[Role.VERIFIER])
        page = verifier.get("/verifikasi/").content.decode()
        english = _client(org.users[Role.VERIFIER], language="en").get("/verifikasi/")
        assert len(national.requests) == seen  # no national service was asked

    match = _article(page, same.name)
    assert 'data-verdict="match"' in match and "cocok" in match
    assert format_moment(pulled_at, settings.TIME_ZONE, "id") in match  # the copy's date
    assert "aktif" in match and "✓ sama" in match and "✗" not in match

    mismatch = _article(page, other.name)
    assert 'data-verdict="mismatch"' in mismatch
    assert "PT Bukan Yang Ini" in mismatch and "019999999999000" in mismatch
    assert mismatch.count("✗ berbeda") == 2  # the name and the NPWP

    absent = _article(page, companies["absent"].name)
    assert 'data-verdict="not_in_copy"' in absent and "NIB tidak ada dalam salinan" in absent
    assert 'data-verdict="not_in_copy"' in _article(page, org.company.name)

    text = english.content.decode()
    assert "SIKaP copy" in text and "mismatch" in text and "NIB not in the copy" in text


def test_the_comparison_reads_only_fields_the_copy_holds(org, companies, settings, clock):
    same = companies["same"]
    assert registry_compare(nib=same.nib, name=same.name).verdict == "not_in_copy"
    with running_national() as national:
        connect(settings, national.url)
        national.vendors = [{"nib": same.nib, "name": f"  {same.name.lower()} ", "status": ""}]
        call_command("hub", "pull")
    found = registry_compare(nib=same.nib, name=same.name, npwp="000", city="Jayapura")
    # the copy holds no NPWP and no city: only the name is compared, and it matches
    assert found.verdict == "match" and [f.field for f in found.fields] == ["name"]
    assert found.synced_at == clock.now()
    renamed = registry_compare(nib=same.nib, name="CV Lain Sekali")
    assert renamed.verdict == "mismatch" and renamed.registry_name.strip() == same.name.lower()
