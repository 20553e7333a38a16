"""``GET /api/v1/node``: who this node is and the keys that verify what it signs."""

from django.conf import settings
from ninja import Router

from tangguh import __version__
from tangguh.core.keys import node_keyring
from tangguh.organizations.selectors import node_get

router = Router(tags=["node"])


@router.get("", summary="Node identity and JWKS")
def node_detail(request):
    node = node_get()
    return {
        "name": node.name if node else settings.TANGGUH_NODE_NAME,
        "ocds_prefix": node.ocds_prefix if node else settings.TANGGUH_OCDS_PREFIX,
        "time_zone": settings.TIME_ZONE,
        "version": __version__,
        "env": settings.TANGGUH_ENV,
        "jwks": node_keyring().jwks(),
    }
