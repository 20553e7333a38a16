"""External probes: a node cannot see from inside that nobody can reach it (Mimika, June 2024).

A probe (``tangguh probe URL``, run on another host) checks the node's public page and API on a
schedule and signs each check as a compact JWS (``alg: EdDSA``, ``kid`` = the probe's name) with
its own Ed25519 key, which an administrator registered here. It posts the reports back
(``POST /api/v1/outages/probe-reports``), keeping what it could not deliver until the node
answers again, or an operator imports its file later (``tangguh outage import``).

A run of failed checks becomes a ``probe`` outage once a later check succeeds: from the last
check that reached the node before the failures to the first that reached it again, if that
span is longer than the gap threshold (one lost packet is not an outage). Reports whose checks
all succeeded are stored, not audited, as heartbeats are not; a report with a failure, and any
outage it reveals, is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import datetime, timedelta

from django.db import transaction

from tangguh import clock
from tangguh.accounts.models import User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.core.errors import Conflict, InvalidInput, NotAuthenticated
from tangguh.core.signing import JwsError, verify_jws
from tangguh.domain.roles import Permission
from tangguh.outages.models import NODE_SCOPE, Outage, OutageSource, ProbeCheck, ProbeKey
from tangguh.outages.selectors import gap_threshold
from tangguh.outages.services.outages import ApplyReport, outage_record, outages_apply_pending

REPORT_TYPE = "tangguh.probe-report/v1"
MAX_CHECKS = 10_000  # a probe cut off for a week at one check a minute
CLOCK_TOLERANCE = timedelta(minutes=5)
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


def _invalid(code: str, message_id: str, message_en: str, field: str) -> InvalidInput:
    return InvalidInput(code, message_id, message_en, field=field)


def probe_key_register(*, actor: User, name: str, public_key: str) -> ProbeKey:
    """An administrator registers a probe's Ed25519 public key (base64url, as the probe prints
    it: the JWK ``x``)."""
    permission_require(
        user=actor, permission=Permission.MANAGE_NODE, scope=NODE_SCOPE, action="probe.register"
    )
    return probe_key_register_unchecked(actor=actor, name=name, public_key=public_key)


def probe_key_register_unchecked(*, actor: User | str, name: str, public_key: str) -> ProbeKey:
    """Register a probe key (for the CLI; other callers check rights first)."""
    name = (name or "").strip().lower()
    if not _NAME.match(name):
        raise _invalid(
            "probe.name_invalid",
            "Nama probe: huruf kecil, angka dan tanda hubung, paling banyak 60.",
            "A probe name is lower-case letters, digits and hyphens, at most 60.",
            "name",
        )
    text = (public_key or "").strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise _invalid(
            "probe.key_invalid",
            "Kunci publik probe harus 32 bita Ed25519 dalam base64url.",
            "A probe's public key is 32 Ed25519 bytes in base64url.",
            "public_key",
        )
    with transaction.atomic():
        if ProbeKey.objects.filter(name=name).exists():
            raise Conflict(
                "probe.name_taken",
                f"Probe {name} sudah terdaftar.",
                f"Probe {name} is already registered.",
            )
        key = ProbeKey.objects.create(
            name=name,
            public_key=base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
            registered_by=actor if isinstance(actor, User) else None,
            registered_at=clock.now(),
        )
        audit_append(
            actor=actor,
            action="probe.registered",
            object_type="probe",
            object_id=name,
            payload={"public_key": key.public_key},
        )
    return key


# --- reports ---------------------------------------------------------------------------------


def _refused(detail: str) -> NotAuthenticated:
    return NotAuthenticated(
        "probe.report_unverified",
        f"Laporan probe ditolak: {detail}",
        f"The probe report is refused: {detail}",
    )


def _header_kid(token: str) -> str:
    try:
        head = token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        return str(header.get("kid", ""))
    except (ValueError, binascii.Error, AttributeError, IndexError):
        return ""


def _parse_checks(payload: dict, now: datetime) -> list[tuple]:
    checks = payload.get("checks")
    if payload.get("typ") != REPORT_TYPE or not isinstance(checks, list) or not checks:
        raise _invalid(
            "probe.report_invalid",
            f"Laporan probe harus bertipe {REPORT_TYPE} dengan daftar pemeriksaan.",
            f"A probe report has typ {REPORT_TYPE} and a list of checks.",
            "report",
        )
    if len(checks) > MAX_CHECKS:
        raise _invalid(
            "probe.report_too_large",
            f"Paling banyak {MAX_CHECKS} pemeriksaan per laporan.",
            f"At most {MAX_CHECKS} checks a report.",
            "report",
        )
    parsed = []
    for item in checks:
        try:
            at = datetime.fromisoformat(item["at"])
            ok = item["ok"]
            targets = item.get("targets", [])
        except (KeyError, TypeError, ValueError) as exc:
            raise _invalid(
                "probe.report_invalid",
                "Setiap pemeriksaan memuat 'at' (ISO 8601 dengan zona) dan 'ok'.",
                "Each check has 'at' (ISO 8601 with offset) and 'ok'.",
                "report",
            ) from exc
        if at.tzinfo is None or not isinstance(ok, bool) or not isinstance(targets, list):
            raise _invalid(
                "probe.report_invalid",
                "Setiap pemeriksaan memuat 'at' (ISO 8601 dengan zona) dan 'ok'.",
                "Each check has 'at' (ISO 8601 with offset) and 'ok'.",
                "report",
            )
        if at > now + CLOCK_TOLERANCE:
            raise _invalid(
                "probe.report_from_future",
                "Waktu pemeriksaan di masa depan menurut jam node; periksa jam (NTP) host probe.",
                "A check is dated in the node's future; check the probe host's clock (NTP).",
                "report",
            )
        parsed.append((at, ok, {"targets": targets[:10]}))
    return parsed


def probe_report_accept(*, token: str) -> tuple[int, list[Outage], ApplyReport]:
    """Verify a signed probe report, store its checks (a repeat changes nothing), record the
    unreachable spans it closes as outages and apply their extensions.

    Returns the number of new checks, the new outages and what applying them did."""
    token = (token or "").strip()
    kid = _header_kid(token)
    key = ProbeKey.objects.filter(name=kid, revoked_at__isnull=True).first()
    if key is None:
        raise _refused(f"probe {kid!r} is not registered here")
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": key.public_key, "kid": key.name}
    try:
        payload = verify_jws(token, {"keys": [jwk]}).payload
    except JwsError as exc:
        raise _refused(exc.detail) from exc
    if payload.get("probe") != key.name:
        raise _refused("the report names another probe")
    now = clock.now()
    checks = _parse_checks(payload, now)
    digest = hashlib.sha256(token.encode()).hexdigest()
    with transaction.atomic():
        known = set(
            ProbeCheck.objects.filter(probe=key, at__in=[c[0] for c in checks]).values_list(
                "at", flat=True
            )
        )
        fresh = [c for c in checks if c[0] not in known]
        ProbeCheck.objects.bulk_create(
            [
                ProbeCheck(
                    probe=key, at=at, ok=ok, detail=detail, report_sha256=digest, received_at=now
                )
                for at, ok, detail in fresh
            ],
            ignore_conflicts=True,
        )
        failed = [c for c in fresh if not c[1]]
        if failed:
            audit_append(
                actor=f"probe:{key.name}",
                action="probe.reported_down",
                object_type="probe",
                object_id=key.name,
                payload={
                    "report_sha256": digest,
                    "checks": len(fresh),
                    "failed": [c[0].isoformat() for c in failed],
                },
            )
        outages = _spans_to_outages(key, min((c[0] for c in fresh), default=None))
    return len(fresh), outages, outages_apply_pending()


def _spans_to_outages(key: ProbeKey, since) -> list[Outage]:
    """Closed runs of failed checks, from the last success before them to the first after,
    longer than the gap threshold, recorded once (unique per probe and start)."""
    if since is None:
        return []
    before = key.checks.filter(at__lt=since, ok=True).order_by("-at").first()
    rows = key.checks.filter(at__gte=before.at if before else since).order_by("at")
    outages = []
    last_ok = None
    failures: list[ProbeCheck] = []
    for check in rows:
        if not check.ok:
            failures.append(check)
            continue
        if failures:
            start = last_ok.at if last_ok is not None else failures[0].at
            if (
                check.at - start > gap_threshold()
                and not Outage.objects.filter(
                    source=OutageSource.PROBE, probe=key, start=start
                ).exists()
            ):
                errors = sorted(
                    {
                        str(t.get("error") or t.get("status"))
                        for f in failures
                        for t in f.detail.get("targets", [])
                    }
                )
                outages.append(
                    outage_record(
                        source=OutageSource.PROBE,
                        start=start,
                        end=check.at,
                        reason=(
                            f"Probe {key.name} tidak dapat menjangkau node "
                            f"({len(failures)} pemeriksaan gagal: {', '.join(errors)[:300]}). / "
                            f"Probe {key.name} could not reach the node "
                            f"({len(failures)} failed checks)."
                        ),
                        actor=f"probe:{key.name}",
                        probe=key,
                    )
                )
            failures = []
        last_ok = check
    return outages
