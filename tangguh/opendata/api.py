"""Open data over the API (public, no token): the OCDS release feed and records.

``GET /api/v1/ocds/releases?cursor=&limit=`` is a release package of the releases after the
cursor in feed order (commit order, never skipping: docs/decisions/0801), with ``links.next``
to follow; a page at the end of the feed has no releases and the same cursor to poll with.
``GET /api/v1/ocds/records/{ocid}`` is the record package of one process.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import HttpResponse, StreamingHttpResponse
from ninja import Router

from tangguh.domain.ocds.package import stream_package
from tangguh.opendata.selectors import (
    DEFAULT_PAGE,
    feed_page,
    package_start,
    record_package,
    release_bodies,
)

router = Router(tags=["open data"])
JSON = "application/json; charset=utf-8"


def _page_url(request, cursor: str, limit: int) -> str:
    query = urlencode({"cursor": cursor, "limit": limit})
    return request.build_absolute_uri(f"{request.path}?{query}")


@router.get(
    "/releases",
    summary="OCDS release feed: a release package after the cursor, in commit order",
    openapi_extra={"responses": {200: {"description": "An OCDS 1.1 release package"}}},
)
def releases(request, cursor: str = "", limit: str = str(DEFAULT_PAGE)):
    page = feed_page(cursor=cursor, limit=limit)
    header = package_start(uri=_page_url(request, cursor, page.limit), published=page.published)
    trailer = {"links": {"next": _page_url(request, page.next_cursor.encode(), page.limit)}}
    chunks = stream_package(header, "releases", release_bodies(page.after, page.end), trailer)
    response = StreamingHttpResponse((c.encode() for c in chunks), content_type=JSON)
    response["Cache-Control"] = "no-cache"
    return response


@router.get(
    "/records/{ocid}",
    summary="OCDS record package of one process: its releases and the compiled release",
    openapi_extra={"responses": {200: {"description": "An OCDS 1.1 record package"}}},
)
def record(request, ocid: str):
    package = record_package(ocid=ocid, uri=request.build_absolute_uri())
    body = json.dumps(package, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), content_type=JSON)
