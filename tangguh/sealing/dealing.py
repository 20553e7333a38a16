"""Dealing off the node, for a Pokja member (the chair, by custom) with a laptop the node never
touches: deal every envelope's key of a tender with ``keys deal``, then send the node only what
it may keep — the recipients, the sealed shares and their commitments — with ``keys upload``.

``keys deal`` writes, beside each envelope's ``recipient.txt``, ``share-<i>.json.age`` and
``commitments.json``, one upload document ``sealing-keys.json`` (format
``tangguh.dealt-keys``, version 1): exactly the body of ``POST
/api/v1/tenders/{code}/sealing-keys``::

    {"format": "tangguh.dealt-keys", "version": 1, "tender": "202400017",
     "envelopes": [{"name": "offer", "lot": 1, "recipient": "age1…", "k": 2, "n": 4,
       "shares": [{"index": 1, "holder": "budi.pokja", "holder_recipient": "age1…",
                   "sealed_share": "<the .age file, standard base64>", "commitment": "<hex>"},
                  …,
                  {"index": 4, "holder": null, "holder_recipient": "age1…(recovery)", …}]}]}

``holder`` is the member's username on the node; null marks the UKPBJ's recovery share. The
document is built from the files just written, so what is uploaded is what the members and
the safe receive. Django-free, like the rest of ``tangguh.sealing``.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.sealing.files import DealtKey, SealingFailure, _write_new

UPLOAD_FORMAT = "tangguh.dealt-keys"
UPLOAD_VERSION = 1
UPLOAD_FILE = "sealing-keys.json"


def parse_member(text: str) -> tuple[str, str]:
    """``USERNAME=age1…`` → ``(username, recipient)``."""
    username, sep, recipient = (text or "").partition("=")
    if not sep or not username.strip() or not recipient.strip():
        raise SealingFailure("cli.member", f"--member takes USERNAME=age1…, not {text!r}")
    return username.strip(), recipient.strip()


def upload_document(
    *, tender: str, dealt: Sequence[tuple[str, int, DealtKey]], holders: Sequence[str]
) -> dict:
    """The ``tangguh.dealt-keys`` document for ``dealt`` (envelope name, lot, dealt key),
    ``holders`` naming the members in share order (the recovery share, if any, comes after)."""
    envelopes = []
    for name, lot, key in dealt:
        commitments = json.loads((key.directory / "commitments.json").read_text())
        shares = []
        for entry in commitments["shares"]:
            index = entry["index"]
            recovery = index == key.recovery_index
            sealed = (key.directory / f"share-{index}.json.age").read_bytes()
            shares.append(
                {
                    "index": index,
                    "holder": None if recovery else holders[index - 1],
                    "holder_recipient": entry["recovery"] if recovery else entry["member"],
                    "sealed_share": base64.b64encode(sealed).decode("ascii"),
                    "commitment": entry["sha256"],
                }
            )
        envelopes.append(
            {
                "name": name,
                "lot": lot,
                "recipient": key.recipient,
                "k": key.k,
                "n": key.n,
                "shares": shares,
            }
        )
    return {
        "format": UPLOAD_FORMAT,
        "version": UPLOAD_VERSION,
        "tender": tender,
        "envelopes": envelopes,
    }


def write_upload_document(directory: Path, document: dict) -> Path:
    path = Path(directory) / UPLOAD_FILE
    _write_new(path, (json.dumps(document, indent=1, sort_keys=True) + "\n").encode())
    return path


def read_upload_document(directory: Path, tender: str) -> dict:
    path = Path(directory) / UPLOAD_FILE
    if Path(directory).is_file():
        path = Path(directory)
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise SealingFailure(
            "file.missing", f"{path} is missing: deal with --member USERNAME=age1…"
        ) from exc
    except ValueError as exc:
        raise SealingFailure("upload.invalid", f"{path} is not JSON ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != UPLOAD_FORMAT:
        raise SealingFailure("upload.invalid", f"{path} is not a {UPLOAD_FORMAT} document")
    if document.get("tender") != tender:
        raise SealingFailure(
            "upload.wrong_tender", f"{path} is for tender {document.get('tender')}, not {tender}"
        )
    return document


def upload(*, node: str, tender: str, document: dict, token: str, timeout: float = 60) -> dict:
    """POST ``document`` to the node; the node's answer, or ``SealingFailure`` carrying the
    node's error code and message."""
    if not token:
        raise SealingFailure("upload.token", "no token: pass --token or set TANGGUH_TOKEN")
    url = f"{node.rstrip('/')}/api/v1/tenders/{tender}/sealing-keys"
    if not url.startswith(("https://", "http://")):
        raise SealingFailure("upload.node", f"--node must be an http(s) URL, not {node!r}")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=json.dumps(document).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Language": os.environ.get("TANGGUH_LANGUAGE", "id"),
            "Authorization": f"Bearer {token}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
        except ValueError:
            body = {}
        code = body.get("code") or f"http.{exc.code}"
        message = body.get("message") or exc.reason
        raise SealingFailure(code, f"the node refused the upload ({exc.code}): {message}") from exc
    except urllib.error.URLError as exc:
        raise SealingFailure("upload.unreachable", f"cannot reach {url}: {exc.reason}") from exc


def describe_upload(answer: dict) -> str:
    lines = [f"uploaded to tender {answer.get('tender')}"]
    for envelope in answer.get("envelopes", []):
        lines.append(
            f"{envelope['name']}: {envelope['k']} of {envelope['n']}, fingerprint "
            f"{recipient_fingerprint(envelope['recipient'])}"
        )
    return "\n".join(lines) + "\n"
