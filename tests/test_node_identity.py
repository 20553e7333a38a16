"""The node's signing key, its JWKS, rotation, signatures, and the health endpoint."""

from __future__ import annotations

import json
import stat
import warnings

import pytest
from django.test import Client
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from tangguh.core.keys import Keyring
from tangguh.core.signing import sign_payload


def _verify(token: str, jwks: dict) -> dict:
    """Verify with an independent JOSE implementation, as a vendor or auditor would."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags "EdDSA" as superseded by RFC 9864
        result = jws.deserialize_compact(token, KeySet.import_key_set(jwks), algorithms=["EdDSA"])
    return json.loads(result.payload)


def test_first_start_creates_an_owner_only_ed25519_key(tmp_path):
    ring = Keyring(tmp_path / "keys")
    kid = ring.ensure()
    private = tmp_path / "keys" / f"{kid}.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert ring.ensure() == kid, "a second start loads the same key"
    jwk = ring.jwks()["keys"][0]
    assert (jwk["kty"], jwk["crv"], jwk["kid"], jwk["alg"]) == ("OKP", "Ed25519", kid, "EdDSA")
    assert "d" not in jwk, "the JWKS never carries the private part"


def test_rotation_keeps_retired_keys_so_old_signatures_still_verify(tmp_path, settings):
    settings.TANGGUH_ENV = "production"
    ring = Keyring(tmp_path / "keys")
    old_kid = ring.ensure()
    old_token = sign_payload({"receipt": 1}, keyring=ring)
    new_kid = ring.rotate()
    assert new_kid != old_kid
    keys = {k["kid"]: k for k in ring.jwks()["keys"]}
    assert set(keys) == {old_kid, new_kid}
    assert keys[old_kid]["status"] == "retired" and "status" not in keys[new_kid]
    assert ring.jwks()["keys"][0]["kid"] == new_kid
    assert _verify(old_token, ring.jwks()) == {"receipt": 1}
    assert _verify(sign_payload({"receipt": 2}, keyring=ring), ring.jwks()) == {"receipt": 2}


def test_two_app_servers_sharing_a_key_directory_sign_with_the_same_key(tmp_path):
    first, second = Keyring(tmp_path / "shared"), Keyring(tmp_path / "shared")
    assert first.ensure() == second.ensure()
    assert first.active().kid == second.active().kid


def test_everything_a_sandbox_signs_says_so(tmp_path, settings):
    ring = Keyring(tmp_path / "keys")
    settings.TANGGUH_ENV = "sandbox"
    assert _verify(sign_payload({"x": 1}, keyring=ring), ring.jwks()) == {"x": 1, "env": "sandbox"}
    settings.TANGGUH_ENV = "production"
    assert "env" not in _verify(sign_payload({"x": 1}, keyring=ring), ring.jwks())


def test_a_tampered_signature_does_not_verify(tmp_path):
    ring = Keyring(tmp_path / "keys")
    header, payload, signature = sign_payload({"price": "1000"}, keyring=ring).split(".")
    forged_payload = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    with pytest.raises(BadSignatureError):
        _verify(f"{header}.{forged_payload}.{signature}", ring.jwks())


@pytest.mark.django_db
def test_node_endpoint_publishes_identity_and_an_okp_jwks():
    from tangguh.organizations.services import node_ensure

    node_ensure(name="LPSE Kabupaten Mimika")
    body = Client().get("/api/v1/node").json()
    assert body["name"] == "LPSE Kabupaten Mimika"
    assert body["time_zone"] == "Asia/Jayapura"
    assert body["ocds_prefix"]
    assert body["version"]
    key = body["jwks"]["keys"][0]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["kid"]


@pytest.mark.django_db
def test_healthz_reports_database_storage_clock_and_version():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["storage"]["ok"] is True
    assert body["clock"]["time_zone"] == "Asia/Jayapura"
    assert body["version"]


def test_openapi_schema_is_served():
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/auth/token" in schema["paths"]
    assert "/api/v1/node" in schema["paths"]
