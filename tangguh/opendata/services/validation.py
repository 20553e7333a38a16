"""Validating release and record packages with libcoveocds, the official OCDS tool, offline.

With ``TANGGUH_OCDS_SCHEMA_DIR`` (a folder laid out like ``../shared/ocds``) nothing touches
the network: the standard comes from ``standard-1__1__5.zip`` and every URL libcoveocds,
ocdsextensionregistry or jsonref asks for is answered from ``mirror/<host>/<path>`` through an
``HTTPAdapter`` (anything not mirrored is a 404, never a download). That also closes the hole
of validating an untrusted package that lists URLs of its own. Without the setting libcoveocds
downloads the schema as it normally does.

What counts as a failure (the pitfalls of ../shared/ocds/README.md): schema validation errors;
closed-codelist values (reported apart, in ``additional_closed_codelist_values``); extensions
that could not be read or applied (a failed download is otherwise silent); a malformed ocid
prefix; and our own checks (``tangguh.domain.ocds.checks``: cross-references, rupiah, dates,
personal data). The libcoveocds command line exits 0 even for invalid data: we read its result.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from tangguh.domain.ocds.checks import package_problems

STANDARD_ZIP = "standard-1__1__5.zip"
_LOCK = threading.Lock()


class SchemaUnavailable(Exception):
    """The schema could be read neither from TANGGUH_OCDS_SCHEMA_DIR nor from the network."""


@dataclass
class ValidationReport:
    errors: list[str] = field(default_factory=list)
    count: int = 0  # releases, or records
    offline: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def schema_dir() -> Path | None:
    """The configured folder of official schema files, if it holds the standard."""
    configured = settings.TANGGUH_OCDS_SCHEMA_DIR
    if not configured:
        return None
    path = Path(configured).expanduser()
    return path if (path / STANDARD_ZIP).is_file() else None


def _mirror_adapter(root: Path):
    from requests.adapters import HTTPAdapter
    from urllib3 import HTTPResponse

    mirror = (root / "mirror").resolve()

    class MirrorAdapter(HTTPAdapter):
        """Answers from the mirror; never opens a socket."""

        def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
            parts = urlsplit(request.url)
            target = (mirror / parts.netloc / parts.path.lstrip("/")).resolve()
            inside = target.is_relative_to(mirror) and target.is_file()
            body = target.read_bytes() if inside else b"not in the offline mirror"
            raw = HTTPResponse(
                body=io.BytesIO(body),
                status=200 if inside else 404,
                reason="OK" if inside else "Not Found",
                headers={"Content-Length": str(len(body))},
                preload_content=False,
                decode_content=False,
            )
            # build_response, not a hand-made Response: requests-cache needs a real one.
            return self.build_response(request, raw)

    return MirrorAdapter()


@contextlib.contextmanager
def _offline(root: Path | None) -> Iterator[None]:
    """Route libcoveocds' downloads to the mirror while validating (one validation at a time:
    the session and jsonref's ``requests`` are module globals)."""
    if root is None:
        yield
        return
    import jsonref
    from ocdsextensionregistry import util

    adapter = _mirror_adapter(root)
    session = util.session
    saved = dict(session.adapters)
    saved_requests = jsonref.requests

    class _Requests:
        """jsonref fetches the versioned release schema of a record package with the global
        ``requests.get``; give it the mirrored session instead."""

        Response = saved_requests.Response

        @staticmethod
        def get(url, **kwargs):
            return session.get(url, **kwargs)

    with _LOCK:
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        jsonref.requests = _Requests
        try:
            yield
        finally:
            session.adapters.clear()
            session.adapters.update(saved)
            jsonref.requests = saved_requests


def _libcove_errors(result: dict) -> list[str]:
    errors = []
    for error in result.get("validation_errors") or []:
        errors.append(
            f"schema: {error.get('path') or error.get('field')}: {error.get('description')}"
        )
    for path, detail in (result.get("additional_closed_codelist_values") or {}).items():
        values = ", ".join(sorted(str(v) for v in detail.get("values", [])))
        errors.append(f"closed codelist {detail.get('codelist')}: {path}: {values}")
    extensions = result.get("extensions") or {}
    for url, message in extensions.get("invalid_extensions") or []:
        errors.append(f"extension {url}: {message}")
    for extension in extensions.get("extensions") or []:
        for codelist, message in (extension.get("failed_codelists") or {}).items():
            errors.append(f"extension {extension.get('url')}: codelist {codelist}: {message}")
    for item in (result.get("conformance_errors") or {}).get("ocds_prefixes_bad_format") or []:
        errors.append(f"ocid prefix not of the form ocds-xxxxxx: {item}")
    if result.get("json_deref_error"):
        errors.append(f"schema reference: {result['json_deref_error']}")
    return errors


