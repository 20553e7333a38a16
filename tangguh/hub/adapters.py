"""One adapter per national service, each configured by a URL setting (unset: not connected).

Adapters only speak HTTP; they never touch the database. The outbox and the pulls
(``tangguh.hub.services``) call them from ``tangguh hub push`` / ``hub pull``, never from a
request of a user, so a service that is slow or down delays nothing but the next cron run.

Wire format (JSON over HTTPS; see docs/operations.md "National services"):

- open-data hub (``TANGGUH_HUB_URL``): ``POST /releases`` (one OCDS release with its feed
  position), ``POST /checkpoints`` (one signed checkpoint), ``POST /trust/entries`` (this
  node's own trust-list entry, signed: ``{"node", "sha256", "token"}``), ``GET /nodes`` (the
  trust list: ``{"nodes": [{"name", "jwks", "revoked_kids", "revoked_credentials"}]}``);
- vendor registry SIKaP (``TANGGUH_SIKAP_URL``): ``GET /vendors?since=CURSOR`` →
  ``{"vendors": [{"nib", "name", "status", …}], "cursor": "…"}``;
- blacklist Daftar Hitam (``TANGGUH_BLACKLIST_URL``): ``GET /export`` → the national export
  (JSON or CSV, as ``tangguh blacklist sync`` reads it);
- plan data SiRUP (``TANGGUH_SIRUP_URL``): ``GET /rup?since=CURSOR`` →
  ``{"items": [{"rup_code", "fiscal_year", "title", "work_unit", "category", "budget"}],
  "cursor": "…"}``.

Every POST carries ``Idempotency-Key``: a receiver that has the key already answers 2xx and
keeps one copy, so a message sent again after a crash is still taken once.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from tangguh import __version__

# Bodies we read from a national service are bounded: a broken or hostile peer cannot fill
# the node's memory.
MAX_RESPONSE_BYTES = 60 * 1024 * 1024


class AdapterError(Exception):
    """A national service could not be reached or refused the request."""


@dataclass(frozen=True)
class Adapter:
    service: str  # hub | sikap | daftar_hitam | sirup
    setting: str
    label_id: str
    label_en: str

    @property
    def base_url(self) -> str:
        return (getattr(settings, self.setting, "") or "").rstrip("/")

    @property
    def connected(self) -> bool:
        return bool(self.base_url)

    def _request(self, method: str, path: str, *, body: dict | None = None, key: str = "") -> bytes:
        if not self.connected:
            raise AdapterError(f"{self.service}: not connected ({self.setting} is unset)")
        url = self.base_url + path
        if not url.startswith(("http://", "https://")):
            raise AdapterError(f"{self.service}: {self.setting} must be an http(s) URL")
        headers = {
            "Accept": "application/json",
            "User-Agent": f"tangguh/{__version__} ({settings.TANGGUH_NODE_NAME})",
        }
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - scheme checked above
        timeout = float(getattr(settings, "TANGGUH_HUB_TIMEOUT", 10))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                content = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise AdapterError(f"{self.service}: HTTP {exc.code} from {method} {path}") from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AdapterError(f"{self.service}: {method} {path} failed: {reason}") from exc
        if len(content) > MAX_RESPONSE_BYTES:
            raise AdapterError(f"{self.service}: response larger than {MAX_RESPONSE_BYTES} bytes")
        return content

    def _json(self, path: str) -> dict:
        content = self._request("GET", path)
        try:
            parsed = json.loads(content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise AdapterError(f"{self.service}: GET {path} did not return JSON") from exc
        if not isinstance(parsed, dict):
            raise AdapterError(f"{self.service}: GET {path} did not return a JSON object")
        return parsed

    def _since(self, path: str, cursor: str) -> str:
        return path + ("?" + urllib.parse.urlencode({"since": cursor}) if cursor else "")


class OpenDataHub(Adapter):
    """The national open-data hub: receives our releases, checkpoints and own trust-list entry,
    serves the trust list of node keys."""

    PATHS = {
        "ocds.release": "/releases",
        "audit.checkpoint": "/checkpoints",
        "trust.entry": "/trust/entries",
    }

    def deliver(self, *, kind: str, key: str, payload: dict) -> None:
        self._request("POST", self.PATHS[kind], body=payload, key=key)

    def trust_list(self) -> dict:
        return self._json("/nodes")


class VendorRegistry(Adapter):
    """SIKaP: vendor records changed since a cursor."""

    def changes(self, *, since: str) -> dict:
        return self._json(self._since("/vendors", since))


class BlacklistService(Adapter):
    """Daftar Hitam: the whole national export."""

    def export(self) -> bytes:
        return self._request("GET", "/export")


class PlanData(Adapter):
    """SiRUP: plan lines changed since a cursor."""

    def changes(self, *, since: str) -> dict:
        return self._json(self._since("/rup", since))


HUB = OpenDataHub("hub", "TANGGUH_HUB_URL", "Hub data terbuka nasional", "National open-data hub")
SIKAP = VendorRegistry("sikap", "TANGGUH_SIKAP_URL", "SIKaP (registri penyedia)", "SIKaP")
DAFTAR_HITAM = BlacklistService(
    "daftar_hitam", "TANGGUH_BLACKLIST_URL", "Daftar Hitam nasional", "National blacklist"
)
SIRUP = PlanData("sirup", "TANGGUH_SIRUP_URL", "SiRUP (rencana umum pengadaan)", "SiRUP")
ADAPTERS: tuple[Adapter, ...] = (HUB, SIKAP, DAFTAR_HITAM, SIRUP)

# Which adapter carries each kind of outgoing message.
KIND_ADAPTER: dict[str, OpenDataHub] = {
    "ocds.release": HUB,
    "audit.checkpoint": HUB,
    "trust.entry": HUB,
}
