"""Stage templates per selection method: ordered stages, their default lengths, and timing rules.

Stage lists follow Perpres 16/2018 Ps 50 (tender and seleksi stages; Tender Cepat without
clarification or objection, Ps 50(5); appeal for construction only, Ps 50(2)); the timing rules
take their numbers from the rule set a tender pinned, so a template holds no legal number itself.
Default lengths are node-configurable defaults (confidence D) used by the schedule proposer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tangguh.domain.methods import Method, StageKind
from tangguh.domain.rule_values import DayType


class Edge(StrEnum):
    """The start or the end of a stage."""

    START = "start"
    END = "end"


class Bound(StrEnum):
    """Whether a rule sets a minimum (binds rights) or a maximum (binds the committee's duty)."""

    MIN = "min"
    MAX = "max"


@dataclass(frozen=True)
class Point:
    """A stage's start or end."""

    stage: StageKind
    edge: Edge


def start(stage: StageKind) -> Point:
    """The start of ``stage``."""
    return Point(stage, Edge.START)


def end(stage: StageKind) -> Point:
    """The end of ``stage``."""
    return Point(stage, Edge.END)


@dataclass(frozen=True)
class GapRule:
    """``to`` lies at least (MIN) or at most (MAX) ``rule_key`` days after ``frm``.

    ``frm`` lists alternatives; the latest one present in the schedule counts (the SPPBJ counts
    from the appeal answer when there is an appeal stage, else from the objection answer).

    The days are counted as the rule value's day type says. A maximum is a committee duty and is
    compared by date (RULES.md "≤ N calendar days").

    ``bid_guarantee_only``: the rule applies only to a tender whose bids must carry a bid
    guarantee (``StageTemplate.rules_for``); the caller says so, the template cannot know it.
    """

    code: str
    frm: tuple[Point, ...]
    to: Point
    bound: Bound
    rule_key: str
    bid_guarantee_only: bool = False


@dataclass(frozen=True)
class StageSpec:
    """A stage of a template with its default placement (node-configurable defaults, D).

    The stage may not start before the latest of the ``after`` points present in the schedule.
    """

    kind: StageKind
    after: tuple[Point, ...] = ()
    default_length: int = 0
    length_day_type: DayType = DayType.WORKING
    start_offset_days: int = 0
    optional: bool = False


@dataclass(frozen=True)
class StageTemplate:
    """The stages of one method, in order, and the timing rules between them."""

    method: Method
    stages: tuple[StageSpec, ...]
    rules: tuple[GapRule, ...]
    source: str

    def spec(self, kind: StageKind) -> StageSpec:
        """The spec of ``kind`` in this template."""
        for item in self.stages:
            if item.kind == kind:
                return item
        raise KeyError(kind)

    @property
    def kinds(self) -> tuple[StageKind, ...]:
        """The template's stage kinds in order."""
        return tuple(item.kind for item in self.stages)

    def rules_for(self, *, bid_guarantee: bool = False) -> tuple[GapRule, ...]:
        """The rules that apply to one tender: those for a bid guarantee only when its bids must
        carry one (``tangguh.domain.evaluation.guarantees.bid_guarantee_required``)."""
        return tuple(rule for rule in self.rules if bid_guarantee or not rule.bid_guarantee_only)


K = StageKind
_CAL, _WORK = DayType.CALENDAR, DayType.WORKING


def _spec(kind, after=(), length=0, day_type=_WORK, offset=0, optional=False) -> StageSpec:
    points = tuple(item if isinstance(item, Point) else end(item) for item in after)
    return StageSpec(kind, points, length, day_type, offset, optional)


def _min(frm: Point, to: Point, key: str) -> GapRule:
    return GapRule(f"{to.stage}.{key}", (frm,), to, Bound.MIN, key)


def _max(frm: Point | tuple[Point, ...], to: Point, key: str) -> GapRule:
    frm = frm if isinstance(frm, tuple) else (frm,)
    return GapRule(f"{to.stage}.{key}", frm, to, Bound.MAX, key)


# Announcement stages (winner, technical result, shortlist) and invitations are published acts,
# yet a schedule stage must end after it starts (PUT /schedule refuses a zero-length stage), so
# each lasts one day, counted in calendar days with its end on a working day (RULES.md "Schedule
# basis", SDP). The windows that follow count from its end: the objection window runs "5
# calendar days after the winner announcement" (RULES.md "Objection window", SDP "cara sanggah").
# The length of one day is our default (D).
_NOTICE_DAYS = 1


def _award_tail(after_award: StageKind, *, objection: bool) -> tuple[StageSpec, ...]:
    if not objection:
        return (
            _spec(K.WINNER_ANNOUNCEMENT, [after_award], _NOTICE_DAYS, _CAL),
            _spec(K.SPPBJ, [K.WINNER_ANNOUNCEMENT], 1),
            _spec(K.CONTRACT, [K.SPPBJ], 1),
        )
    return (
        _spec(K.WINNER_ANNOUNCEMENT, [after_award], _NOTICE_DAYS, _CAL),
        _spec(K.OBJECTION, [K.WINNER_ANNOUNCEMENT], 5, _CAL),
        _spec(K.OBJECTION_ANSWER, [K.OBJECTION], 3, _CAL),
        _spec(K.APPEAL, [K.OBJECTION_ANSWER], 5, _CAL, optional=True),
        _spec(K.APPEAL_ANSWER, [K.APPEAL], 14, _CAL, optional=True),
        _spec(K.SPPBJ, [K.OBJECTION_ANSWER, K.APPEAL_ANSWER], 1),
        _spec(K.CONTRACT, [K.SPPBJ], 1),
    )


def _objection_rules() -> tuple[GapRule, ...]:
    return (
        _min(end(K.WINNER_ANNOUNCEMENT), end(K.OBJECTION), "objection_window_days"),
        _max(end(K.OBJECTION), end(K.OBJECTION_ANSWER), "objection_answer_max_days"),
        _min(end(K.OBJECTION_ANSWER), end(K.APPEAL), "appeal_window_days"),
        _max(end(K.APPEAL), end(K.APPEAL_ANSWER), "appeal_answer_max_days"),
        _max(
            (end(K.OBJECTION_ANSWER), end(K.APPEAL_ANSWER)), end(K.SPPBJ), "sppbj_max_working_days"
        ),
        _max(end(K.SPPBJ), end(K.CONTRACT), "contract_max_working_days"),
    )


# RULES.md "Bid window when a bid guarantee is required": at least 2 working days, measured over
# the bid submission stage itself (its start to the bid deadline), so bidders have working days in
# which a bank or insurer can issue the guarantee. Confidence S (pre-2018): the value comes from a
# secondary source quoting the regime before Perpres 16/2018, so it is a legal value (not node
# configurable), not our default. RULES.md's "S" is that confidence, not a severity: like every
# minimum it protects participants' rights, and a minimum is an error (schedule_validation). A
# window too short to obtain a guarantee in shuts bidders out, while meeting 2 working days costs
# a realistic schedule nothing. Whether bids must carry a guarantee (works, HPS above the rule
# set's threshold) is the tender's fact, so the rule is conditional (``rules_for``); it sits in
# every template with a bid submission stage because the opening checks a guarantee whatever
# the method (tangguh.bids.services.opening.guarantee_check).
_GUARANTEE_WINDOW = GapRule(
    f"{K.BID_SUBMISSION}.bid_window_with_guarantee_min_working_days",
    (start(K.BID_SUBMISSION),),
    end(K.BID_SUBMISSION),
    Bound.MIN,
    "bid_window_with_guarantee_min_working_days",
    bid_guarantee_only=True,
)

_BID_RULES = (
    _min(start(K.ANNOUNCEMENT), end(K.BID_SUBMISSION), "announcement_min_days"),
    _min(end(K.CLARIFICATION), end(K.BID_SUBMISSION), "bid_after_addendum_min_working_days"),
    _GUARANTEE_WINDOW,
)

_TENDER_HEAD = (
    _spec(K.ANNOUNCEMENT, [], 7, _CAL),
    _spec(K.CLARIFICATION, [start(K.ANNOUNCEMENT)], 1, offset=2),
    _spec(K.BID_SUBMISSION, [K.CLARIFICATION], 1),
)

_SOURCE_TENDER = "Perpres 16/2018 Ps 50(1)-(2); SDP; RULES.md Time"

TENDER_ONE_FILE = StageTemplate(
    Method.TENDER_ONE_FILE,
    (
        *_TENDER_HEAD,
        _spec(K.OPENING, [K.BID_SUBMISSION], 1),
        _spec(K.EVALUATION, [K.OPENING], 3),
        _spec(K.PROOF_OF_QUALIFICATION, [K.EVALUATION], 2),
        _spec(K.AWARD, [K.PROOF_OF_QUALIFICATION], 1),
        *_award_tail(K.AWARD, objection=True),
    ),
    _BID_RULES + _objection_rules(),
    _SOURCE_TENDER,
)

_TWO_FILE_BODY = (
    _spec(K.OPENING_TECHNICAL, [K.BID_SUBMISSION], 1),
    _spec(K.TECHNICAL_EVALUATION, [K.OPENING_TECHNICAL], 3),
    _spec(K.TECHNICAL_RESULT, [K.TECHNICAL_EVALUATION], _NOTICE_DAYS, _CAL),
    _spec(K.OPENING_PRICE, [K.TECHNICAL_RESULT], 1),
    _spec(K.PRICE_EVALUATION, [K.OPENING_PRICE], 2),
)

TENDER_TWO_FILES = StageTemplate(
    Method.TENDER_TWO_FILES,
    _TENDER_HEAD
    + _TWO_FILE_BODY
    + (
        _spec(K.PROOF_OF_QUALIFICATION, [K.PRICE_EVALUATION], 2),
        _spec(K.AWARD, [K.PROOF_OF_QUALIFICATION], 1),
    )
    + _award_tail(K.AWARD, objection=True),
    _BID_RULES + _objection_rules(),
    _SOURCE_TENDER,
)

FAST_TENDER = StageTemplate(
    Method.FAST_TENDER,
    (
        _spec(K.ANNOUNCEMENT, [], 3, _CAL),
        _spec(K.BID_SUBMISSION, [start(K.ANNOUNCEMENT)], 0),
        _spec(K.OPENING, [K.BID_SUBMISSION], 1),
        _spec(K.PRICE_EVALUATION, [K.OPENING], 1),
        _spec(K.AWARD, [K.PRICE_EVALUATION], 1),
        *_award_tail(K.AWARD, objection=False),
    ),
    (
        _min(start(K.ANNOUNCEMENT), end(K.BID_SUBMISSION), "fast_tender_bid_window_min_days"),
        _GUARANTEE_WINDOW,
        _max(end(K.SPPBJ), end(K.CONTRACT), "contract_max_working_days"),
    ),
    "Perpres 16/2018 Ps 50(5) (secondary); bid window our default (D)",
)

SELECTION = StageTemplate(
    Method.SELECTION,
    (
        _spec(K.ANNOUNCEMENT, [], 7, _CAL),
        _spec(K.QUALIFICATION_SUBMISSION, [start(K.ANNOUNCEMENT)], 0),
        _spec(K.QUALIFICATION_EVALUATION, [K.QUALIFICATION_SUBMISSION], 3),
        _spec(K.SHORTLIST_ANNOUNCEMENT, [K.QUALIFICATION_EVALUATION], _NOTICE_DAYS, _CAL),
        _spec(K.QUALIFICATION_OBJECTION, [K.SHORTLIST_ANNOUNCEMENT], 5, _CAL),
        _spec(K.INVITATION, [K.QUALIFICATION_OBJECTION], _NOTICE_DAYS, _CAL),
        _spec(K.CLARIFICATION, [K.INVITATION], 1, offset=1),
        _spec(K.BID_SUBMISSION, [K.CLARIFICATION], 1),
        *_TWO_FILE_BODY,
        _spec(K.AWARD, [K.PRICE_EVALUATION], 1),
        *_award_tail(K.AWARD, objection=True)[:3],
        *_award_tail(K.AWARD, objection=True)[5:],
    ),
    (
        _min(start(K.ANNOUNCEMENT), end(K.QUALIFICATION_SUBMISSION), "announcement_min_days"),
        _min(
            end(K.SHORTLIST_ANNOUNCEMENT),
            end(K.QUALIFICATION_OBJECTION),
            "qualification_objection_days",
        ),
        _min(end(K.CLARIFICATION), end(K.BID_SUBMISSION), "bid_after_addendum_min_working_days"),
        _GUARANTEE_WINDOW,
        *tuple(
            rule for rule in _objection_rules() if rule.to.stage not in (K.APPEAL, K.APPEAL_ANSWER)
        ),
    ),
    "Perpres 16/2018 Ps 41, Ps 50(1); appeal not available for consultancy (Ps 50(2))",
)

DIRECT_APPOINTMENT = StageTemplate(
    Method.DIRECT_APPOINTMENT,
    (
        _spec(K.INVITATION, [], _NOTICE_DAYS, _CAL),
        _spec(K.CLARIFICATION, [K.INVITATION], 1, offset=1),
        _spec(K.BID_SUBMISSION, [K.CLARIFICATION], 1),
        _spec(K.OPENING, [K.BID_SUBMISSION], 1),
        _spec(K.EVALUATION_NEGOTIATION, [K.OPENING], 2),
        _spec(K.AWARD, [K.EVALUATION_NEGOTIATION], 1),
        *_award_tail(K.AWARD, objection=False),
    ),
    (
        _min(end(K.CLARIFICATION), end(K.BID_SUBMISSION), "bid_after_addendum_min_working_days"),
        _GUARANTEE_WINDOW,
        _max(end(K.SPPBJ), end(K.CONTRACT), "contract_max_working_days"),
    ),
    "Perpres 16/2018 Ps 38(4), Ps 41(4) (secondary); no objection stage",
)

DIRECT_PROCUREMENT = StageTemplate(
    Method.DIRECT_PROCUREMENT,
    (
        _spec(K.INVITATION, [], _NOTICE_DAYS, _CAL),
        _spec(K.BID_SUBMISSION, [K.INVITATION], 1),
        _spec(K.EVALUATION_NEGOTIATION, [K.BID_SUBMISSION], 1),
        _spec(K.AWARD, [K.EVALUATION_NEGOTIATION], 1),
        _spec(K.CONTRACT, [K.AWARD], 1),
    ),
    (_GUARANTEE_WINDOW,),
    "Perpres 16/2018 Ps 38(3), Ps 41(3) (secondary); run by the Pejabat Pengadaan",
)

TEMPLATES: dict[Method, StageTemplate] = {
    item.method: item
    for item in (
        TENDER_ONE_FILE,
        TENDER_TWO_FILES,
        FAST_TENDER,
        SELECTION,
        DIRECT_APPOINTMENT,
        DIRECT_PROCUREMENT,
    )
}


def template_for(method: Method) -> StageTemplate:
    """The stage template of ``method``."""
    return TEMPLATES[method]
