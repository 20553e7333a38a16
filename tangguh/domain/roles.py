"""Roles of SPEC.md and the permissions each grants, with the scope each is held in.

Least privilege: a role grants only what its holder's job needs (SPEC.md "Users and roles").
A role assignment is held at a scope (the node, an agency, a work unit, the procurement unit,
a committee, a vendor company); it covers that scope and everything inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    VENDOR = "vendor"
    COMMITTEE_MEMBER = "committee_member"
    PROCUREMENT_UNIT_HEAD = "procurement_unit_head"
    COMMITMENT_OFFICER = "commitment_officer"
    BUDGET_USER = "budget_user"
    PROCUREMENT_OFFICIAL = "procurement_official"
    VERIFIER = "verifier"
    ADMIN = "admin"
    AUDITOR = "auditor"


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.VENDOR: ("Penyedia", "Vendor"),
    Role.COMMITTEE_MEMBER: ("Pokja Pemilihan", "Selection committee member"),
    Role.PROCUREMENT_UNIT_HEAD: ("Kepala UKPBJ", "Procurement unit head"),
    Role.COMMITMENT_OFFICER: ("PPK", "Commitment officer"),
    Role.BUDGET_USER: ("PA/KPA", "Budget user"),
    Role.PROCUREMENT_OFFICIAL: ("Pejabat Pengadaan", "Procurement official"),
    Role.VERIFIER: ("Verifikator", "Verifier"),
    Role.ADMIN: ("Admin PPE", "Node administrator"),
    Role.AUDITOR: ("Auditor (APIP/BPK)", "Auditor"),
}


class Permission(StrEnum):
    MANAGE_ORGANIZATIONS = "manage_organizations"
    MANAGE_USERS = "manage_users"
    MANAGE_NODE = "manage_node"  # holidays, outages, keys, backups
    FORM_COMMITTEE = "form_committee"
    VERIFY_VENDORS = "verify_vendors"
    MANAGE_COMPANY = "manage_company"
    SUBMIT_BID = "submit_bid"
    ASK_QUESTION = "ask_question"
    FILE_OBJECTION = "file_objection"
    PREPARE_TENDER = "prepare_tender"
    OPEN_BIDS = "open_bids"
    EVALUATE = "evaluate"
    ASSIGN_PACKAGE = "assign_package"
    VIEW_BACKLOG = "view_backlog"
    MANAGE_PLAN = "manage_plan"
    ISSUE_CONTRACT = "issue_contract"
    APPROVE_AWARD = "approve_award"
    ANSWER_APPEAL = "answer_appeal"
    RUN_DIRECT_PROCUREMENT = "run_direct_procurement"
    READ_AUDIT = "read_audit"
    VERIFY_AUDIT = "verify_audit"
    READ_AFTER_OPENING = "read_after_opening"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VENDOR: frozenset({P.MANAGE_COMPANY, P.SUBMIT_BID, P.ASK_QUESTION, P.FILE_OBJECTION}),
    Role.COMMITTEE_MEMBER: frozenset({P.PREPARE_TENDER, P.OPEN_BIDS, P.EVALUATE}),
    Role.PROCUREMENT_UNIT_HEAD: frozenset({P.ASSIGN_PACKAGE, P.VIEW_BACKLOG, P.FORM_COMMITTEE}),
    Role.COMMITMENT_OFFICER: frozenset({P.MANAGE_PLAN, P.ISSUE_CONTRACT}),
    Role.BUDGET_USER: frozenset({P.APPROVE_AWARD, P.ANSWER_APPEAL}),
    Role.PROCUREMENT_OFFICIAL: frozenset({P.RUN_DIRECT_PROCUREMENT}),
    Role.VERIFIER: frozenset({P.VERIFY_VENDORS}),
    Role.ADMIN: frozenset({P.MANAGE_ORGANIZATIONS, P.MANAGE_USERS, P.MANAGE_NODE, P.VERIFY_AUDIT}),
    Role.AUDITOR: frozenset({P.READ_AUDIT, P.VERIFY_AUDIT, P.READ_AFTER_OPENING}),
}

# Committee members and administrators hold the keys to bids and to the node: a stolen
# password alone must not be enough (issue #2; SPEC.md "Security by default").
TWO_FACTOR_ROLES = frozenset({Role.COMMITTEE_MEMBER, Role.ADMIN})

# Roles held at one kind of scope; "node" means node-wide.
ROLE_SCOPE_KIND: dict[Role, str] = {
    Role.VENDOR: "company",
    Role.COMMITTEE_MEMBER: "committee",
    Role.PROCUREMENT_UNIT_HEAD: "procurement_unit",
    Role.COMMITMENT_OFFICER: "work_unit",
    Role.BUDGET_USER: "work_unit",
    Role.PROCUREMENT_OFFICIAL: "work_unit",
    Role.VERIFIER: "node",
    Role.ADMIN: "node",
    Role.AUDITOR: "node",
}

NODE_SCOPE = "node"


@dataclass(frozen=True)
class Grant:
    """A role held at a scope key such as ``"node"``, ``"agency:3"`` or ``"committee:7"``."""

    role: Role
    scope: str


def requires_two_factor(roles: Iterable[Role]) -> bool:
    return any(role in TWO_FACTOR_ROLES for role in roles)


def is_allowed(
    grants: Iterable[Grant], permission: Permission, target_scopes: Iterable[str]
) -> bool:
    """Whether any grant gives ``permission`` over a target.

    ``target_scopes`` is the target's chain of enclosing scopes (for a work unit: itself, its
    agency, the node). A grant covers the target when its scope is in that chain.
    """
    chain = set(target_scopes) | {NODE_SCOPE}
    return any(
        permission in ROLE_PERMISSIONS[grant.role] and grant.scope in chain for grant in grants
    )
