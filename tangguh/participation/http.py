"""Serving a stored document to a browser safely: streamed from content-addressed storage, as an
attachment, sandboxed, never sniffed (SPEC "opened documents are served only as attachments in a
sandbox")."""

from __future__ import annotations

import base64

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from tangguh.core.blobs import node_blobs


def blob_attachment(
    *, sha256: str, filename: str, content_type: str, size: int
) -> StreamingHttpResponse:
    """Stream the blob ``sha256`` as ``filename``; memory stays bounded whatever its size."""
    response = StreamingHttpResponse(
        node_blobs().iter_chunks(sha256), content_type=content_type or "application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Length"] = str(size)
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    digest = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
    response["Repr-Digest"] = f"sha-256=:{digest}:"  # RFC 9530, lets the client check the bytes
    return response
