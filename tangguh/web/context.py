"""Template context every page needs: the node's name and zone, the language switch."""

from django.conf import settings

from tangguh.organizations.selectors import node_get
from tangguh.web.timefmt import zone_abbreviation


def node(request):
    current = node_get()
    return {
        "node_name": current.name if current else settings.TANGGUH_NODE_NAME,
        "node_zone": zone_abbreviation(settings.TIME_ZONE),
        "is_sandbox": settings.TANGGUH_ENV == "sandbox",
    }
