"""Local days off (RULES.md "Holidays": national holidays + cuti bersama + node-defined local
days): the administrator adds and removes them on the page, the API and the CLI, audited; the
working calendar includes them, so the schedule proposer skips them and the validator refuses a
rights-closing stage ending on one; an announced tender's schedule never moves."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from tangguh.audit.models import AuditEvent
from tangguh.core.calendar import node_calendar
from tangguh.domain.methods import Method, StageKind
from tangguh.domain.roles import Role
from tangguh.domain.rulesets import ruleset_in_force
from tangguh.domain.schedule import Schedule, Stage
from tangguh.domain.schedule_validation import validate
from tangguh.organizations.models import LocalHoliday
from tests.test_status_page import _client
from tests.test_tender_workflow import _announced, _assigned

pytestmark = pytest.mark.django_db

# Monday 1 July 2024: an ordinary working day in the clock fixture's future (today is 24 June).
LOCAL_DAY = "2024-07-01"


@pytest.fixture
def tokens(api, org):
    return {role: api.token_for(user) for role, user in org.users.items()}


def _add(api, tokens, date=LOCAL_DAY, name="HUT Kabupaten Mimika", role=Role.ADMIN, **extra):
    body = {"date": date, "name": name, **extra}
    return api.call("POST", "/holidays", json=body, token=tokens[role])


def _draft(api, org, tokens) -> str:
    package_id = _assigned(api, org, tokens)
    response = api.call(
        "POST",
        "/tenders/prepare",
        token=tokens[Role.COMMITTEE_MEMBER],
        json={
            "package_id": package_id,
            "method": "tender_one_file",
            "envelopes": 1,
            "evaluation_method": "lowest_price",
            "qualification_requirements": [{"text": "SBU BG004 kualifikasi kecil", "kind": "sbu"}],
        },
    )
    assert response.status_code == 201, response.content
    return response.json()["code"]


def _propose(api, tokens, code) -> list[dict]:
    response = api.call(
        "POST", f"/tenders/{code}/schedule/propose", json={}, token=tokens[Role.COMMITTEE_MEMBER]
    )
    assert response.status_code == 200, response.content
    return response.json()["schedule"]


def _local_date(value: str) -> dt.date:
    return dt.datetime.fromisoformat(value).astimezone(node_calendar().tz).date()


def test_a_local_day_is_skipped_by_the_proposer_and_refused_by_the_validator(
    api, org, tokens, clock
):
    code = _draft(api, org, tokens)
    before = _propose(api, tokens, code)
    # a rights-closing stage that the proposer ends on a working day
    target = next(s for s in before if StageKind(s["kind"]).ends_on_working_moment)
    day = _local_date(target["end"])
    assert node_calendar().is_working_day(day)

    added = _add(api, tokens, date=day.isoformat(), name="Hari Jadi Kabupaten Mimika")
    assert added.status_code == 201, added.content
    assert added.json() == {
        "date": day.isoformat(),
        "name": "Hari Jadi Kabupaten Mimika",
        "kind": "local",
        "reason": "",
    }
    assert not node_calendar().is_working_day(day)
    assert node_calendar().holiday_name(day) == "Hari Jadi Kabupaten Mimika"

    after = _propose(api, tokens, code)
    moved = next(s for s in after if s["kind"] == target["kind"])
    assert _local_date(moved["end"]) > day
    assert all(
        _local_date(s["end"]) != day for s in after if StageKind(s["kind"]).ends_on_working_moment
    )

    # the schedule proposed before the day was added now breaks the rule the validator checks
    old = Schedule(
        tuple(
            Stage(
                StageKind(s["kind"]),
                dt.datetime.fromisoformat(s["start"]),
                dt.datetime.fromisoformat(s["end"]),
            )
            for s in before
        )
    )
    calendar = node_calendar()
    ruleset = ruleset_in_force(calendar.local(clock.now()))
    codes = {v.code for v in validate(old, calendar, ruleset, Method.TENDER_ONE_FILE)}
    assert f"{target['kind']}.end_not_working_moment" in codes


def test_an_announced_schedule_stays_and_a_change_ending_on_a_local_day_is_refused(
    api, org, tokens, clock
):
    code = _announced(api, org, tokens)
    before = api.call("GET", f"/tenders/{code}").json()["schedule"]
    bid = next(s for s in before if s["kind"] == "bid_submission")
    # a rights-closing stage after the bid window (the change below moves it off the day)
    target = next(
        s
        for s in before
        if StageKind(s["kind"]).ends_on_working_moment and s["start"] >= bid["end"]
    )
    day = _local_date(target["end"])
    assert _add(api, tokens, date=day.isoformat()).status_code == 201
    # announced: the schedule is not moved by the new day (docs/users.md "Local holidays")
    assert api.call("GET", f"/tenders/{code}").json()["schedule"] == before

    # the Pokja extends the bid window by a week, onto another local day: refused
    shift = timedelta(days=7)
    new_end = dt.datetime.fromisoformat(bid["end"]) + shift
    assert node_calendar().is_working_moment(new_end)
    stages = [
        {
            "kind": s["kind"],
            "start": (dt.datetime.fromisoformat(s["start"]) + shift).isoformat(),
            "end": (dt.datetime.fromisoformat(s["end"]) + shift).isoformat(),
        }
        for s in before
        if s["start"] >= bid["end"]
    ]
    stages.append({"kind": "bid_submission", "start": bid["start"], "end": new_end.isoformat()})
    change = {"stages": stages, "reason": "Adendum spesifikasi teknis; waktu ditambah."}
    pokja = tokens[Role.COMMITTEE_MEMBER]
    second = _local_date(new_end.isoformat()).isoformat()
    assert _add(api, tokens, date=second, name="Kantor tutup (pindah gedung)").status_code == 201
    refused = api.call("POST", f"/tenders/{code}/schedule-changes", token=pokja, json=change)
    assert refused.status_code == 422, refused.content
    assert refused.json()["code"] == "schedule.invalid"
    codes = {d["code"] for d in refused.json()["details"]}
    assert "bid_submission.end_not_working_moment" in codes

    # without that day the same change is accepted: the local day was the reason
    removed = api.call(
        "DELETE",
        f"/holidays/{second}",
        json={"reason": "Pindah gedung ditunda"},
        token=tokens[Role.ADMIN],
    )
    assert removed.status_code == 204
    accepted = api.call("POST", f"/tenders/{code}/schedule-changes", token=pokja, json=change)
    assert accepted.status_code == 201, accepted.content


def test_the_api_lists_national_and_local_days_and_only_the_admin_writes(api, org, tokens, clock):
    assert _add(api, tokens, role=Role.VERIFIER).status_code == 403
    assert (
        api.call("POST", "/holidays", json={"date": LOCAL_DAY, "name": "x y z"}).status_code == 401
    )
    assert _add(api, tokens, reason="SK Bupati Mimika 12/2024").status_code == 201

    listed = api.call("GET", "/holidays?year=2024")
    assert listed.status_code == 200
    rows = {(row["date"], row["kind"]): row for row in listed.json()}
    assert rows[("2024-08-17", "national")]["name"]  # Hari Kemerdekaan
    local = rows[(LOCAL_DAY, "local")]
    assert local["name"] == "HUT Kabupaten Mimika" and local["reason"] == "SK Bupati Mimika 12/2024"
    assert all(
        row["date"].startswith("2025") for row in api.call("GET", "/holidays?year=2025").json()
    )
    assert api.call("GET", "/holidays?year=1900").json()["code"] == "holiday.year_invalid"

    admin = tokens[Role.ADMIN]
    delete = f"/holidays/{LOCAL_DAY}"
    assert api.call("DELETE", delete, json={"reason": "x"}, token=admin).json()["code"] == (
        "holiday.reason_required"
    )
    assert (
        api.call(
            "DELETE", delete, json={"reason": "Batal"}, token=tokens[Role.VERIFIER]
        ).status_code
        == 403
    )
    removed = api.call("DELETE", delete, json={"reason": "SK dibatalkan"}, token=admin)
    assert removed.status_code == 204, removed.content
    assert not LocalHoliday.objects.exists()
    gone = api.call("DELETE", delete, json={"reason": "SK dibatalkan"}, token=admin)
    assert gone.status_code == 404 and gone.json()["code"] == "holiday.not_found"

    events = list(AuditEvent.objects.filter(object_type="local_holiday").order_by("seq"))
    assert [e.action for e in events] == ["holiday.added", "holiday.removed"]
    assert events[0].payload["reason"] == "SK Bupati Mimika 12/2024"
    assert events[1].payload == {
        "date": LOCAL_DAY,
        "name": "HUT Kabupaten Mimika",
        "reason": "SK dibatalkan",
    }
    assert events[1].actor_user_id == org.users[Role.ADMIN].pk


@pytest.mark.parametrize(
    ("date", "name", "status", "code"),
    [
        ("2024-08-17", "Libur lagi", 409, "holiday.already_national"),  # Hari Kemerdekaan
        ("2024-06-20", "Kemarin dulu", 422, "holiday.date_past"),
        ("2027-01-04", "Terlalu jauh", 422, "holiday.date_too_far"),
        ("01-07-2024", "Format salah", 422, "holiday.date_invalid"),
        (LOCAL_DAY, "x", 422, "holiday.name_invalid"),
    ],
)
def test_bad_days_are_refused_with_a_code(api, org, tokens, clock, date, name, status, code):
    response = _add(api, tokens, date=date, name=name)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code and response.json()["field"] in {"date", "name"}
    assert not LocalHoliday.objects.exists()


def test_a_day_added_twice_and_a_past_day_removed_are_refused(api, org, tokens, clock):
    assert _add(api, tokens).status_code == 201
    again = _add(api, tokens, name="Lagi")
    assert again.status_code == 409 and again.json()["code"] == "holiday.duplicate"
    # today (24 June, in the node's zone) may still be added: an office closed today counts
    assert _add(api, tokens, date="2024-06-24", name="Kantor tutup").status_code == 201

    clock.move(timedelta(days=10))  # 4 July: the local day is history now
    late = api.call(
        "DELETE",
        f"/holidays/{LOCAL_DAY}",
        json={"reason": "Terlambat"},
        token=api.token_for(org.users[Role.ADMIN]),
    )
    assert late.status_code == 422 and late.json()["code"] == "holiday.date_past"
    assert LocalHoliday.objects.filter(day=LOCAL_DAY).exists()


def test_the_cli_adds_lists_and_removes(org, clock, capsys):
    call_command("holidays", "add", LOCAL_DAY, "--name", "HUT Kabupaten Mimika")
    assert f"added {LOCAL_DAY}" in capsys.readouterr().out
    call_command("holidays", "list", "--year", "2024")
    out = capsys.readouterr().out
    assert f"{LOCAL_DAY}  local     HUT Kabupaten Mimika" in out
    assert "2024-08-17  national" in out
    with pytest.raises(CommandError, match=r"holiday\.duplicate"):
        call_command("holidays", "add", LOCAL_DAY, "--name", "Lagi")
    with pytest.raises(CommandError, match=r"holiday\.already_national"):
        call_command("holidays", "add", "2024-12-25", "--name", "Natal")
    call_command("holidays", "remove", LOCAL_DAY, "--reason", "Salah tanggal")
    assert f"removed {LOCAL_DAY}" in capsys.readouterr().out
    with pytest.raises(CommandError, match=r"holiday\.not_found"):
        call_command("holidays", "remove", LOCAL_DAY, "--reason", "Salah tanggal")
    actions = AuditEvent.objects.filter(object_type="local_holiday").values_list("actor", "action")
    assert list(actions.order_by("seq")) == [("cli", "holiday.added"), ("cli", "holiday.removed")]


def test_the_admin_page_adds_and_removes_and_others_cannot_open_it(org, clock):
    url = "/admin-ppe/hari-libur/"
    assert _client(org.users[Role.VERIFIER]).get(url).status_code == 403
    admin = _client(org.users[Role.ADMIN])
    page = admin.get(url + "?year=2024").content.decode()
    assert "Tambah hari libur daerah" in page and "17-08-2024" in page

    refused = admin.post(url, {"action": "add", "date": "2024-08-17", "name": "Libur lagi"})
    assert refused.status_code == 409 and "holiday.already_national" in refused.content.decode()
    done = admin.post(
        url, {"action": "add", "date": LOCAL_DAY, "name": "HUT Kabupaten Mimika", "reason": "SK"}
    )
    assert done.status_code == 302
    page = admin.get(url + "?year=2024").content.decode()
    assert "HUT Kabupaten Mimika" in page and "Alasan penghapusan" in page

    no_reason = admin.post(url, {"action": "remove", "date": LOCAL_DAY, "reason": ""})
    assert no_reason.status_code == 422 and "holiday.reason_required" in no_reason.content.decode()
    assert (
        admin.post(
            url, {"action": "remove", "date": LOCAL_DAY, "reason": "SK dibatalkan"}
        ).status_code
        == 302
    )
    assert not LocalHoliday.objects.exists()

    english = _client(org.users[Role.ADMIN], language="en").get(url).content.decode()
    assert "Add a local day off" in english
