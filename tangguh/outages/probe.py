"""The external probe: ``tangguh probe URL --key FILE`` (or ``python -m tangguh.outages.probe``,
which needs no Django settings), run on another host.

Every ``--every`` seconds it fetches the node's public home page and ``/api/v1/node``; a check
is ``ok`` when both answer 200 within the timeout. Each check is signed (compact JWS, EdDSA,
``kid`` = the probe's name) with the probe's own Ed25519 key and appended to ``--out`` (one JWS
a line: what ``tangguh outage import`` reads). Checks not yet delivered are posted together to
``POST /api/v1/outages/probe-reports`` as soon as the node answers again, so the node learns
how long nobody could reach it. The probe host's clock decides the span: keep it on NTP.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

REPORT_TYPE = "tangguh.probe-report/v1"
TARGETS = ("/", "/api/v1/node")
BATCH = 5000  # the node takes at most 10,000 checks a report


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_or_create_key(path: Path) -> tuple[Ed25519PrivateKey, bool]:
    """The probe's private key (PKCS#8 PEM), created owner-only when missing."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path}: not an Ed25519 private key")
        return key, False
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key, True


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The public key as the node registers it (base64url of the raw 32 bytes, JWK ``x``)."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64url(raw)


def check_once(base_url: str, *, timeout: float = 10.0, now: datetime | None = None) -> dict:
    """One check of every target: ``{"at", "ok", "targets": [{url, status, error, ms}]}``."""
    at = now or datetime.now(UTC)
    targets = []
    for path in TARGETS:
        url = base_url.rstrip("/") + path
        started = time.monotonic()
        status, error = None, None
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "tangguh-probe/1"})  # noqa: S310 - the operator gives the node's URL
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                response.read(64 * 1024)
                status = response.status
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"http_{exc.code}"
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            error = type(reason).__name__ if not isinstance(reason, str) else reason
        targets.append(
            {
                "url": url,
                "status": status,
                "error": error,
                "ms": round((time.monotonic() - started) * 1000),
            }
        )
    return {
        "at": at.astimezone(UTC).isoformat(),
        "ok": all(t["status"] == 200 for t in targets),
        "targets": targets,
    }


def sign_report(key: Ed25519PrivateKey, name: str, node: str, checks: list[dict]) -> str:
    """A compact JWS (EdDSA) over ``{"typ", "probe", "node", "checks"}``."""
    header = {"alg": "EdDSA", "kid": name, "typ": "JWT"}
    payload = {"typ": REPORT_TYPE, "probe": name, "node": node, "checks": checks}
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(payload, separators=(",", ":")).encode())
    )
    return signing_input + "." + _b64url(key.sign(signing_input.encode("ascii")))


def post_report(base_url: str, token: str, *, timeout: float = 10.0) -> tuple[bool, str]:
    """Deliver a report; ``(True, body)`` when the node took it."""
    url = base_url.rstrip("/") + "/api/v1/outages/probe-reports"
    data = json.dumps({"report": token}).encode()
    request = urllib.request.Request(  # noqa: S310 - the operator gives the node's URL
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return 200 <= response.status < 300, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return False, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return False, str(exc)


def _deliver(base: str, key, name: str, pending: list[dict], stdout: TextIO) -> list[dict]:
    """Post what is pending in batches the node accepts; keep what it did not take."""
    while pending:
        batch = pending[:BATCH]
        delivered, body = post_report(base, sign_report(key, name, base, batch))
        if not delivered:
            stdout.write(f"report not delivered: {body[:300]}\n")
            return pending
        pending = pending[BATCH:]
    return pending


def default_name() -> str:
    host = socket.gethostname().lower()
    cleaned = "".join(c if c.isalnum() else "-" for c in host).strip("-")
    return (cleaned or "probe")[:60]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", help="the node's public base URL, e.g. https://lpse.example.go.id")
    parser.add_argument("--key", required=True, type=Path, help="private key file (created)")
    parser.add_argument("--name", default=None, help="the probe's registered name")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between checks")
    parser.add_argument("--count", type=int, default=None, help="stop after N checks")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=None, help="append each signed check here")
    parser.add_argument("--no-post", action="store_true", help="only write --out")


def run(options: dict, stdout: TextIO) -> int:
    """The probe loop (see the module docstring). Returns an exit status."""
    key, created = load_or_create_key(Path(options["key"]))
    name = (options.get("name") or default_name()).lower()
    base = options["url"].rstrip("/")
    if created:
        stdout.write(
            f"new probe key {options['key']}; register it on the node:\n"
            f"  tangguh outage probe-key {name} {public_key_text(key)}\n"
        )
    pending: list[dict] = []
    done = 0
    while True:
        result = check_once(base, timeout=options.get("timeout") or 10.0)
        done += 1
        pending.append(result)
        stdout.write(f"{result['at']} {'ok' if result['ok'] else 'DOWN'}\n")
        if options.get("out"):
            with Path(options["out"]).open("a", encoding="utf-8") as handle:
                handle.write(sign_report(key, name, base, [result]) + "\n")
        if not options.get("no_post") and result["ok"]:
            pending = _deliver(base, key, name, pending, stdout)
        if options.get("count") is not None and done >= options["count"]:
            return 0
        time.sleep(max(0.0, float(options.get("every") or 60.0)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tangguh.outages.probe")
    add_arguments(parser)
    return run(vars(parser.parse_args(argv)), sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
