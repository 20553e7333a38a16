"""Rendering minutes to PDF with WeasyPrint, from a Django template.

The renderer may fetch only our own static files, through an allow-listed URL fetcher: never
``file://``, never the network (ARCHITECTURE.md "Untrusted documents never render on our
origin"). Question texts come from vendors; the template escapes them, and the fetcher makes
sure that even a crafted ``<img src>`` could not reach a file or a host.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# A base URL that no network resolves: relative links in the template become URLs under it,
# and only those under its /static/ are served, from the app's static files.
BASE_URL = "https://tangguh-node.invalid/"
STATIC_PREFIX = BASE_URL + "static/"
CONTENT_TYPES = {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml"}


class ResourceRefused(ValueError):
    """The PDF renderer asked for something that is not one of our static files."""


class StaticOnlyFetcher(URLFetcher):
    """Serves ``STATIC_PREFIX``… from Django's static files and refuses everything else."""

    def fetch(self, url, headers=None):
        if not url.startswith(STATIC_PREFIX):
            logger.warning("PDF renderer refused %s", url[:200])
            raise ResourceRefused(f"not an allowed resource: {url[:200]}")
        relative = url[len(STATIC_PREFIX) :].split("?", 1)[0].split("#", 1)[0]
        suffix = Path(relative).suffix.lower()
        if ".." in Path(relative).parts or suffix not in CONTENT_TYPES:
            raise ResourceRefused(f"not an allowed resource: {url[:200]}")
        found = finders.find(relative)
        if not found:
            raise ResourceRefused(f"no such static file: {relative}")
        return URLFetcherResponse(
            url, body=Path(found).read_bytes(), headers={"Content-Type": CONTENT_TYPES[suffix]}
        )


def render_pdf(*, template: str, context: dict) -> bytes:
    """The PDF of ``template`` rendered with ``context``."""
    html = render_to_string(template, context)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf()
