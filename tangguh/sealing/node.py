"""A small JSON client for a Tangguh node's API, for the members' commands (``keys enrol
--node``, ``keys check``, ``keys release``). Standard library only, so the commands run with no
Django and no settings.

A bearer token travels with every call, and ``keys release`` sends a plain key share, so the
node must be reached over HTTPS; plain HTTP is accepted only to this machine (a sandbox or a
test node on localhost).
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from tangguh.sealing.files import SealingFailure

API_PREFIX = "/api/v1"
MAX_RESPONSE_BYTES = 8 * 1024 * 1024


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NodeClient:
    """Calls ``{base}/api/v1{path}`` with ``Authorization: Bearer {token}``; a node error
    becomes ``SealingFailure`` with the node's own code and messages."""

    def __init__(self, base_url: str, token: str | None, *, timeout: float = 120) -> None:
        parts = urlsplit((base_url or "").strip())
        if parts.scheme not in {"https", "http"} or not parts.hostname:
            raise SealingFailure("node.bad_url", f"not a node address: {base_url!r}")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise SealingFailure(
                "node.insecure_url",
                f"{base_url} is plain HTTP: the token and key shares need HTTPS "
                "(plain HTTP only to localhost)",
            )
        path = parts.path.rstrip("/")
        if path.endswith(API_PREFIX):
            path = path[: -len(API_PREFIX)]
        self.base = f"{parts.scheme}://{parts.netloc}{path}{API_PREFIX}"
        self.token = (token or "").strip() or None
        self.timeout = timeout

    def get(self, path: str, *, auth: bool = True) -> dict:
        return self._call("GET", path, None, auth)

    def post(self, path: str, body: dict, *, auth: bool = True) -> dict:
        return self._call("POST", path, body, auth)

    def _call(self, method: str, path: str, body: dict | None, auth: bool) -> dict:
        headers = {"Accept": "application/json", "Accept-Language": "id"}
        if auth:
            if self.token is None:
                raise SealingFailure(
                    "node.token_missing", "give a bearer token (--token or TANGGUH_TOKEN)"
                )
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read(MAX_RESPONSE_BYTES) or b"{}")
        except urllib.error.HTTPError as exc:
            raise _node_error(exc) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SealingFailure("node.unreachable", f"{self.base}: {exc}") from exc
        except ValueError as exc:
            raise SealingFailure("node.bad_response", f"{self.base}{path}: not JSON") from exc


def _node_error(exc: urllib.error.HTTPError) -> SealingFailure:
    try:
        body = json.loads(exc.read(MAX_RESPONSE_BYTES))
    except (OSError, ValueError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = body.get("code") or f"http.{exc.code}"
    message_id = body.get("message_id") or body.get("message") or ""
    message_en = body.get("message_en") or ""
    text = " / ".join(m for m in (message_id, message_en) if m) or f"HTTP {exc.code}"
    return SealingFailure(code, f"node refused (HTTP {exc.code}): {text}")
