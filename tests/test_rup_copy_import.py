"""A PPK creates plan items from the local copy of SiRUP (what ``tangguh hub pull`` last
fetched): only lines of their own work unit, through the planning services, audited; a line
already imported is refused with a clear code and nothing half-done is kept."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tangguh import clock as clock_module
from tangguh.audit.models import AuditEvent
from tangguh.core.errors import PermissionDenied
from tangguh.domain.roles import Role
from tangguh.hub.models import RupLine
from tangguh.planning.models import PlanItem
from tangguh.planning.services import plan_items_import_from_copy
from tangguh.testing import factories
from tests.test_status_page import _client

pytestmark = pytest.mark.django_db

URL = "/ppk/rup/impor/"


def _line(code: str, work_unit: str, **extra) -> RupLine:
    values = {
        "fiscal_year": 2024,
        "title": f"Paket {code}",
        "work_unit": work_unit,
        "category": "works",
        "budget": Decimal("2500000000"),
        "data": {"rup_code": code},
        "synced_at": clock_module.now() - timedelta(hours=3),
        **extra,
    }
    return RupLine.objects.create(rup_code=code, **values)


@pytest.fixture
def copy(org, clock):
    """The SiRUP copy: two lines of the PPK's work unit (one named with other spacing and case,
    one with an Indonesian category label), one matched by code, one of another work unit."""
    other = factories.make_work_unit(org.agency)
    return {
        "own": _line("RUP-2024-0001", org.work_unit.name),
        "label": _line(
            "RUP-2024-0002",
            "  " + org.work_unit.name.upper() + " ",
            category="Jasa Konsultansi",
            budget=Decimal("150000000"),
        ),
        "by_code": _line("RUP-2024-0003", "Nama lama", data={"work_unit_code": org.work_unit.code}),
        "other": _line("RUP-2024-0009", other.name),
        "other_unit": other,
    }


def test_the_ppk_sees_their_lines_and_imports_the_selected_ones(org, copy):
    ppk = _client(org.users[Role.COMMITMENT_OFFICER])
    page = ppk.get(URL).content.decode()
    assert "Impor dari salinan SiRUP" in page
    assert "RUP-2024-0001" in page and "RUP-2024-0002" in page and "RUP-2024-0003" in page
    assert "RUP-2024-0009" not in page  # another work unit's line is not offered

    done = ppk.post(
        URL,
        {
            "action": "copy",
            "work_unit_id": org.work_unit.pk,
            "rup_code": ["RUP-2024-0001", "RUP-2024-0002", "RUP-2024-0003"],
        },
    )
    assert done.status_code == 200
    assert "Diimpor: 3" in done.content.decode()
    items = {item.rup_code: item for item in PlanItem.objects.all()}
    assert set(items) == {"RUP-2024-0001", "RUP-2024-0002", "RUP-2024-0003"}
    assert all(i.source == "sirup" and i.work_unit == org.work_unit for i in items.values())
    assert items["RUP-2024-0002"].category == "consultancy"
    assert items["RUP-2024-0002"].budget == Decimal("150000000")
    assert items["RUP-2024-0001"].title == "Paket RUP-2024-0001"

    created = AuditEvent.objects.filter(action="plan_item.created")
    assert created.count() == 3 and all(e.payload["source"] == "sirup" for e in created)
    summary = AuditEvent.objects.get(action="plan_item.imported_from_copy")
    assert summary.actor_user_id == org.users[Role.COMMITMENT_OFFICER].pk
    assert summary.payload["rup_codes"] == ["RUP-2024-0001", "RUP-2024-0002", "RUP-2024-0003"]
    assert summary.payload["copy_synced_at"] == [copy["own"].synced_at.isoformat()]

    again = ppk.get(URL).content.decode()
    assert again.count("sudah diimpor") == 3
    assert 'value="RUP-2024-0001"' not in again  # no checkbox for an imported line


def test_an_imported_line_and_bad_codes_are_refused_and_nothing_is_half_done(org, copy):
    ppk = org.users[Role.COMMITMENT_OFFICER]
    first = plan_items_import_from_copy(
        actor=ppk, work_unit_id=org.work_unit.pk, rup_codes=["RUP-2024-0001"]
    )
    assert first.applied and [i.rup_code for i in first.imported] == ["RUP-2024-0001"]

    report = plan_items_import_from_copy(
        actor=ppk,
        work_unit_id=org.work_unit.pk,
        rup_codes=["RUP-2024-0001", "RUP-2024-0002", "RUP-2024-0009", "RUP-2024-7777"],
    )
    assert not report.applied and not report.imported
    assert {r["rup_code"]: r["code"] for r in report.refused} == {
        "RUP-2024-0001": "plan_item.already_imported",
        "RUP-2024-0009": "plan_item.rup_other_work_unit",
        "RUP-2024-7777": "plan_item.rup_not_in_copy",
    }
    assert PlanItem.objects.count() == 1  # RUP-2024-0002 waited for the others

    partial = plan_items_import_from_copy(
        actor=ppk,
        work_unit_id=org.work_unit.pk,
        rup_codes=["RUP-2024-0001", "RUP-2024-0002"],
        partial=True,
    )
    assert partial.applied and [i.rup_code for i in partial.imported] == ["RUP-2024-0002"]
    assert [r["code"] for r in partial.refused] == ["plan_item.already_imported"]

    # the page shows the refusal with its code
    page = _client(ppk).post(
        URL, {"action": "copy", "work_unit_id": org.work_unit.pk, "rup_code": ["RUP-2024-0001"]}
    )
    text = page.content.decode()
    assert "Tidak ada yang diimpor" in text and "plan_item.already_imported" in text

    nothing = _client(ppk).post(URL, {"action": "copy", "work_unit_id": org.work_unit.pk})
    assert "Pilih setidaknya satu kode RUP." in nothing.content.decode()


def test_a_line_with_a_category_outside_the_list_is_refused(org, copy):
    _line("RUP-2024-0004", org.work_unit.name, category="Swakelola")
    report = plan_items_import_from_copy(
        actor=org.users[Role.COMMITMENT_OFFICER],
        work_unit_id=org.work_unit.pk,
        rup_codes=["RUP-2024-0004"],
    )
    assert [r["code"] for r in report.refused] == ["planning.category_invalid"]
    assert not PlanItem.objects.exists()


def test_only_the_work_units_ppk_may_import(org, copy):
    other_ppk = factories.make_user(
        "ppk.lain", [(Role.COMMITMENT_OFFICER, f"work_unit:{copy['other_unit'].pk}")]
    )
    with pytest.raises(PermissionDenied):
        plan_items_import_from_copy(
            actor=other_ppk, work_unit_id=org.work_unit.pk, rup_codes=["RUP-2024-0001"]
        )
    # their own page offers their own unit's line only
    page = _client(other_ppk).get(URL).content.decode()
    assert "RUP-2024-0009" in page and "RUP-2024-0001" not in page
    assert _client(org.users[Role.VERIFIER]).get(URL).status_code == 403
    assert not PlanItem.objects.exists()
    assert AuditEvent.objects.filter(action="permission.denied").exists()
