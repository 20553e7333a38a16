"""The browser bundles are served by the node itself, compressed when the browser accepts it,
and the compressed copies are the same script (a stale .gz or .br would run old code)."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli  # via WeasyPrint's fonttools[woff]
import pytest

import tangguh.bids

BUNDLES = Path(tangguh.bids.__file__).parent / "static" / "bids"


@pytest.mark.parametrize("name", ["member.js", "vendor.js"])
def test_compressed_copies_match_the_bundle(name):
    plain = (BUNDLES / name).read_bytes()
    assert gzip.decompress((BUNDLES / f"{name}.gz").read_bytes()) == plain
    assert brotli.decompress((BUNDLES / f"{name}.br").read_bytes()) == plain


@pytest.mark.parametrize(("accept", "encoding"), [("br, gzip", "br"), ("gzip", "gzip"), ("", None)])
def test_the_node_serves_the_smallest_copy_the_browser_accepts(client, accept, encoding):
    response = client.get("/static/bids/member.js", HTTP_ACCEPT_ENCODING=accept)
    assert response.status_code == 200
    assert response.get("Content-Encoding") == encoding
    body = b"".join(response.streaming_content)
    plain = (BUNDLES / "member.js").read_bytes()
    if encoding is None:
        assert body == plain
    else:
        assert len(body) < len(plain) / 2
