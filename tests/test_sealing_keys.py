"""The Pokja deals each draft tender's sealing keys on the node: one share per Pokja member,
sealed to the member's personal key, committed in a signed sealing-key document published with
the announcement."""

from __future__ import annotations

import hashlib
import itertools
import json
import warnings

import pyrage
import pytest
from django.test import Client
from joserfc import jws
from joserfc.jwk import KeySet

from tangguh.accounts.selectors import users_with_role
from tangguh.bids.models import KeyShare, MemberKey, SealingKey
from tangguh.domain.roles import Role
from tangguh.domain.sealing.shares import combine_shares, parse_share
from tangguh.tenders.models import Tender
from tangguh.testing import factories
from tests.test_tender_workflow import _announced, _assigned, _ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(api, org):
    return {role: api.token_for(user) for role, user in org.users.items()}


def test_the_pokja_deals_a_key_whose_shares_only_members_open(api, org, tokens, clock):
    code = _ready(api, org, tokens)
    dealt = api.call(
        "POST", f"/tenders/{code}/sealing-keys/deal", token=tokens[Role.COMMITTEE_MEMBER]
    )
    assert dealt.status_code == 201, dealt.content
    body = dealt.json()
    assert body["ready"] is False and len(body["unchecked"]) == 3
    assert Tender.objects.get(code=code).announced_at is None  # dealing publishes nothing
    assert Client().get(f"/api/v1/tenders/{code}/sealing-key").status_code == 404
    key = SealingKey.objects.get(tender__code=code)
    assert body["envelopes"][0]["fingerprint"] == key.fingerprint
    assert (key.envelope, key.k, key.n, key.dealt_on) == ("offer", 2, 3, "node")
    shares = []
    for share in KeyShare.objects.filter(sealing_key=key).order_by("index"):
        identity = pyrage.x25519.Identity.from_str(factories.MEMBER_IDENTITIES[share.holder_id])
        plain = pyrage.decrypt(bytes(share.sealed_share), [identity])
        assert hashlib.sha256(plain).hexdigest() == share.commitment
        shares.append(parse_share(plain))
    for pair in itertools.combinations(shares, 2):
        assert combine_shares(list(pair)).recipient == key.recipient
    outsider = pyrage.x25519.Identity.generate()
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(
            bytes(KeyShare.objects.filter(sealing_key=key).first().sealed_share), [outsider]
        )


def test_the_sealing_key_document_is_signed_and_lists_the_commitments(api, org, tokens, clock):
    code = _announced(api, org, tokens)
    document = Client().get(f"/api/v1/tenders/{code}/sealing-key").json()
    key = SealingKey.objects.get(tender__code=code)
    assert document["tender"] == code and document["deadline"].endswith("+09:00")
    envelope = document["envelopes"][0]
    assert envelope["recipient"] == key.recipient and envelope["fingerprint"] == key.fingerprint
    assert envelope["commitments"] == list(
        key.shares.order_by("index").values_list("commitment", flat=True)
    )
    jwks = Client().get("/api/v1/node").json()["jwks"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        verified = jws.deserialize_compact(
            document["signature"], KeySet.import_key_set(jwks), algorithms=["EdDSA"]
        )
    signed = json.loads(verified.payload)
    signed.pop("env", None)
    assert signed == {k: v for k, v in document.items() if k != "signature"}
    page = Client().get(f"/tender/{code}/").content.decode()
    assert key.fingerprint in page


def test_a_member_without_a_personal_key_blocks_the_dealing(api, org, tokens, clock):
    member = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{org.committee.pk}")[-1]
    MemberKey.objects.filter(user=member).delete()
    code = _ready(api, org, tokens)
    pokja = tokens[Role.COMMITTEE_MEMBER]
    response = api.call("POST", f"/tenders/{code}/sealing-keys/deal", token=pokja)
    assert response.status_code == 422
    assert response.json()["code"] == "tender.member_keys_missing"
    assert member.username in response.json()["message"]
    assert not SealingKey.objects.exists() and not KeyShare.objects.exists()
    announce = api.call("POST", f"/tenders/{code}/announce", token=pokja)
    assert announce.json()["code"] == "tender.sealing_keys_missing"
    assert Tender.objects.get().announced_at is None


def test_two_file_tenders_get_a_technical_and_a_price_key(api, org, tokens, clock):
    package = _assigned(api, org, tokens, category="consultancy")
    pokja = tokens[Role.COMMITTEE_MEMBER]
    code = api.call(
        "POST",
        "/tenders/prepare",
        token=pokja,
        json={
            "package_id": package,
            "method": "selection",
            "envelopes": 2,
            "evaluation_method": "quality_and_cost",
            "technical_weight": 80,
            "price_weight": 20,
        },
    ).json()["code"]
    api.call("POST", f"/tenders/{code}/schedule/propose", json={}, token=pokja)
    from tests.test_tender_workflow import PDF, _file

    api.client.post(
        f"/api/v1/tenders/{code}/documents",
        data={"title": "Dokumen Kualifikasi", "file": _file("d.pdf", PDF)},
        HTTP_AUTHORIZATION=f"Bearer {pokja}",
    )
    dealt = api.call("POST", f"/tenders/{code}/sealing-keys/deal", token=pokja)
    assert dealt.status_code == 201, dealt.content
    names = set(SealingKey.objects.filter(tender__code=code).values_list("envelope", flat=True))
    assert names == {"technical", "price"}
    # each member checks one share of each key; one key checked is not enough
    tender = Tender.objects.get(code=code)
    price = KeyShare.objects.filter(sealing_key__tender=tender, sealing_key__envelope="price")
    factories.sealing_keys_check_all(tender)
    price.update(checked_at=None)
    refused = api.call("POST", f"/tenders/{code}/announce", token=pokja)
    assert refused.json()["code"] == "tender.key_checks_missing", refused.content
    factories.sealing_keys_check_all(tender)
    announced = api.call("POST", f"/tenders/{code}/announce", token=pokja)
    assert announced.status_code == 200, announced.content


def test_only_committee_members_enrol_a_personal_key(api, org, tokens, clock):
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    refused = api.call(
        "POST", "/me/member-key", json={"recipient": recipient}, token=tokens[Role.VENDOR]
    )
    assert refused.status_code == 403
    bad = api.call(
        "POST",
        "/me/member-key",
        json={"recipient": "age1notakey"},
        token=tokens[Role.COMMITTEE_MEMBER],
    )
    assert bad.status_code == 422 and bad.json()["code"] == "member_key.recipient_invalid"
    ok = api.call(
        "POST", "/me/member-key", json={"recipient": recipient}, token=tokens[Role.COMMITTEE_MEMBER]
    )
    assert ok.status_code == 201
    member = org.users[Role.COMMITTEE_MEMBER]
    current = MemberKey.objects.filter(user=member, retired_at__isnull=True)
    assert list(current.values_list("recipient", flat=True)) == [recipient]
