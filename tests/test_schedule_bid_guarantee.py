"""The bid window when bids must carry a bid guarantee (RULES.md "Time": ≥ 2 working days, S).

A tender needs the guarantee when it is for works with an HPS (the package's owner estimate)
above the rule set's ``bid_guarantee_hps_threshold`` (Rp10 miliar; RULES.md "Bid guarantee").
Its schedule is checked with the rule wherever the node checks a tender's schedule: ``PUT
/schedule``, the proposal, public schedule changes, and the outage extension.

The clock fixture stands at Monday 24 June 2024 10:00 WIT; the proposal from then closes the bid
window Tuesday 2 July 2024 10:00 WIT (3 working days after the clarification).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given

from tangguh.domain.methods import Method
from tangguh.domain.methods import StageKind as K
from tangguh.domain.outage import Outage, extend_for_outages
from tangguh.domain.roles import Role
from tangguh.domain.rulesets import ruleset_in_force
from tangguh.domain.schedule import Schedule, Stage
from tangguh.domain.schedule_validation import errors, validate
from tangguh.planning.models import Package
from tangguh.tenders.models import Tender
from tests.domain.factories import MIMIKA, WIT, wit
from tests.test_outage_properties import PROPS, cases
from tests.test_tender_workflow import _announced, _assigned

GUARANTEE_WINDOW = "bid_submission.bid_window_with_guarantee_min_working_days"
TWELVE_MILIAR = {"budget": "12500000000", "owner_estimate": "12000000000"}


@pytest.fixture
def tokens(api, org):
    return {role: api.token_for(user) for role, user in org.users.items()}


def _draft(api, org, tokens, *, method="tender_one_file", **package) -> str:
    package_id = _assigned(api, org, tokens, **package)
    response = api.call(
        "POST",
        "/tenders/prepare",
        token=tokens[Role.COMMITTEE_MEMBER],
        json={
            "package_id": package_id,
            "method": method,
            "envelopes": 1,
            "evaluation_method": "lowest_price",
        },
    )
    assert response.status_code == 201, response.content
    return response.json()["code"]


def _proposed_stages(api, tokens, code, announce_at=None) -> list[dict]:
    proposed = api.call(
        "POST",
        f"/tenders/{code}/schedule/propose",
        json={"announce_at": announce_at},
        token=tokens[Role.COMMITTEE_MEMBER],
    )
    assert proposed.status_code == 200, proposed.content
    return [
        {"kind": s["kind"], "start": s["start"], "end": s["end"]}
        for s in proposed.json()["schedule"]
    ]


def _bid_window_opening(stages: list[dict], start: dt.datetime) -> list[dict]:
    """The stages with the bid window opening at ``start`` (its deadline unchanged)."""
    return [
        s | {"start": start.isoformat()} if s["kind"] == "bid_submission" else s for s in stages
    ]


def _put(api, tokens, code, stages):
    return api.call(
        "PUT",
        f"/tenders/{code}/schedule",
        json={"stages": stages},
        token=tokens[Role.COMMITTEE_MEMBER],
    )


@pytest.mark.django_db
def test_put_schedule_refuses_a_one_working_day_bid_window_for_works_at_rp12_miliar(
    api, org, tokens, clock
):
    code = _draft(api, org, tokens, **TWELVE_MILIAR)
    stages = _proposed_stages(api, tokens, code)
    bid = next(s for s in stages if s["kind"] == "bid_submission")
    assert dt.datetime.fromisoformat(bid["end"]) == dt.datetime(2024, 7, 2, 10, 0, tzinfo=WIT)
    # Monday 1 July 10:00 to Tuesday 2 July 10:00: one working day.
    response = _put(
        api, tokens, code, _bid_window_opening(stages, dt.datetime(2024, 7, 1, 10, 0, tzinfo=WIT))
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "schedule.invalid"
    assert body["field"] == "stages"
    [violation] = body["details"]
    assert violation["code"] == GUARANTEE_WINDOW
    assert violation["stage"] == "bid_submission"
    assert violation["rule"] == "bid_window_with_guarantee_min_working_days"
    assert dt.datetime.fromisoformat(violation["expected"]) == dt.datetime(
        2024, 7, 3, 10, 0, tzinfo=WIT
    )
    assert "jaminan penawaran" in violation["message_id"]
    assert "bid guarantee" in violation["message_en"]
    # Nothing was saved: the proposal stands.
    saved = Tender.objects.get(code=code).stages.get(kind="bid_submission")
    assert saved.start == dt.datetime.fromisoformat(bid["start"])

    # Friday 28 June 10:00 to Tuesday 2 July 10:00: two working days, accepted.
    two_days = _bid_window_opening(stages, dt.datetime(2024, 6, 28, 10, 0, tzinfo=WIT))
    assert _put(api, tokens, code, two_days).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "package",
    [
        {"category": "goods", **TWELVE_MILIAR},
        {"budget": "10000000000", "owner_estimate": "10000000000"},  # works, not above Rp10 miliar
    ],
    ids=["goods-12-miliar", "works-10-miliar"],
)
def test_the_same_window_is_accepted_when_no_guarantee_is_required(
    api, org, tokens, clock, package
):
    code = _draft(api, org, tokens, **package)
    stages = _proposed_stages(api, tokens, code)
    one_day = _bid_window_opening(stages, dt.datetime(2024, 7, 1, 10, 0, tzinfo=WIT))
    response = _put(api, tokens, code, one_day)
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_the_proposal_for_a_fast_tender_needing_a_guarantee_is_saved_unchanged(
    api, org, tokens, clock
):
    # Announced Friday 5 July 2024 15:00 WIT: Tender Cepat's 3 calendar days would close the
    # window Monday 15:00, one working day; with the guarantee it closes Tuesday 15:00.
    code = _draft(api, org, tokens, method="fast_tender", **TWELVE_MILIAR)
    stages = _proposed_stages(api, tokens, code, "2024-07-05T15:00:00+09:00")
    bid = next(s for s in stages if s["kind"] == "bid_submission")
    assert dt.datetime.fromisoformat(bid["end"]) == dt.datetime(2024, 7, 9, 15, 0, tzinfo=WIT)
    saved = _put(api, tokens, code, stages)
    assert saved.status_code == 200, saved.content


@pytest.mark.django_db
def test_a_public_schedule_change_is_checked_with_the_guarantee_rule(api, org, tokens, clock):
    code = _announced(api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    public = api.call("GET", f"/tenders/{code}").json()
    bid = next(s for s in public["schedule"] if s["kind"] == "bid_submission")
    # Monday 1 July 10:00 to the unchanged deadline: one working day.
    later = {
        "kind": "bid_submission",
        "start": dt.datetime(2024, 7, 1, 10, 0, tzinfo=WIT).isoformat(),
        "end": bid["end"],
    }
    body = {"stages": [later], "reason": "Penyesuaian jadwal pemasukan penawaran."}
    # The helper's package is works at Rp2,4 miliar; the same tender at Rp12 miliar needs a
    # guarantee (the HPS is the package's, read when the schedule is checked).
    tender = Tender.objects.get(code=code)
    Package.objects.filter(pk=tender.package_id).update(
        budget="12500000000", owner_estimate="12000000000"
    )
    refused = api.call("POST", f"/tenders/{code}/schedule-changes", token=pokja, json=body)
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"] == "stages"
    assert [d["code"] for d in refused.json()["details"]] == [GUARANTEE_WINDOW]

    Package.objects.filter(pk=tender.package_id).update(
        budget="2500000000", owner_estimate="2400000000"
    )
    accepted = api.call("POST", f"/tenders/{code}/schedule-changes", token=pokja, json=body)
    assert accepted.status_code == 201, accepted.content


def test_a_bid_window_shifted_by_an_outage_is_lengthened_again_to_two_working_days():
    """Clarification Friday 5 to Monday 8 July 2024 09:00 WIT, bid window Wednesday 10 July
    15:00 to Friday 12 July 15:00 (two working days). An outage of 36 hours in the clarification
    gives it 2 days back (to Wednesday 10 July 09:00); the bid window shifts 2 days, to Friday
    15:00 to Sunday 15:00, and its end moves to Monday 15 July 09:00 (the next working moment,
    3 working days after the clarification): under two working days. With the guarantee the
    extension lengthens it to Tuesday 16 July 15:00, two working days after it opens."""
    stages = (
        Stage(K.CLARIFICATION, wit(2024, 7, 5, 9, 0), wit(2024, 7, 8, 9, 0)),
        Stage(K.BID_SUBMISSION, wit(2024, 7, 10, 15, 0), wit(2024, 7, 12, 15, 0)),
        Stage(K.OPENING, wit(2024, 7, 12, 15, 0), wit(2024, 7, 15, 15, 0)),
    )
    before = Schedule(stages)
    ruleset = ruleset_in_force(wit(2024, 7, 1))
    outage = Outage(wit(2024, 7, 5, 10, 0), wit(2024, 7, 6, 22, 0))

    def extended(bid_guarantee: bool) -> Schedule:
        return extend_for_outages(
            before,
            [outage],
            MIMIKA,
            method=Method.TENDER_ONE_FILE,
            ruleset=ruleset,
            bid_guarantee=bid_guarantee,
        ).schedule

    def window_codes(schedule: Schedule) -> set[str]:
        found = validate(schedule, MIMIKA, ruleset, Method.TENDER_ONE_FILE, bid_guarantee=True)
        return {v.code for v in found if v.stage == K.BID_SUBMISSION}

    assert window_codes(before) == set()
    plain = extended(bid_guarantee=False)
    assert plain[K.CLARIFICATION].end == wit(2024, 7, 10, 9, 0)
    assert plain[K.BID_SUBMISSION].start == wit(2024, 7, 12, 15, 0)
    assert plain[K.BID_SUBMISSION].end == wit(2024, 7, 15, 9, 0)
    assert window_codes(plain) == {GUARANTEE_WINDOW}
    kept = extended(bid_guarantee=True)
    assert kept[K.BID_SUBMISSION] == Stage(
        K.BID_SUBMISSION, wit(2024, 7, 12, 15, 0), wit(2024, 7, 16, 15, 0)
    )
    assert kept[K.OPENING].start == kept[K.BID_SUBMISSION].end
    assert window_codes(kept) == set()


@PROPS
@given(case=cases())
def test_the_outage_extension_keeps_the_guarantee_window(case):
    """For schedules that pass with the rule and random outages, the extended schedule still
    passes with it: a shifted bid window is lengthened again to the rule's working days."""
    calendar, method, ruleset, schedule, outages, opening_begun = case
    assume(not errors(validate(schedule, calendar, ruleset, method, bid_guarantee=True)))
    after = extend_for_outages(
        schedule,
        outages,
        calendar,
        opening_begun=opening_begun,
        method=method,
        ruleset=ruleset,
        bid_guarantee=True,
    ).schedule
    assert errors(validate(after, calendar, ruleset, method, bid_guarantee=True)) == ()
    window = after.get(K.BID_SUBMISSION)
    if window is not None and window != schedule[K.BID_SUBMISSION]:
        days = ruleset.days("bid_window_with_guarantee_min_working_days")
        assert window.end >= calendar.add_working_days(window.start, days)
