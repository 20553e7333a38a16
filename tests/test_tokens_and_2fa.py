"""API bearer tokens: issue, use, revoke, expire; two factors where roles require them;
failed logins slow the caller down but never lock the account."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tangguh.accounts.models import ApiToken
from tangguh.audit.models import AuditEvent
from tangguh.domain.roles import Role
from tangguh.testing import factories

pytestmark = pytest.mark.django_db


def _token_request(api, username, password=factories.PASSWORD, **extra):
    return api.call(
        "POST", "/auth/token", json={"username": username, "password": password, **extra}
    )


def test_token_lifecycle_issue_use_revoke(api, clock):
    _, vendor = factories.make_vendor()
    response = _token_request(api, vendor.username, label="laptop kantor")
    assert response.status_code == 201
    body = response.json()
    token = body["token"]
    assert token.startswith("tgh_") and body["token_type"] == "Bearer"
    stored = ApiToken.objects.get(user=vendor)
    assert token not in (stored.key_hash, stored.prefix)  # only a digest is kept

    me = api.call("GET", "/auth/me", token=token)
    assert me.status_code == 200
    assert me.json()["username"] == vendor.username
    assert me.json()["grants"][0]["role"] == "vendor"

    assert api.call("DELETE", "/auth/token", token=token).status_code == 204
    after = api.call("GET", "/auth/me", token=token)
    assert after.status_code == 401
    assert after.json()["code"] == "auth.token_revoked"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"token.issued", "token.revoked", "auth.login"} <= actions


def test_a_token_expires_after_its_lifetime(api, clock):
    _, vendor = factories.make_vendor()
    token = _token_request(api, vendor.username, lifetime_hours=2).json()["token"]
    clock.move(timedelta(hours=1, minutes=59))
    assert api.call("GET", "/auth/me", token=token).status_code == 200
    clock.move(timedelta(minutes=1))
    response = api.call("GET", "/auth/me", token=token)
    assert response.status_code == 401
    assert response.json()["code"] == "auth.token_expired"


@pytest.mark.parametrize("hours", [0, -1, 721])
def test_a_token_lifetime_outside_the_allowed_range_is_refused(api, clock, hours):
    _, vendor = factories.make_vendor()
    response = _token_request(api, vendor.username, lifetime_hours=hours)
    assert response.status_code == 422
    assert response.json()["code"] == "token.lifetime_invalid"
    assert response.json()["field"] == "lifetime_hours"
    assert not ApiToken.objects.filter(user=vendor).exists()


def test_unknown_and_missing_tokens_are_refused_with_their_own_codes(api):
    assert api.call("GET", "/auth/me", token="tgh_nope").json()["code"] == "auth.token_invalid"
    missing = api.call("GET", "/auth/me")
    assert missing.status_code == 401
    assert missing.json()["code"] == "auth.required"


def test_wrong_password_gets_a_clear_error_and_no_token(api, clock):
    _, vendor = factories.make_vendor()
    response = _token_request(api, vendor.username, password="wrong-password-1")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_credentials"
    assert response.json()["message"] == "Nama pengguna atau kata sandi salah."
    english = api.call(
        "POST",
        "/auth/token",
        json={"username": vendor.username, "password": "x"},
        HTTP_ACCEPT_LANGUAGE="en-US",
    )
    assert english.json()["message"] == "Wrong username or password."
    assert not ApiToken.objects.exists()


def test_malformed_json_and_unknown_fields_are_refused_and_change_nothing(api, clock):
    _, vendor = factories.make_vendor()
    broken = api.call("POST", "/auth/token", raw='{"username": "x", ')
    assert broken.status_code == 400
    assert broken.json()["code"] == "request.malformed_json"
    extra = _token_request(api, vendor.username, role="admin")
    assert extra.status_code == 422
    assert extra.json()["code"] == "request.unknown_field"
    assert extra.json()["errors"][0]["field"] == "role"
    missing = api.call("POST", "/auth/token", json={"username": vendor.username})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "password"
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("role", [Role.COMMITTEE_MEMBER, Role.ADMIN])
def test_committee_members_and_admins_need_a_second_factor(api, clock, role):
    if role is Role.ADMIN:
        user = factories.make_user(grants=[(Role.ADMIN, "node")], totp=True)
    else:
        committee = factories.make_committee()
        from tangguh.accounts.selectors import users_with_role

        user = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{committee.pk}")[0]
    without = _token_request(api, user.username)
    assert without.status_code == 401
    assert without.json()["code"] == "auth.otp_required"
    wrong = _token_request(api, user.username, otp="000000")
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "auth.otp_invalid"
    code = factories.current_code(user)
    assert _token_request(api, user.username, otp=code).status_code == 201
    replay = _token_request(api, user.username, otp=code)
    assert replay.status_code == 422, "a TOTP code must be accepted only once"
    clock.move(timedelta(seconds=30))
    user.refresh_from_db()
    assert _token_request(api, user.username, otp=factories.current_code(user)).status_code == 201
    assert ApiToken.objects.filter(user=user).count() == 2


def test_a_role_that_needs_two_factors_without_enrolment_cannot_get_a_token(api, clock):
    user = factories.make_user(grants=[(Role.ADMIN, "node")], totp=False)
    response = _token_request(api, user.username)
    assert response.status_code == 403
    assert response.json()["code"] == "auth.2fa_enrollment_required"
    assert not ApiToken.objects.exists()


def test_vendors_do_not_need_a_second_factor(api, clock):
    _, vendor = factories.make_vendor()
    assert _token_request(api, vendor.username).status_code == 201


def test_failed_logins_slow_down_the_guesser_but_never_lock_the_account(api, clock):
    _, vendor = factories.make_vendor()
    for _ in range(5):
        assert _token_request(api, vendor.username, password="guess-123456").status_code == 401
    # The guesser's address must now wait, even with the right password ...
    slowed = _token_request(api, vendor.username)
    assert slowed.status_code == 429
    assert slowed.json()["code"] == "auth.throttled"
    assert int(slowed["Retry-After"]) >= 1
    # ... but the vendor, from their own address, logs in at once: no lockout.
    from django.test import Client

    own = Client(REMOTE_ADDR="203.0.113.50").post(
        "/api/v1/auth/token",
        data={"username": vendor.username, "password": factories.PASSWORD},
        content_type="application/json",
    )
    assert own.status_code == 201
    # And the guesser's address is let through again after the short wait.
    clock.move(timedelta(seconds=int(slowed["Retry-After"])))
    assert _token_request(api, vendor.username).status_code == 201


def test_throttle_delay_is_capped_however_many_failures(api, clock):
    _, vendor = factories.make_vendor()
    retry = 0
    for _ in range(40):
        response = _token_request(api, vendor.username, password="guess-123456")
        if response.status_code == 429:
            retry = int(response["Retry-After"])
            clock.move(timedelta(seconds=retry))
    assert 0 < retry <= 60


@pytest.mark.argon2
def test_passwords_are_stored_as_argon2_hashes(clock):
    user = factories.make_user()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(factories.PASSWORD)
    assert factories.PASSWORD not in user.password
