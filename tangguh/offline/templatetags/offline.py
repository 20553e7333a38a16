"""Labels of the offline procedure (luring) on pages other apps own:

``{% offline_section tender %}`` — the tender's published media-receipt minutes (with the
hashes), imported envelopes and offline openings (the tender page and the Pokja's page, which
also links to the Pokja's work page); ``{{ envelope|luring }}`` — whether an envelope came
from media (the opening list); ``{{ "2024-06-24T10:00:00+09:00"|iso_moment }}`` — a stored
RFC 3339 time shown like every other time."""

from datetime import datetime

from django import template
from django.conf import settings
from django.utils.translation import get_language

from tangguh.bids.services.opening import is_committee_member
from tangguh.offline.selectors import envelope_is_luring, offline_summary
from tangguh.web.timefmt import format_moment

register = template.Library()


@register.filter
def luring(envelope) -> bool:
    return envelope is not None and envelope_is_luring(envelope)


@register.filter
def iso_moment(value) -> str:
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return format_moment(moment, settings.TIME_ZONE, get_language() or "id")


@register.inclusion_tag("offline/_section.html", takes_context=True)
def offline_section(context, tender, pokja_page=False):
    if tender is None or getattr(tender, "announced_at", None) is None:
        return {"show": False}
    request = context.get("request")
    user = getattr(request, "user", None)
    member = bool(user is not None and is_committee_member(user, tender))
    summary = offline_summary(tender, include_drafts=member)
    return {
        "show": bool(summary["minutes"] or summary["openings"] or (member and pokja_page)),
        "tender": tender,
        "member": member,
        "summary": summary,
        "LANGUAGE_CODE": context.get("LANGUAGE_CODE"),
    }
