"""Shared fixtures: a frozen clock, API clients, one user per role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.test import Client

from tangguh import clock as clock_module
from tangguh.clock import FrozenClock
from tangguh.domain.roles import Role

# Django models are imported inside fixtures, so tests/domain runs without Django too
# (pytest tests/domain -p no:django).


def pytest_collection_modifyitems(items):
    """No test uses ``serialized_rollback``: transactional tests start from an emptied database
    and the autouse fixture below puts back the rows migrations create.

    Serialized rollback re-inserts the content types captured at database creation; after any
    transactional test that did not use it (xdist decides the order), ``post_migrate`` has
    recreated them under new ids, and the re-insert fails with an IntegrityError.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("serialized_rollback"):
            kwargs = {**marker.kwargs, "serialized_rollback": False}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


@pytest.fixture(autouse=True)
def _fast_password_hashing(request):
    """Argon2 costs ~0.2 s a hash and fixtures build a dozen accounts; tests about who may act
    do not need it. Tests marked ``argon2`` (and subprocess and browser tests, which run the
    real settings) keep the project's hashers."""
    if request.node.get_closest_marker("argon2"):
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield


@pytest.fixture
def clock():
    """The one clock, frozen at Monday 24 June 2024 10:00 WIT (01:00 UTC)."""
    frozen = FrozenClock(datetime(2024, 6, 24, 1, 0, tzinfo=UTC))
    with clock_module.use_clock(frozen):
        yield frozen


@pytest.fixture
def api(db):
    return ApiClient()


class ApiClient:
    """JSON calls to /api/v1 with an optional bearer token."""

    def __init__(self) -> None:
        self.client = Client(REMOTE_ADDR="198.51.100.7")

    def call(self, method: str, path: str, json=None, token: str | None = None, raw=None, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        headers.update(extra)
        body = raw if raw is not None else (None if json is None else json)
        kwargs = {"content_type": "application/json"} if body is not None else {}
        func = getattr(self.client, method.lower())
        if body is not None:
            import json as jsonlib

            data = body if isinstance(body, (str, bytes)) else jsonlib.dumps(body)
            return func(f"/api/v1{path}", data=data, **kwargs, **headers)
        return func(f"/api/v1{path}", **headers)

    def token_for(self, user, otp: str | None = None) -> str:
        from tangguh.testing import factories

        payload = {"username": user.username, "password": factories.PASSWORD}
        if user.has_totp:
            payload["otp"] = otp or factories.current_code(user)
        response = self.call("POST", "/auth/token", json=payload)
        assert response.status_code == 201, response.content
        return response.json()["token"]


@pytest.fixture
def org(db, clock):
    """A small organization tree with one user per role, scoped where each role lives."""
    from tangguh.testing import factories

    agency = factories.make_agency("Pemerintah Kabupaten Uji")
    work_unit = factories.make_work_unit(agency)
    unit = factories.make_procurement_unit(agency)
    committee = factories.make_committee(unit)
    company, vendor = factories.make_vendor("vendor.uji")
    users = {
        Role.ADMIN: factories.make_user("admin.uji", [(Role.ADMIN, "node")], totp=True),
        Role.VERIFIER: factories.make_user("verif.uji", [(Role.VERIFIER, "node")]),
        Role.AUDITOR: factories.make_user("auditor.uji", [(Role.AUDITOR, "node")]),
        Role.PROCUREMENT_UNIT_HEAD: factories.make_user(
            "ukpbj.uji", [(Role.PROCUREMENT_UNIT_HEAD, f"procurement_unit:{unit.pk}")]
        ),
        Role.COMMITMENT_OFFICER: factories.make_user(
            "ppk.uji", [(Role.COMMITMENT_OFFICER, f"work_unit:{work_unit.pk}")]
        ),
        Role.BUDGET_USER: factories.make_user(
            "kpa.uji", [(Role.BUDGET_USER, f"work_unit:{work_unit.pk}")]
        ),
        Role.PROCUREMENT_OFFICIAL: factories.make_user(
            "pp.uji", [(Role.PROCUREMENT_OFFICIAL, f"work_unit:{work_unit.pk}")]
        ),
        Role.COMMITTEE_MEMBER: committee_member(committee),
        Role.VENDOR: vendor,
    }
    return type(
        "Org",
        (),
        {
            "agency": agency,
            "work_unit": work_unit,
            "procurement_unit": unit,
            "committee": committee,
            "company": company,
            "users": users,
        },
    )


def committee_member(committee):
    from tangguh.accounts.selectors import users_with_role

    return users_with_role(Role.COMMITTEE_MEMBER, f"committee:{committee.pk}")[0]


def _rows_migrations_create() -> None:
    """What the data migrations insert (audit/0002, opendata/0002): an earlier transactional
    test's flush removed them."""
    from tangguh.audit.models import AuditHead
    from tangguh.opendata.models import FeedHead

    AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})
    FeedHead.objects.get_or_create(pk=1, defaults={"position": 0})


@pytest.fixture(autouse=True)
def _audit_table_can_be_emptied_after_transactional_tests(request):
    """Transactional tests end by emptying every table, which the append-only triggers
    refuse. Lift them for that flush only, and put them back for the next test."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    if not (transactional or {"transactional_db", "live_server"} & set(request.fixturenames)):
        yield
        return
    from django.db import connection

    from tangguh.audit.triggers import install_statements, remove_statements

    request.getfixturevalue("transactional_db")
    with connection.cursor() as cursor:
        for sql in install_statements(connection.vendor):
            cursor.execute(sql)
    _rows_migrations_create()
    yield
    with connection.cursor() as cursor:
        for sql in remove_statements(connection.vendor):
            cursor.execute(sql)


# --- a real Chromium (Debian's), driven by Playwright; never `playwright install` -----------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(apt-get install chromium); the browser tests need it."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # A phone set to English, as many in Indonesia are: pages must still open in Indonesian.
    # Each test starts without cookies.
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
