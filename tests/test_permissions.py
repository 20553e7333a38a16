"""Who may call each privileged API endpoint: every role, plus anonymous callers.

The expectations below are written out by hand (not read from ROLE_PERMISSIONS), so a wrong
role → permission mapping or a forgotten permission check makes this file fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tangguh.accounts.models import RoleAssignment, User
from tangguh.audit.models import AuditEvent
from tangguh.domain.roles import Grant, Permission, Role, is_allowed, requires_two_factor
from tangguh.organizations.models import Agency, Committee, WorkUnit
from tangguh.testing import factories
from tangguh.vendors.models import VendorCompany, VendorStatus

ANONYMOUS = "anonymous"
R = Role

# Endpoint → the roles allowed to call it (in the fixture `org`, each role at its own scope).
EXPECTED: dict[str, set[Role]] = {
    "create_agency": {R.ADMIN},
    "create_work_unit": {R.ADMIN},
    "form_committee": {R.PROCUREMENT_UNIT_HEAD},
    "create_user": {R.ADMIN},
    "list_pending_vendors": {R.VERIFIER},
    "approve_vendor": {R.VERIFIER},
    "reject_vendor": {R.VERIFIER},
    "add_company_user": {R.VENDOR},
    "verify_audit": {R.ADMIN, R.AUDITOR},
    "read_audit_events": {R.AUDITOR},
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # below /api/v1, formatted with the org as ``o``
    body: dict | Callable | None  # a callable is given the org
    state: Callable  # org -> a snapshot of what the call would change
    allowed: Callable  # (org, response) -> None; asserts the effect of an allowed call
    status: int = 201

    def call(self, api, org, token):
        body = self.body(org) if callable(self.body) else self.body
        return api.call(self.method, self.path.format(o=org), json=body, token=token)


def _check_agency(org, response):
    agency = Agency.objects.get(pk=response.json()["id"])
    assert agency.name == "Pemerintah Kota Uji Matriks"


def _check_work_unit(org, response):
    unit = WorkUnit.objects.get(pk=response.json()["id"])
    assert unit.name == "Dinas Matriks" and unit.agency_id == org.agency.pk


def _check_committee(org, response):
    committee = Committee.objects.get(pk=response.json()["id"])
    assert committee.procurement_unit_id == org.procurement_unit.pk
    members = set(
        RoleAssignment.objects.filter(
            role=Role.COMMITTEE_MEMBER.value, scope=f"committee:{committee.pk}"
        ).values_list("user__username", flat=True)
    )
    assert members == set(org.committee_candidates)


def _check_user(org, response):
    user = User.objects.get(pk=response.json()["id"])
    assert user.username == "baru.matriks" and user.check_password(factories.PASSWORD)


def _check_pending(org, response):
    ids = {row["id"] for row in response.json()}
    assert {org.company.pk, org.pending_company.pk} <= ids
    assert all(row["status"] == "pending" for row in response.json())


def _check_approved(org, response):
    company = VendorCompany.objects.get(pk=org.pending_company.pk)
    assert company.status == VendorStatus.APPROVED
    assert company.verified_by_id == org.users[Role.VERIFIER].pk
    assert response.json()["status"] == "approved"


def _check_rejected(org, response):
    company = VendorCompany.objects.get(pk=org.pending_company.pk)
    assert company.status == VendorStatus.REJECTED
    assert company.rejection_reason == "Akta pendirian tidak terbaca."


def _check_colleague(org, response):
    user = User.objects.get(pk=response.json()["id"])
    assert user.username == "rekan.matriks"
    assert RoleAssignment.objects.filter(
        user=user, role=Role.VENDOR.value, scope=f"company:{org.company.pk}"
    ).exists()


def _check_verify(org, response):
    body = response.json()
    assert body["ok"] is True and body["broken_seq"] is None
    # Every event written before the call is covered (the call may record a read itself).
    assert org.events_before <= body["count"] <= AuditEvent.objects.count()


def _check_events(org, response):
    seqs = [event["seq"] for event in response.json()]
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) >= min(100, org.events_before)


def _company_state(org):
    return tuple(VendorCompany.objects.order_by("pk").values_list("pk", "status", "verified_by"))


def _count(*models):
    return lambda o: tuple(model.objects.count() for model in models)


# Paths are formatted with the org (``{o}``); a callable body is called with it.
# fmt: off
ENDPOINTS: dict[str, Endpoint] = {
    "create_agency": Endpoint(
        "POST", "/organizations/agencies", {"name": "Pemerintah Kota Uji Matriks"},
        _count(Agency), _check_agency),
    "create_work_unit": Endpoint(
        "POST", "/organizations/work-units",
        lambda o: {"agency_id": o.agency.pk, "name": "Dinas Matriks"},
        _count(WorkUnit), _check_work_unit),
    "form_committee": Endpoint(
        "POST", "/organizations/committees",
        lambda o: {"procurement_unit_id": o.procurement_unit.pk, "name": "Pokja Matriks",
                   "members": o.committee_candidates},
        _count(Committee, RoleAssignment), _check_committee),
    "create_user": Endpoint(
        "POST", "/auth/users",
        {"username": "baru.matriks", "password": factories.PASSWORD,
         "display_name": "Pengguna Baru"},
        _count(User), _check_user),
    "list_pending_vendors": Endpoint(
        "GET", "/vendors/registrations/pending", None, _company_state, _check_pending, 200),
    "approve_vendor": Endpoint(
        "POST", "/vendors/{o.pending_company.pk}/approve", None, _company_state,
        _check_approved, 200),
    "reject_vendor": Endpoint(
        "POST", "/vendors/{o.pending_company.pk}/reject",
        {"reason": "Akta pendirian tidak terbaca."}, _company_state, _check_rejected, 200),
    "add_company_user": Endpoint(
        "POST", "/vendors/{o.company.pk}/users",
        {"username": "rekan.matriks", "password": factories.PASSWORD,
         "display_name": "Rekan Kerja", "email": "rekan@example.co.id"},
        _count(User, RoleAssignment), _check_colleague),
    "verify_audit": Endpoint("GET", "/audit/verify", None, _count(), _check_verify, 200),
    "read_audit_events": Endpoint("GET", "/audit/events", None, _count(), _check_events, 200),
}
# fmt: on

CALLERS = [*Role, ANONYMOUS]
CASES = [
    pytest.param(name, caller, id=f"{name}-{caller}") for name in EXPECTED for caller in CALLERS
]


@pytest.fixture
def matrix_org(org):
    """`org` plus a second pending company and three spare accounts for a new Pokja."""
    org.pending_company, _ = factories.make_vendor()
    org.committee_candidates = sorted(factories.make_user().username for _ in range(3))
    return org


def _denials():
    return AuditEvent.objects.filter(action="permission.denied")


def test_expectation_table_covers_every_endpoint():
    assert set(EXPECTED) == set(ENDPOINTS)
    assert all(roles <= set(Role) for roles in EXPECTED.values())


@pytest.mark.parametrize(("name", "caller"), CASES)
def test_role_matrix(api, matrix_org, name, caller):
    org = matrix_org
    endpoint = ENDPOINTS[name]
    user = None if caller == ANONYMOUS else org.users[caller]
    token = api.token_for(user) if user else None
    before_state = endpoint.state(org)
    before_denials = _denials().count()
    before_events = org.events_before = AuditEvent.objects.count()

    response = endpoint.call(api, org, token)

    if caller != ANONYMOUS and caller in EXPECTED[name]:
        assert response.status_code == endpoint.status, response.content
        endpoint.allowed(org, response)
        assert _denials().count() == before_denials
        return
    assert endpoint.state(org) == before_state, "a refused call changed something"
    body = response.json()
    if caller == ANONYMOUS:
        assert response.status_code == 401, response.content
        assert body["code"] == "auth.required"
        assert AuditEvent.objects.count() == before_events
        return
    assert response.status_code == 403, response.content
    assert body["code"] == "permission.denied"
    assert body["message_id"] and body["message_en"]
    assert _denials().count() == before_denials + 1
    event = _denials().order_by("-seq").first()
    assert event.actor_user_id == user.pk
    assert event.actor == f"user:{user.username}"


def test_refusal_message_follows_accept_language(api, matrix_org):
    token = api.token_for(matrix_org.users[Role.VENDOR])
    english = api.call(
        "POST",
        "/organizations/agencies",
        json={"name": "Pemkot X"},
        token=token,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    indonesian = api.call("POST", "/organizations/agencies", json={"name": "Pemkot Y"}, token=token)
    assert english.status_code == indonesian.status_code == 403
    assert english.json()["message"].startswith("Your role does not allow")
    assert indonesian.json()["message"].startswith("Peran Anda tidak memberi izin")


def test_refused_privileged_call_records_what_was_attempted(api, matrix_org):
    verifier = matrix_org.users[Role.VERIFIER]
    token = api.token_for(verifier)
    response = api.call("POST", "/organizations/agencies", json={"name": "Pemkot Z"}, token=token)
    assert response.status_code == 403
    event = _denials().order_by("-seq").first()
    assert event.object_id == Permission.MANAGE_ORGANIZATIONS.value
    assert event.payload["attempted"] == "agency.create"


# --- Scope: a role covers its own organization, not a neighbour's -----------------------


def test_unit_head_of_another_procurement_unit_cannot_form_committee_here(api, matrix_org):
    org = matrix_org
    other_unit = factories.make_procurement_unit(factories.make_agency("Pemerintah Kota Lain"))
    outsider = factories.make_user(
        "ukpbj.lain", [(Role.PROCUREMENT_UNIT_HEAD, f"procurement_unit:{other_unit.pk}")]
    )
    token = api.token_for(outsider)
    before = (Committee.objects.count(), RoleAssignment.objects.count(), _denials().count())
    body = {
        "procurement_unit_id": org.procurement_unit.pk,
        "name": "Pokja Penyusup",
        "members": org.committee_candidates,
    }

    response = api.call("POST", "/organizations/committees", json=body, token=token)

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission.denied"
    assert (Committee.objects.count(), RoleAssignment.objects.count()) == before[:2]
    assert not Committee.objects.filter(name="Pokja Penyusup").exists()
    event = _denials().order_by("-seq").first()
    assert _denials().count() == before[2] + 1
    assert event.actor_user_id == outsider.pk
    assert event.payload["scope"] == f"procurement_unit:{org.procurement_unit.pk}"

    # The same head may form a committee in their own unit.
    own = api.call(
        "POST",
        "/organizations/committees",
        json={**body, "procurement_unit_id": other_unit.pk, "name": "Pokja Sendiri"},
        token=token,
    )
    assert own.status_code == 201, own.content
    assert Committee.objects.get(pk=own.json()["id"]).procurement_unit_id == other_unit.pk


def test_unit_head_of_same_agency_but_other_unit_is_refused(api, matrix_org):
    org = matrix_org
    sibling = factories.make_procurement_unit(org.agency)
    head = factories.make_user(
        "ukpbj.saudara", [(Role.PROCUREMENT_UNIT_HEAD, f"procurement_unit:{sibling.pk}")]
    )
    response = api.call(
        "POST",
        "/organizations/committees",
        token=api.token_for(head),
        json={
            "procurement_unit_id": org.procurement_unit.pk,
            "name": "Pokja Saudara",
            "members": org.committee_candidates,
        },
    )
    assert response.status_code == 403
    assert not Committee.objects.filter(name="Pokja Saudara").exists()


def test_vendor_user_cannot_add_users_to_another_company(api, matrix_org):
    org = matrix_org
    _, rival = factories.make_vendor("vendor.saingan")
    token = api.token_for(rival)
    before = (User.objects.count(), RoleAssignment.objects.count(), _denials().count())
    colleague = {
        "username": "penyusup.matriks",
        "password": factories.PASSWORD,
        "display_name": "Penyusup",
        "email": "penyusup@example.co.id",
    }

    response = api.call("POST", f"/vendors/{org.company.pk}/users", json=colleague, token=token)

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission.denied"
    assert (User.objects.count(), RoleAssignment.objects.count()) == before[:2]
    assert not User.objects.filter(username="penyusup.matriks").exists()
    assert _denials().count() == before[2] + 1
    event = _denials().order_by("-seq").first()
    assert event.actor_user_id == rival.pk
    assert event.payload["scope"] == f"company:{org.company.pk}"


def test_vendor_cannot_approve_its_own_registration(api, matrix_org):
    org = matrix_org
    response = api.call(
        "POST", f"/vendors/{org.company.pk}/approve", token=api.token_for(org.users[Role.VENDOR])
    )
    assert response.status_code == 403
    assert VendorCompany.objects.get(pk=org.company.pk).status == VendorStatus.PENDING


# --- tangguh.domain.roles.is_allowed, without a database -------------------------------

# Permission → the roles that hold it, written out by hand.
HOLDERS: dict[Permission, set[Role]] = {
    Permission.MANAGE_ORGANIZATIONS: {R.ADMIN},
    Permission.MANAGE_USERS: {R.ADMIN},
    Permission.MANAGE_NODE: {R.ADMIN},
    Permission.FORM_COMMITTEE: {R.PROCUREMENT_UNIT_HEAD},
    Permission.VERIFY_VENDORS: {R.VERIFIER},
    Permission.MANAGE_COMPANY: {R.VENDOR},
    Permission.SUBMIT_BID: {R.VENDOR},
    Permission.ASK_QUESTION: {R.VENDOR},
    Permission.FILE_OBJECTION: {R.VENDOR},
    Permission.PREPARE_TENDER: {R.COMMITTEE_MEMBER},
    Permission.OPEN_BIDS: {R.COMMITTEE_MEMBER},
    Permission.EVALUATE: {R.COMMITTEE_MEMBER},
    Permission.ASSIGN_PACKAGE: {R.PROCUREMENT_UNIT_HEAD},
    Permission.VIEW_BACKLOG: {R.PROCUREMENT_UNIT_HEAD},
    Permission.MANAGE_PLAN: {R.COMMITMENT_OFFICER},
    Permission.ISSUE_CONTRACT: {R.COMMITMENT_OFFICER},
    Permission.APPROVE_AWARD: {R.BUDGET_USER},
    Permission.ANSWER_APPEAL: {R.BUDGET_USER},
    Permission.RUN_DIRECT_PROCUREMENT: {R.PROCUREMENT_OFFICIAL},
    Permission.READ_AUDIT: {R.AUDITOR},
    Permission.VERIFY_AUDIT: {R.AUDITOR, R.ADMIN},
    Permission.READ_AFTER_OPENING: {R.AUDITOR},
}


def test_every_permission_has_a_written_expectation():
    assert set(HOLDERS) == set(Permission), "add new permissions to HOLDERS"


@pytest.mark.parametrize("permission", list(HOLDERS), ids=str)
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_node_wide_grant_allows_exactly_the_expected_roles(role, permission):
    allowed = is_allowed([Grant(role, "node")], permission, ["work_unit:4", "agency:2"])
    assert allowed == (role in HOLDERS[permission])


def test_grant_covers_its_own_scope_and_what_it_encloses():
    head = [Grant(R.PROCUREMENT_UNIT_HEAD, "procurement_unit:5")]
    committee_chain = ["committee:9", "procurement_unit:5", "agency:2"]
    assert is_allowed(head, Permission.FORM_COMMITTEE, ["procurement_unit:5", "agency:2"])
    assert is_allowed(head, Permission.FORM_COMMITTEE, committee_chain)


def test_grant_does_not_cover_a_sibling_or_an_enclosing_scope():
    head = [Grant(R.PROCUREMENT_UNIT_HEAD, "procurement_unit:5")]
    assert not is_allowed(head, Permission.FORM_COMMITTEE, ["procurement_unit:6", "agency:2"])
    assert not is_allowed(head, Permission.FORM_COMMITTEE, ["agency:2"])
    assert not is_allowed(head, Permission.FORM_COMMITTEE, [])


def test_scope_ids_are_compared_exactly_not_by_prefix():
    vendor = [Grant(R.VENDOR, "company:1")]
    assert is_allowed(vendor, Permission.MANAGE_COMPANY, ["company:1"])
    assert not is_allowed(vendor, Permission.MANAGE_COMPANY, ["company:12"])
    assert not is_allowed(vendor, Permission.MANAGE_COMPANY, ["company:"])


def test_agency_wide_grant_covers_work_units_of_that_agency_only():
    officer = [Grant(R.COMMITMENT_OFFICER, "agency:2")]
    assert is_allowed(officer, Permission.MANAGE_PLAN, ["work_unit:4", "agency:2"])
    assert not is_allowed(officer, Permission.MANAGE_PLAN, ["work_unit:7", "agency:3"])


def test_node_grant_covers_any_target():
    admin = [Grant(R.ADMIN, "node")]
    assert is_allowed(admin, Permission.MANAGE_ORGANIZATIONS, [])
    assert is_allowed(admin, Permission.MANAGE_ORGANIZATIONS, ["agency:99"])


def test_one_matching_grant_among_several_is_enough_and_none_is_refused():
    grants = [Grant(R.VENDOR, "company:1"), Grant(R.VERIFIER, "node")]
    assert is_allowed(grants, Permission.VERIFY_VENDORS, [])
    assert is_allowed(grants, Permission.SUBMIT_BID, ["company:1"])
    assert not is_allowed(grants, Permission.SUBMIT_BID, ["company:2"])
    assert not is_allowed([], Permission.READ_AUDIT, [])
    assert not is_allowed(iter(()), Permission.READ_AUDIT, ["node"])


def test_right_scope_but_wrong_role_is_refused():
    member = [Grant(R.COMMITTEE_MEMBER, "committee:9")]
    assert not is_allowed(member, Permission.FORM_COMMITTEE, ["committee:9"])
    assert is_allowed(member, Permission.OPEN_BIDS, ["committee:9"])


def test_two_factor_is_required_for_committee_members_and_admins_only():
    assert {role for role in Role if requires_two_factor([role])} == {R.COMMITTEE_MEMBER, R.ADMIN}
    assert requires_two_factor([R.VENDOR, R.ADMIN])
    assert not requires_two_factor([])
