"""Pages speak Bahasa Indonesia until the person chooses English.

Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones in
Indonesia are set to English; the node's language is Indonesian first (SPEC.md), so only the
choice made with the language switch (its cookie) changes it. The API still honours
Accept-Language for its error messages.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

DEFAULT = "id"


class NodeLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.known = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.known else DEFAULT
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        translation.deactivate()
        return response
