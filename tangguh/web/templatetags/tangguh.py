"""Template helpers: bilingual text (Indonesian first), dates in the node's zone.

``{% tr "Masuk" "Log in" %}`` keeps both languages side by side in the template; see
docs/decisions/0002-bilingual-text.md for why this and not gettext catalogues.
"""

from django import template
from django.conf import settings
from django.utils.translation import get_language

from tangguh.domain.money import format_rupiah
from tangguh.web.timefmt import format_moment

register = template.Library()


@register.simple_tag
def tr(indonesian: str, english: str) -> str:
    return english if (get_language() or "id").startswith("en") else indonesian


@register.filter
def moment(value) -> str:
    if not value:
        return "—"
    return format_moment(value, settings.TIME_ZONE, get_language() or "id")


@register.filter
def rupiah(value) -> str:
    """Rp1.234.568"""
    if value is None or value == "":
        return "—"
    from decimal import Decimal

    return format_rupiah(Decimal(str(value)))


@register.filter
def short_hash(value: str) -> str:
    return f"{value[:12]}…{value[-6:]}" if value and len(value) > 20 else value
