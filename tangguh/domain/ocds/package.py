"""Release and record packages: the envelope around releases (OCDS 1.1 package schemas).

The extensions are the official bids and lots extensions pinned to their v1.1.5 tags (the
unreleased master of the bids extension differs), the only ones ``../shared/ocds`` lets us
validate offline. ``links`` (``next``) is the pagination extension's field; it is not listed
because it cannot be validated offline, and the package schema allows additional fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

OCDS_VERSION = "1.1"
EXTENSIONS = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/"
    "v1.1.5/extension.json",
)


def package_header(*, uri: str, published_date: str, publisher: str, publisher_uri: str) -> dict:
    """Everything of a package but its ``releases`` or ``records`` (JSON key order kept)."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": list(EXTENSIONS),
        "publishedDate": published_date,
        "publisher": {"name": publisher, "uri": publisher_uri},
    }


def stream_package(
    header: dict, key: str, items: Iterable[str], trailer: dict | None = None, *, size: int = 65536
) -> Iterator[str]:
    """A package written piece by piece: ``header``, then ``key`` (releases or records) as a
    list of already-serialized JSON texts, then ``trailer`` (e.g. ``links``), in chunks of
    about ``size`` characters. Memory stays bounded by one chunk whatever the package size."""
    opening = json.dumps(header, ensure_ascii=False, separators=(",", ":"))
    buffer = [opening[:-1], f',"{key}":[']
    length, first = sum(map(len, buffer)), True
    for item in items:
        if not first:
            buffer.append(",")
        buffer.append(item)
        first = False
        length += len(item) + 1
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    closing = "]"
    if trailer:
        closing += "," + json.dumps(trailer, ensure_ascii=False, separators=(",", ":"))[1:-1]
    buffer.append(closing + "}")
    yield "".join(buffer)
