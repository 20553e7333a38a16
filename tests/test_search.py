"""Public tender search (issue 4): words, filters, order, pages, capped counts, derived phase
filters, the index as a projection of the tenders, and bad input. Runs on SQLite (FTS5) and on
PostgreSQL (tsvector + GIN) alike."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from tangguh import clock as clock_module
from tangguh.search import text
from tangguh.search.models import SearchEntry
from tangguh.search.selectors import search_tenders
from tangguh.search.services import search_index_tender, search_reindex_all

_codes = itertools.count(1)


class World:
    """Two agencies, three work units, one Pokja, one PPK."""

    def __init__(self) -> None:
        from tangguh.testing import factories

        self.mimika = factories.agency_create_unchecked(
            actor="test", name="Pemerintah Kabupaten Mimika"
        )
        self.papua = factories.agency_create_unchecked(
            actor="test", name="Pemerintah Provinsi Papua Tengah"
        )
        self.pupr = factories.work_unit_create_unchecked(
            actor="test", agency=self.mimika, name="Dinas Pekerjaan Umum dan Penataan Ruang"
        )
        self.rsud = factories.work_unit_create_unchecked(
            actor="test", agency=self.mimika, name="RSUD Mimika"
        )
        self.dinkes = factories.work_unit_create_unchecked(
            actor="test", agency=self.papua, name="Dinas Kesehatan"
        )
        self.committee = factories.make_committee(factories.make_procurement_unit(self.mimika))
        self.ppk = factories.make_user()

    def tender(
        self,
        title: str,
        *,
        work_unit=None,
        category: str = "works",
        location: str = "Timika",
        year: int = 2024,
        hps: int = 1_000_000_000,
        opens_in: timedelta = timedelta(days=-1),
        closes_in: timedelta = timedelta(days=7),
        announced: bool = True,
        cancelled: bool = False,
        index: bool = True,
    ):
        """A tender with its package and a bid window relative to the clock, indexed."""
        from tangguh.planning.models import Package
        from tangguh.tenders.models import Tender, TenderStage

        now = clock_module.now()
        package = Package.objects.create(
            work_unit=work_unit or self.pupr,
            fiscal_year=year,
            title=title,
            category=category,
            budget=Decimal(hps) * 2,
            owner_estimate=Decimal(hps),
            location=location,
            created_by=self.ppk,
            created_at=now - timedelta(days=30),
        )
        n = next(_codes)
        tender = Tender.objects.create(
            package=package,
            committee=self.committee,
            code=f"T{n:08d}",
            title=title,
            method="tender_one_file",
            evaluation_method="lowest_price",
            created_at=now - timedelta(days=20),
            announced_at=(now - timedelta(days=10) + timedelta(minutes=n)) if announced else None,
            cancelled_at=now if cancelled else None,
            cancel_reason="Anggaran dialihkan" if cancelled else "",
        )
        TenderStage.objects.create(
            tender=tender,
            kind="announcement",
            position=1,
            start=now - timedelta(days=10),
            end=now + opens_in,
        )
        TenderStage.objects.create(
            tender=tender,
            kind="bid_submission",
            position=2,
            start=now + opens_in,
            end=now + closes_in,
        )
        if index:
            search_index_tender(tender=tender)
        return tender


@pytest.fixture
def world(db, clock):
    return World()


def titles(result) -> list[str]:
    return [hit.entry.title for hit in result.items]


def found(q: str = "", **filters) -> set[str]:
    return set(titles(search_tenders(q=q, page_size=50, **filters)))


# --- words ------------------------------------------------------------------------------------


def test_words_match_title_agency_work_unit_location_and_category(world):
    world.tender("Peningkatan Jalan SP 2 – SP 5", location="Distrik Kuala Kencana")
    world.tender(
        "Pengadaan Alat Kesehatan", work_unit=world.rsud, category="goods", location="Timika"
    )
    world.tender("Rehabilitasi Sekolah Dasar", work_unit=world.dinkes, location="Kwamki Narama")

    assert found("jalan") == {"Peningkatan Jalan SP 2 – SP 5"}
    assert found("RSUD") == {"Pengadaan Alat Kesehatan"}  # work unit
    assert found("papua tengah") == {"Rehabilitasi Sekolah Dasar"}  # agency
    assert found("kuala kencana") == {"Peningkatan Jalan SP 2 – SP 5"}  # location
    assert found("barang") == {"Pengadaan Alat Kesehatan"}  # category name
    assert found("MIMIKA") == {"Peningkatan Jalan SP 2 – SP 5", "Pengadaan Alat Kesehatan"}


def test_every_word_must_match_case_and_accents_ignored_no_stemming(world):
    world.tender("Pembangunan Jalan Lingkar Timika")
    world.tender("Pemeliharaan Jalanan Kota")
    world.tender("Pengadaan Barang/Jasa Kantor", category="goods")
    world.tender("Renovasi Kafé Pegawai", category="other_services")

    assert found("jalan timika") == {"Pembangunan Jalan Lingkar Timika"}
    assert found("jalan kota") == set()  # "jalanan" is another word: no stemming
    assert found("bangun") == set()
    assert found("PEMBANGUNAN") == {"Pembangunan Jalan Lingkar Timika"}
    assert found("jasa kantor") == {"Pengadaan Barang/Jasa Kantor"}  # split at the slash
    assert found("barang/jasa") == {"Pengadaan Barang/Jasa Kantor"}
    assert found("kafe") == {"Renovasi Kafé Pegawai"}
    assert found("KAFÉ") == {"Renovasi Kafé Pegawai"}


def test_search_by_public_code(world):
    tender = world.tender("Pengadaan Ambulans")
    world.tender("Pengadaan Mobil Dinas")
    assert found(tender.code) == {"Pengadaan Ambulans"}
    assert found(tender.code.lower()) == {"Pengadaan Ambulans"}


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "'",
        "jalan OR",
        "AND",
        "NOT jalan",
        "(",
        ")",
        "*",
        "jalan*",
        "a:b",
        "^",
        "NEAR(a b)",
        "{search_tags}: kworks",
        "kworks",
        "y2024",
        "' OR 1=1 --",
        "\\",
        "%",
        "_",
        "\x00",
    ],
)
def test_query_syntax_is_never_interpreted(world, q):
    world.tender("Peningkatan Jalan")
    result = search_tenders(q=q)
    # filter tokens live in their own column: words never match them
    assert result.count <= 1
    if q.strip().lower() in {"kworks", "y2024"}:
        assert result.count == 0


# --- filters ----------------------------------------------------------------------------------


def test_each_filter(world):
    world.tender("Jalan A", category="works", year=2024, hps=500_000_000)
    world.tender("Alat B", work_unit=world.rsud, category="goods", year=2024, hps=2_000_000_000)
    world.tender(
        "Konsultan C", work_unit=world.dinkes, category="consultancy", year=2025, hps=150_000_000
    )
    world.tender("Kebersihan D", category="other_services", year=2023, hps=80_000_000)

    assert found(category="goods") == {"Alat B"}
    assert found(category="other_services") == {"Kebersihan D"}
    assert found(agency_id=world.papua.pk) == {"Konsultan C"}
    assert found(agency_id=world.mimika.pk) == {"Jalan A", "Alat B", "Kebersihan D"}
    assert found(work_unit_id=world.rsud.pk) == {"Alat B"}
    assert found(fiscal_year=2025) == {"Konsultan C"}
    assert found(value_min=500_000_000) == {"Jalan A", "Alat B"}
    assert found(value_max=150_000_000) == {"Konsultan C", "Kebersihan D"}
    assert found(value_min=100_000_000, value_max=600_000_000) == {"Jalan A", "Konsultan C"}
    assert found("jalan", category="goods") == set()
    assert found("mimika", fiscal_year=2024, category="goods") == {"Alat B"}
    assert found(agency_id=999_999) == set()


# --- order and pages --------------------------------------------------------------------------


def test_sorted_by_deadline_latest_first_then_relevance_and_newest(world):
    world.tender("Jalan Satu", closes_in=timedelta(days=3))
    world.tender("Jalan Dua", closes_in=timedelta(days=9))
    world.tender("Gedung Tiga", location="Jalan Cenderawasih", closes_in=timedelta(days=20))
    world.tender("Jalan Empat", closes_in=timedelta(days=-2), opens_in=timedelta(days=-9))

    assert titles(search_tenders(q="jalan")) == [
        "Gedung Tiga",
        "Jalan Dua",
        "Jalan Satu",
        "Jalan Empat",
    ]
    # every word in the title first, then the rest ("Gedung Tiga": in the location only),
    # each latest deadline first
    assert titles(search_tenders(q="jalan", sort="relevance")) == [
        "Jalan Dua",
        "Jalan Satu",
        "Jalan Empat",
        "Gedung Tiga",
    ]
    # announced in creation order, a minute apart
    assert titles(search_tenders(q="jalan", sort="newest")) == [
        "Jalan Empat",
        "Gedung Tiga",
        "Jalan Dua",
        "Jalan Satu",
    ]
    world.tender("Jalan Lima Timika", closes_in=timedelta(days=1))
    assert titles(search_tenders(q="jalan timika", sort="relevance")) == [
        "Jalan Lima Timika",
        "Jalan Dua",
        "Jalan Satu",
        "Jalan Empat",
    ]
    paged = [search_tenders(q="jalan", sort="relevance", page_size=2, page=n) for n in (2, 3)]
    assert [titles(page) for page in paged] == [
        ["Jalan Lima Timika", "Jalan Empat"],
        ["Gedung Tiga"],
    ]


def test_pagination(world):
    for day in range(1, 6):
        world.tender(f"Drainase {day}", closes_in=timedelta(days=day))

    first = search_tenders(q="drainase", page_size=2)
    assert titles(first) == ["Drainase 5", "Drainase 4"]
    assert (first.count, first.count_capped, first.has_next) == (5, False, True)
    second = search_tenders(q="drainase", page_size=2, page=2)
    assert titles(second) == ["Drainase 3", "Drainase 2"]
    assert second.has_next
    last = search_tenders(q="drainase", page_size=2, page=3)
    assert titles(last) == ["Drainase 1"]
    assert (last.count, last.has_next) == (5, False)
    beyond = search_tenders(q="drainase", page_size=2, page=4)
    assert (titles(beyond), beyond.count, beyond.has_next) == ([], 5, False)


def _bulk_entries(n: int, *, word: str = "irigasi") -> None:
    now = clock_module.now()
    SearchEntry.objects.bulk_create(
        SearchEntry(
            tender_id=1_000_000 + i,
            code=f"B{i:08d}",
            title=f"Saluran {word} {i}",
            agency_id=1,
            agency_name="Pemerintah Kabupaten Uji",
            work_unit_id=2,
            work_unit_name="Dinas Uji",
            location="Uji",
            category="works",
            fiscal_year=2024,
            owner_estimate=Decimal(1000 + i),
            announced_at=now - timedelta(days=5),
            bid_start=now - timedelta(days=1),
            bid_end=now + timedelta(hours=i + 1),
            cancelled=False,
            sort_key=text.sort_key(int((now + timedelta(hours=i + 1)).timestamp()), 1_000_000 + i),
            search_title=text.normalize(f"Saluran {word} {i} B{i:08d}"),
            search_body="pemerintah kabupaten uji dinas uji uji",
            search_tags=text.tags(
                category="works", agency_id=1, work_unit_id=2, fiscal_year=2024, cancelled=False
            ),
        )
        for i in range(n)
    )


def test_counts_are_capped_and_pages_stop_at_the_cap(world, api):
    _bulk_entries(1005)
    result = search_tenders(q="irigasi", page_size=50)
    assert (result.count, result.count_capped, result.count_label) == (1000, True, "1.000+")
    assert result.items[0].entry.title == "Saluran irigasi 1004"  # latest deadline first
    last = search_tenders(q="irigasi", page_size=50, page=20)
    assert len(last.items) == 50
    assert not last.has_next  # page 21 would start past the first 1,000
    exact = search_tenders(q="irigasi 17")
    assert (exact.count, exact.count_capped, exact.count_label) == (1, False, "1")
    response = api.call("GET", "/tenders?q=irigasi&page=21&page_size=50")
    assert response.status_code == 422
    assert response.json()["code"] == "search.page_out_of_range"
    body = api.call("GET", "/tenders?q=saluran").json()
    assert (body["count"], body["count_capped"], body["count_label"]) == (1000, True, "1.000+")
    by_relevance = search_tenders(q="irigasi", sort="relevance")
    assert by_relevance.count_capped and len(by_relevance.items) == 20


def test_relevance_tiers_reach_past_the_newest_thousand_matches(world):
    _bulk_entries(1005)  # "Saluran irigasi N": the words in the title; "uji" elsewhere
    world.tender("Gedung Uji", closes_in=timedelta(days=-2), opens_in=timedelta(days=-9))
    world.tender("Gedung Baru", location="Irigasi Barat", closes_in=timedelta(days=90))

    # "uji" is in the title of one old tender only: it comes first, then the newest others
    by_relevance = search_tenders(q="uji", sort="relevance", page_size=3)
    assert titles(by_relevance) == ["Gedung Uji", "Saluran irigasi 1004", "Saluran irigasi 1003"]
    assert by_relevance.count_capped and by_relevance.has_next
    second = search_tenders(q="uji", sort="relevance", page_size=3, page=2)
    assert titles(second) == [f"Saluran irigasi {i}" for i in (1002, 1001, 1000)]
    # more than a thousand with the word in the title: those, newest first; the location
    # match with the latest deadline is not among the first 1,000
    irigasi = search_tenders(q="irigasi", sort="relevance", page_size=2)
    assert titles(irigasi) == ["Saluran irigasi 1004", "Saluran irigasi 1003"]
    last = search_tenders(q="irigasi", sort="relevance", page_size=50, page=20)
    assert "Gedung Baru" not in titles(last)
    assert titles(last)[-1] == "Saluran irigasi 5"


# --- phases follow the clock ------------------------------------------------------------------


def test_phase_filter_follows_the_clock(world, clock):
    world.tender("Jembatan Mimika", opens_in=timedelta(days=2), closes_in=timedelta(days=9))
    world.tender("Puskesmas Kwamki", cancelled=True)

    def phases():
        return {name: found(phase=name) for name in ("announced", "bidding", "closed", "cancelled")}

    assert phases() == {
        "announced": {"Jembatan Mimika"},
        "bidding": set(),
        "closed": set(),
        "cancelled": {"Puskesmas Kwamki"},
    }
    assert search_tenders(q="jembatan").items[0].phase == "announced"
    clock.move(timedelta(days=2))  # bid submission opens, to the second
    assert found(phase="bidding") == {"Jembatan Mimika"}
    assert found(phase="announced") == set()
    assert search_tenders(q="jembatan").items[0].phase == "bidding"
    clock.move(timedelta(days=7) - timedelta(seconds=1))
    assert found(phase="bidding") == {"Jembatan Mimika"}
    clock.move(timedelta(seconds=1))  # the deadline itself: closed
    assert found(phase="bidding") == set()
    assert found(phase="closed") == {"Jembatan Mimika"}
    assert found("jembatan", phase="closed", category="works") == {"Jembatan Mimika"}
    assert search_tenders(q="jembatan").items[0].phase == "closed"
    assert search_tenders(q="puskesmas").items[0].phase == "cancelled"


# --- the index follows the tenders ------------------------------------------------------------


def test_drafts_are_not_found_until_announced(world):
    draft = world.tender("Pengadaan Genset", announced=False)
    assert found("genset") == set()
    assert not SearchEntry.objects.filter(tender_id=draft.pk).exists()
    draft.announced_at = clock_module.now()
    draft.save()
    search_index_tender(tender=draft)
    assert found("genset") == {"Pengadaan Genset"}


def test_reindex_after_a_schedule_change_moves_the_deadline(world, api):
    moved = world.tender("Jalan Poros", closes_in=timedelta(days=3))
    world.tender("Jalan Cabang", closes_in=timedelta(days=5))
    assert titles(search_tenders(q="jalan")) == ["Jalan Cabang", "Jalan Poros"]

    stage = moved.stages.get(kind="bid_submission")
    stage.end = clock_module.now() + timedelta(days=12)
    stage.save()
    search_index_tender(tender=moved)

    assert titles(search_tenders(q="jalan")) == ["Jalan Poros", "Jalan Cabang"]
    item = api.call("GET", "/tenders?q=poros").json()["items"][0]
    assert item["bid_deadline"] == "2024-07-06T10:00:00+09:00"  # 24 June 10:00 WIT + 12 days
    assert found("poros", phase="bidding") == {"Jalan Poros"}
    assert SearchEntry.objects.filter(tender_id=moved.pk).count() == 1


def test_cancelling_and_reindexing_all(world):
    kept = world.tender("Pasar Sentral")
    cancelled = world.tender("Terminal Bus")
    draft = world.tender("Taman Kota", index=False, announced=False)
    SearchEntry.objects.filter(tender_id=kept.pk).delete()  # lost, e.g. a restore
    SearchEntry.objects.create(  # stale: its tender is a draft now
        **{
            f.name: getattr(SearchEntry.objects.get(tender_id=cancelled.pk), f.name)
            for f in SearchEntry._meta.concrete_fields
            if f.name not in {"id", "tender_id", "sort_key"}
        },
        tender_id=draft.pk,
        sort_key=text.sort_key(1, draft.pk),
    )
    cancelled.cancelled_at = clock_module.now()
    cancelled.save()

    assert search_reindex_all() == 2
    assert found() == {"Pasar Sentral", "Terminal Bus"}
    assert found(phase="cancelled") == {"Terminal Bus"}
    call_command("search", "reindex", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert SearchEntry.objects.count() == 2
    assert found("taman") == set()


# --- the API ----------------------------------------------------------------------------------


def test_api_search_shape(world, api):
    world.tender(
        "Pengadaan Alat Kesehatan RSUD",
        work_unit=world.rsud,
        category="goods",
        hps=1_234_567_890,
        closes_in=timedelta(days=7, hours=5),
    )
    response = api.call(
        "GET",
        f"/tenders?q=alat%20kesehatan&category=goods&agency={world.mimika.pk}&year=2024"
        "&min=1000000&max=2000000000&status=bidding&sort=relevance&page=1",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1 and body["count_capped"] is False and body["has_next"] is False
    assert body["page"] == 1
    item = body["items"][0]
    assert item["title"] == "Pengadaan Alat Kesehatan RSUD"
    assert item["agency"] == "Pemerintah Kabupaten Mimika"
    assert item["work_unit"] == "RSUD Mimika"
    assert item["category"] == "goods"
    assert item["owner_estimate"] == "1234567890.00"
    assert item["phase"] == "bidding"
    assert item["phase_label"] == "Pemasukan penawaran"
    assert item["bid_deadline"] == "2024-07-01T15:00:00+09:00"  # WIT, the node's zone
    assert api.call("GET", f"/tenders?work_unit={world.pupr.pk}").json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("category=food", "request.invalid", "category"),
        ("status=open", "request.invalid", "status"),
        ("sort=price", "request.invalid", "sort"),
        ("page=0", "request.invalid", "page"),
        ("page=abc", "request.invalid", "page"),
        ("page=99999999999999999999999", "request.invalid", "page"),
        ("page_size=51", "request.invalid", "page_size"),
        ("year=abc", "request.invalid", "year"),
        ("year=20245", "request.invalid", "year"),
        ("agency=-1", "request.invalid", "agency"),
        ("min=-5", "request.invalid", "min"),
        ("max=1e30", "request.invalid", "max"),
        ("min=500&max=100", "search.value_range_invalid", "min"),
        ("q=" + "x" * 201, "request.invalid", "q"),
        ("q=" + "+".join(f"kata{i}" for i in range(9)), "search.too_many_words", "q"),
        ("colour=red", "request.unknown_field", "colour"),
        ("page=60", "search.page_out_of_range", "page"),
    ],
)
def test_bad_parameters_are_422_with_a_code_and_the_field(world, api, query, code, field):
    response = api.call("GET", f"/tenders?{query}")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == code
    fields = [e["field"] for e in body.get("errors", [])] or [body.get("field")]
    assert field in fields


def test_api_tolerates_odd_words(world, api):
    world.tender("Peningkatan Jalan")
    for q in ['"', "jalan OR (", "%00", "%E2%80%94", "%F0%9F%98%80", "*", "-", "NOT"]:
        response = api.call("GET", f"/tenders?q={q}")
        assert response.status_code == 200, (q, response.content)


def test_row_keys_order_latest_deadline_first_and_bound_phases():
    keys = [text.sort_key(s, t) for s, t in [(2_000, 7), (2_000, 3), (1_999, 9), (5, 1)]]
    assert keys == sorted(keys)  # later deadline first; same second: higher tender id first
    assert text.sort_key(2_000, 3) < text.keys_with_deadline_from(2_000)
    assert text.sort_key(1_999, 9) >= text.keys_with_deadline_from(2_000)
    assert text.sort_key(2_000, 3) >= text.keys_with_deadline_until(2_000)
    assert text.sort_key(2_001, 3) < text.keys_with_deadline_until(2_000)
    assert text.normalize("Pengadaan Barang/Jasa  SP-2 Kafé") == "pengadaan barang jasa sp 2 kafe"


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"fiscal_year": 99_999_999_999_999_999_999}, "year"),
        ({"value_min": 10**30}, "min"),
        ({"value_max": -1}, "max"),
        ({"agency_id": 2**70}, "agency"),
        ({"work_unit_id": 0}, "work_unit"),
    ],
)
def test_selector_refuses_out_of_range_values_from_any_caller(world, filters, field):
    from tangguh.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        search_tenders(q="jalan", **filters)
    assert (refused.value.code, refused.value.field) == ("search.value_out_of_range", field)