def _extension_problems(urls: object) -> tuple[list[str], list[str]]:
    """libcoveocds treats an extension whose files cannot be found as one that patches
    nothing, silently. Each listed extension must have readable metadata naming a release
    schema patch, and that patch must be readable.

    Returns the readable URLs (what libcoveocds may be given: an unreadable or unsupported one
    would make it raise or pass silently) and one problem per other URL."""
    import zipfile

    import requests
    from ocdsextensionregistry.exceptions import OCDSExtensionRegistryError
    from ocdsextensionregistry.profile_builder import ProfileBuilder

    if not isinstance(urls, list):
        return [], []
    readable, problems = [], []
    for url in urls:
        if not isinstance(url, str):
            problems.append(f"extension {url!r}: not a URL")
            continue
        try:
            for extension in ProfileBuilder(None, [url]).extensions():
                metadata = extension.metadata
                if "release-schema.json" in (metadata.get("schemas") or []):
                    json.loads(extension.remote("release-schema.json"))
        except (
            OCDSExtensionRegistryError,  # DoesNotExist, UnsupportedSchemeError, ...
            # ocdsextensionregistry's way of saying a URL names no extension.json it can
            # resolve (ExtensionVersion.get_url): a problem of the package, not ours.
            NotImplementedError,
            requests.RequestException,
            zipfile.BadZipFile,
            ValueError,
        ) as exc:
            problems.append(f"extension {url}: cannot be read ({exc})")
        else:
            readable.append(url)
    return readable, problems


def _releases_of(data: dict) -> list[dict]:
    if isinstance(data.get("records"), list):
        releases = []
        for record in data["records"]:
            releases.extend(r for r in record.get("releases") or [] if "tag" in r)
            if isinstance(record.get("compiledRelease"), dict):
                releases.append(record["compiledRelease"])
        return releases
    return [r for r in data.get("releases") or [] if isinstance(r, dict)]


def validate_package(data: dict) -> ValidationReport:
    """Validate a release or record package (already parsed). Raises SchemaUnavailable when
    the schema can be read neither offline nor online."""
    import requests
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    root = schema_dir()
    config = LibCoveOCDSConfig()
    config.config["context"] = "api"
    if root is not None:
        config.config["standard_zip"] = f"file://{(root / STANDARD_ZIP).resolve()}"
    record = isinstance(data.get("records"), list)
    with _offline(root), tempfile.TemporaryDirectory(prefix="tangguh-ocds-") as out:
        try:
            readable, extension_errors = _extension_problems(data.get("extensions"))
            checked = data
            if "extensions" in data:
                checked = {**data, "extensions": readable}
            result = ocds_json_output(
                out, json_data=checked, lib_cove_ocds_config=config, record_pkg=record
            )
        except requests.RequestException as exc:
            raise SchemaUnavailable(
                "the OCDS schema could not be downloaded; set TANGGUH_OCDS_SCHEMA_DIR to a "
                "folder like ../shared/ocds to validate offline"
            ) from exc
    releases = _releases_of(data)
    errors = _libcove_errors(result) + extension_errors
    if not (data.get("releases") or data.get("records")):
        errors.append("the package holds no releases or records")
    errors.extend(f"check: {problem}" for problem in package_problems(releases))
    count = len(data.get("records") or []) if record else len(releases)
    return ValidationReport(errors=errors, count=count, offline=root is not None)


def validate_file(path: str | Path) -> ValidationReport:
    """Validate a package file (JSON). A file that is not JSON is one error."""
    try:
        with open(path, "rb") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        return ValidationReport(errors=[f"{path}: not a readable JSON file ({exc})"])
    if not isinstance(data, dict):
        return ValidationReport(errors=[f"{path}: not a release or record package"])
    return validate_package(data)
